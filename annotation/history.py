"""Reads: each person's measured work, month by month, for many people at once.

Certification judges a candidate by real work (how much was accepted, how good it was, for
how long); these selectors give it the quality engine's own figures, grouped by person and
calendar month, so it can take any window without a second calculation. A few queries for
a whole centre (or the network), whatever its size.
"""

import datetime as dt
from collections.abc import Collection

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncMonth

from annotation.models import Annotation, GoldResult, Review
from annotation.selectors import _REVIEW_OUTCOMES, ACCEPTED_REVIEWS

SHAPE_UNITS = ("bbox", "polygon", "keypoints")
# The unit names of workforce.WorkUnit, for the shape types they count.
UNIT_OF_SHAPE = {"bbox": "box", "polygon": "polygon", "keypoints": "keypoints"}


def _shapes_of_type(kind: str) -> RawSQL:
    """How many shapes of `kind` one annotation holds, counted in the database."""
    table = Annotation._meta.db_table
    if connection.vendor == "postgresql":
        sql = f'(SELECT COUNT(*) FROM jsonb_array_elements("{table}"."shapes") e WHERE e->>\'type\' = %s)'  # noqa: S608
    else:
        sql = f'(SELECT COUNT(*) FROM json_each("{table}"."shapes") WHERE json_extract(value, \'$.type\') = %s)'  # noqa: S608
    return RawSQL(sql, [kind])  # noqa: S611 - the table name comes from the model, the type is bound


def _people(qs: QuerySet, lookup: str, *, annotator_ids: Collection[int] | None, centre_id: int | None) -> QuerySet:
    if annotator_ids is not None:
        qs = qs.filter(**{f"{lookup}__in": list(annotator_ids)})
    if centre_id is not None:
        qs = qs.filter(**{f"{lookup}__centre_id": centre_id})
    return qs


def _month(value) -> dt.date:
    return value.date().replace(day=1) if isinstance(value, dt.datetime) else value.replace(day=1)


def accepted_work_by_month(
    *, since: dt.datetime, annotator_ids: Collection[int] | None = None, centre_id: int | None = None
) -> dict[int, dict[dt.date, dict[str, int]]]:
    """Per person and month (its first day), the accepted work submitted in it: `item`
    (accepted images: by a reviewer, fixed by one, or accepted without review), `box`,
    `polygon`, `keypoints` (shapes in them, as drawn) and `class` (images given a class).
    Gold items are not work. One query."""
    qs = _people(
        Annotation.objects.filter(is_latest=True, review__in=ACCEPTED_REVIEWS, created_at__gte=since),
        "annotator",
        annotator_ids=annotator_ids,
        centre_id=centre_id,
    )
    rows = (
        qs.annotate(month=TruncMonth("created_at"))
        .values("annotator_id", "month")
        .annotate(
            item=Count("id"),
            **{"class": Count("id", filter=Q(image_class__isnull=False))},
            **{UNIT_OF_SHAPE[kind]: Sum(_shapes_of_type(kind)) for kind in SHAPE_UNITS},
        )
        .order_by()
    )
    result: dict[int, dict[dt.date, dict[str, int]]] = {}
    for row in rows:
        person = result.setdefault(row.pop("annotator_id"), {})
        month = _month(row.pop("month"))
        person[month] = {unit: int(value or 0) for unit, value in row.items()}
    return result


def reviews_done_by_month(
    *, since: dt.datetime, annotator_ids: Collection[int] | None = None, centre_id: int | None = None
) -> dict[int, dict[dt.date, int]]:
    """Per reviewer and month, how many reviews they made (the `review` unit). One query."""
    qs = _people(Review.objects.filter(created_at__gte=since), "reviewer", annotator_ids=annotator_ids,
                 centre_id=centre_id)  # fmt: skip
    result: dict[int, dict[dt.date, int]] = {}
    for row in (
        qs.annotate(month=TruncMonth("created_at")).values("reviewer_id", "month").annotate(n=Count("id")).order_by()
    ):
        result.setdefault(row["reviewer_id"], {})[_month(row["month"])] = row["n"]
    return result


def quality_outcomes_by_month(
    *, since: dt.datetime, annotator_ids: Collection[int] | None = None, centre_id: int | None = None
) -> dict[int, dict[dt.date, dict]]:
    """Per person and month, the quality engine's observations made in it: review outcomes
    (`observations`, `accepted`, `fixed`, `fix_score`) and gold scores (`gold_n`,
    `gold_sum`), the rows `annotation.selectors.outcome_totals` turns into (good, n).
    Rows of several months add up field by field. Two queries."""
    reviews = _people(Review.objects.filter(created_at__gte=since), "annotation__annotator",
                      annotator_ids=annotator_ids, centre_id=centre_id)  # fmt: skip
    golds = _people(GoldResult.objects.filter(created_at__gte=since), "annotator", annotator_ids=annotator_ids,
                    centre_id=centre_id)  # fmt: skip
    result: dict[int, dict[dt.date, dict]] = {}
    for row in (
        reviews.annotate(month=TruncMonth("created_at"))
        .values("annotation__annotator_id", "month")
        .annotate(**_REVIEW_OUTCOMES)
        .order_by()
    ):
        person = result.setdefault(row.pop("annotation__annotator_id"), {})
        person[_month(row.pop("month"))] = row
    for row in (
        golds.annotate(month=TruncMonth("created_at"))
        .values("annotator_id", "month")
        .annotate(gold_n=Count("id"), gold_sum=Sum("score"))
        .order_by()
    ):
        person = result.setdefault(row.pop("annotator_id"), {})
        person.setdefault(_month(row.pop("month")), {}).update(row)
    return result
