"""Claiming and finishing the long jobs (rows extending aidou.models.Job), the same way
for every kind, so a re-delivered or retried task never runs a job twice at once."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict
from aidou.models import STALE_AFTER, Job


def job_claim(model: type[Job], job_id: int, **reset) -> bool:
    """Take a job for this worker with one conditional UPDATE: a queued job, or a running
    one whose worker has gone quiet (no heartbeat for STALE_AFTER: it died, and Celery
    delivered the task again). A job that is running and beating is left alone.
    `reset` zeroes the job's counters for a run from the start."""
    now = timezone.now()
    claimable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(
        model._default_manager.filter(pk=job_id)
        .filter(claimable)
        .update(status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, finished_at=None, failure="", **reset)
    )


def job_fail(model: type[Job], job_id: int) -> None:
    """Mark a job failed after an unexpected error (the caller logs it). The person who
    started it sees a plain sentence, never the internal error text."""
    model._default_manager.filter(pk=job_id).update(
        status=Job.Status.FAILED,
        failure=_("The job stopped on an unexpected error. It can be run again; if it fails again, tell support."),
        finished_at=timezone.now(),
    )


def job_requeue(job: Job, enqueue: Callable[[int], None], *, refusal: str) -> None:
    """Queue again a job that failed or whose worker died (stale); its task is sent once the
    transaction commits. Raises Conflict with `refusal` for any other job."""
    if not (job.status == Job.Status.FAILED or job.is_stale):
        raise Conflict(refusal)
    with transaction.atomic():
        type(job)._default_manager.filter(pk=job.pk).update(status=Job.Status.QUEUED, finished_at=None)
        transaction.on_commit(lambda: enqueue(job.pk))
    job.refresh_from_db()
