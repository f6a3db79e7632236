"""Claiming jobs: a re-delivered task takes over a job whose worker died, and never runs a
job whose worker is alive."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aidou.jobs import job_claim
from annotation.models import ImportJob, Item
from annotation.services.imports import import_run, import_start
from tests.annotation.factories import ProjectFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return import_start(project=ProjectFactory(), files=[SimpleUploadedFile("a.jpg", jpeg_bytes())], enqueue=False)


def test_a_queued_job_is_claimed_once(job):
    assert job_claim(ImportJob, job.pk)
    assert not job_claim(ImportJob, job.pk)


def test_a_running_job_with_a_recent_heartbeat_is_left_alone(job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=9))
    assert import_run(job_id=job.pk) is None
    assert not Item.objects.exists()


def test_a_redelivered_task_takes_over_a_job_whose_worker_died(job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    job.refresh_from_db()
    assert job.is_stale
    finished = import_run(job_id=job.pk)
    assert finished.status == "succeeded" and finished.accepted == 1
    assert finished.heartbeat_at > timezone.now() - dt.timedelta(minutes=1)


def test_finished_jobs_are_never_claimed(job):
    for status in ("succeeded", "failed"):
        ImportJob.objects.filter(pk=job.pk).update(status=status, heartbeat_at=timezone.now() - dt.timedelta(days=1))
        assert not job_claim(ImportJob, job.pk)
