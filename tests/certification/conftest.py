import pytest

from certification import services
from tests import factories
from tests.certification.factories import History
from workforce.models import Role


@pytest.fixture(autouse=True)
def _seeded_standard(request):
    """The levels and the first version of the standard, as migration 0002 seeds them: a
    transactional test elsewhere in the run flushes the tables, data migrations and all."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from importlib import import_module

    from django.apps import apps

    import_module("certification.migrations.0002_seed_standard").seed(apps, None)


@pytest.fixture
def reviewer(centre):
    return factories.UserFactory(username="reviewer", centre=centre, roles=[Role.REVIEWER])


@pytest.fixture
def history(centre, reviewer):
    return History(centre, reviewer)


@pytest.fixture
def small_standard(hr):
    """The standard with small figures a test can reach: level 5 needs 2 months of work,
    6 accepted images, quality ≥ 0.8 over 3 months on ≥ 4 checks, 8 training hours;
    level 4 needs level 5 held 3 months and 5 accepted boxes."""
    return services.standard_revise(
        actor=hr,
        changes={
            5: {"work_months": 2, "volume_min": 6, "volume_unit": "item", "quality_min": "0.8", "quality_months": 3,
                "quality_min_observations": 4, "training_hours": 8},
            4: {"prerequisite_months": 3, "work_months": 1, "volume_min": 5, "volume_unit": "box",
                "quality_min": "0.9", "quality_months": 3, "quality_min_observations": 2, "training_hours": 0},
        },
        note="small figures for tests",
    )  # fmt: skip


@pytest.fixture
def ready_candidate(small_standard, annotator, history, hr):
    """An annotator who meets every requirement of level 5 under `small_standard`."""
    from django.utils import timezone

    from tests.certification.factories import months_ago

    history.many(annotator, at=months_ago(1), n=3, boxes=2, decision="accept")
    history.many(annotator, at=months_ago(0), n=3, boxes=2, decision="accept")
    course = services.course_create(actor=hr, title="数据标注基础", hours="8")
    services.completion_record(actor=hr, course_id=course.pk, worker_id=annotator.pk, completed_on=timezone.localdate())
    return annotator


def record_exam(application, hr, kind: str, score: int):
    """A finished exam of `kind` with `score` (the exam flow itself is tested on its own)."""
    import datetime as dt

    from django.utils import timezone

    from certification.models import Attempt

    now = timezone.now()
    sitting = services.exam_schedule(actor=hr, application_id=application.pk, kind=kind,
                                     opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=1))  # fmt: skip
    return Attempt.objects.create(sitting=sitting, candidate=application.worker, started_at=now, deadline=now,
                                  finished_at=now, score=score)  # fmt: skip


@pytest.fixture
def issued(ready_candidate, hr):
    """A level-5 certificate issued to `ready_candidate` through an application."""
    application = services.application_submit(actor=ready_candidate)
    record_exam(application, hr, "theory", 82)
    record_exam(application, hr, "practical", 75)
    return services.certificate_issue(actor=hr, application_id=application.pk)


@pytest.fixture
def api():
    """The API as the root conftest's, its messages in English (as the services' are)."""
    from rest_framework.test import APIClient

    def client_for(user=None) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
