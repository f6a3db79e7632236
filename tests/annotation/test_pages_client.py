import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation.models import ApiKey, ClientMember, ImportJob, Item
from tests import factories as people
from tests.annotation.factories import ImportJobFactory, OrganisationFactory, ProjectFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(org, client):
    user = people.UserFactory(centre=None, username="client_user")
    ClientMember.objects.create(user=user, organisation=org)
    client.force_login(user)
    return client


def test_projects_page_shows_progress_bars(member, org):
    ProjectFactory(organisation=org, name="Street scenes")
    ProjectFactory(organisation=OrganisationFactory(name="Rival"), name="Secret project")
    html = member.get("/client/").content.decode()
    assert "Street scenes" in html and "Secret project" not in html
    assert 'role="progressbar"' in html


def test_upload_from_the_page_and_see_per_file_errors(member, org, django_capture_on_commit_callbacks):
    project = ProjectFactory(organisation=org)
    files = [SimpleUploadedFile("ok.jpg", jpeg_bytes()), SimpleUploadedFile("bad.jpg", b"nope")]
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(f"/client/projects/{project.pk}/", {"files": files})
    assert response.status_code == 302
    html = member.get(response["Location"]).content.decode()
    assert "bad.jpg" in html
    assert Item.objects.filter(project=project).count() == 1
    assert ImportJob.objects.get().accepted == 1


def test_api_key_is_shown_once_then_only_its_prefix(member, org):
    response = member.post("/client/keys/", {"name": "nightly sync"})
    html = response.content.decode()
    key = ApiKey.objects.get(organisation=org)
    assert response["Cache-Control"] == "no-store"
    secret = html.split('id="new-key">')[1].split("<")[0]
    assert secret.startswith(f"aidou_{key.prefix}_")
    again = member.get("/client/keys/").content.decode()
    assert secret not in again and key.prefix in again
    member.post(f"/client/keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert not key.is_active


def test_foreign_objects_are_404_and_staff_are_refused(member, org, client):
    theirs = ProjectFactory(organisation=OrganisationFactory(name="Rival"))
    their_import = ImportJobFactory(project=theirs)
    their_key = ApiKey.objects.create(organisation=theirs.organisation, name="k", prefix="abcd1234", key_hash="0" * 64)
    assert member.get(f"/client/projects/{theirs.pk}/").status_code == 404
    assert member.get(f"/client/imports/{their_import.pk}/").status_code == 404
    assert member.post(f"/client/keys/{their_key.pk}/revoke/").status_code == 404
    client.force_login(people.UserFactory(roles=["supervisor"]))
    assert client.get("/client/").status_code == 403
