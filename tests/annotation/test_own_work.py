"""Nobody reviews, fixes or gold-scores their own work (issue 18, item 1): one rule
(annotation.policies.is_own_work) behind the review queue's filter, the decide service
(API and page), the gold offer, gold scoring and gold marking from consensus."""

import pytest
from django.urls import reverse

from annotation.models import Annotation, AnnotatorQuality, GoldAnswer, GoldResult, Item, Review
from annotation.selectors import gold_candidates, review_queue, review_queue_counts
from annotation.services import assignments as engine
from annotation.services.gold import gold_score
from tests import factories
from tests.annotation.factories import accepted_work, labelling_project
from tests.annotation.test_assignments import NEXT, open_batch, submit_url
from tests.annotation.test_reviews import BOX, decide_url, labelled
from workforce.models import Role

pytestmark = pytest.mark.django_db

FIXED = {"shapes": [{"type": "bbox", "label": "car", "x": 12, "y": 20, "w": 100, "h": 50}], "class": "day"}
DECISIONS = [
    {"decision": "accept"},
    {"decision": "reject", "comment": "looks fine to me"},
    {"decision": "fix", "fixed": FIXED},
]


@pytest.fixture
def both(centre, team):
    """An annotator who is also a reviewer and a supervisor, in the batch's team."""
    person = factories.UserFactory(
        username="both", name="两者", centre=centre, roles=[Role.ANNOTATOR, Role.REVIEWER, Role.SUPERVISOR]
    )
    team.members.add(person)
    return person


@pytest.fixture
def own_work(supervisor, team, both):
    project = labelling_project(items=2, name="自审")
    batch = open_batch(supervisor, project, teams=[team], name="自审批")
    return batch, labelled(both)


def _nothing_decided(work: Annotation) -> None:
    work.refresh_from_db()
    assert work.review == Annotation.Review.QUEUED
    assert not Review.objects.filter(annotation=work).exists()
    assert not AnnotatorQuality.objects.filter(annotator_id=work.annotator_id, observations__gt=0).exists()


def test_the_queue_never_lists_ones_own_work_but_another_reviewer_sees_it(own_work, both, reviewer, api):
    batch, work = own_work
    assert list(review_queue(both)) == []
    assert review_queue_counts(both) == []
    assert api(both).get("/api/v1/review-queue/").json()["count"] == 0
    assert api(both).get(f"/api/v1/review-queue/{work.pk}/").status_code == 404
    assert [row["id"] for row in api(reviewer).get("/api/v1/review-queue/").json()["results"]] == [work.pk]


@pytest.mark.parametrize("body", DECISIONS, ids=[d["decision"] for d in DECISIONS])
def test_deciding_on_ones_own_work_through_the_api_is_403_and_writes_nothing(own_work, both, reviewer, api, body):
    _batch, work = own_work
    response = api(both).post(decide_url(work.pk), body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json() == {"detail": "This is your own work: someone else must review it."}
    _nothing_decided(work)
    # Someone else may.
    assert api(reviewer).post(decide_url(work.pk), body, format="json").status_code == 201


def test_the_review_page_neither_shows_nor_decides_ones_own_work(own_work, both, client):
    batch, work = own_work
    client.force_login(both)
    home = client.get("/review/")
    assert home.context["batches"] == []
    url = reverse("review-batch", args=[batch.pk])
    assert client.get(url).context["annotation"] is None  # nothing of theirs on the screen
    assert client.get(f"{url}?annotation={work.pk}").status_code == 404  # not offered
    for body in ({"decision": "accept"}, {"decision": "fix", "fixed": '{"shapes": [], "class": "day"}'}):
        response = client.post(url, {"annotation": work.pk, **body}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        assert "This is your own work: someone else must review it." in response.content.decode()
    zh = client.post(url, {"annotation": work.pk, "decision": "accept"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 403 and "这是你自己的标注" in zh.content.decode()
    _nothing_decided(work)


@pytest.fixture
def gold_project(supervisor, team):
    project = labelling_project(items=4, width=640, height=480)
    open_batch(supervisor, project, teams=[team], size=3)  # the fourth stays free to become gold
    return project, project.items.order_by("id").last()


def test_nobody_is_handed_a_gold_item_whose_answer_they_drew(gold_project, both, annotator, api, monkeypatch):
    project, spare = gold_project
    made = api(both).post("/api/v1/gold/", {"item": spare.pk, "answer": BOX}, format="json")
    assert made.status_code == 201, made.content
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)  # gold whenever there is some
    mine = api(both).post(NEXT).json()
    assert mine["item"]["id"] != spare.pk  # ordinary work instead
    theirs = api(annotator).post(NEXT).json()
    assert theirs["item"]["id"] == spare.pk


def test_gold_scoring_refuses_an_answer_set_by_the_annotator_even_if_re_marked(
    gold_project, supervisor, both, api, monkeypatch
):
    project, spare = gold_project
    assert api(supervisor).post("/api/v1/gold/", {"item": spare.pk, "answer": BOX}, format="json").status_code == 201
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    offer = api(both).post(NEXT).json()
    assert offer["item"]["id"] == spare.pk
    # Meanwhile the annotator (also a supervisor) re-draws the gold answer themselves.
    assert api(both).post("/api/v1/gold/", {"item": spare.pk, "answer": BOX}, format="json").status_code == 201
    response = api(both).post(submit_url(offer["id"]), BOX, format="json")
    assert response.status_code == 201
    assert not GoldResult.objects.exists()
    assert not AnnotatorQuality.objects.filter(annotator=both, observations__gt=0).exists()
    # The guard itself, as the service is called: None and nothing written.
    stored = Annotation.objects.get(pk=response.json()["id"])
    assert gold_score(stored, GoldAnswer.objects.get(item=spare), project) is None


def test_no_one_makes_gold_from_a_consensus_holding_their_own_work(centre, both, supervisor, api):
    project = labelling_project(items=1)
    batch = open_batch(supervisor, project, teams=[])
    item = project.items.get()
    accepted_work(batch, item, both, shapes=BOX["shapes"], image_class="day")
    Item.objects.filter(pk=item.pk).update(status=Item.Status.DONE)
    from annotation.models import Task

    Task.objects.filter(item=item).update(done=True)
    assert list(gold_candidates(both, project)) == []  # not offered to them
    assert [candidate.pk for candidate in gold_candidates(supervisor, project)] == [item.pk]
    refused = api(both).post("/api/v1/gold/", {"item": item.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "Your own work is part of this item's answer" in refused.json()["detail"]
    assert not GoldAnswer.objects.exists()
    made = api(supervisor).post("/api/v1/gold/", {"item": item.pk}, format="json")
    assert made.status_code == 201 and made.json()["source"] == "consensus"
