"""Every road by which work is accepted writes its ledger lines in the same transaction:
a reviewer's accept, a fix, a submit sampling lets through, a gold item's submit; every
review done pays the reviewer; a rejection never deducts, and the rework is paid when it
is accepted. Amounts by hand: item 0.1000, box 0.0800, image class 0.0500, review 0.2000."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.models import Annotation, AnnotatorQuality, Review
from annotation.services import assignments as engine
from annotation.services.reviews import review_decide
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import NEXT, open_batch, submit_url
from tests.annotation.test_gold import TRUTH, gold_item
from tests.annotation.test_reviews import labelled
from workforce.models import LedgerLine
from workforce.pay import services as pay

D = Decimal
BOXES = {
    "shapes": [
        {"type": "bbox", "label": "car", "x": 10, "y": 20, "w": 100, "h": 50},
        {"type": "bbox", "label": "car", "x": 200, "y": 20, "w": 100, "h": 50},
        {"type": "bbox", "label": "car", "x": 10, "y": 200, "w": 100, "h": 50},
    ],
    "class": "day",
}


def paid(project, supervisor, centre):
    pay.piece_rates_set(
        actor=supervisor, centre=centre, project_id=project.pk, project_name=project.name,
        rates={"item": "0.1000", "box": "0.0800", "class": "0.0500", "review": "0.2000"},
    )  # fmt: skip


def lines_of(person) -> list[tuple]:
    return sorted(LedgerLine.objects.filter(worker=person).values_list("source", "unit", "quantity", "amount", "kind"))


ANNOTATION_LINES = [("box", 3, D("0.2400")), ("class", 1, D("0.0500")), ("item", 1, D("0.1000"))]


def as_annotation(rows) -> list[tuple]:
    return [("annotation", unit, quantity, amount, "earning") for unit, quantity, amount in rows]


@pytest.mark.django_db
def test_an_accept_pays_the_annotator_what_they_submitted_and_the_reviewer_the_review(
    supervisor, annotator, team, reviewer, centre
):
    project = labelling_project(items=1)
    paid(project, supervisor, centre)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator, annotation=BOXES)
    assert lines_of(annotator) == []  # queued for review: not accepted yet
    review = review_decide(reviewer=reviewer, annotation_id=work.pk, decision="accept")
    assert lines_of(annotator) == as_annotation(ANNOTATION_LINES)  # 0.39 in all
    assert lines_of(reviewer) == [("review", "review", 1, D("0.2000"), "earning")]
    line = LedgerLine.objects.get(worker=annotator, unit="box")
    assert line.source_id == work.pk and line.project_id == project.pk
    assert line.description["how"] == "accepted" and line.description["project"] == project.name
    assert line.description["units"] == {"item": 1, "box": 3, "class": 1}
    assert LedgerLine.objects.get(worker=reviewer).source_id == review.pk


@pytest.mark.django_db
def test_a_fix_pays_the_annotator_for_their_submission(supervisor, annotator, team, reviewer, centre):
    project = labelling_project(items=1)
    paid(project, supervisor, centre)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator, annotation=BOXES)
    fixed = {"shapes": BOXES["shapes"][:1], "class": "night"}
    review_decide(reviewer=reviewer, annotation_id=work.pk, decision="fix", fixed=fixed)
    assert lines_of(annotator) == as_annotation(ANNOTATION_LINES)
    assert LedgerLine.objects.filter(worker=annotator, description__how="fixed").count() == 3
    assert lines_of(reviewer) == [("review", "review", 1, D("0.2000"), "earning")]


@pytest.mark.django_db
def test_a_rejection_deducts_nothing_and_the_rework_is_paid_when_accepted(
    supervisor, annotator, team, reviewer, centre
):
    project = labelling_project(items=1, reject_reasons=["wrong label"])
    paid(project, supervisor, centre)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator, annotation=BOXES)
    review_decide(reviewer=reviewer, annotation_id=work.pk, decision="reject", reasons=["wrong label"])
    assert lines_of(annotator) == []  # nothing earned, nothing taken
    assert not LedgerLine.objects.filter(amount__lt=0).exists()
    redone = labelled(annotator, annotation={"shapes": BOXES["shapes"][:2], "class": "day"})
    assert redone.pk != work.pk and redone.revision == 2
    review_decide(reviewer=reviewer, annotation_id=redone.pk, decision="accept")
    assert lines_of(annotator) == as_annotation([("box", 2, D("0.1600")), *ANNOTATION_LINES[1:]])
    assert set(LedgerLine.objects.filter(worker=annotator).values_list("source_id", flat=True)) == {redone.pk}
    assert len(lines_of(reviewer)) == 2  # two reviews done, both paid


@pytest.mark.django_db
def test_work_sampling_lets_through_is_paid_at_its_submit(supervisor, annotator, team, centre):
    project = labelling_project(items=40, review_floor=0.001)
    paid(project, supervisor, centre)
    open_batch(supervisor, project, teams=[team])
    AnnotatorQuality.objects.create(annotator=annotator, project=project, recent=[1.0] * 50, observations=50)
    work = [labelled(annotator, annotation=BOXES) for _ in range(40)]
    unsampled = [a for a in work if a.review == Annotation.Review.NOT_SAMPLED]
    queued = [a for a in work if a.review == Annotation.Review.QUEUED]
    assert unsampled and len(unsampled) + len(queued) == 40
    paid_ids = set(LedgerLine.objects.filter(worker=annotator).values_list("source_id", flat=True))
    assert paid_ids == {a.pk for a in unsampled}
    assert LedgerLine.objects.filter(worker=annotator).count() == 3 * len(unsampled)
    assert set(LedgerLine.objects.filter(worker=annotator).values_list("description__how", flat=True)) == {
        "not_sampled"
    }
    # A retried submit (a dropped link) writes nothing more.
    first = unsampled[0]
    again, created = engine.assignment_submit(annotator=annotator, assignment_id=first.assignment_id, annotation=BOXES)
    assert not created and LedgerLine.objects.filter(source_id=first.pk).count() == 3


@pytest.mark.django_db
def test_a_gold_items_submit_is_paid_like_accepted_work(supervisor, annotator, team, centre, api, monkeypatch):
    project_obj = labelling_project(items=6)
    open_batch(supervisor, project_obj, teams=[team], size=5)
    paid(project_obj, supervisor, centre)
    item = gold_item((project_obj, None), supervisor, api)
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)
    client = api(annotator)
    gold = client.post(NEXT).json()
    assert gold["item"]["id"] == item.pk
    response = client.post(submit_url(gold["id"]), {"shapes": [TRUTH["shapes"][0]], "class": "day"}, format="json")
    assert response.status_code == 201
    assert lines_of(annotator) == as_annotation([("box", 1, D("0.0800")), *ANNOTATION_LINES[1:]])
    assert LedgerLine.objects.filter(worker=annotator, description__how="gold").count() == 3


@pytest.mark.django_db
def test_the_ledger_is_one_statement_per_person_paid(supervisor, annotator, team, reviewer, centre):
    """On PostgreSQL the rates in force, the time class and the insert are one statement;
    elsewhere: the rates, the day's calendar entry, the person's shifts, then the insert."""
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    paid(project, supervisor, centre)
    work = labelled(annotator, annotation=BOXES)
    with CaptureQueriesContext(connection) as captured:
        review_decide(reviewer=reviewer, annotation_id=work.pk, decision="accept")
    ledger_tables = ("workforce_piecerate", "workforce_calendarday", "workforce_shift", "workforce_ledgerline")
    ledger = [q["sql"] for q in captured.captured_queries if any(t in q["sql"] for t in ledger_tables)]
    assert len(ledger) == (2 if connection.vendor == "postgresql" else 8), ledger
    assert Review.objects.count() == 1 and LedgerLine.objects.count() == 4
