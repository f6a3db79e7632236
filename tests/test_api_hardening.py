"""No malformed input reaches a 500, on any endpoint of the API.

The sweep walks the OpenAPI schema drf-spectacular generates and sends every operation
each class of bad input: a body nested 100,000 deep, NUL and lone surrogates, the wrong
container type and huge numbers in every documented field and query parameter, bodies
of the wrong content type, ids that fit no column, and callers of the wrong kind (a
client key on staff endpoints, a staff token on client endpoints, nobody). Real ids fill
the paths, so each request reaches the view's own code, and the caller of the right kind
sends the bodies, so permissions do not hide what the view would do. Every answer must
be below 500 and, when it is an error, JSON.

Beside it, the structural checks that make each class impossible by construction: every
API view checks the caller's kind (aidou.permissions) and parses with the project's safe
parsers (aidou.parsers).
"""

import datetime as dt
import json
from functools import lru_cache, partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from aidou.parsers import SAFE_PARSERS
from aidou.permissions import ServesPrincipal
from annotation.models import Batch, Review
from annotation.services import assignments as engine
from annotation.services.batches import Assignees, ItemChoice, batch_create
from annotation.services.imports import import_start
from tests import factories
from tests.annotation.factories import (
    ExportJobFactory,
    OrganisationFactory,
    WebhookFactory,
    api_key_for,
    jpeg_bytes,
    labelling_project,
)
from workforce.models import Role, RosterImport

HUGE = "9" * 1000  # an integer JSON parses (under Python's 4,300 digits) and no column holds
DEEP = "[" * 100_000 + "]" * 100_000
BAD_VALUES = {
    "lone surrogate": '"\\ud800"',
    "NUL": '"a\\u0000b"',
    "list": "[1, [2]]",
    "object": '{"a": {"b": 1}}',
    "integer": "7",
    "huge integer": HUGE,
    "negative huge integer": "-" + HUGE,
    "float overflow": "1e999",
    "deep": DEEP,
}
# (A lone surrogate cannot be sent in a URL: its UTF-8 bytes, %ED%A0%80, are what a client could send.)
BAD_QUERY_VALUES = ["9" * 40, "-1", "%00", "%ED%A0%80", "[]", "{}", "1e999", "%ZZ"]
BAD_PATH_IDS = ["9" * 40, "-1", "0"]


@lru_cache(maxsize=1)
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _operations():
    schema = _schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _body_fields(operation: dict) -> tuple[str | None, list[str]]:
    """The request's media type and its documented fields."""
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/json", "multipart/form-data", "application/x-www-form-urlencoded"):
        if media in content:
            node = _resolve(_schema(), content[media].get("schema", {}))
            return media, list(node.get("properties", {}))
    return None, []


@pytest.fixture
def world(db, centre, hr):
    """One of everything, and a caller of each kind: `client` (an API key), `boss` (a
    staff token of a person holding every centre role), `anonymous`."""
    org = OrganisationFactory(name="Sweep Ltd")
    key = api_key_for(org)
    boss = factories.worker(
        actor=factories.UserFactory(centre=None, is_superuser=True),  # only it grants HR and manager at once
        centre=centre,
        name="全能",
        roles=[Role.ANNOTATOR, Role.REVIEWER, Role.SUPERVISOR, Role.HR, Role.CENTRE_MANAGER],
    )
    team = factories.TeamFactory(centre=centre, name="扫描组")
    team.members.add(boss)
    project = labelling_project(items=6, organisation=org)
    batch = batch_create(
        actor=boss, project=project, choice=ItemChoice(size=6), assignees=Assignees(teams=[team.pk]), name="扫描"
    )
    offer = engine.assignment_next(annotator=boss)
    submitted, _created = engine.assignment_submit(
        annotator=boss,
        assignment_id=offer.assignment_id,
        annotation={"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 1, "w": 5, "h": 5}], "class": None},
    )
    leased = engine.assignment_next(annotator=boss)
    item = project.items.order_by("id").first()
    import_job = import_start(project=project, files=[SimpleUploadedFile("a.jpg", jpeg_bytes())], enqueue=False)
    export = ExportJobFactory(project=project)
    webhook = WebhookFactory(organisation=org)
    roster = RosterImport.objects.create(created_by=hr, original_name="r.csv")
    from annotation.services.quality import quality_recompute_start

    quality = quality_recompute_start(project=project, created_by=boss)
    from workforce.pay.services import pay_period_open, payroll_run_execute, payroll_run_start

    period = pay_period_open(actor=hr, centre=centre, month=dt.date(2026, 11, 1))
    run = payroll_run_start(actor=hr, period=period, enqueue=False)
    payroll_run_execute(job_id=run.pk)
    payslip = period.payslips.first()
    from tests.childcare import factories as care

    care_session = care.session(care.room(centre, name="扫描托育"))
    care_booking = care.booking_for(boss, session=care_session)
    ids = {
        "projects": project.pk,
        "items": item.pk,
        "imports": import_job.pk,
        "exports": export.pk,
        "webhooks": webhook.pk,
        "batches": batch.pk,
        "assignments": leased.assignment_id,
        "review-queue": submitted.pk,
        "centres": centre.pk,
        "teams": team.pk,
        "workers": boss.pk,
        "roster-imports": roster.pk,
        "quality": quality.pk,
        "gold": item.pk,
        "payroll": run.pk,
        "payslips": payslip.pk if payslip else 1,
        "certificates": 1,  # none issued here: the ids reach the 404 path
        "exams": 1,
        "childcare": care_booking.pk,  # the bookings' {booking_id}; the boss is its child's guardian
    }
    staff_token = Token.objects.create(user=boss).key
    callers = {
        "client": Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en"),
        "staff": Client(HTTP_AUTHORIZATION=f"Token {staff_token}", HTTP_ACCEPT_LANGUAGE="en"),
        "anonymous": Client(HTTP_ACCEPT_LANGUAGE="en"),
    }
    assert Batch.objects.count() == 1 and Review.objects.count() == 0
    return {"ids": ids, "callers": callers}


def _path(template: str, ids: dict, override: str | None = None) -> str:
    parts = template.strip("/").split("/")  # api, v1, resource, ...
    resource = parts[2]
    filled = []
    for part in parts:
        if part.startswith("{"):
            if part == "{project_id}":
                value = ids["projects"]
            else:
                value = ids[resource]
            filled.append(str(value) if override is None else override)
        else:
            filled.append(part)
    return "/" + "/".join(filled) + "/"


def _served_by(template: str, method: str) -> str:
    """Which caller is of the kind the operation serves (the client key where both)."""
    resource = template.strip("/").split("/")[2]
    client_resources = {"projects", "items", "imports", "exports", "webhooks"}
    if resource in client_resources or template.startswith("/api/v1/quality/annotators/"):
        return "client"
    return "staff"


def _send(client: Client, method: str, path: str, *, body=None, content_type="application/json", query=""):
    url = path + (f"?{query}" if query else "")
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, body, content_type=content_type)


def _check(failures: list, label: str, call) -> None:
    try:
        response = call()
    except Exception as exc:  # the test client re-raises what a view let through
        failures.append(f"{label}: raised {type(exc).__name__}: {str(exc)[:200]}")
        return
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code}")
    elif response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
        failures.append(f"{label}: {response.status_code} answered {response.get('Content-Type')}, not JSON")


def _bodies(media: str | None, fields: list[str]):
    """(label, raw body, content type) for each class of bad body."""
    yield "deep body", DEEP, "application/json"
    yield "list body", "[]", "application/json"
    yield "scalar body", HUGE, "application/json"
    yield "surrogate body", '"\\udfff"', "application/json"
    yield "text/plain body", "hello", "text/plain"
    yield "xml body", "<a/>", "application/xml"
    yield "urlencoded NUL", "a=%00&name=%00", "application/x-www-form-urlencoded"
    for field in fields:
        for kind, value in BAD_VALUES.items():
            yield f"{field}={kind}", f'{{"{field}": {value}}}', "application/json"


@pytest.mark.django_db
def test_no_malformed_input_reaches_a_500_on_any_endpoint(world):
    ids, callers = world["ids"], world["callers"]
    failures: list[str] = []
    operations = list(_operations())
    assert len(operations) > 40  # the schema really was walked
    for template, method, operation in operations:
        if template.startswith(("/api/v1/schema", "/api/v1/docs", "/api/v1/redoc")):
            continue
        name = f"{method.upper()} {template}"
        path = _path(template, ids)
        # Callers of every kind, with nothing wrong in the request but who sends it.
        for kind, caller in callers.items():
            _check(failures, f"{name} as {kind}", partial(_send, caller, method, path))
        client = callers[_served_by(template, method)]
        # Ids no column holds.
        if "{" in template:
            for bad in BAD_PATH_IDS:
                bad_path = _path(template, ids, override=bad)
                _check(failures, f"{name} id={bad[:10]}", partial(_send, client, method, bad_path))
        # Query parameters of the wrong shape.
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query":
                for value in BAD_QUERY_VALUES:
                    query = f"{parameter['name']}={value}"
                    _check(failures, f"{name}?{query[:30]}", partial(_send, client, method, path, query=query))
        if method == "get":
            continue
        media, fields = _body_fields(operation)
        for label, body, content_type in _bodies(media, fields):
            raw = body.encode("utf-8", "surrogatepass")
            _check(
                failures, f"{name} {label}", partial(_send, client, method, path, body=raw, content_type=content_type)
            )
        if media == "multipart/form-data":
            for field in fields:
                form = {field: "a\x00b", "files": SimpleUploadedFile("e\u202egpj.exe", jpeg_bytes())}
                _check(failures, f"{name} multipart {field}=NUL", partial(client.post, path, form))
    assert not failures, "\n".join(failures)


# --- By construction --------------------------------------------------------------------


def _api_views():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
                if (
                    view is not None
                    and issubclass(view, APIView)
                    and (prefix + str(pattern.pattern)).startswith("api/")
                ):
                    yield prefix + str(pattern.pattern), pattern.callback, view

    yield from walk(get_resolver().url_patterns)


SCHEMA_VIEWS = ("SpectacularAPIView", "SpectacularSwaggerView", "SpectacularSwaggerSplitView", "SpectacularRedocView")


def test_every_api_view_checks_the_callers_kind_and_parses_safely():
    checked = 0
    for route, callback, view in _api_views():
        if view.__name__ in SCHEMA_VIEWS:
            continue
        checked += 1
        actions = getattr(callback, "actions", None) or {}
        initkwargs = getattr(callback, "initkwargs", {}) or {}
        permission_classes = initkwargs.get("permission_classes", view.permission_classes)
        parser_classes = initkwargs.get("parser_classes", view.parser_classes)
        assert permission_classes and all(issubclass(p, ServesPrincipal) for p in permission_classes), (
            f"{route} ({view.__name__}): every permission class must derive from aidou.permissions.ServesPrincipal"
        )
        assert all(issubclass(p, SAFE_PARSERS) for p in parser_classes), (
            f"{route} ({view.__name__}) parses with {parser_classes}, not aidou.parsers' safe parsers"
        )
        for name in set(actions.values()):
            method = getattr(view, name, None)
            kwargs = getattr(method, "kwargs", {})
            for parser in kwargs.get("parser_classes", ()):
                assert issubclass(parser, SAFE_PARSERS), f"{route} {name} parses with {parser}"
            for permission in kwargs.get("permission_classes", ()):
                assert issubclass(permission, ServesPrincipal), f"{route} {name} checks {permission}"
        assert set(getattr(view, "principals", ("staff",))) <= {"client", "staff", "anyone"}
    assert checked > 15


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/me/"),
        ("post", "/api/v1/assignments/next/"),
        ("post", "/api/v1/assignments/{a}/submit/"),
        ("post", "/api/v1/assignments/{a}/heartbeat/"),
        ("post", "/api/v1/assignments/{a}/skip/"),
        ("get", "/api/v1/assignments/"),
        ("get", "/api/v1/batches/"),
        ("get", "/api/v1/review-queue/"),
        ("get", "/api/v1/centres/"),
    ],
)
def test_a_client_key_on_staff_endpoints_is_a_403(world, method, path):
    path = path.format(a=world["ids"]["assignments"])
    client = world["callers"]["client"]
    response = (
        getattr(client, method)(path, b"{}", content_type="application/json") if method == "post" else client.get(path)
    )
    assert response.status_code == 403, response.content
    assert response.json()["detail"]


@pytest.mark.django_db
def test_a_client_member_is_a_client_and_centre_staff_are_staff(world, centre):
    from aidou.permissions import principal_kind
    from annotation.models import ClientMember, Organisation

    member = factories.UserFactory(username="member", centre=None, roles=[])
    ClientMember.objects.create(user=member, organisation=Organisation.objects.get(name="Sweep Ltd"))
    admin = factories.UserFactory(username="admin2", centre=None, roles=[Role.NETWORK_ADMIN])
    supervisor = factories.UserFactory(username="sup2", centre=centre, roles=[Role.SUPERVISOR])
    assert [principal_kind(user) for user in (member, admin, supervisor)] == ["client", "staff", "staff"]
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(member)
    assert browser.get("/api/v1/me/").status_code == 403
    assert browser.get("/api/v1/projects/").status_code == 200


def test_json_parsing_refuses_what_cannot_be_stored():
    from aidou.parsers import UntrustedJSONError, json_loads_untrusted

    assert json_loads_untrusted('{"a": "\\ud83d\\ude00 好"}') == {"a": "\U0001f600 好"}  # a pair is one character
    for bad in ('{"a": "\\ud800"}', '{"\\u0000": 1}', '["\\udc00x"]', "[1e999]", "NaN", DEEP, '{"a": [Infinity]}'):
        with pytest.raises(UntrustedJSONError):
            json_loads_untrusted(bad)
        with pytest.raises(UntrustedJSONError):
            json_loads_untrusted(bad.encode())
    with pytest.raises(UntrustedJSONError):
        json_loads_untrusted("[" + "1," * 100 + "1]", max_nodes=50)


@pytest.mark.django_db
def test_the_staff_api_answers_json_for_any_body(world):
    staff = world["callers"]["staff"]
    assignment = world["ids"]["assignments"]
    for body in (
        '{"draft": {"shapes": [], "class": "\\ud800"}}',
        '{"draft": {"x": "\\u0000"}}',
        json.dumps({"draft": [1]}),
    ):
        response = staff.post(f"/api/v1/assignments/{assignment}/heartbeat/", body, content_type="application/json")
        assert response.status_code == 400, response.content
    # The workbench can still hand the assignment out, draft and all.
    assert staff.post("/api/v1/assignments/next/").status_code == 200
