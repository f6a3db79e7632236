"""Gold items: marked by a supervisor (drawn, or from accepted work), mixed into the
stream at the project's gold rate without anything in the API telling them apart, and
scored against the true answer the moment they are submitted."""

import re

import pytest

from aidou.errors import DomainError
from annotation.models import Annotation, AnnotatorQuality, Assignment, GoldAnswer, GoldResult, Item
from annotation.services import assignments as engine
from annotation.services.batches import Assignees, ItemChoice, batch_create
from tests import factories
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import NEXT, open_batch, submit_url
from workforce.models import Role

GOLD = "/api/v1/gold/"
TRUTH = {
    "shapes": [
        {"type": "bbox", "label": "car", "x": 10.0, "y": 10.0, "w": 100.0, "h": 50.0},
        {"type": "bbox", "label": "car", "x": 300.0, "y": 200.0, "w": 60.0, "h": 40.0},
    ],
    "class": "day",
}


@pytest.fixture
def project(supervisor, team):
    """Six items: the first is kept out of the batch to become gold; the batch holds the rest."""
    project = labelling_project(items=6, width=640, height=480)
    items = list(project.items.order_by("id"))
    open_batch(supervisor, project, teams=[team], size=5)  # the first five...
    return project, items


def gold_item(project, supervisor, api):
    """A fresh item outside every batch, made gold with TRUTH through the API."""
    project_obj, _items = project
    item = Item.objects.filter(project=project_obj, tasks__isnull=True).first()
    response = api(supervisor).post(GOLD, {"item": item.pk, "answer": TRUTH}, format="json")
    assert response.status_code == 201, response.content
    return item


@pytest.mark.django_db
def test_only_the_centres_supervisors_make_gold_and_never_of_waiting_work(
    project, supervisor, annotator, api, other_centre, team
):
    project_obj, items = project
    outsider = factories.UserFactory(username="other_sup", centre=other_centre, roles=[Role.SUPERVISOR])
    spare = items[5]
    assert api(outsider).post(GOLD, {"item": spare.pk, "answer": TRUTH}, format="json").status_code == 404
    assert api(annotator).post(GOLD, {"item": spare.pk, "answer": TRUTH}, format="json").status_code == 404
    bad = {"shapes": [{"type": "bbox", "label": "car", "x": 600, "y": 10, "w": 100, "h": 10}]}
    refused = api(supervisor).post(GOLD, {"item": spare.pk, "answer": bad}, format="json")
    assert refused.status_code == 400 and "answer" in refused.json()
    waiting = api(supervisor).post(GOLD, {"item": items[0].pk, "answer": TRUTH}, format="json")
    assert waiting.status_code == 409  # still work in a batch
    nothing_accepted = api(supervisor).post(GOLD, {"item": spare.pk}, format="json")
    assert nothing_accepted.status_code == 400  # no answer drawn and no accepted work to take
    assert not GoldAnswer.objects.exists()
    made = api(supervisor).post(GOLD, {"item": spare.pk, "answer": TRUTH}, format="json")
    assert made.status_code == 201 and made.json()["source"] == "drawn"
    # A gold item is never batched as ordinary work.
    with pytest.raises(DomainError) as refused_batch:
        batch_create(
            actor=supervisor,
            project=project_obj,
            choice=ItemChoice(items=[spare.pk]),
            assignees=Assignees(teams=[team.pk]),
        )
    assert refused_batch.value.field == "items"  # "not free items of this project"


@pytest.mark.django_db
def test_gold_comes_in_the_stream_looking_like_any_other_work_and_is_scored_at_once(
    project, supervisor, annotator, api, monkeypatch
):
    project_obj, _items = project
    item = gold_item(project, supervisor, api)
    client = api(annotator)
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)  # no gold this time
    ordinary = client.post(NEXT).json()
    assert client.post(submit_url(ordinary["id"]), {"shapes": [], "class": "day"}, format="json").status_code == 201
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)  # gold whenever there is some
    gold = client.post(NEXT).json()
    assert gold["item"]["id"] == item.pk
    # Nothing in the answer tells it apart: the same keys, the same URL shapes.
    assert gold.keys() == ordinary.keys() and gold["item"].keys() == ordinary["item"].keys()
    assert re.sub(r"\d+", "N", gold["item"]["image_url"]) == re.sub(r"\d+", "N", ordinary["item"]["image_url"])
    assert gold["batch"] == ordinary["batch"] and gold["rework"] is None
    listed = client.get(f"/api/v1/assignments/{gold['id']}/").json()
    plain = client.get(f"/api/v1/assignments/{ordinary['id']}/").json()
    assert listed.keys() == plain.keys() and "reason" not in listed
    # The annotator finds one car of two and the right class: F1 2/3, class right.
    drawn = {"shapes": [TRUTH["shapes"][0]], "class": "day"}
    response = client.post(submit_url(gold["id"]), drawn, format="json")
    assert response.status_code == 201
    assert response.json().keys() == {"id", "assignment", "item", "shapes", "created_at", "class"}
    result = GoldResult.objects.get(annotation_id=response.json()["id"])
    assert result.score == pytest.approx((2 / 3 + 1) / 2) and result.details["missed"] == 1
    assert AnnotatorQuality.objects.get(annotator=annotator, project=project_obj).recent == [round(result.score, 4)]
    [quality] = api(supervisor).get(f"/api/v1/quality/annotators/?project={project_obj.pk}").json()
    assert quality["gold_f1"] == round(result.score, 4) and quality["observations"] == 1
    assert quality["acceptance_rate"] is None  # nothing reviewed yet
    # Not reviewed, not the client's work: the item's status is untouched.
    assert Annotation.objects.get(pk=response.json()["id"]).review == Annotation.Review.GOLD
    assert api(supervisor).get("/api/v1/review-queue/").json()["count"] == 1  # the ordinary one
    assert Item.objects.get(pk=item.pk).status == Item.Status.NEW
    # Each gold item once per person: the next draw finds none left and hands out work.
    again = client.post(NEXT).json()
    assert again["item"]["id"] != item.pk
    assert Assignment.objects.get(pk=gold["id"]).task_id is None


@pytest.mark.django_db
def test_a_gold_item_can_be_skipped_and_kept_alive_like_any_other(project, supervisor, annotator, api, monkeypatch):
    gold_item(project, supervisor, api)
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    client = api(annotator)
    gold = client.post(NEXT).json()
    beat = client.post(f"/api/v1/assignments/{gold['id']}/heartbeat/", {"active": True}, format="json")
    assert beat.status_code == 200
    skipped = client.post(f"/api/v1/assignments/{gold['id']}/skip/", {"reason": "blurry"}, format="json")
    assert skipped.status_code == 200
    assert client.post(NEXT).json()["item"]["id"] != gold["item"]["id"]
    assert not GoldResult.objects.exists()


@pytest.mark.django_db
def test_without_gold_or_at_rate_zero_the_stream_is_ordinary_work(project, supervisor, annotator, api, monkeypatch):
    project_obj, _items = project
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    client = api(annotator)
    first = client.post(NEXT).json()  # no gold items yet
    assert Assignment.objects.get(pk=first["id"]).task_id is not None
    client.post(submit_url(first["id"]), {"shapes": [], "class": "day"}, format="json")
    gold_item(project, supervisor, api)
    project_obj.gold_rate = 0
    project_obj.save(update_fields=["gold_rate"])
    second = client.post(NEXT).json()
    assert Assignment.objects.get(pk=second["id"]).task_id is not None


@pytest.mark.django_db
def test_gold_from_accepted_work_and_retiring_it(project, supervisor, annotator, api):
    project_obj, items = project
    reviewer = factories.UserFactory(username="reviewer", centre=supervisor.centre, roles=[Role.REVIEWER])
    client = api(annotator)
    task = client.post(NEXT).json()
    client.post(submit_url(task["id"]), TRUTH, format="json")
    work = Annotation.objects.get(assignment_id=task["id"])
    api(reviewer).post(f"/api/v1/review-queue/{work.pk}/decide/", {"decision": "accept"}, format="json")
    made = api(supervisor).post(GOLD, {"item": task["item"]["id"]}, format="json")
    assert made.status_code == 201 and made.json()["source"] == "consensus"
    assert made.json()["shapes"] == TRUTH["shapes"]
    assert api(supervisor).delete(f"{GOLD}{task['item']['id']}/").status_code == 204
    assert not GoldAnswer.objects.get(item_id=task["item"]["id"]).is_active
    assert api(supervisor).delete(f"{GOLD}{items[5].pk}/").status_code == 404


@pytest.mark.django_db
def test_the_annotator_sees_each_missed_gold_item_beside_the_answer(
    project, supervisor, annotator, api, monkeypatch, client
):
    item = gold_item(project, supervisor, api)
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    session = api(annotator)
    gold = session.post(NEXT).json()
    session.post(submit_url(gold["id"]), {"shapes": [TRUTH["shapes"][0]], "class": "night"}, format="json")
    client.force_login(annotator)
    page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en")
    [compare] = page.context["missed_gold"]
    assert compare["item"].pk == item.pk
    assert len(compare["truth"]["shapes"]) == 2 and len(compare["theirs"]["shapes"]) == 1
    html = page.content.decode()
    assert "1 missed, 0 extra" in html and "wrong image class" in html and "The answer" in html
    assert html.count(f'href="/api/v1/items/{item.pk}/image/"') == 2
    # The image stays theirs to see (they were given it).
    assert client.get(f"/api/v1/items/{item.pk}/image/").status_code == 200


@pytest.mark.django_db
def test_exports_label_a_gold_item_with_its_answer_not_with_answers_to_it(
    project, supervisor, annotator, api, monkeypatch
):
    import json

    from annotation.services import exports

    project_obj, _items = project
    item = gold_item(project, supervisor, api)
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    session = api(annotator)
    gold = session.post(NEXT).json()
    session.post(submit_url(gold["id"]), {"shapes": [], "class": "night"}, format="json")
    for only_accepted in (True, False):
        job = exports.export_run(
            job_id=exports.export_start(project=project_obj, format="json", only_accepted=only_accepted).pk
        )
        with job.file.open("rb") as handle:
            row = next(row for row in json.load(handle) if row["id"] == item.pk)
        assert row["consensus"] == TRUTH and row["annotations"] == []
