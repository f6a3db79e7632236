"""Guessing credentials is limited on every path (issue 18, item 6): the login page (and the
admin's, through the same backend), staff tokens, client API keys, and anonymous calls.
A lock slows the guesser's address and expires; it never keeps the real person out for good.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from aidou import auth_guard
from aidou.auth_guard import PASSWORD, Path, auth_guard_failure, auth_guard_success, auth_guard_wait
from aidou.models import AuditLog
from tests import factories
from tests.annotation.factories import OrganisationFactory, api_key_for

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


class Clock:
    """aidou.auth_guard's time, moved by hand (locks compare their end with it)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Mid-window, so a window's end is 450 s away.
    fake = Clock(1_000_000 * auth_guard.WINDOW_SECONDS + auth_guard.WINDOW_SECONDS / 2)
    monkeypatch.setattr(auth_guard, "time", fake)
    return fake


def _login(username: str, password: str, address: str = ATTACKER):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


# ------------------------------------------------------------------------- the login page
def test_wrong_passwords_lock_the_account_at_this_address_with_growing_waits(db, centre, clock):
    person = factories.UserFactory(username="wang", centre=centre)
    for _ in range(6):  # five free failures, the sixth starts a 30 s lock
        assert _login("wang", "wrong").status_code == 200
    refused = _login("wang", factories.PASSWORD)  # even the right password waits
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "登录失败次数过多，请等待 1 分钟后再试。" in refused.content.decode()  # Chinese first
    english = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("login"), {"username": "wang", "password": "wrong"}
    )
    assert "Too many failed logins. Please wait 1 minute and try again." in english.content.decode()
    assert "_auth_user_id" not in refused.wsgi_request.session

    # The real person, somewhere else, is not held up.
    assert _login("wang", factories.PASSWORD, address=ELSEWHERE).status_code == 302

    clock.now += 31  # the lock has passed; the next failure locks twice as long
    assert _login("wang", "wrong").status_code == 200
    assert _login("wang", "wrong")["Retry-After"] == "60"
    clock.now += 61
    assert _login("wang", factories.PASSWORD).status_code == 302  # a success starts afresh
    for _ in range(5):
        assert _login("wang", "wrong").status_code == 200
    assert _login("wang", factories.PASSWORD).status_code == 302

    failed = AuditLog.objects.filter(action="login_failed", target_id=str(person.pk))
    assert failed.count() == 6 + 1 + 5  # every checked failure, none of the refused attempts
    assert failed.filter(ip_address=ATTACKER).count() == 12
    locks = AuditLog.objects.filter(action="auth_locked").order_by("id")
    assert [lock.reason for lock in locks] == [
        "password: account and address for 30 s",
        "password: account and address for 60 s",
    ]


def test_a_made_up_forwarded_for_address_does_not_escape_the_lock(db, centre, clock):
    factories.UserFactory(username="zhao", centre=centre)
    for n in range(7):
        answer = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").post(
            reverse("login"), {"username": "zhao", "password": "wrong"}
        )
    assert answer.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_counted(db, centre, clock, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    factories.UserFactory(username="zhou", centre=centre)
    proxy = "10.1.1.1"
    for _ in range(6):
        Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}").post(
            reverse("login"), {"username": "zhou", "password": "wrong"}
        )
    refused = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert refused.post(reverse("login"), {"username": "zhou", "password": factories.PASSWORD}).status_code == 429
    other = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert other.post(reverse("login"), {"username": "zhou", "password": factories.PASSWORD}).status_code == 302


def test_the_mobile_number_and_the_username_share_one_budget(db, centre, clock):
    factories.UserFactory(username="li", mobile="13800001111", centre=centre)
    for login in ["li", "13800001111", "li", "13800001111", "li", "13800001111"]:
        _login(login, "wrong")
    assert _login("li", factories.PASSWORD).status_code == 429
    assert _login("13800001111", factories.PASSWORD).status_code == 429


def test_unknown_logins_are_limited_and_audited_too(db, clock):
    for _ in range(6):
        assert _login("nobody", "guess").status_code == 200
    assert _login("nobody", "guess").status_code == 429
    assert AuditLog.objects.filter(action="login_failed", target_id="nobody").count() == 6


def test_the_admin_login_goes_through_the_same_limits(db, centre, clock):
    factories.UserFactory(username="admin1", centre=centre, is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(6):
        client.post("/admin/login/", {"username": "admin1", "password": "wrong"})
    answer = client.post("/admin/login/", {"username": "admin1", "password": factories.PASSWORD})
    assert answer.status_code == 200 and "_auth_user_id" not in client.session  # refused while locked
    assert AuditLog.objects.filter(action="login_failed").count() == 6


# ------------------------------------------------------------ the address and the account
TIGHT = Path("test", "login_failed", address_failures=3, account_lock=True)


def test_an_address_that_fails_too_often_is_refused_for_any_account_until_the_window_ends(db, clock):
    for name in ["a", "b", "c"]:
        assert auth_guard_wait(path=TIGHT, account=name, address=ATTACKER) is None
        auth_guard_failure(path=TIGHT, account=name, address=ATTACKER)
    assert auth_guard_wait(path=TIGHT, account="d", address=ATTACKER) == 450
    assert auth_guard_wait(path=TIGHT, account="d", address=ELSEWHERE) is None
    clock.now += 450
    assert auth_guard_wait(path=TIGHT, account="d", address=ATTACKER) is None
    assert AuditLog.objects.filter(action="auth_locked", reason="test: address for 450 s").count() == 1


def test_guessing_from_many_addresses_locks_the_account_except_where_its_owner_logged_in(db, clock):
    auth_guard_success(path=PASSWORD, account="user:1", address="192.0.2.1")  # the owner's centre
    for n in range(auth_guard.ACCOUNT_FAILURES):
        auth_guard_failure(path=PASSWORD, account="user:1", address=f"10.9.{n // 250}.{n % 250}")
    assert auth_guard_wait(path=PASSWORD, account="user:1", address="10.200.0.1") == 450
    assert auth_guard_wait(path=PASSWORD, account="user:1", address="192.0.2.1") is None
    assert auth_guard_wait(path=PASSWORD, account="user:2", address="10.200.0.1") is None
    clock.now += 450
    assert auth_guard_wait(path=PASSWORD, account="user:1", address="10.200.0.1") is None


def test_a_lock_never_grows_past_its_ceiling(db, clock):
    for _ in range(20):
        auth_guard_failure(path=PASSWORD, account="user:9", address=ATTACKER)
    assert auth_guard_wait(path=PASSWORD, account="user:9", address=ATTACKER) == auth_guard.PAIR_MAX_LOCK_SECONDS


# ------------------------------------------------------------------------- staff tokens
def test_forged_staff_tokens_lock_the_address_and_not_the_real_token_elsewhere(db, centre, clock):
    person = factories.UserFactory(centre=centre)
    token = Token.objects.create(user=person)
    forger = Client(REMOTE_ADDR=ATTACKER)
    for n in range(auth_guard.STAFF_TOKEN.address_failures):
        assert forger.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token forged{n:034d}").status_code == 401
    refused = forger.get("/api/v1/me/", HTTP_AUTHORIZATION="Token forged")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "450"
    assert refused.json()["detail"]
    # A real token from the locked address waits too, on the workbench's fast road as well,
    # so the answer never tells a right guess from a wrong one.
    real = f"Token {token.key}"
    assert forger.get("/api/v1/me/", HTTP_AUTHORIZATION=real).status_code == 429
    assert forger.post("/api/v1/assignments/next/", HTTP_AUTHORIZATION=real).status_code == 429
    assert Client(REMOTE_ADDR=ELSEWHERE).get("/api/v1/me/", HTTP_AUTHORIZATION=real).status_code == 200
    assert AuditLog.objects.filter(action="token_refused", ip_address=ATTACKER).count() == 20
    assert AuditLog.objects.filter(action="auth_locked", reason="token: address for 450 s").count() == 1


# --------------------------------------------------------------------- client API keys
def test_forged_api_keys_are_limited_per_key_and_per_address(db, clock):
    organisation = OrganisationFactory()
    real = api_key_for(organisation)
    prefix = real.split("_")[1]
    forger = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(6):
        answer = forger.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token aidou_{prefix}_forged")
        assert answer.status_code == 401
    assert forger.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {real}").status_code == 429
    # The client's own servers are not held up.
    assert Client(REMOTE_ADDR=ELSEWHERE).get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {real}").status_code == 200
    # Keys of made-up prefixes: the address's budget.
    for n in range(auth_guard.API_KEY.address_failures - 6):
        assert forger.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token aidou_{n:08x}_x").status_code == 401
    answer = forger.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token aidou_ffffffff_x")
    assert answer.status_code == 429 and answer["Retry-After"] == "450"
    assert AuditLog.objects.filter(action="api_key_refused").count() == 20
    assert AuditLog.objects.filter(action="api_key_refused", target_id=f"key:{prefix}").count() == 6


# ---------------------------------------------------------------------- anonymous calls
def test_anonymous_calls_are_throttled_even_when_refused(db, settings):
    caller = Client(REMOTE_ADDR=ATTACKER)
    answers = [caller.get("/api/v1/projects/").status_code for _ in range(61)]
    assert answers[:60] == [401] * 60
    throttled = caller.get("/api/v1/me/")
    assert answers[60] == 429 and throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR=ELSEWHERE).get("/api/v1/me/").status_code == 401
