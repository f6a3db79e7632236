"""Reads for work done outside the stream on gold items (certification's practical exam):
the items, their true answers and projects, and judging a drawing as a submission is
judged. Nothing here writes, pays or counts toward anyone's quality."""

from collections.abc import Collection

from annotation.models import GoldAnswer, Item
from annotation.schema import SchemaError, clean_annotation
from annotation.services.gold import gold_compare


def gold_items(item_ids: Collection[int]) -> dict[int, Item]:
    """The items among `item_ids` that are gold now, each with `.gold` and `.project`
    (one query)."""
    items = Item.objects.filter(pk__in=list(item_ids), gold__is_active=True).select_related("gold", "project")
    return {item.pk: item for item in items}


def gold_items_available() -> list[GoldAnswer]:
    """Every gold item in use, with its item and project, newest first: what a practical
    exam may be put together from (one query)."""
    return list(
        GoldAnswer.objects.filter(is_active=True)
        .select_related("item__project")
        .only("item__id", "item__file_name", "item__project__id", "item__project__name", "image_class", "shapes")
        .order_by("-created_at", "-id")
    )


def gold_items_judged_by(person, item_ids: Collection[int]) -> set[int]:
    """The items among `item_ids` whose gold answer is the person's own (they set it, or
    labelled the item, so the consensus may be theirs): scoring them against it would be
    scoring one's own work (annotation.policies.is_own_work). One query."""
    from django.db.models import Exists, OuterRef, Q

    from annotation.models import Annotation

    labelled = Annotation.objects.filter(item=OuterRef("item_id"), annotator_id=person.pk)
    rows = GoldAnswer.objects.filter(item_id__in=list(item_ids)).filter(Q(created_by_id=person.pk) | Exists(labelled))
    return set(rows.values_list("item_id", flat=True))


def drawing_judge(item: Item, answer: dict) -> tuple[dict, float, dict]:
    """Clean `answer` against the item's project schema as a workbench submission is
    cleaned (SchemaError with field errors otherwise), then score it against the gold
    answer with the quality engine: (cleaned, score in [0, 1], details)."""
    cleaned = clean_annotation(answer, item.project.label_schema, width=item.width, height=item.height)
    score, details = gold_compare(item.gold.as_api(), cleaned, item.project)
    return cleaned, score, details


__all__ = ["SchemaError", "drawing_judge", "gold_items", "gold_items_available", "gold_items_judged_by"]
