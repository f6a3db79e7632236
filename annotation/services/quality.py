"""Recomputing a whole project's quality as a job: agreement between annotators, every
item's consensus, and each annotator's snapshot (kept, so trends show).

`quality_recompute_start` records the job and queues it; `quality_recompute_run` (the
Celery task) loads the project's accepted work in one pass over a few columns, hands it
to `annotation.quality.assessment.assess_project`, and writes what it returns in one
transaction at the end: the items' consensus replaced, one snapshot per annotator added.
A retried job writes the same rows again, never twice (its own snapshots are replaced).

An annotator's score here is over every observation of them in the project, each in
[0, 1]: a review (accept 1, send back 0, a fix its score), a gold item (its score), and
an item they shared with colleagues (their mean shape F1 with them). Flags:
- `too_fast`: their median active time per item is under 40% of the project's median;
- `low_agreement`: their agreement is under 0.5, or 0.2 under the project's median;
- `falling`: their last observations (the sampling window) score clearly worse than
  their whole record (the window's Wilson upper bound is under the record's score).
"""

import logging
import statistics
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from aidou.jobs import JobKind, job_claim, job_fail
from annotation.models import (
    Annotation,
    AnnotatorQuality,
    Batch,
    ItemConsensus,
    Project,
    QualityJob,
    QualitySnapshot,
    Review,
)
from annotation.quality.assessment import Assessment, Work, assess_project
from annotation.quality.scores import wilson_interval
from annotation.selectors import ACCEPTED_REVIEWS, outcome_rates, outcome_totals, review_gold_outcomes

log = logging.getLogger(__name__)

MIN_ITEMS_FOR_FLAGS = 10
TOO_FAST_SHARE = 0.4
LOW_AGREEMENT = 0.5
AGREEMENT_MARGIN = 0.2
WRITE_BATCH = 2000
# Progress is counted in items; loading and writing each count as this share of them.
PHASE_SHARE = 0.1


@transaction.atomic
def quality_recompute_start(*, project: Project, created_by=None) -> QualityJob:
    """Queue a recomputation of `project`, or return the one already queued or running
    (two at once would only race to write the same rows)."""
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one starter at a time
    pending = (
        QualityJob.objects.filter(project=project, status__in=[QualityJob.Status.QUEUED, QualityJob.Status.RUNNING])
        .order_by("-created_at")
        .first()
    )
    if pending is not None and not pending.is_stale:
        return pending
    job = QualityJob.objects.create(
        project=project, created_by=created_by, language=translation.get_language() or "zh-hans"
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from annotation.tasks import quality_recompute_task

    quality_recompute_task.delay(job_id)


def quality_recompute_run(*, job_id: int) -> QualityJob | None:
    """Run a queued job (the Celery task's body). A job another worker holds is left alone."""
    if not job_claim(QualityJob, job_id, processed=0, errors=[]):
        return None
    job = QualityJob.objects.select_related("project").get(pk=job_id)
    try:
        with translation.override(job.language):
            _run(job)
    except Exception:
        log.exception("quality job %s failed", job_id)
        job_fail(QualityJob, job_id)
    job.refresh_from_db()
    return job


class _Progress:
    def __init__(self, job: QualityJob, total: int):
        # Each item is counted twice (assess_project makes two passes over them).
        total *= 2
        self.job_id, self.total, self.phase = job.pk, total, max(1, int(total * PHASE_SHARE))
        QualityJob.objects.filter(pk=job.pk).update(total=total + 2 * self.phase, heartbeat_at=timezone.now())

    def at(self, processed: int) -> None:
        QualityJob.objects.filter(pk=self.job_id).update(processed=processed, heartbeat_at=timezone.now())


def _run(job: QualityJob) -> None:
    project = job.project
    works = list(_accepted_work(project))
    progress = _Progress(job, len({work.item_id for work in works}))
    progress.at(progress.phase)
    outcomes = review_gold_outcomes(project)
    assessment = assess_project(
        works,
        {annotator: outcome_totals(row) for annotator, row in outcomes.items()},
        iou_threshold=project.iou_threshold,
        keypoint_names=project.label_schema.get("keypoints") or None,
        progress=lambda done: progress.at(progress.phase + done),
    )
    progress.at(progress.phase + progress.total)
    now = timezone.now()
    snapshots = _snapshots(job, assessment, outcomes, now)
    with transaction.atomic():
        _write_consensus(job, project, assessment, now)
        QualitySnapshot.objects.filter(job=job).delete()  # a retried job replaces its own
        QualitySnapshot.objects.bulk_create(snapshots, batch_size=WRITE_BATCH)
        QualityJob.objects.filter(pk=job.pk).update(
            summary=_summary(project, assessment, snapshots),
            processed=progress.total + 2 * progress.phase,
            status=QualityJob.Status.SUCCEEDED,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )


def _accepted_work(project: Project) -> Iterator[Work]:
    """Every item's current accepted work, as its labels stand: a reviewer's fix replaces
    what was drawn. Two queries, streamed."""
    fixes = {
        annotation_id: (shapes or [], image_class)
        for annotation_id, shapes, image_class in Review.objects.filter(
            item__project=project, decision=Review.Decision.FIX
        ).values_list("annotation_id", "shapes", "image_class")
    }
    rows = (
        Annotation.objects.filter(item__project=project, is_latest=True, review__in=ACCEPTED_REVIEWS)
        .order_by()
        .values_list("id", "item_id", "annotator_id", "assignment__batch_id", "shapes", "image_class",
                     "assignment__active_ms")
    )  # fmt: skip
    for annotation_id, item_id, annotator_id, batch_id, shapes, image_class, active_ms in rows.iterator(
        chunk_size=5000
    ):
        if annotation_id in fixes:
            shapes, image_class = fixes[annotation_id]
        yield Work(annotation_id, item_id, annotator_id, batch_id, shapes, image_class, active_ms)


def _write_consensus(job: QualityJob, project: Project, assessment: Assessment, now) -> None:
    ItemConsensus.objects.filter(item__project=project).delete()
    ItemConsensus.objects.bulk_create(
        (
            ItemConsensus(
                item_id=item_id,
                job=job,
                shapes=found["shapes"],
                image_class=found["class"],
                annotators=found["annotators"],
                agreement=found["agreement"],
                basis=found["basis"],
                computed_at=now,
            )
            for item_id, found in assessment.consensus.items()
        ),
        batch_size=WRITE_BATCH,
    )


def _snapshots(job: QualityJob, assessment: Assessment, outcomes: dict[int, dict], now) -> list[QualitySnapshot]:
    recent = dict(AnnotatorQuality.objects.filter(project=job.project).values_list("annotator_id", "recent"))
    people = set(outcomes) | set(assessment.annotators)
    medians = [f.median_seconds for f in assessment.annotators.values() if f.median_seconds and f.items]
    median_seconds = statistics.median(medians) if medians else None
    agreements = [f.agreement for f in assessment.annotators.values() if f.agreement is not None]
    median_agreement = statistics.median(agreements) if agreements else None
    snapshots = []
    for annotator_id in sorted(people):
        row = outcomes.get(annotator_id, {})
        figures = assessment.annotators.get(annotator_id)
        good, n = outcome_totals(row)
        if figures is not None and figures.agreement_n:
            good, n = good + figures.agreement_sum, n + figures.agreement_n
        low, high = wilson_interval(good, n)
        snapshot = QualitySnapshot(
            job=job,
            project=job.project,
            annotator_id=annotator_id,
            taken_at=now,
            score=round(good / n, 4) if n else None,
            observations=n,
            low=round(low, 4) if n else None,
            high=round(high, 4) if n else None,
            reviewed=row.get("observations", 0),
            gold_n=row.get("gold_n", 0),
            **outcome_rates(row),
            agreement=round(figures.agreement, 4) if figures and figures.agreement is not None else None,
            agreement_n=figures.agreement_n if figures else 0,
            class_accuracy=figures.class_accuracy if figures else None,
            items=figures.items if figures else 0,
            median_seconds=round(figures.median_seconds, 1) if figures and figures.median_seconds else None,
        )
        snapshot.flags = quality_flags(
            snapshot, recent.get(annotator_id) or [], median_seconds=median_seconds, median_agreement=median_agreement
        )
        snapshots.append(snapshot)
    return snapshots


def quality_flags(
    snapshot: QualitySnapshot, recent: list[float], *, median_seconds: float | None, median_agreement: float | None
) -> list[str]:
    """The outliers a supervisor should look at (see the module docstring)."""
    flags = []
    if (
        snapshot.items >= MIN_ITEMS_FOR_FLAGS
        and snapshot.median_seconds is not None
        and median_seconds
        and snapshot.median_seconds < TOO_FAST_SHARE * median_seconds
    ):
        flags.append("too_fast")
    if snapshot.agreement is not None and snapshot.agreement_n >= MIN_ITEMS_FOR_FLAGS:
        floor = LOW_AGREEMENT
        if median_agreement is not None:
            floor = max(floor, median_agreement - AGREEMENT_MARGIN)
        if snapshot.agreement < floor:
            flags.append("low_agreement")
    if snapshot.score is not None and len(recent) >= MIN_ITEMS_FOR_FLAGS:
        _, recent_high = wilson_interval(sum(recent), len(recent))
        if recent_high < snapshot.score:
            flags.append("falling")
    return flags


def _confusion(cells: dict[tuple[str, str], int]) -> dict:
    labels = sorted({label for pair in cells for label in pair})
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for (given, consensus), count in cells.items():
        matrix[index[consensus]][index[given]] += count  # rows: the consensus; columns: what was given
    return {"labels": labels, "matrix": matrix}


def _summary(project: Project, assessment: Assessment, snapshots: list[QualitySnapshot]) -> dict:
    reviewed = {
        row["annotation__assignment__batch_id"]: row
        for row in Review.objects.filter(item__project=project)
        .values("annotation__assignment__batch_id")
        .annotate(n=Count("id"), accepted=Count("id", filter=~Q(decision=Review.Decision.REJECT)))
    }
    batch_ids = set(assessment.batches) | set(reviewed)
    names = dict(Batch.objects.filter(pk__in=batch_ids).values_list("pk", "name"))
    no_pairs = {"pairs": 0, "f1_sum": 0.0, "items": 0}
    per_label: dict[str, dict] = {}
    for (given, consensus), count in assessment.shape_confusion.items():
        entry = per_label.setdefault(consensus, {"shapes": 0, "agreed": 0})
        entry["shapes"] += count
        if given == consensus:
            entry["agreed"] += count
    return {
        "items": len(assessment.consensus),
        "annotators": len(snapshots),
        "pairs": assessment.pairs,
        "mean_pairwise_f1": None if assessment.mean_pairwise_f1 is None else round(assessment.mean_pairwise_f1, 4),
        "class_alpha": None if assessment.class_alpha is None else round(assessment.class_alpha, 4),
        "batches": [
            {
                "id": batch_id,
                "name": names.get(batch_id, ""),
                "items": figures["items"],
                "mean_f1": round(figures["f1_sum"] / figures["pairs"], 4) if figures["pairs"] else None,
                "reviewed": reviewed.get(batch_id, {}).get("n", 0),
                "acceptance_rate": (
                    round(reviewed[batch_id]["accepted"] / reviewed[batch_id]["n"], 4) if batch_id in reviewed else None
                ),
            }
            for batch_id in sorted(batch_ids)
            for figures in [assessment.batches.get(batch_id, no_pairs)]
        ],
        "labels": [
            {"label": label, "shapes": entry["shapes"], "agreed": round(entry["agreed"] / entry["shapes"], 4)}
            for label, entry in sorted(per_label.items())
        ],
        "shape_confusion": _confusion(assessment.shape_confusion),
        "class_confusion": _confusion(assessment.class_confusion),
        "flagged": sum(1 for s in snapshots if s.flags),
    }


QUALITY_JOB_KIND = JobKind(name="quality", model=QualityJob, enqueue=_enqueue)
