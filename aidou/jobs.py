"""Claiming, finishing and recovering the long jobs (rows extending aidou.models.Job), the
same way for every kind, so a re-delivered or retried task never runs a job twice at once
and a job whose worker died is run again or failed, never left `running`.

Each kind registers itself (`job_kind_register`, from its app's `ready()`): its model, how
to send its task, what to do when the sweep fails it (tell webhooks) and how to remove
its staged input. `jobs_sweep` (Celery beat, every JOB_SWEEP_EVERY_SECONDS) walks them
all; docs/decisions/0014-jobs-survive-a-dead-worker.md says why it works this way."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aidou.errors import Conflict
from aidou.models import STALE_AFTER, Job

log = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)


@dataclass(frozen=True)
class JobKind(Generic[J]):
    """What the sweep needs to know about one kind of job."""

    name: str
    model: type[J]
    # Sends the job's task (the same function the service uses when it starts a job).
    enqueue: Callable[[int], None]
    # Called after the sweep has failed a job (attempts used up), outside any transaction:
    # whatever a job that ends does besides its row, such as an `*.finished` webhook.
    failed: Callable[[J], None] | None = None
    # Removes a failed job's staged input (kept until then for a retry) and clears what
    # `staged` matches. Safe to call twice.
    discard: Callable[[J], None] | None = None
    # Which jobs still hold staged input (with `discard`).
    staged: Q | None = None
    # Relations the two callbacks read, loaded with the jobs.
    related: tuple[str, ...] = ()


JOB_KINDS: dict[str, JobKind[Any]] = {}


def job_kind_register(kind: JobKind[Any]) -> None:
    """Make a kind of job known to the sweep. Registering a name again replaces it."""
    JOB_KINDS[kind.name] = kind


def job_claim(model: type[Job], job_id: int, **reset) -> bool:
    """Take a job for this worker with one conditional UPDATE: a queued job, or a running
    one whose worker has gone quiet (no heartbeat for STALE_AFTER: it died, and Celery
    delivered the task again). A job that is running and beating is left alone. Each
    claim counts one attempt. `reset` zeroes the job's counters for a run from the start."""
    now = timezone.now()
    claimable = Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(
        model._default_manager.filter(pk=job_id)
        .filter(claimable)
        .update(
            status=Job.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            failure="",
            attempts=F("attempts") + 1,
            **reset,
        )
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
    """Queue again, at a person's request, a job that failed or whose worker died (stale);
    its task is sent once the transaction commits, and it gets JOB_MAX_ATTEMPTS afresh.
    Raises Conflict with `refusal` for any other job."""
    if not (job.status == Job.Status.FAILED or job.is_stale):
        raise Conflict(refusal)
    with transaction.atomic():
        type(job)._default_manager.filter(pk=job.pk).update(
            status=Job.Status.QUEUED, finished_at=None, failure="", attempts=0, heartbeat_at=timezone.now()
        )
        transaction.on_commit(lambda: enqueue(job.pk))
    job.refresh_from_db()


def _attempts_used_up_sentence(attempts: int) -> str:
    return _(
        "The job was started %(n)d times and each time its worker stopped before it finished, so it was "
        "given up. It can be run again; if it stops again, tell support."
    ) % {"n": attempts}


@dataclass
class SweepResult:
    requeued: int = 0
    failed: int = 0
    discarded: int = 0


def jobs_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Recover every registered kind's jobs whose worker died. A running job with no
    heartbeat for STALE_AFTER is queued again and its task re-sent, or, once it has been
    started JOB_MAX_ATTEMPTS times, failed with a sentence in its starter's language
    (and its kind's `failed` callback run). A queued job whose task was sent STALE_AFTER
    ago and never started (a lost message) gets its task again. A job failed more than
    JOB_FAILED_KEEP_SECONDS ago, or a succeeded one that still has some, loses its
    staged input (its kind's `discard`).

    Each kind's stale jobs are read and changed in one transaction with their rows
    locked (SKIP LOCKED: two sweeps never take the same job), with one UPDATE per outcome
    whatever their number; the tasks are sent on commit. A job that beat again after
    it was read is left alone. Safe to run any number of times, at once too."""
    now = now or timezone.now()
    result = SweepResult()
    for kind in JOB_KINDS.values():
        _kind_sweep(kind, now, result)
    return result


def _enqueue_each(kind: JobKind[Any], job_ids: list[int]) -> None:
    # A message that cannot be sent now (broker down) is sent by a later sweep.
    for job_id in job_ids:
        kind.enqueue(job_id)


def _kind_sweep(kind: JobKind[Any], now: dt.datetime, result: SweepResult) -> None:
    manager = kind.model._default_manager
    cutoff = now - STALE_AFTER
    last_sign = Coalesce("heartbeat_at", "started_at", "created_at")
    stale = Q(status=Job.Status.RUNNING) | Q(status=Job.Status.QUEUED)
    with transaction.atomic():
        rows = list(
            manager.select_for_update(skip_locked=True)
            .annotate(last_sign=last_sign)
            .filter(stale, last_sign__lt=cutoff)
            .values_list("pk", "status", "attempts", "language")
        )
        # A queued job never started has used no attempt: its message was lost, or no
        # worker has been up since; it is sent again until a worker takes it.
        again = [
            pk
            for pk, status, attempts, _ in rows
            if status == Job.Status.QUEUED or attempts < settings.JOB_MAX_ATTEMPTS
        ]
        given_up = [
            (pk, attempts, lang)
            for pk, status, attempts, lang in rows
            if status == Job.Status.RUNNING and attempts >= settings.JOB_MAX_ATTEMPTS
        ]
        if again:
            manager.annotate(last_sign=last_sign).filter(pk__in=again, last_sign__lt=cutoff).filter(stale).update(
                status=Job.Status.QUEUED, heartbeat_at=now
            )
            transaction.on_commit(lambda: _enqueue_each(kind, again))
        failed_ids = []
        for language, attempts in sorted({(language, attempts) for _, attempts, language in given_up}):
            ids = [pk for pk, n, lang in given_up if (lang, n) == (language, attempts)]
            with translation.override(language or settings.LANGUAGE_CODE):
                failure = _attempts_used_up_sentence(attempts)
            manager.annotate(last_sign=last_sign).filter(
                pk__in=ids, status=Job.Status.RUNNING, last_sign__lt=cutoff
            ).update(status=Job.Status.FAILED, failure=failure, finished_at=now)
            failed_ids.extend(ids)
    result.requeued += len(again)
    result.failed += len(failed_ids)
    if again or failed_ids:
        log.warning("jobs sweep: %s requeued %s, failed %s", kind.name, again, failed_ids)
    if failed_ids and kind.failed is not None:
        for job in manager.select_related(*kind.related).filter(pk__in=failed_ids, status=Job.Status.FAILED):
            kind.failed(job)
    if kind.discard is not None and kind.staged is not None:
        kept_until = now - dt.timedelta(seconds=settings.JOB_FAILED_KEEP_SECONDS)
        # A succeeded job here died between its last write and its clean-up.
        ended = Q(status=Job.Status.SUCCEEDED) | Q(status=Job.Status.FAILED, finished_at__lt=kept_until)
        for job in manager.select_related(*kind.related).filter(kind.staged).filter(ended):
            kind.discard(job)
            result.discarded += 1
