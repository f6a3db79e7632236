"""Gold items: items whose true answer is known, mixed into annotators' streams (see
assignments.assignment_next) and scored the moment they are submitted.

A supervisor marks an item gold with an answer they drew, or with the consensus of the
item's accepted work. A gold item is never ordinary work at the same time: an item still
waiting in a batch cannot be gold, and a gold item is never put in a batch.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation import policies
from annotation.models import Annotation, GoldAnswer, GoldResult, Item, Project, Task
from annotation.quality.shapes import score_annotation
from annotation.schema import SchemaError, clean_annotation
from annotation.selectors import item_labels_for_export
from annotation.services.reviews import observation_record


def gold_compare(truth: dict, drawn: dict, project: Project) -> tuple[float, dict]:
    """How close `drawn` is to a gold item's `truth` (both `{"shapes", "class"}`): shape F1
    with labels, matched at the project's IoU threshold, and the image class right or
    wrong, averaged; with the details (matched, missed, extra, precision, recall, mean IoU,
    class right). Writes nothing: the practical exam scores with it too."""
    parts, details = [], {}
    if truth["shapes"] or drawn["shapes"]:
        keypoints = project.label_schema.get("keypoints") or None
        scored = score_annotation(truth, drawn, keypoint_names=keypoints, iou_threshold=project.iou_threshold)
        parts.append(scored.f1)
        details = scored.as_dict()
    if truth["class"] is not None or drawn["class"] is not None:
        right = truth["class"] == drawn["class"]
        parts.append(1.0 if right else 0.0)
        details["class_correct"] = right
    return (sum(parts) / len(parts) if parts else 1.0), details


def gold_score(annotation: Annotation, gold: GoldAnswer, project: Project) -> GoldResult | None:
    """Score a submitted gold item against its true answer (gold_compare) and count it as
    one quality observation of the annotator. Never against an answer they set themselves
    (the offer leaves those out; this holds when the answer was re-marked meanwhile): None."""
    if policies.is_own_work(annotation.annotator, gold.created_by_id):
        return None
    score, details = gold_compare(gold.as_api(), annotation.as_api(), project)
    result = GoldResult.objects.create(
        annotation=annotation, gold=gold, annotator_id=annotation.annotator_id, score=score, details=details
    )
    observation_record(annotator_id=annotation.annotator_id, project_id=project.pk, value=score)
    return result


def _gold_item(actor, item_id) -> Item:
    """An item the actor may make gold: supervisors, centre managers and network admins,
    in projects their centre runs batches of (network admins: any). Others: 404."""
    if not policies.can_manage_batches(actor) or not str(item_id).isdigit():
        raise NotFound(_("No such item."))
    items = Item.objects.select_related("project")
    if not actor.is_network_admin:
        items = items.filter(project__batches__centre_id=actor.centre_id)
    item = items.filter(pk=int(item_id)).first()
    if item is None:
        raise NotFound(_("No such item."))
    return item


def _own_accepted_work_on(actor, item: Item) -> bool:
    return Annotation.objects.filter(item=item, annotator_id=actor.pk, is_latest=True).exists()


def gold_mark(actor, *, item_id, answer: dict | None = None) -> GoldAnswer:
    """Make an item gold with `answer` (`{"shapes", "class"}`, judged as a submission), or,
    without one, with the consensus of the item's accepted work: PermissionDenied when that
    work includes the actor's own."""
    item = _gold_item(actor, item_id)
    if answer is None:
        if _own_accepted_work_on(actor, item):
            # The consensus would make one's own work the truth others are scored against.
            raise PermissionDenied(_("Your own work is part of this item's answer: someone else must make it gold."))
        answer = item_labels_for_export(item, only_accepted=True, project=item.project)
        if answer is None:
            raise DomainError(_("This item has no accepted work to take the answer from: draw it."), field="answer")
        source = GoldAnswer.Source.CONSENSUS
    else:
        source = GoldAnswer.Source.DRAWN
    try:
        cleaned = clean_annotation(answer, item.project.label_schema, width=item.width, height=item.height)
    except SchemaError as exc:
        raise DomainError(next(iter(exc.errors.values()))[0], field="answer") from exc
    with transaction.atomic():
        if Task.objects.filter(item=item, done=False).exists():
            raise Conflict(_("This item is still waiting in a batch; it can be gold once its work is done."))
        gold, _created = GoldAnswer.objects.update_or_create(
            item=item,
            defaults={"shapes": cleaned["shapes"], "image_class": cleaned["class"], "source": source,
                      "is_active": True, "created_by": actor},
        )  # fmt: skip
    return gold


def gold_retire(actor, *, item_id) -> None:
    """Stop handing the item out as gold (its past results stay)."""
    item = _gold_item(actor, item_id)
    if not GoldAnswer.objects.filter(item=item).update(is_active=False):
        raise NotFound(_("This item is not gold."))
