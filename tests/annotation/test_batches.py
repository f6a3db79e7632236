"""Batches: cutting by count, filter or selection; scoping; pause/resume/close; progress."""

import pytest

from annotation.models import Batch, Task
from annotation.services.assignments import assignment_next, assignment_submit
from tests import factories
from tests.annotation.factories import labelling_project
from tests.openapi import assert_matches_schema
from workforce.models import Role

BATCHES = "/api/v1/batches/"


@pytest.mark.django_db
def test_supervisor_cuts_a_batch_by_count_and_items_get_overlap_slots(api, supervisor, team):
    project = labelling_project(items=5, overlap=2)
    response = api(supervisor).post(
        BATCHES,
        {"project": project.pk, "size": 3, "teams": [team.pk], "priority": 5, "due": "2026-12-01", "name": "第一批"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_matches_schema(response, "post")
    body = response.json()
    assert body["item_count"] == 3 and body["teams"] == [team.pk] and body["status"] == "open"
    assert body["progress"] == {
        "items": 3, "items_done": 0, "slots": 6, "slots_done": 0, "slots_leased": 0, "slots_free": 6, "percent": 0,
    }  # fmt: skip
    first_three = list(project.items.order_by("id").values_list("pk", flat=True)[:3])
    assert sorted(set(Task.objects.values_list("item_id", flat=True))) == first_three
    # The next batch takes the items that are left, never one already batched.
    second = api(supervisor).post(BATCHES, {"project": project.pk, "size": 10, "teams": [team.pk]}, format="json")
    assert second.json()["item_count"] == 2
    third = api(supervisor).post(BATCHES, {"project": project.pk, "size": 1, "teams": [team.pk]}, format="json")
    assert third.status_code == 400
    assert "size" in third.json()


@pytest.mark.django_db
def test_batch_by_selection_and_by_file_name(api, supervisor, team):
    project = labelling_project(items=4)
    items = list(project.items.order_by("id"))
    items[3].file_name = "night_0003.jpg"
    items[3].save()
    chosen = api(supervisor).post(
        BATCHES, {"project": project.pk, "items": [items[0].pk, items[2].pk], "teams": [team.pk]}, format="json"
    )
    assert chosen.status_code == 201
    assert set(Task.objects.filter(batch_id=chosen.json()["id"]).values_list("item_id", flat=True)) == {
        items[0].pk,
        items[2].pk,
    }
    again = api(supervisor).post(
        BATCHES, {"project": project.pk, "items": [items[0].pk, 999999], "teams": [team.pk]}, format="json"
    )
    assert again.status_code == 400
    assert str(items[0].pk) in again.json()["items"][0] and "999999" in again.json()["items"][0]
    by_name = api(supervisor).post(
        BATCHES, {"project": project.pk, "size": 10, "file_name": "night", "teams": [team.pk]}, format="json"
    )
    assert by_name.json()["item_count"] == 1
    assert Batch.objects.count() == 2  # the failed one left nothing behind


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"size": 2}, "teams"),
        ({"teams": "TEAM"}, "size"),
        ({"size": 2, "teams": "TEAM", "items": [1]}, "size"),
        ({"size": 2, "teams": [987654]}, "teams"),
        ({"size": 2, "annotators": ["SUPERVISOR"]}, "annotators"),
        ({"size": 0, "teams": "TEAM"}, "size"),
    ],
)
def test_bad_batch_requests_name_the_field(api, supervisor, team, payload, field):
    project = labelling_project(items=2)
    payload = {"project": project.pk, **payload}
    if payload.get("teams") == "TEAM":
        payload["teams"] = [team.pk]
    if payload.get("annotators") == ["SUPERVISOR"]:
        payload["annotators"] = [supervisor.pk]  # not an annotator
    response = api(supervisor).post(BATCHES, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Batch.objects.count() == 0 and Task.objects.count() == 0


@pytest.mark.django_db
def test_only_supervisors_cut_batches_and_other_centres_get_404(
    api, supervisor, annotator, team, other_centre, hr, network_admin
):
    project = labelling_project(items=3)
    assert api(annotator).post(BATCHES, {"project": project.pk, "size": 1, "teams": [team.pk]}).status_code == 403
    assert api(hr).post(BATCHES, {"project": project.pk, "size": 1, "teams": [team.pk]}).status_code == 403
    batch = api(supervisor).post(BATCHES, {"project": project.pk, "size": 1, "teams": [team.pk]}, format="json")
    batch_id = batch.json()["id"]
    elsewhere = factories.UserFactory(centre=other_centre, roles=[Role.SUPERVISOR])
    assert api(elsewhere).get(f"{BATCHES}{batch_id}/").status_code == 404
    assert api(elsewhere).post(f"{BATCHES}{batch_id}/pause/").status_code == 404
    assert api(elsewhere).get(BATCHES).json()["count"] == 0
    # A supervisor may not hand work to another centre's team.
    other_team = factories.TeamFactory(centre=other_centre)
    response = api(supervisor).post(BATCHES, {"project": project.pk, "size": 1, "teams": [other_team.pk]})
    assert response.status_code == 400
    assert api(annotator).get(f"{BATCHES}{batch_id}/").status_code == 404
    assert api(network_admin).get(f"{BATCHES}{batch_id}/").status_code == 200
    reviewer = factories.UserFactory(centre=supervisor.centre, roles=[Role.REVIEWER])
    assert api(reviewer).get(f"{BATCHES}{batch_id}/").status_code == 200
    assert api(reviewer).post(f"{BATCHES}{batch_id}/pause/").status_code == 403


@pytest.mark.django_db
def test_pause_resume_close_follow_the_allowed_order(api, supervisor, team):
    project = labelling_project(items=1)
    batch_id = api(supervisor).post(BATCHES, {"project": project.pk, "size": 1, "teams": [team.pk]}).json()["id"]
    client = api(supervisor)
    assert client.post(f"{BATCHES}{batch_id}/resume/").status_code == 409
    assert client.post(f"{BATCHES}{batch_id}/pause/").json()["status"] == "paused"
    assert client.post(f"{BATCHES}{batch_id}/resume/").json()["status"] == "open"
    assert client.post(f"{BATCHES}{batch_id}/close/").json()["status"] == "closed"
    assert client.post(f"{BATCHES}{batch_id}/resume/").status_code == 409


@pytest.mark.django_db
def test_progress_and_per_annotator_counts(api, supervisor, annotator, team):
    project = labelling_project(items=3)
    batch_id = api(supervisor).post(BATCHES, {"project": project.pk, "size": 3, "teams": [team.pk]}).json()["id"]
    offer = assignment_next(annotator=annotator)
    assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation={"shapes": []})
    assignment_next(annotator=annotator)
    detail = api(supervisor).get(f"{BATCHES}{batch_id}/").json()
    assert detail["progress"] == {
        "items": 3, "items_done": 1, "slots": 3, "slots_done": 1, "slots_leased": 1, "slots_free": 1, "percent": 33,
    }  # fmt: skip
    people = api(supervisor).get(f"{BATCHES}{batch_id}/annotators_progress/").json()
    assert people == [
        {"annotator": annotator.pk, "name": annotator.name, "submitted": 1, "leased": 1, "skipped": 0, "expired": 0,
         "active_minutes": 0},
    ]  # fmt: skip
    released = api(supervisor).post(f"{BATCHES}{batch_id}/release/", {"annotator": annotator.pk}, format="json")
    assert released.json() == {"released": 1}


@pytest.mark.django_db
def test_batch_list_takes_a_constant_number_of_queries(api, supervisor, team, annotator, django_assert_num_queries):
    project = labelling_project(items=6)
    client = api(supervisor)
    client.post(BATCHES, {"project": project.pk, "size": 2, "teams": [team.pk], "annotators": [annotator.pk]})
    with django_assert_num_queries(4):
        assert client.get(BATCHES).json()["count"] == 1
    for _ in range(2):
        client.post(BATCHES, {"project": project.pk, "size": 2, "teams": [team.pk], "annotators": [annotator.pk]})
    with django_assert_num_queries(4):
        assert client.get(BATCHES).json()["count"] == 3


@pytest.mark.django_db
def test_batch_pages_for_supervisors(client, supervisor, team, annotator):
    project = labelling_project(items=4)
    client.force_login(supervisor)
    form = client.get("/batches/new/", HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200
    response = client.post(
        "/batches/new/",
        {"project": project.pk, "size": 2, "teams": [team.pk], "priority": 1, "name": "Morning"},
    )
    batch = Batch.objects.get()
    assert response.status_code == 302 and response.url == f"/batches/{batch.pk}/"
    page = client.get(f"/batches/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Morning" in page.content
    client.post(f"/batches/{batch.pk}/status/", {"action": "pause"})
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PAUSED
    client.post(f"/batches/{batch.pk}/assignees/", {"annotators": [annotator.pk]})
    assert list(batch.annotators.all()) == [annotator] and not batch.teams.exists()
    assert client.get("/batches/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    client.force_login(annotator)
    assert client.get(f"/batches/{batch.pk}/").status_code == 403
    assert client.get("/batches/new/").status_code == 403
