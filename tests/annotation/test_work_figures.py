"""Annotation answers workforce's port: the workbench's measured active time per person and
day in the centre's time zone (the attendance report, pay), and work given and accepted
per person (the fairness view)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from annotation.models import Annotation, Assignment, Batch
from annotation.services import assignments as engine
from annotation.services.batches import Assignees, ItemChoice, batch_create
from annotation.work_figures import AnnotationWorkFigures
from tests import factories
from tests.annotation.factories import accepted_work, labelling_project
from workforce.models import Role
from workforce.work_figures import work_figures

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")


def test_active_seconds_by_person_and_day(centre, hr, annotator, outsider, django_assert_num_queries):
    supervisor = factories.worker(actor=hr, centre=centre, roles=[Role.SUPERVISOR], name="组长")
    team = factories.TeamFactory(centre=centre)
    team.members.add(annotator)
    project = labelling_project(items=3)
    batch_create(actor=supervisor, project=project, choice=ItemChoice(size=3), assignees=Assignees(teams=[team.pk]),
                 name="测试")  # fmt: skip
    taken = []
    for _ in range(3):
        offer = engine.assignment_next(annotator=annotator)
        engine.assignment_skip(annotator=annotator, assignment_id=offer.assignment_id, reason="unclear")
        taken.append(offer.assignment_id)
    # 20 minutes and 10 minutes on 16 Nov (the second finished at 23:30 Beijing time, 15:30
    # UTC), 5 minutes at 00:10 on the 17th, which is still the 16th in UTC.
    for assignment_id, ms, finished in (
        (taken[0], 1_200_000, dt.datetime(2026, 11, 16, 10, 0, tzinfo=ZONE)),
        (taken[1], 600_000, dt.datetime(2026, 11, 16, 23, 30, tzinfo=ZONE)),
        (taken[2], 300_500, dt.datetime(2026, 11, 17, 0, 10, tzinfo=ZONE)),
    ):
        Assignment.objects.filter(pk=assignment_id).update(active_ms=ms, finished_at=finished)
    start, end = dt.datetime(2026, 11, 1, tzinfo=ZONE), dt.datetime(2026, 12, 1, tzinfo=ZONE)
    with django_assert_num_queries(1):
        found = work_figures().active_seconds_by_day(centre_id=centre.pk, worker_ids=None, start=start, end=end)
    assert found == {(annotator.pk, dt.date(2026, 11, 16)): 1800, (annotator.pk, dt.date(2026, 11, 17)): 300}
    assert (
        work_figures().active_seconds_by_day(centre_id=centre.pk, worker_ids=[outsider.pk], start=start, end=end) == {}
    )
    assert (
        work_figures().active_seconds_by_day(centre_id=outsider.centre_id, worker_ids=None, start=start, end=end) == {}
    )


def test_registered_when_django_starts():
    assert isinstance(work_figures(), AnnotationWorkFigures)


def test_work_given_and_accepted(crowd, centre, other_centre, outsider, django_assert_num_queries):
    project, batch, (li, wang), zhao = crowd
    # Zhao's first item was sent back and is waiting as rework: given, not accepted.
    first = Annotation.objects.filter(annotator=zhao).order_by("item_id").first()
    first.review = Annotation.Review.REJECTED
    first.save()
    Assignment.objects.filter(pk=first.assignment_id).update(status=Assignment.Status.REWORK)
    # Another centre's person with work on the same items is not counted for this centre.
    other_batch = Batch.objects.create(project=project, centre=other_centre, name="外批")
    accepted_work(other_batch, project.items.order_by("id").first(), outsider, shapes=[])
    now = timezone.now()
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    figures = AnnotationWorkFigures()
    with django_assert_num_queries(2):
        counts = figures.work_counts_by_worker(centre_id=centre.pk, worker_ids=None, start=start, end=end)
    assert counts == {
        li.pk: {"given": 12, "accepted": 12},
        wang.pk: {"given": 12, "accepted": 12},
        zhao.pk: {"given": 12, "accepted": 11},
    }
    assert figures.work_counts_by_worker(centre_id=centre.pk, worker_ids=[li.pk], start=start, end=end) == {
        li.pk: {"given": 12, "accepted": 12}
    }
    # A later day without work: nothing.
    later = {"start": end, "end": end + dt.timedelta(days=1)}
    assert figures.work_counts_by_worker(centre_id=centre.pk, worker_ids=None, **later) == {}
