"""What the annotation app reports to workforce through the work-figures port."""

import datetime as dt

import pytest
from django.utils import timezone

from annotation.models import Annotation, Assignment, Batch
from annotation.work_figures import AnnotationWorkFigures
from tests.annotation.factories import accepted_work
from workforce.work_figures import work_figures

pytestmark = pytest.mark.django_db


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
