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


def test_start_an_export_from_the_page_and_download_it(member, org, django_capture_on_commit_callbacks):
    from annotation.models import ExportJob

    project = ProjectFactory(organisation=org)
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(f"/client/projects/{project.pk}/export/", {"format": "coco", "only_accepted": ""})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.format, job.only_accepted, job.status) == ("coco", False, "succeeded")
    html = member.get(f"/client/projects/{project.pk}/").content.decode()
    assert f"/api/v1/exports/{job.pk}/download/" in html
    assert member.get(f"/api/v1/exports/{job.pk}/download/").status_code == 200


def test_webhooks_page_adds_lists_and_removes(member, org, settings):
    from annotation.models import Webhook

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    response = member.post(
        "/client/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["import.finished"], "secret": "a-long-signing-secret"},
    )
    assert response.status_code == 302
    hook = Webhook.objects.get(organisation=org)
    assert hook.url in member.get("/client/webhooks/").content.decode()
    bad = member.post("/client/webhooks/", {"url": "http://127.0.0.1/x", "events": [], "secret": "short"})
    assert bad.status_code == 200 and Webhook.objects.count() == 1
    member.post(f"/client/webhooks/{hook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_another_organisations_webhook_cannot_be_removed(member):
    from tests.annotation.factories import WebhookFactory

    theirs = WebhookFactory(organisation=OrganisationFactory(name="Rival"))
    assert member.post(f"/client/webhooks/{theirs.pk}/delete/").status_code == 404
    assert type(theirs).objects.filter(pk=theirs.pk).exists()


def test_webhooks_page_shows_each_webhooks_latest_deliveries_in_constant_queries(
    member, org, django_assert_max_num_queries
):
    from tests.annotation.factories import WebhookDeliveryFactory, WebhookFactory

    busy, quiet = WebhookFactory(organisation=org, url="https://a.example.com/h"), WebhookFactory(organisation=org)
    for n in range(12):
        WebhookDeliveryFactory(webhook=busy, payload={"n": n})
    WebhookDeliveryFactory(webhook=quiet, payload={"n": "quiet"})
    with django_assert_max_num_queries(8):
        html = member.get("/client/webhooks/").content.decode()
    assert html.count("<tr><td>import.finished</td>") == 6  # 5 of the busy one, 1 of the quiet one


def test_the_import_page_lists_images_imported_without_some_pre_annotations(member, org):
    project = ProjectFactory(organisation=org)
    job = ImportJobFactory(
        project=project,
        warnings=[{"file": "night.jpg", "code": "box_outside_image", "reason": "One pre-annotation was left out"}],
    )
    html = member.get(f"/client/imports/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported without some pre-annotations" in html and "night.jpg" in html
