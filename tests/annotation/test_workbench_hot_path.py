"""`next` and `submit` as real clients call them: a browser's session with its CSRF token,
a tool's staff token, and the error answers DRF gives everywhere else. Their common case
is answered without DRF and the rest by DRF views (annotation/api/workbench.py), so these
are checked here end to end, not through APIClient.force_authenticate."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from aidou.throttling import PrincipalRateThrottle
from annotation.models import Annotation
from annotation.services.batches import Assignees, ItemChoice, batch_create
from tests.annotation.factories import labelling_project
from workforce.api.auth import user_by_token
from workforce.models import User

NEXT = "/api/v1/assignments/next/"
BOX = {"shapes": [{"type": "bbox", "label": "car", "x": 10, "y": 20, "w": 100, "h": 50}], "class": "day"}
CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a CSRF secret: 32 letters


def submit_url(assignment_id) -> str:
    return f"/api/v1/assignments/{assignment_id}/submit/"


@pytest.fixture
def work(supervisor, team):
    project = labelling_project(items=3)
    batch_create(
        actor=supervisor,
        project=project,
        choice=ItemChoice(size=3),
        assignees=Assignees(teams=[team.pk]),
    )
    return project


@pytest.fixture
def token(annotator) -> str:
    return Token.objects.create(user=annotator).key


def tool(key: str, language: str = "zh-hans") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE=language)


def post_json(client: Client, url: str, body, **extra):
    return client.post(url, json.dumps(body).encode(), content_type="application/json", **extra)


@pytest.mark.django_db
def test_a_browser_session_needs_its_csrf_token(annotator, work):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(annotator)
    browser.cookies["csrftoken"] = CSRF
    refused = browser.post(NEXT)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    task = browser.post(NEXT, HTTP_X_CSRFTOKEN=CSRF)
    assert task.status_code == 200
    assert post_json(browser, submit_url(task.json()["id"]), BOX).status_code == 403
    done = post_json(browser, submit_url(task.json()["id"]), BOX, HTTP_X_CSRFTOKEN=CSRF)
    assert done.status_code == 201, done.content
    assert Annotation.objects.get().shapes == BOX["shapes"]


@pytest.mark.django_db
def test_a_staff_token_works_and_a_bad_or_dead_one_is_401(annotator, work, token):
    task = tool(token).post(NEXT)
    assert task.status_code == 200
    assert post_json(tool(token), submit_url(task.json()["id"]), BOX).status_code == 201
    for key in ("wrong", "aidou_wrong"):
        refused = tool(key).post(NEXT)
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == "Token"
        assert refused.json()["detail"]
    anonymous = Client().post(NEXT)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    annotator.is_active = False
    annotator.save(update_fields=["is_active"])
    assert tool(token).post(NEXT).status_code == 401


@pytest.mark.django_db
def test_the_token_user_is_the_user_the_orm_reads(annotator, token):
    """Read by one written-out statement: every column converted as the ORM would (SQLite
    keeps booleans as 0/1 and datetimes as text)."""
    user = user_by_token(token)
    stored = User.objects.get(pk=annotator.pk)
    assert user is not None and user.pk == stored.pk
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(stored, field.attname), field.name
    assert user.is_active is True
    assert user.date_joined.tzinfo is not None
    assert user.roles == stored.roles
    assert user_by_token("nobody") is None


@pytest.mark.django_db
def test_submission_errors_name_the_field_in_the_callers_language(annotator, work, token):
    task = tool(token).post(NEXT).json()
    url = submit_url(task["id"])
    bad = {"shapes": [], "time_spent_ms": -1, "class": "x" * 101}
    # Each language twice, alternating: a message must not keep the first caller's language.
    for language, words in (("en", "greater than"), ("zh-hans", "大于"), ("en", "greater than"), ("zh-hans", "大于")):
        response = post_json(tool(token, language), url, bad)
        assert response.status_code == 400
        assert set(response.json()) == {"time_spent_ms", "class"}
        assert words in response.json()["time_spent_ms"][0]
    english = tool(token, "en")
    assert post_json(english, url, {"time_spent_ms": "soon"}).json() == {
        "time_spent_ms": ["A valid integer is required."]
    }
    assert post_json(english, url, {"time_spent_ms": None}).json() == {"time_spent_ms": ["This field may not be null."]}
    assert post_json(english, url, None).json() == {"non_field_errors": ["No data provided"]}
    assert post_json(english, url, [BOX]).json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    assert Annotation.objects.count() == 0


@pytest.mark.django_db
def test_bad_bodies_are_4xx_not_500(annotator, work, token, settings):
    task = tool(token).post(NEXT).json()
    url = submit_url(task["id"])
    client = tool(token, "en")
    broken = client.post(url, b'{"shapes": [', content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["detail"].startswith("JSON parse error")
    nested = client.post(url, b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    assert nested.status_code == 400
    assert "detail" in nested.json()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    large = client.post(url, json.dumps({**BOX, "pad": "x" * 2000}).encode(), content_type="application/json")
    assert large.status_code == 413
    assert "detail" in large.json()
    assert client.post(url, b"hello", content_type="text/plain").status_code == 415
    assert client.get(NEXT).status_code == 405
    assert Annotation.objects.count() == 0


@pytest.mark.django_db
def test_someone_elses_assignment_is_404_and_a_taken_back_one_409(annotator, colleague, work, token):
    task = tool(token).post(NEXT).json()
    theirs = Token.objects.create(user=colleague).key
    for url in (submit_url(task["id"]), submit_url("abc"), submit_url(10**9)):
        response = post_json(tool(theirs), url, BOX)
        assert response.status_code == 404
        assert response.json()["detail"]
    assert post_json(tool(token), submit_url(task["id"]), BOX).status_code == 201
    again = post_json(tool(token), submit_url(task["id"]), BOX)
    assert again.status_code == 200  # a retry gets the stored annotation


@pytest.mark.django_db
def test_next_and_submit_are_throttled(annotator, work, token, monkeypatch):
    cache.clear()
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    client = tool(token)
    task = client.post(NEXT).json()
    assert post_json(client, submit_url(task["id"]), BOX).status_code == 201
    throttled = client.post(NEXT)
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["detail"]
    cache.clear()


@pytest.fixture
def colleague(centre, hr, team):
    from tests import factories

    person = factories.worker(actor=hr, centre=centre, name="李红")
    team.members.add(person)
    return person


@pytest.mark.django_db
def test_the_common_case_skips_drf_and_everything_else_goes_through_it(annotator, colleague, work, token, monkeypatch):
    through_drf = []
    dispatch = APIView.dispatch

    def counted(view, request, *args, **kwargs):
        through_drf.append(request.path)
        return dispatch(view, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "dispatch", counted)
    task = tool(token).post(NEXT, HTTP_ACCEPT="application/json").json()
    assert post_json(tool(token), submit_url(task["id"]), BOX).status_code == 201
    assert post_json(tool(token), submit_url(task["id"]), BOX).status_code == 200  # a retry
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(colleague)
    browser.cookies["csrftoken"] = CSRF
    theirs = browser.post(NEXT, HTTP_X_CSRFTOKEN=CSRF).json()
    assert post_json(browser, submit_url(theirs["id"]), BOX, HTTP_X_CSRFTOKEN=CSRF).status_code == 201
    # Someone else's work and a conflict are answered on the common road too.
    assert post_json(tool(token), submit_url(theirs["id"]), BOX).status_code == 404
    assert through_drf == []

    unusual = [
        tool(token).post(NEXT, HTTP_ACCEPT="text/html"),  # the browsable API
        tool(token).post(NEXT + "?format=json"),
        tool("wrong").post(NEXT),
        browser.post(NEXT),  # no CSRF token
        post_json(tool(token), submit_url(task["id"]), [BOX]),  # not an object
        tool(token).post(submit_url(task["id"]), b"", content_type="application/json"),
        post_json(tool(token), submit_url(task["id"]), {"time_spent_ms": -1}),  # DRF's field errors
    ]
    assert [response.status_code for response in unusual] == [200, 200, 401, 403, 400, 200, 400]
    assert len(through_drf) == len(unusual)
