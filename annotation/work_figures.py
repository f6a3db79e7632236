"""What annotation measures that workforce needs, through workforce's port
(`workforce.work_figures`): registered in `AnnotationConfig.ready()`, since workforce may not
import annotation.

Here: the workbench's server-measured active time per person and day (the attendance
report's "active labelling hours", and pay's hours on a day nobody clocked), and work given
and accepted per person (the fairness view). Quality per person is still answered empty by
the port's default until pay's tiers bring it."""

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from annotation.models import Annotation, Assignment
from workforce.work_figures import _NoFigures

ACCEPTED = (Annotation.Review.ACCEPTED, Annotation.Review.FIXED, Annotation.Review.NOT_SAMPLED)


class AnnotationWorkFigures(_NoFigures):
    def active_seconds_by_day(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[tuple[int, dt.date], int]:
        """Seconds of active labelling (Assignment.active_ms, measured from heartbeats with an
        idle cut-off) per person and day, for assignments finished in [start, end); the day is
        the finishing day in the centre's time zone. One query."""
        assignments = Assignment.objects.filter(finished_at__gte=start, finished_at__lt=end, active_ms__gt=0)
        if worker_ids is None:
            assignments = assignments.filter(annotator__centre_id=centre_id)
        else:
            assignments = assignments.filter(annotator_id__in=list(worker_ids))
        rows = (
            assignments.annotate(day=TruncDate("finished_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
            .values("annotator_id", "day")
            .annotate(total=Sum("active_ms"))
            .order_by()
        )
        return {(row["annotator_id"], row["day"]): int(row["total"]) // 1000 for row in rows}

    def work_counts_by_worker(
        self, *, centre_id: int, worker_ids: Collection[int] | None, start: dt.datetime, end: dt.datetime
    ) -> dict[int, dict[str, int]]:
        """Per person: assignments leased to them in [start, end) ("given": every item
        handed out, whether finished, skipped or expired; rework keeps its first lease), and
        the latest revisions submitted in the range that stand accepted ("accepted"). Two
        queries; people of `centre_id` when `worker_ids` is None."""
        people = Q(annotator__centre_id=centre_id) if worker_ids is None else Q(annotator_id__in=list(worker_ids))
        counts: dict[int, dict[str, int]] = {}
        for annotator_id, given in (
            Assignment.objects.filter(people, leased_at__gte=start, leased_at__lt=end)
            .values_list("annotator_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[annotator_id] = {"given": given, "accepted": 0}
        for annotator_id, accepted in (
            Annotation.objects.filter(
                people, is_latest=True, review__in=ACCEPTED, created_at__gte=start, created_at__lt=end
            )
            .values_list("annotator_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts.setdefault(annotator_id, {"given": 0, "accepted": 0})["accepted"] = accepted
        return counts
