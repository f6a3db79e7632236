"""Limits on guessing credentials: passwords, staff tokens and client API keys.

Every authentication path asks `auth_guard_wait` before it checks a credential and tells
`auth_guard_failure` / `auth_guard_success` how the check went. Three counters, all in the
`auth_guard` cache (Redis, or files: shared by every web process) and all expiring, so no one is locked out
for good (docs/decisions/0010-login-abuse-and-csp.md):

- account + address (when the credential names an account): the first `PAIR_FREE_FAILURES` failures are free, then each one locks
  this pair for twice as long as the last (from `PAIR_BASE_LOCK_SECONDS` up to
  `PAIR_MAX_LOCK_SECONDS`); forgotten `PAIR_MEMORY_SECONDS` after the first failure, and
  cleared by a success. It slows the attacker's address and no one else's.
- address: at most `ADDRESS_FAILURES` failures of one kind in a fixed window, then that
  address is refused for the rest of the window whatever account it names (a county
  centre's staff share one public address, so the password budget is generous).
- account (passwords only): at most `ACCOUNT_FAILURES` failures from all addresses together in a window,
  then the account is refused from every address *it has not logged in from* for the rest
  of the window. Guessing spread over many addresses stops; the real person, at an
  address where they logged in before, still gets in.

Each failure that reached the check is an audit event (aidou.models.AuditLog), and so is
each lock it starts; attempts refused while locked are not checked and not written one
by one, so a flood cannot fill the table.
"""

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from aidou.models import AuditLog
from aidou.throttling import count_in_window

PAIR_FREE_FAILURES = 5
PAIR_BASE_LOCK_SECONDS = 30
PAIR_MAX_LOCK_SECONDS = 15 * 60
PAIR_MEMORY_SECONDS = 60 * 60
WINDOW_SECONDS = 15 * 60
ACCOUNT_FAILURES = 30
KNOWN_ADDRESS_SECONDS = 60 * 60 * 24 * 30


@dataclass(frozen=True)
class Path:
    """One way of proving who one is; `audit_action` names its failures in the audit log.
    `account_lock`: whether failures from all addresses together lock the account (for
    passwords; a client key's 240 random bits cannot be guessed that way, and its account,
    the key's public prefix, is not worth a write per request to learn its addresses)."""

    name: str
    audit_action: str
    address_failures: int
    account_lock: bool


PASSWORD = Path("password", "login_failed", address_failures=100, account_lock=True)
STAFF_TOKEN = Path("token", "token_refused", address_failures=20, account_lock=False)
API_KEY = Path("api_key", "api_key_refused", address_failures=20, account_lock=False)
LOCKED_ACTION = "auth_locked"


def _cache():
    return caches["auth_guard"]


def client_address(request) -> str:
    """The caller's address as DRF's throttles see it (REMOTE_ADDR, or the address the
    `NUM_PROXIES` trusted proxies put in X-Forwarded-For), so both count the same caller."""
    return BaseThrottle().get_ident(request)


def _key(*parts: str) -> str:
    # Accounts and addresses are outside input: hashed, so any text makes a valid cache key.
    return "auth_guard:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _window(now: float) -> tuple[int, float]:
    window = int(now // WINDOW_SECONDS)
    return window, (window + 1) * WINDOW_SECONDS - now


def auth_guard_wait(*, path: Path, account: str | None, address: str) -> int | None:
    """Seconds the caller must wait before this credential is checked, or None to go on."""
    now = time.time()
    window, window_left = _window(now)
    keys = {"address": _key("address", path.name, address, str(window))}
    if account:
        keys["pair"] = _key("pair-lock", path.name, account, address)
    account_lock = bool(account) and path.account_lock
    if account_lock:
        keys["account"] = _key("account", path.name, account or "", str(window))
        keys["known"] = _key("known", path.name, account or "", address)
    found = _cache().get_many(list(keys.values()))
    waits = []
    pair_until = found.get(keys.get("pair", ""))
    if pair_until and pair_until > now:
        waits.append(pair_until - now)
    if found.get(keys["address"], 0) >= path.address_failures:
        waits.append(window_left)
    if account_lock and found.get(keys["account"], 0) >= ACCOUNT_FAILURES and not found.get(keys["known"]):
        waits.append(window_left)
    return math.ceil(max(waits)) if waits else None


def auth_guard_failure(
    *, path: Path, account: str | None, address: str, target_type: str = "", target_id: str = ""
) -> None:
    """Count one failed check of a credential (after `auth_guard_wait` let it through) and
    write it to the audit log, or write the lock it starts."""
    now = time.time()
    window, window_left = _window(now)
    cache = _cache()
    locks = []
    address_count = count_in_window(cache, _key("address", path.name, address, str(window)), WINDOW_SECONDS + 1)
    if address_count == path.address_failures:
        locks.append(("address", window_left))
    if account and path.account_lock:
        account_count = count_in_window(cache, _key("account", path.name, account, str(window)), WINDOW_SECONDS + 1)
        if account_count == ACCOUNT_FAILURES:
            locks.append(("account", window_left))
    if account:
        pair_count = count_in_window(cache, _key("pair", path.name, account, address), PAIR_MEMORY_SECONDS)
        if pair_count > PAIR_FREE_FAILURES:
            seconds = min(PAIR_BASE_LOCK_SECONDS * 2 ** (pair_count - PAIR_FREE_FAILURES - 1), PAIR_MAX_LOCK_SECONDS)
            cache.set(_key("pair-lock", path.name, account, address), now + seconds, timeout=seconds + 1)
            locks.append(("account and address", seconds))
    _audit(path.audit_action, target_type, target_id, address, path.name)
    for what, seconds in locks:
        _audit(LOCKED_ACTION, target_type, target_id, address, f"{path.name}: {what} for {math.ceil(seconds)} s")


def auth_guard_success(*, path: Path, account: str, address: str) -> None:
    """The credential was right: this pair starts afresh, and the address is one this
    account is known at (so a lock of the account spares it)."""
    cache = _cache()
    cache.delete_many([_key("pair", path.name, account, address), _key("pair-lock", path.name, account, address)])
    cache.set(_key("known", path.name, account, address), 1, timeout=KNOWN_ADDRESS_SECONDS)


def _audit(action: str, target_type: str, target_id: str, address: str, reason: str) -> None:
    AuditLog.objects.create(
        actor=None,
        action=action,
        target_type=target_type[:64],
        target_id=target_id[:64],
        ip_address=_ip_or_none(address),
        reason=reason[:200],
    )


def _ip_or_none(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
