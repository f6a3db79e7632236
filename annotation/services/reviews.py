"""Review: a reviewer accepts an annotation, sends it back to the same annotator with
reasons (rework), or fixes it. Each decision is a quality observation of the annotator in
that project, which adaptive sampling reads on their next submit.

Locks follow the engine's order (slot, then assignment, then item), so a review never
deadlocks with a submit, a skip or a take-over of the same item.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation import policies
from annotation.earnings import annotation_earned, review_earned
from annotation.models import Annotation, AnnotatorQuality, Assignment, Item, Project, Review, Task
from annotation.quality.sampling import SamplingPolicy
from annotation.quality.shapes import score_annotation
from annotation.schema import SchemaError, clean_annotation
from annotation.selectors import batches_visible_to
from annotation.services.projects import project_done_check

# Reviewed states in which an annotation counts as good work.
ACCEPTED_STATES = (Annotation.Review.ACCEPTED, Annotation.Review.FIXED, Annotation.Review.NOT_SAMPLED)
# How many recent observations the sampling rule reads (and AnnotatorQuality keeps).
QUALITY_WINDOW = SamplingPolicy().window


def observation_record(*, annotator_id: int, project_id: int, value: float) -> None:
    """Append one quality observation (in [0, 1]) to the annotator's recent window."""
    quality, _created = AnnotatorQuality.objects.select_for_update().get_or_create(
        annotator_id=annotator_id, project_id=project_id
    )
    quality.recent = [*quality.recent, round(float(value), 4)][-QUALITY_WINDOW:]
    quality.observations += 1
    quality.save(update_fields=["recent", "observations", "updated_at"])


def fix_score(original: dict, fixed: dict, project: Project) -> float:
    """How close the annotator's work was to the reviewer's fix: shape F1 (label included,
    matched at the project's IoU), and the image class right or wrong, averaged."""
    parts = []
    if original.get("shapes") or fixed.get("shapes"):
        keypoints = project.label_schema.get("keypoints") or None
        parts.append(
            score_annotation(fixed, original, keypoint_names=keypoints, iou_threshold=project.iou_threshold).f1
        )
    if original.get("class") is not None or fixed.get("class") is not None:
        parts.append(1.0 if original.get("class") == fixed.get("class") else 0.0)
    return sum(parts) / len(parts) if parts else 1.0


def item_finish_if_done(item_id: int) -> bool:
    """Mark the item done when none of its slots is open and all its current work is
    accepted (by a reviewer, by a fix, or not sampled). The caller holds the item's lock."""
    open_slots = Task.objects.filter(item_id=item_id, done=False).exists()
    unsettled = Annotation.objects.filter(item_id=item_id, is_latest=True).exclude(review__in=ACCEPTED_STATES).exists()
    reworking = Assignment.objects.filter(item_id=item_id, status=Assignment.Status.REWORK).exists()
    if open_slots or unsettled or reworking:
        return False
    return bool(Item.objects.filter(pk=item_id).exclude(status=Item.Status.DONE).update(status=Item.Status.DONE))


def _reviewable(reviewer, annotation_id) -> Annotation:
    if not policies.can_review(reviewer) or not str(annotation_id).isdigit():
        raise NotFound(_("No such annotation."))
    annotation = (
        Annotation.objects.select_related("assignment__batch__project", "item", "annotator")
        .filter(pk=int(annotation_id), assignment__batch__in=batches_visible_to(reviewer))
        .first()
    )
    if annotation is None:
        raise NotFound(_("No such annotation."))
    if policies.is_own_work(reviewer, annotation.annotator_id):
        raise PermissionDenied(_("This is your own work: someone else must review it."))
    return annotation


def _earnings_record(annotation: Annotation, review: Review, project: Project, reviewer) -> None:
    """The ledger lines of a review, in its transaction: the reviewer's for the review done
    and, when it accepts or fixes the work, the annotator's for what they submitted."""
    item = annotation.item
    review_earned(
        review_id=review.pk, reviewer_id=reviewer.pk, centre_id=reviewer.centre_id, project_id=project.pk,
        project_name=project.name, item_id=item.pk, file_name=item.file_name, decision=review.decision,
        done_at=review.created_at,
    )  # fmt: skip
    if review.decision == Review.Decision.REJECT:
        return  # rework is paid when it is accepted, never deducted
    annotation_earned(
        annotation_id=annotation.pk, annotator_id=annotation.annotator_id, centre_id=annotation.annotator.centre_id,
        project_id=project.pk, project_name=project.name, item_id=item.pk, file_name=item.file_name,
        shapes=annotation.shapes, image_class=annotation.image_class, done_at=annotation.created_at,
        how="fixed" if review.decision == Review.Decision.FIX else "accepted",
    )  # fmt: skip


def review_decide(
    *,
    reviewer,
    annotation_id,
    decision: str,
    reasons: list[str] | None = None,
    comment: str = "",
    fixed: dict | None = None,
) -> Review:
    """Record the reviewer's decision on a queued annotation. A rejection needs a reason
    from the project's list or a comment; a fix needs the fixed shapes, judged as a submit.
    Someone else's centre's work is NotFound; one's own work PermissionDenied (no one
    accepts, sends back or fixes what they drew)."""
    annotation = _reviewable(reviewer, annotation_id)
    project = annotation.assignment.batch.project
    reasons = [str(reason) for reason in (reasons or [])]
    comment = (comment or "").strip()
    if decision not in Review.Decision.values:
        raise DomainError(_("Decide accept, reject or fix."), field="decision")
    unknown = [reason for reason in reasons if reason not in project.reject_reasons]
    if unknown:
        raise DomainError(_("Not one of this project's reasons: %(reason)s") % {"reason": unknown[0]}, field="reasons")
    if len(comment) > 2000:
        raise DomainError(_("At most 2000 characters."), field="comment")
    if decision == Review.Decision.REJECT and not reasons and not comment:
        raise DomainError(_("Say why: pick a reason or write a comment."), field="reasons")
    cleaned = None
    if decision == Review.Decision.FIX:
        if not isinstance(fixed, dict):
            raise DomainError(_('A fix is {"shapes": [...], "class": ...}.'), field="fixed")
        try:
            cleaned = clean_annotation(
                fixed, project.label_schema, width=annotation.item.width, height=annotation.item.height
            )
        except SchemaError as exc:
            raise DomainError(next(iter(exc.errors.values()))[0], field="fixed") from exc

    with transaction.atomic():
        # The engine's lock order: slot, assignment, item.
        if annotation.assignment.task_id is not None:
            Task.objects.select_for_update().filter(pk=annotation.assignment.task_id).values_list("pk").first()
        Assignment.objects.select_for_update().filter(pk=annotation.assignment_id).values_list("pk").first()
        Item.objects.select_for_update(no_key=True).filter(pk=annotation.item_id).values_list("pk").first()
        current = Annotation.objects.filter(pk=annotation.pk).values_list("review", "is_latest").get()
        if current != (Annotation.Review.QUEUED, True):
            raise Conflict(_("This work was already reviewed, or sent back and done again."))

        score = None
        if decision == Review.Decision.ACCEPT:
            state, observation = Annotation.Review.ACCEPTED, 1.0
        elif decision == Review.Decision.REJECT:
            state, observation = Annotation.Review.REJECTED, 0.0
        else:
            assert cleaned is not None  # judged above for a fix
            score = fix_score(annotation.as_api(), cleaned, project)
            state, observation = Annotation.Review.FIXED, score
        review = Review.objects.create(
            annotation=annotation,
            item_id=annotation.item_id,
            reviewer=reviewer,
            decision=decision,
            reasons=reasons,
            comment=comment,
            shapes=cleaned["shapes"] if cleaned else None,
            image_class=cleaned["class"] if cleaned else None,
            score=score,
        )
        Annotation.objects.filter(pk=annotation.pk).update(review=state)
        observation_record(annotator_id=annotation.annotator_id, project_id=project.pk, value=observation)
        _earnings_record(annotation, review, project, reviewer)
        if decision == Review.Decision.REJECT:
            # Back to the same annotator, with what they drew as the starting point.
            Assignment.objects.filter(pk=annotation.assignment_id).update(
                status=Assignment.Status.REWORK, draft=annotation.as_api(), finished_at=None
            )
            Item.objects.filter(pk=annotation.item_id).update(status=Item.Status.IN_PROGRESS)
        elif item_finish_if_done(annotation.item_id):
            transaction.on_commit(lambda: project_done_check(project_id=project.pk), robust=True)
    return review
