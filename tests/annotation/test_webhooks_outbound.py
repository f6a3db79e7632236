"""The SSRF-safe HTTP client of webhooks (annotation.outbound): which addresses count as
public, TLS checked against the host name while connecting to the pinned address, the
deadline on the whole exchange, the cap on the answer, no proxies."""

import datetime as dt
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from annotation import outbound
from tests.annotation.test_webhooks import FakeDns, Receiver


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def dns(monkeypatch):
    return FakeDns(monkeypatch)


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.10.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 (an address we refuse, not one we bind)
        ("224.0.0.1", False),  # multicast counts as "global" for ipaddress
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("2002:a9fe:a9fe::", False),  # 6to4 wrapping 169.254.169.254
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the cloud metadata address
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 of 10.0.0.1
        ("fec0::1", False),  # site-local (deprecated, not in every Python's tables)
        ("feff:ffff::1", False),  # the top of the site-local range
        ("fd12:3456::1", False),  # unique-local
        ("100::1", False),  # discard-only
        ("2001:db8::1", False),  # documentation
    ],
)
def test_which_addresses_are_public(address, public):
    assert outbound.address_is_public(address) is public


def test_one_private_answer_refuses_the_host(dns):
    dns.answer("mixed.example.com", ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(outbound.UnsafeTarget):
        outbound.target_check("https://mixed.example.com/")
    with pytest.raises(outbound.UnsafeTarget):
        outbound.post("https://mixed.example.com/", b"{}", {})


@pytest.mark.parametrize("url", ["ftp://example.com/", "http:///path", "http://example.com:99999/"])
def test_unusable_urls_are_refused(url):
    with pytest.raises(outbound.OutboundError):
        outbound.post(url, b"{}", {})


def test_the_answer_is_cut_after_a_few_kilobytes(private_targets):
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + b"x" * 1048576)
    response = outbound.post(f"http://127.0.0.1:{server.port}/", b"{}", {})
    assert response.status == 200
    assert len(response.body) == outbound.MAX_RESPONSE_BYTES


def test_a_server_dripping_its_answer_is_cut_off_at_the_deadline(private_targets):
    # Each header line comes within any per-read timeout; only a deadline on the whole
    # exchange stops it.
    server = RawServer(b"HTTP/1.1 200 OK\r\n", drip=b"X-Slow: yes\r\n", every=0.2)
    started = time.monotonic()
    with pytest.raises(outbound.OutboundError, match="timed out"):
        outbound.post(f"http://127.0.0.1:{server.port}/", b"{}", {}, total_timeout=1.0)
    assert time.monotonic() - started < 3


def test_proxy_variables_are_ignored(private_targets, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://10.255.255.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://10.255.255.1:3128")
    with Receiver() as receiver:
        assert outbound.post(receiver.url(), b"{}", {}).status == 200
    assert receiver.requests[0]["path"] == "/hook"


# --- TLS ------------------------------------------------------------------------------


def test_https_checks_the_certificate_of_the_host_name_on_the_pinned_address(
    private_targets, dns, monkeypatch, tmp_path
):
    tls = ThrowAwayCA(tmp_path, "hooks.test")
    monkeypatch.setattr(outbound, "tls_context", tls.client_context)
    dns.answer("hooks.test", ["127.0.0.1"])
    dns.answer("other.test", ["127.0.0.1"])
    with Receiver(tls=tls.server_context()) as receiver:
        response = outbound.post(receiver.url("hooks.test"), b'{"a":1}', {"Content-Type": "application/json"})
        assert response.status == 200
        assert tls.server_names == ["hooks.test"]  # SNI
        assert receiver.requests[0]["headers"]["Host"] == f"hooks.test:{receiver.port}"
        assert receiver.requests[0]["body"] == b'{"a":1}'

        # Same address, another name: the certificate does not match it.
        with pytest.raises(outbound.OutboundError, match="certificate"):
            outbound.post(receiver.url("other.test"), b"{}", {})
        # The system's CAs do not know our test CA.
        monkeypatch.setattr(outbound, "tls_context", ssl.create_default_context)
        with pytest.raises(outbound.OutboundError, match="certificate"):
            outbound.post(receiver.url("hooks.test"), b"{}", {})
    assert len(receiver.requests) == 1


# --- Helpers --------------------------------------------------------------------------


class RawServer:
    """Accepts one connection, reads the request, writes `head`, then `drip` every
    `every` seconds for a while."""

    def __init__(self, head: bytes, drip: bytes = b"", every: float = 0.0):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.head, self.drip, self.every = head, drip, every
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(self.head)
                deadline = time.monotonic() + 5
                while self.drip and time.monotonic() < deadline:
                    time.sleep(self.every)
                    connection.sendall(self.drip)
            except OSError:
                pass  # the client hung up: what the test wants
        self.listener.close()


class ThrowAwayCA:
    """A throw-away CA and a certificate for one host name, signed by it."""

    def __init__(self, folder, host: str):
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Aidou test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file = folder / "cert.pem"
        self.cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.key_file = folder / "key.pem"
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.server_names: list[str | None] = []

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))
