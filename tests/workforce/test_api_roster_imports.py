import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from tests.openapi import assert_matches_schema
from workforce.models import RosterImport, User

pytestmark = pytest.mark.django_db


def roster(centre, mobile="13700000001"):
    body = f"姓名,手机号,身份证号,中心,角色\n刘小红,{mobile},{factories.make_id_number()},{centre.name},标注员\n"
    return SimpleUploadedFile("roster.csv", body.encode())


def test_hr_uploads_a_roster_and_polls_the_job(api, hr, centre, django_capture_on_commit_callbacks):
    client = api(hr)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/roster-imports/", {"file": roster(centre)}, format="multipart")
    assert response.status_code == 202
    assert_matches_schema(response, "post")
    job_url = f"/api/v1/roster-imports/{response.json()['id']}/"
    polled = client.get(job_url)
    assert_matches_schema(polled)
    assert polled.json()["status"] == "succeeded"
    assert polled.json()["created"] == 1
    assert User.objects.filter(mobile="13700000001").exists()


def test_non_hr_may_not_import(api, supervisor, centre):
    response = api(supervisor).post("/api/v1/roster-imports/", {"file": roster(centre)}, format="multipart")
    assert response.status_code == 403
    assert not RosterImport.objects.exists()


def test_wrong_file_type_is_a_400_naming_the_field(api, hr):
    upload = SimpleUploadedFile("roster.pdf", b"%PDF-1.4")
    response = api(hr).post("/api/v1/roster-imports/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not RosterImport.objects.exists()


def test_missing_file_is_a_400(api, hr):
    response = api(hr).post("/api/v1/roster-imports/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_another_centres_import_is_not_found(api, hr, other_hr):
    job = factories.RosterImportFactory(created_by=other_hr)
    assert api(hr).get(f"/api/v1/roster-imports/{job.pk}/").status_code == 404
    assert api(other_hr).get(f"/api/v1/roster-imports/{job.pk}/").status_code == 200
