"""Client webhooks: the API, signed deliveries to a real HTTP server, retries, the
import job's `import.finished` event, and the SSRF guard at creation and at delivery
(including a DNS answer that changes between the two)."""

import datetime as dt
import hashlib
import hmac
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from aidou.celery import app as celery_app
from aidou.crypto import decrypt_text
from aidou.errors import PermissionDenied
from annotation.models import ImportJob, Webhook, WebhookDelivery
from annotation.services import webhooks as services
from annotation.services.api_keys import api_key_create, api_key_revoke
from annotation.services.imports import import_start
from annotation.tasks import webhook_deliver_task
from tests.annotation.factories import (
    OrganisationFactory,
    ProjectFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
    api_key_for,
    jpeg_bytes,
)
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789abcdef"
PUBLIC_IP = "93.184.216.34"  # the fake DNS's answer for a "public" host; never connected to
LIST = "/api/v1/webhooks/"


# --- Helpers ---------------------------------------------------------------------------


class Receiver:
    """A real HTTP(S) server on 127.0.0.1 that records every POST and answers with the
    next status of `statuses` (200 once they are used up)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": self.headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # refused TLS handshakes are expected in some tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


class FakeDns:
    """`socket.getaddrinfo` answering chosen addresses for chosen names; other names
    resolve as usual. `answer(name, first, later)`: the first look-up gets `first`,
    every later one `later` (a DNS answer that changes, as in a rebinding attack)."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(host)
            answers = self.answers[host]
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [_addrinfo(address, port) for address in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def answer(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)


def _addrinfo(address: str, port: int):
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


def client_of(organisation) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(organisation)}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def signature_of(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pending_delivery(webhook: Webhook, payload: dict | None = None) -> WebhookDelivery:
    """A delivery recorded by the real service, its task not run (no on-commit here)."""
    [delivery] = services.webhook_event_emit(
        organisation_id=webhook.organisation_id, event="import.finished", payload=payload or {"import": 1}
    )
    assert delivery.webhook_id == webhook.pk
    return delivery


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme Vision")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Other Robotics")


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def eager_retries():
    """The task's own retries, run in-process: eager Celery re-applies a task that calls
    `self.retry()` (at once, without the countdown) unless errors propagate, as they do
    elsewhere in the suite."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def dns(monkeypatch):
    return FakeDns(monkeypatch)


@pytest.fixture
def hook(private_targets, receiver, org):
    """An organisation's webhook, made by the real service, pointing at the receiver."""
    return services.webhook_create(organisation=org, url=receiver.url(), events=["import.finished"], secret=SECRET)


# --- API: create, read, delete ---------------------------------------------------------


def test_create_answers_201_and_never_returns_the_secret(org, dns):
    dns.answer("hooks.example.com", [PUBLIC_IP])
    client = client_of(org)
    response = client.post(
        LIST,
        {"url": "https://hooks.example.com/aidou", "events": ["project.done", "import.finished"], "secret": SECRET},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert_matches_schema(response, "post")
    body = response.json()
    assert set(body) == {"id", "url", "events", "is_active", "created_at"}
    assert body["events"] == ["import.finished", "project.done"]
    webhook = Webhook.objects.get(pk=body["id"])
    assert webhook.organisation == org
    assert SECRET not in webhook.secret_encrypted
    assert decrypt_text(webhook.secret_encrypted) == SECRET

    detail = client.get(f"{LIST}{webhook.pk}/")
    assert detail.status_code == 200
    assert_matches_schema(detail)
    listed = client.get(LIST)
    assert_matches_schema(listed)
    assert SECRET not in detail.content.decode() + listed.content.decode()


def test_list_shows_only_the_callers_organisation(org, other_org):
    own = WebhookFactory(organisation=org)
    WebhookFactory(organisation=other_org)
    response = client_of(org).get(LIST)
    assert response.status_code == 200
    assert_matches_schema(response)
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


@pytest.mark.parametrize(
    "method, path",
    [("get", "{id}/"), ("delete", "{id}/"), ("get", "{id}/deliveries/"), ("get", "nonsense/deliveries/")],
)
def test_another_organisations_webhook_is_not_found(org, other_org, method, path):
    foreign = WebhookFactory(organisation=other_org)
    WebhookDeliveryFactory(webhook=foreign)
    response = getattr(client_of(org), method)(LIST + path.format(id=foreign.pk))
    assert response.status_code == 404
    if "nonsense" not in path:
        assert_matches_schema(response, method)
    assert Webhook.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("method, path", [("get", ""), ("post", ""), ("get", "{id}/deliveries/"), ("delete", "{id}/")])
def test_no_key_or_a_revoked_key_is_401(org, method, path):
    webhook = WebhookFactory(organisation=org)
    url = LIST + path.format(id=webhook.pk)
    assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401
    api_key, secret = api_key_create(organisation=org, name="old")
    api_key_revoke(api_key=api_key)
    revoked = getattr(APIClient(), method)(url, {}, format="json", HTTP_AUTHORIZATION=f"Token {secret}")
    assert revoked.status_code == 401
    assert Webhook.objects.filter(pk=webhook.pk).exists()


GOOD = {"url": "https://hooks.example.com/aidou", "events": ["import.finished"], "secret": SECRET}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"events": []}, "events"),
        ({"events": ["import.done"]}, "events"),
        ({"events": "import.finished"}, "events"),
        ({"events": None}, "events"),
        ({"url": "ftp://hooks.example.com/aidou"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:password@hooks.example.com/aidou"}, "url"),
        ({"url": "https://" + "a" * 500 + ".example.com/"}, "url"),
        ({"secret": "too-short"}, "secret"),
        ({"secret": "x" * 201}, "secret"),
        ({"secret": None}, "secret"),
    ],
)
def test_bad_input_is_400_naming_the_field(org, dns, changes, field):
    dns.answer("hooks.example.com", [PUBLIC_IP])
    response = client_of(org).post(LIST, {**GOOD, **changes}, format="json")
    assert response.status_code == 400
    assert_matches_schema(response, "post")
    assert field in response.json()
    assert not Webhook.objects.exists()


PRIVATE_URLS = [
    "http://127.0.0.1/",
    "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://localhost/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://192.168.1.1:8080/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_creation_refuses_private_targets(org, url):
    response = client_of(org).post(LIST, {**GOOD, "url": url}, format="json")
    assert response.status_code == 400
    assert_matches_schema(response, "post")
    assert "private" in response.json()["url"][0]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("answer", [["10.1.2.3"], [PUBLIC_IP, "10.1.2.3"], ["fd00::1"], ["127.0.0.53"]])
def test_creation_refuses_a_host_resolving_to_a_private_address(org, dns, answer):
    dns.answer("intranet.example.com", answer)
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(
            organisation=org, url="https://intranet.example.com/hook", events=["import.finished"], secret=SECRET
        )
    assert list(refused.value.message_dict) == ["url"]
    assert not Webhook.objects.exists()


def test_creation_refuses_a_host_that_does_not_resolve(org):
    response = client_of(org).post(LIST, {**GOOD, "url": "https://no-such-host.invalid/hook"}, format="json")
    assert response.status_code == 400
    assert "resolved" in response.json()["url"][0]


def test_private_targets_are_accepted_when_the_setting_allows_them(private_targets, org):
    response = client_of(org).post(LIST, {**GOOD, "url": "http://127.0.0.1:8000/hook"}, format="json")
    assert response.status_code == 201


def test_a_person_without_an_organisation_cannot_create_one(api, network_admin, org):
    response = api(network_admin).post(LIST, GOOD, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert_matches_schema(response, "post")
    assert "client organisation" in response.json()["detail"]
    chinese = api(network_admin).post(LIST, GOOD, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "客户机构" in chinese.json()["detail"]
    with pytest.raises(PermissionDenied):
        services.webhook_create(organisation=None, url=GOOD["url"], events=GOOD["events"], secret=SECRET)
    # A network admin still reads every organisation's webhooks and logs.
    webhook = WebhookFactory(organisation=org)
    assert api(network_admin).get(f"{LIST}{webhook.pk}/deliveries/").status_code == 200


def test_delete_removes_the_webhook_and_its_log(org):
    webhook = WebhookFactory(organisation=org)
    WebhookDeliveryFactory(webhook=webhook)
    client = client_of(org)
    response = client.delete(f"{LIST}{webhook.pk}/")
    assert response.status_code == 204
    assert_matches_schema(response, "delete")
    assert client.get(f"{LIST}{webhook.pk}/").status_code == 404
    assert not WebhookDelivery.objects.exists()


# --- Events and deliveries -------------------------------------------------------------


def test_an_event_reaches_the_receiver_signed(private_targets, receiver, org, django_capture_on_commit_callbacks):
    client = client_of(org)
    created = client.post(LIST, {**GOOD, "url": receiver.url("127.0.0.1", "/hooks/aidou?team=ml")}, format="json")
    assert created.status_code == 201
    payload = {"import": 31, "project": 7, "status": "succeeded", "accepted": 9, "duplicates": 0, "rejected": 1}
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(organisation_id=org.pk, event="import.finished", payload=payload)

    [request] = receiver.requests
    assert request["path"] == "/hooks/aidou?team=ml"
    headers = request["headers"]
    assert headers["X-Aidou-Signature"] == signature_of(request["body"])
    assert hmac.compare_digest(headers["X-Aidou-Signature"], services.webhook_signature(SECRET, request["body"]))
    assert headers["X-Aidou-Event"] == "import.finished"
    assert headers["X-Aidou-Delivery"] == str(delivery.pk)
    assert headers["User-Agent"] == "Aidou-Webhooks/1"
    assert headers["Content-Type"] == "application/json"
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"
    body = json.loads(request["body"])
    assert body.keys() == {"event", "created_at", "data"}
    assert body["event"] == "import.finished"
    assert body["data"] == payload
    assert dt.datetime.fromisoformat(body["created_at"]).utcoffset() is not None

    log = client.get(f"{LIST}{created.json()['id']}/deliveries/")
    assert log.status_code == 200
    assert_matches_schema(log)
    [row] = log.json()["results"]
    assert row["id"] == delivery.pk
    assert row["event"] == "import.finished"
    assert row["status"] == "succeeded"
    assert row["attempts"] == 1
    assert row["response_status"] == 200
    assert row["last_error"] == ""
    assert row["delivered_at"] is not None


def test_only_active_webhooks_subscribed_to_the_event_get_a_delivery(org, other_org):
    subscribed = WebhookFactory(organisation=org, events=["export.finished", "import.finished"])
    WebhookFactory(organisation=org, events=["export.finished"])
    WebhookFactory(organisation=org, events=["import.finished"], is_active=False)
    WebhookFactory(organisation=other_org, events=["import.finished"])
    deliveries = services.webhook_event_emit(organisation_id=org.pk, event="import.finished", payload={"import": 3})
    assert [delivery.webhook_id for delivery in deliveries] == [subscribed.pk]
    assert WebhookDelivery.objects.get().payload == {"import": 3}
    assert services.webhook_event_emit(organisation_id=org.pk, event="project.done", payload={}) == []
    with pytest.raises(ValueError):
        services.webhook_event_emit(organisation_id=org.pk, event="project.deleted", payload={})


def test_a_failed_attempt_is_retried_by_the_task(
    hook, receiver, org, eager_retries, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(organisation_id=org.pk, event="import.finished", payload={"a": 1})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 200)
    assert delivery.last_error == ""
    first, second = receiver.requests
    # Every attempt sends the same bytes with the same signature.
    assert first["body"] == second["body"]
    assert (
        first["headers"]["X-Aidou-Signature"] == second["headers"]["X-Aidou-Signature"] == signature_of(first["body"])
    )


def test_each_attempt_is_recorded_and_the_last_one_marks_it_failed(hook, receiver):
    delivery = pending_delivery(hook)
    receiver.statuses = [500] * services.MAX_ATTEMPTS
    for attempt in range(1, services.MAX_ATTEMPTS):
        delivery = services.webhook_deliver(delivery_id=delivery.pk)
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", attempt, 500)
        assert delivery.last_error.startswith("HTTP 500")
        assert delivery.delivered_at is None
    delivery = services.webhook_deliver(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)
    # Failed is final: running it again sends nothing.
    assert services.webhook_deliver(delivery_id=delivery.pk).attempts == services.MAX_ATTEMPTS
    assert len(receiver.requests) == services.MAX_ATTEMPTS


def test_the_task_gives_up_after_the_last_attempt(
    hook, receiver, org, eager_retries, django_capture_on_commit_callbacks
):
    receiver.statuses = [503] * 20
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(organisation_id=org.pk, event="import.finished", payload={})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 8, 503)
    assert len(receiver.requests) == 8


def test_a_delivered_delivery_is_not_sent_again(hook, receiver, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.webhook_event_emit(organisation_id=org.pk, event="import.finished", payload={})
    webhook_deliver_task.delay(delivery.pk)  # a re-delivered task message
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    assert len(receiver.requests) == 1
    assert services.webhook_deliver(delivery_id=10**9) is None  # gone (webhook deleted): nothing to do


def test_retry_delays_double_and_are_capped():
    assert [services.webhook_retry_delay(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 320, 600, 600]


def test_redirects_are_not_followed(hook, receiver):
    receiver.statuses = [302]
    delivery = services.webhook_deliver(delivery_id=pending_delivery(hook).pk)
    assert [request["path"] for request in receiver.requests] == ["/hook"]
    assert (delivery.status, delivery.response_status) == ("pending", 302)
    assert "redirects are not followed" in delivery.last_error


def test_an_unreachable_receiver_is_recorded(private_targets, org):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = services.webhook_create(
        organisation=org, url=f"http://127.0.0.1:{port}/", events=["import.finished"], secret=SECRET
    )
    delivery = services.webhook_deliver(delivery_id=pending_delivery(webhook).pk)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert delivery.last_error == "connection refused"


def test_a_disabled_webhook_fails_without_a_request(hook, receiver):
    delivery = pending_delivery(hook)
    Webhook.objects.filter(pk=hook.pk).update(is_active=False)
    delivery = services.webhook_deliver(delivery_id=delivery.pk)
    assert delivery.status == "failed"
    assert receiver.requests == []


# --- SSRF at delivery time -------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1"])
def test_delivery_refuses_a_host_whose_dns_answer_changed(org, dns, receiver, address):
    dns.answer("hooks.example.com", [PUBLIC_IP], [address])
    webhook = services.webhook_create(
        organisation=org,
        url=f"http://hooks.example.com:{receiver.port}/hook",
        events=["import.finished"],
        secret=SECRET,
    )
    delivery = services.webhook_deliver(delivery_id=pending_delivery(webhook).pk)
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert "non-public address" in delivery.last_error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254"])
def test_delivery_refuses_private_targets_once_the_setting_is_off(settings, org, receiver, host):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook = services.webhook_create(
        organisation=org, url=receiver.url(host), events=["import.finished"], secret=SECRET
    )
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = services.webhook_deliver(delivery_id=pending_delivery(webhook).pk)
    assert receiver.requests == []
    assert "non-public address" in delivery.last_error


def test_the_connection_goes_to_the_address_resolved_once(private_targets, receiver, dns, org):
    # The first answer is checked and used; a later answer (10.255.255.1) must never be.
    dns.answer("hooks.test", ["127.0.0.1"], ["10.255.255.1"])
    webhook = WebhookFactory(organisation=org, url=f"http://hooks.test:{receiver.port}/hook")
    delivery = services.webhook_deliver(delivery_id=pending_delivery(webhook).pk)
    assert delivery.status == "succeeded", delivery.last_error
    assert dns.lookups == ["hooks.test"]
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.test:{receiver.port}"
    assert request["headers"]["X-Aidou-Signature"] == signature_of(request["body"], "s3cret")


# --- The import job's event ------------------------------------------------------------


def test_a_finished_import_emits_import_finished(hook, receiver, org, django_capture_on_commit_callbacks):
    project = ProjectFactory(organisation=org)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_start(
            project=project, files=[SimpleUploadedFile("street.jpg", jpeg_bytes(), content_type="image/jpeg")]
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    delivery = WebhookDelivery.objects.get(webhook=hook)
    expected = {"import": job.pk, "project": project.pk, "status": "succeeded", "accepted": 1, "duplicates": 0,
                "rejected": 0}  # fmt: skip
    assert (delivery.event, delivery.status, delivery.payload) == ("import.finished", "succeeded", expected)
    [request] = receiver.requests
    assert json.loads(request["body"])["data"] == expected
    assert request["headers"]["X-Aidou-Signature"] == signature_of(request["body"])


# --- Query counts ----------------------------------------------------------------------


def test_the_delivery_log_uses_a_constant_number_of_queries(org, django_assert_num_queries):
    webhook = WebhookFactory(organisation=org)
    client = client_of(org)
    url = f"{LIST}{webhook.pk}/deliveries/?page_size=100"
    client.get(url)  # the key's first use records last_used_at; later calls do not write
    WebhookDeliveryFactory.create_batch(5, webhook=webhook)
    # API key, the webhook (scoped), count, page
    with django_assert_num_queries(4):
        small = client.get(url)
    WebhookDeliveryFactory.create_batch(15, webhook=webhook)
    with django_assert_num_queries(4):
        large = client.get(url)
    assert_matches_schema(large)
    assert (small.json()["count"], large.json()["count"]) == (5, 20)
    assert len(large.json()["results"]) == 20
