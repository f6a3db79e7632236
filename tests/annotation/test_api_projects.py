import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.models import ApiKey, Organisation, Project
from tests import factories as people
from tests.annotation.factories import STREET_SCHEMA, ItemFactory, OrganisationFactory, ProjectFactory, api_key_for
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db


def create(client, **overrides):
    body = {
        "name": "Street scenes 2026-11",
        "instructions": "Box every car",
        "label_schema": STREET_SCHEMA,
        "overlap": 2,
    }
    body.update(overrides)
    return client.post("/api/v1/projects/", body, format="json")


def test_create_read_and_list_a_project(client_api, org):
    response = create(client_api)
    assert response.status_code == 201, response.json()
    assert_matches_schema(response, "post")
    body = response.json()
    assert body["label_schema"]["labels"][0] == {"name": "car", "color": "#e6194b"}
    assert body["status"] == "active" and body["overlap"] == 2
    assert Project.objects.get().organisation == org
    listed = client_api.get("/api/v1/projects/")
    assert_matches_schema(listed)
    assert [p["id"] for p in listed.json()["results"]] == [body["id"]]
    progress = client_api.get(f"/api/v1/projects/{body['id']}/progress/")
    assert_matches_schema(progress)
    assert progress.json()["items"] == 0


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ({"tools": ["bbox", "lasso"], "labels": [{"name": "car"}]}, "label_schema.tools"),
        ({"tools": [], "labels": [{"name": "car"}]}, "label_schema.tools"),
        ({"tools": ["bbox"], "labels": [{"name": "car"}, {"name": "car"}]}, "label_schema.labels"),
        ({"tools": ["bbox"], "labels": [{"name": "car", "color": "red"}]}, "label_schema.labels"),
        ({"tools": ["bbox"], "labels": []}, "label_schema.labels"),
        ({"tools": ["bbox", "keypoints"], "labels": [{"name": "person"}]}, "label_schema.keypoints"),
        ({"tools": ["classification"]}, "label_schema.classes"),
        ({"tools": ["bbox"], "labels": [{"name": "car"}], "classes": ["day"]}, "label_schema.classes"),
        ("not an object", "label_schema"),
    ],
)
def test_bad_schemas_are_a_400_naming_the_field(client_api, schema, field):
    response = create(client_api, label_schema=schema)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"), [({"overlap": 0}, "overlap"), ({"overlap": 6}, "overlap"), ({"name": " "}, "name")]
)
def test_bad_project_fields(client_api, overrides, field):
    response = create(client_api, **overrides)
    assert response.status_code == 400 and field in response.json()


def test_a_schema_cannot_drop_a_label_in_use(client_api, org):
    project = ProjectFactory(organisation=org)
    ItemFactory(
        project=project,
        prefill={"shapes": [{"type": "bbox", "label": "person", "x": 1, "y": 1, "w": 2, "h": 2}], "class": None},
    )
    only_cars = {"tools": ["bbox"], "labels": [{"name": "car", "color": "#e6194b"}]}
    response = client_api.patch(f"/api/v1/projects/{project.pk}/", {"label_schema": only_cars}, format="json")
    assert response.status_code == 409
    assert "person" in response.json()["label_schema"][0]
    project.refresh_from_db()
    assert "person" in project.label_names
    renamed = client_api.patch(f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"


def test_other_organisations_see_nothing(client_api, org):
    mine = ProjectFactory(organisation=org)
    theirs = ProjectFactory(organisation=OrganisationFactory(name="Rival"))
    assert [p["id"] for p in client_api.get("/api/v1/projects/").json()["results"]] == [mine.pk]
    assert client_api.get(f"/api/v1/projects/{theirs.pk}/").status_code == 404
    assert client_api.patch(f"/api/v1/projects/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404


def test_staff_without_an_organisation_cannot_use_the_client_api(db):
    annotator = people.UserFactory(roles=["annotator"])
    client = APIClient()
    client.force_authenticate(annotator)
    assert client.get("/api/v1/projects/").status_code == 403


def test_items_list_filters_and_constant_queries(client_api, org, django_assert_num_queries):
    project = ProjectFactory(organisation=org)
    for i in range(30):
        ItemFactory(project=project, file_name=f"img_{i:03d}.jpg", status="done" if i % 3 == 0 else "new")
    url = f"/api/v1/projects/{project.pk}/items/"
    client_api.get(url)  # the key's last-used time is written once a minute at most
    # key, project, page: the unfiltered count is the project's, kept by imports
    with django_assert_num_queries(3):
        small = client_api.get(f"{url}?page_size=2")
    with django_assert_num_queries(3):
        large = client_api.get(f"{url}?page_size=1000")
    assert_matches_schema(large)
    assert len(small.json()["results"]) == 2 and len(large.json()["results"]) == 30
    assert small.json()["count"] == large.json()["count"] == 30
    assert small.json()["next"].endswith("page=2&page_size=2")
    with django_assert_num_queries(4):  # a filtered list counts its rows
        assert client_api.get(f"{url}?status=done").json()["count"] == 10
    assert client_api.get(f"{url}?status=done").json()["count"] == 10
    assert client_api.get(f"{url}?file_name=img_007.jpg").json()["results"][0]["file_name"] == "img_007.jpg"
    assert client_api.get(f"{url}?status=flying").status_code == 400


def test_network_admin_reads_every_project(org):
    ProjectFactory(organisation=org)
    admin = people.UserFactory(centre=None, roles=["network_admin"])
    client = APIClient()
    client.force_authenticate(admin)
    assert client.get("/api/v1/projects/").json()["count"] == 1


def test_client_member_session_sees_own_projects(org, client):
    from annotation.models import ClientMember

    ProjectFactory(organisation=org)
    user = people.UserFactory(centre=None)
    ClientMember.objects.create(user=user, organisation=org)
    client.force_login(user)
    assert client.get("/api/v1/projects/").json()["count"] == 1


def test_create_api_key_command(capsys):
    call_command("create_api_key", "--org", "New Client Co")
    out = capsys.readouterr().out
    key = next(word for word in out.split() if word.startswith("aidou_"))
    assert Organisation.objects.filter(name="New Client Co").exists()
    assert ApiKey.objects.get().key_hash != key  # stored hashed
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/projects/").status_code == 200
    call_command("create_api_key", "--org", "New Client Co", "--name", "second")
    assert Organisation.objects.count() == 1 and ApiKey.objects.count() == 2


def test_each_key_has_its_own_throttle_budget(org, monkeypatch):
    from django.core.cache import cache

    from aidou.throttling import PrincipalRateThrottle

    cache.clear()
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    first, second = APIClient(), APIClient()
    first.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}")
    second.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}")
    assert [first.get("/api/v1/projects/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/projects/").status_code == 200
    cache.clear()
