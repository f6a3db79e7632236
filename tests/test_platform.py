"""Health check, error handling, settings and demo data: the pieces every app relies on."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.management import call_command
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from aidou.errors import api_exception_handler
from aidou.parsers import SafeJSONParser
from workforce.models import Centre, Role, Team, User


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_the_broker_is_down(client, settings, tmp_path):
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    else:
        settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def _parse(body: bytes):
    request = APIRequestFactory().post("/", data=body, content_type="application/json")
    return Request(request, parsers=[SafeJSONParser()]).data


def test_deeply_nested_json_is_a_400_not_a_500():
    with pytest.raises(ParseError):
        _parse(b"[" * 100_000 + b"]" * 100_000)


def test_too_large_json_is_a_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    with pytest.raises(RequestDataTooBig) as exc:
        _parse(json.dumps({"a": "x" * 200}).encode())
    response = api_exception_handler(exc.value, {})
    assert response.status_code == 413
    assert "detail" in response.data


def test_too_many_files_is_a_400():
    response = api_exception_handler(TooManyFilesSent(), {})
    assert response.status_code == 400


def test_ordinary_json_still_parses():
    assert _parse(b'{"a": [1, 2]}') == {"a": [1, 2]}


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_covers_every_role(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Centre.objects.count(), Team.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Centre.objects.count(), Team.objects.count()) == counts
    assert "0 people added" in capsys.readouterr().out
    assert Centre.objects.count() == 3
    assert 75 <= User.objects.count() <= 90
    for role in Role.values:
        assert User.objects.filter(role_grants__role=role).exists(), role
    for login in ["admin", "yijun_hr", "yijun_annotator", "yijun_supervisor", "yijun_childcare"]:
        assert login in first
        assert User.objects.get(username=login).check_password("aidou-demo-2026")


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "aidou.example.cn",
        "FIELD_ENCRYPTION_KEYS": "q2VfOc6ZRSg7dF3lXo0ZdUrr2p9KDNmnbH8YzUrUhY8=",
        "PII_DIGEST_KEY": "another-long-random-key-for-digests",
        "AIDOU_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    env = {**os.environ, "DEBUG": "0", "AIDOU_VAR_DIR": str(tmp_path)}
    for name in ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "PII_DIGEST_KEY"]:
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_favicon_ico_is_found_for_pages_that_do_not_link_one(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
