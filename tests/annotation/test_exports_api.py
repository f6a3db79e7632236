"""Exports through the client API: 202 with a job, poll, download; 400 naming the field,
404 for another organisation's project or export, 409 before the file exists, 401 without
a valid key. Responses are checked against the OpenAPI schema."""

import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotation.models import ApiKey, ExportJob
from annotation.services.api_keys import api_key_revoke
from tests.annotation.factories import (
    STREET_SCHEMA,
    ExportJobFactory,
    ItemFactory,
    OrganisationFactory,
    ProjectFactory,
    api_key_for,
)
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db

PREFILL = {"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 2, "w": 30, "h": 20}], "class": "day"}


@pytest.fixture
def project(org):
    project = ProjectFactory(organisation=org, label_schema=dict(STREET_SCHEMA))
    ItemFactory(project=project, file_name="a.jpg", prefill=PREFILL)
    ItemFactory(project=project, file_name="b.jpg")
    return project


@pytest.fixture
def outsider():
    """Another client organisation with its own key, project and finished export."""
    org = OrganisationFactory(name="Rival Vision")
    project = ProjectFactory(organisation=org, label_schema=dict(STREET_SCHEMA))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}", HTTP_ACCEPT_LANGUAGE="en")
    return {"client": client, "project": project}


def start(client, project, body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/api/v1/projects/{project.pk}/exports/", body, format="json")


def download(client, job_id, **headers):
    response = client.get(f"/api/v1/exports/{job_id}/download/", **headers)
    body = b"".join(response.streaming_content) if response.status_code == 200 else None
    return response, body


def test_an_export_answers_202_then_polls_to_a_download(client_api, project, django_capture_on_commit_callbacks):
    response = start(
        client_api, project, {"format": "coco", "only_accepted": False}, django_capture_on_commit_callbacks
    )

    assert response.status_code == 202, response.content
    assert_matches_schema(response, "post")
    job = response.json()
    assert {"id", "status", "format", "items", "created_at", "finished_at", "download_url"} <= set(job)
    assert job["format"] == "coco" and job["only_accepted"] is False and job["project"] == project.pk

    poll = client_api.get(f"/api/v1/exports/{job['id']}/")
    assert poll.status_code == 200
    assert_matches_schema(poll)
    polled = poll.json()
    assert polled["status"] == "succeeded" and polled["items"] == 2 and polled["finished_at"]
    assert polled["download_url"] == f"http://testserver/api/v1/exports/{job['id']}/download/"

    response, body = download(client_api, job["id"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="project-{project.pk}-coco.json"'
    assert response["X-Content-Type-Options"] == "nosniff"
    coco = json.loads(body)
    assert [image["file_name"] for image in coco["images"]] == ["a.jpg", "b.jpg"]
    assert [annotation["bbox"] for annotation in coco["annotations"]] == [[1, 2, 30, 20]]


@pytest.mark.parametrize(
    ("export_format", "content_type", "extension"),
    [("coco", "application/json", "json"), ("json", "application/json", "json"),
     ("voc", "application/zip", "zip"), ("yolo", "application/zip", "zip")],
)  # fmt: skip
def test_every_format_downloads_with_its_type_and_name(
    client_api, project, django_capture_on_commit_callbacks, export_format, content_type, extension
):
    job = start(client_api, project, {"format": export_format}, django_capture_on_commit_callbacks).json()

    response, body = download(client_api, job["id"])

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="project-{project.pk}-{export_format}.{extension}"'
    if extension == "zip":
        assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    else:
        json.loads(body)


def test_only_accepted_is_the_default(client_api, project, django_capture_on_commit_callbacks):
    job = start(client_api, project, {"format": "json"}, django_capture_on_commit_callbacks).json()
    assert job["only_accepted"] is True
    _, body = download(client_api, job["id"])
    records = json.loads(body)
    assert [record["consensus"] for record in records] == [None, None]
    assert records[0]["prefill"] == PREFILL


def test_a_download_answers_whatever_accept_says(client_api, project, django_capture_on_commit_callbacks):
    job = start(client_api, project, {"format": "voc"}, django_capture_on_commit_callbacks).json()
    response, body = download(client_api, job["id"], HTTP_ACCEPT="application/zip")
    assert response.status_code == 200 and body.startswith(b"PK")
    queued = ExportJobFactory(project=project)
    refused, _ = download(client_api, queued.pk, HTTP_ACCEPT="application/zip")
    assert refused.status_code == 409 and "detail" in json.loads(refused.content)


@pytest.mark.parametrize("body", [{"format": "tfrecord"}, {}, {"format": ""}])
def test_a_bad_format_is_a_400_naming_it(client_api, project, body):
    response = client_api.post(f"/api/v1/projects/{project.pk}/exports/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["format"]
    assert_matches_schema(response, "post")
    assert not ExportJob.objects.exists()


def test_download_before_the_export_is_finished_is_a_409(client_api, project):
    for state in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING, ExportJob.Status.FAILED):
        job = ExportJobFactory(project=project, status=state)
        response, _ = download(client_api, job.pk)
        assert response.status_code == 409
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]
        assert_matches_schema(response)
        poll = client_api.get(f"/api/v1/exports/{job.pk}/")
        assert poll.json()["download_url"] is None


def test_another_organisations_project_and_export_are_404(client_api, project, outsider):
    foreign_export = ExportJobFactory(project=outsider["project"], status=ExportJob.Status.SUCCEEDED)

    response = client_api.post(f"/api/v1/projects/{outsider['project'].pk}/exports/", {"format": "coco"}, format="json")
    assert response.status_code == 404
    assert_matches_schema(response, "post")
    # A bad body to a foreign project is still "not found", never a hint that it exists.
    assert client_api.post(f"/api/v1/projects/{outsider['project'].pk}/exports/", {}, format="json").status_code == 404
    assert client_api.get(f"/api/v1/exports/{foreign_export.pk}/").status_code == 404
    assert download(client_api, foreign_export.pk)[0].status_code == 404
    assert client_api.get("/api/v1/exports/999999/download/").status_code == 404
    assert client_api.post("/api/v1/projects/999999/exports/", {"format": "coco"}, format="json").status_code == 404
    assert not ExportJob.objects.filter(project=outsider["project"]).exclude(pk=foreign_export.pk).exists()


def test_the_list_shows_only_the_callers_exports(client_api, project, outsider):
    mine = [ExportJobFactory(project=project, format=f) for f in ("coco", "voc")]
    ExportJobFactory(project=outsider["project"])

    response = client_api.get("/api/v1/exports/")

    assert response.status_code == 200
    assert_matches_schema(response)
    assert [job["id"] for job in response.json()["results"]] == [job.pk for job in reversed(mine)]
    assert response.json()["count"] == 2
    mine[1].status = ExportJob.Status.SUCCEEDED
    mine[1].save()
    done = client_api.get("/api/v1/exports/", {"status": "succeeded", "project": project.pk}).json()
    assert [job["id"] for job in done["results"]] == [mine[1].pk]
    assert client_api.get("/api/v1/exports/", {"project": outsider["project"].pk}).json()["count"] == 0


def test_the_list_runs_the_same_queries_for_2_or_20_exports(client_api, project):
    counts = []
    for total in (2, 20):
        while ExportJob.objects.count() < total:
            ExportJobFactory(project=project)
        client_api.get("/api/v1/exports/")  # the key's last use is recorded once a minute
        with CaptureQueriesContext(connection) as captured:
            response = client_api.get("/api/v1/exports/?page_size=100")
        assert len(response.json()["results"]) == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_without_a_key_or_with_a_revoked_key_it_is_401(key, project):
    anonymous = APIClient()
    assert (
        anonymous.post(f"/api/v1/projects/{project.pk}/exports/", {"format": "coco"}, format="json").status_code == 401
    )
    assert anonymous.get("/api/v1/exports/").status_code == 401

    api_key_revoke(api_key=ApiKey.objects.get(prefix=key.split("_")[1]))
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = revoked.post(f"/api/v1/projects/{project.pk}/exports/", {"format": "coco"}, format="json")
    assert response.status_code == 401
    job = ExportJobFactory(project=project, status=ExportJob.Status.SUCCEEDED)
    assert revoked.get(f"/api/v1/exports/{job.pk}/").status_code == 401
    assert revoked.get(f"/api/v1/exports/{job.pk}/download/").status_code == 401
    assert ExportJob.objects.count() == 1


def test_staff_without_a_client_organisation_are_refused(api, hr, project):
    response = api(hr).post(f"/api/v1/projects/{project.pk}/exports/", {"format": "coco"}, format="json")
    assert response.status_code == 403


def test_a_network_admin_may_export_any_project(api, network_admin, project, django_capture_on_commit_callbacks):
    response = start(api(network_admin), project, {"format": "json"}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.created_by == network_admin and job.api_key is None
    assert job.status == ExportJob.Status.SUCCEEDED


def test_a_key_started_export_records_the_key(client_api, key, project, django_capture_on_commit_callbacks):
    job_id = start(client_api, project, {"format": "json"}, django_capture_on_commit_callbacks).json()["id"]
    job = ExportJob.objects.get(pk=job_id)
    assert job.api_key.prefix == key.split("_")[1] and job.created_by is None


def test_a_file_no_longer_kept_is_a_404_with_a_reason(client_api, project, django_capture_on_commit_callbacks):
    job_id = start(client_api, project, {"format": "coco"}, django_capture_on_commit_callbacks).json()["id"]
    job = ExportJob.objects.get(pk=job_id)
    job.file.storage.delete(job.file.name)
    response, _ = download(client_api, job_id)
    assert response.status_code == 404
    assert "start a new export" in response.json()["detail"]
    assert_matches_schema(response)
