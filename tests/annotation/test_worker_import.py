"""An import end to end through a real Celery worker process (no eager mode)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation.models import ImportJob, Item
from annotation.services.imports import import_start
from tests.annotation.factories import ProjectFactory, jpeg_bytes
from tests.test_celery_worker import celery_worker_process, wait_until_finished  # noqa: F401 - the fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_import_runs_on_a_real_worker(celery_worker_process):  # noqa: F811
    project = ProjectFactory()
    job = import_start(
        project=project,
        files=[SimpleUploadedFile("a.jpg", jpeg_bytes(30, 20, (1, 2, 3))), SimpleUploadedFile("bad.jpg", b"x")],
    )
    wait_until_finished(job, celery_worker_process)
    assert job.status == ImportJob.Status.SUCCEEDED, f"job still {job.status}"
    assert (job.accepted, job.rejected) == (1, 1)
    assert Item.objects.get(project=project).width == 30
