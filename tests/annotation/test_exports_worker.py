"""An export end to end on a real Celery worker process (no eager mode in this file)."""

import json

import pytest

from annotation.models import ExportJob
from annotation.services import exports
from tests.annotation.factories import STREET_SCHEMA, ItemFactory, OrganisationFactory, ProjectFactory
from tests.test_celery_worker import celery_worker_process, wait_until_finished  # noqa: F401 - the fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_export_runs_on_a_real_worker(celery_worker_process):  # noqa: F811 (the imported fixture)
    project = ProjectFactory(organisation=OrganisationFactory(name="Worker Client"), label_schema=dict(STREET_SCHEMA))
    prefill = {"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 2, "w": 3, "h": 4}], "class": "day"}
    items = [ItemFactory(project=project, file_name=f"w{n}.jpg", prefill=prefill) for n in range(3)]

    # Autocommit here: the service's on-commit enqueue sends the task to the broker at once.
    job = exports.export_start(project=project, format="coco", only_accepted=False)
    wait_until_finished(job, celery_worker_process)
    assert job.status == ExportJob.Status.SUCCEEDED, f"job still {job.status} {job.failure}"
    assert job.items == 3
    with job.file.open("rb") as handle:
        coco = json.load(handle)
    assert [image["id"] for image in coco["images"]] == [item.pk for item in items]
    assert len(coco["annotations"]) == 3
    job.file.delete(save=False)
