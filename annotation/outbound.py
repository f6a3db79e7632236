"""Outbound HTTP to URLs that clients give us (webhooks), safe against SSRF.

The host is resolved once. Every address it resolves to must be public, unless
`settings.WEBHOOK_ALLOW_PRIVATE_TARGETS` is on (development and tests). The connection
then goes to one of those checked addresses, so a second DNS answer (rebinding) cannot
send it somewhere else. The request still names the host: in the Host header and, for
https, in SNI and the certificate check. Redirects are never followed, proxy variables
from the environment are ignored, the whole exchange has a deadline, and only the
first few KB of the answer are read. Only the standard library is used.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 4096


class OutboundError(Exception):
    """The request could not be made or did not finish; the message says why."""


class UnsafeTarget(OutboundError):
    """The URL leads to an address we never call (private, loopback, link-local, ...)."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    body: bytes  # at most MAX_RESPONSE_BYTES


# Ranges Python's tables (which change between patch releases) do not all call
# non-global, refused here whatever the Python: IPv6 site-local (deprecated by RFC 3879,
# still routed inside some networks), unique-local, the discard prefix, documentation.
_NOT_PUBLIC_V6 = tuple(
    ipaddress.ip_network(network) for network in ("fec0::/10", "fc00::/7", "100::/64", "2001:db8::/32", "3fff::/20")
)
# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local-use): the IPv4 address sits in the
# last 32 bits, and the gateway connects to it.
_NAT64 = tuple(ipaddress.ip_network(network) for network in ("64:ff9b::/96", "64:ff9b:1::/48"))


def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address. IPv6 forms that carry an IPv4
    address (IPv4-mapped, 6to4, NAT64) are judged by that IPv4 address as well."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or any(ip in network for network in _NOT_PUBLIC_V6):
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in network for network in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not address_is_public(str(embedded)):
            return False
    # is_global alone lets multicast through (224.0.0.1, ff02::1 are "global").
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError("not an http or https URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundError("invalid port") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


def _resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """(family, socket address) for each address of the host, after the address check."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(f"cannot resolve {host}") from exc
    if not infos:
        raise OutboundError(f"cannot resolve {host}")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        # One bad address refuses the host: we must not pick among them by luck.
        for _family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if not address_is_public(address):
                raise UnsafeTarget(f"{host} resolves to a non-public address ({address})")
    return [(family, sockaddr) for family, _type, _proto, _name, sockaddr in infos]


def target_check(url: str) -> None:
    """Raise UnsafeTarget if the URL's host is or resolves to a non-public address (unless
    private targets are allowed), OutboundError if it is not a usable URL or host."""
    _scheme, host, port, _target = _split(url)
    _resolve(host, port)


@cache
def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's CAs, host names checked."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses resolved and checked beforehand instead of resolving
    `host` again; `host` is still what the Host header says."""

    def __init__(self, host: str, port: int, *, addresses: list, connect_timeout: float, deadline: float):
        super().__init__(host, port)
        self.addresses = addresses
        self.connect_timeout = connect_timeout
        self.deadline = deadline
        self.timed_out = False

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        return remaining

    def _open_socket(self) -> socket.socket:
        error: OSError = OSError("no address to connect to")
        for family, sockaddr in self.addresses:
            timeout = min(self.connect_timeout, self._remaining())
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            self.sock = sock  # from now on close() frees it and the watchdog can cut it
            sock.settimeout(self._remaining())
            return sock
        raise error

    def connect(self) -> None:
        self._open_socket()

    def abort(self) -> None:
        """Called by the watchdog at the deadline: a socket timeout bounds each read, not
        the sum of them, so a server dripping bytes is cut off here."""
        self.timed_out = True
        sock = self.sock
        if sock is not None:
            try:
                # The plain socket's shutdown, also under TLS: it wakes a blocked read
                # without touching the TLS object another thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        # Certificate and SNI for the host name, on the connection to the checked address.
        self.sock = tls_context().wrap_socket(self._open_socket(), server_hostname=self.host)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float | None = None,
    total_timeout: float | None = None,
) -> Response:
    """POST `body` to `url` once. Any status is a Response (3xx too: redirects are not
    followed); a refused target raises UnsafeTarget, anything else that stops the
    exchange (DNS, connection, TLS, timeout, a malformed answer) OutboundError."""
    connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
    total_timeout = TOTAL_TIMEOUT if total_timeout is None else total_timeout
    deadline = time.monotonic() + total_timeout
    scheme, host, port, target = _split(url)
    addresses = _resolve(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, addresses=addresses, connect_timeout=connect_timeout, deadline=deadline)
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), connection.abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        answer = Response(response.status, response.reason, response.read(MAX_RESPONSE_BYTES))
        if connection.timed_out:
            # The watchdog's shutdown reads as an end of file, which http.client may take
            # for the end of the headers: a cut-off answer is not an answer.
            raise TimeoutError("timed out")
        return answer
    except (OSError, http.client.HTTPException) as exc:
        if connection.timed_out or isinstance(exc, TimeoutError):
            raise OutboundError(f"timed out after {total_timeout:g} s") from exc
        raise OutboundError(_describe(exc)) from exc
    finally:
        watchdog.cancel()
        connection.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {exc}"[:300]
