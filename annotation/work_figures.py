"""What annotation measures that workforce needs, through workforce's port
(`workforce.work_figures`): registered in `AnnotationConfig.ready()`, since workforce may not
import annotation.

Here: the workbench's server-measured active time per person and day (the attendance
report's "active labelling hours", and pay's hours on a day nobody clocked). Quality and
work counts per person are not answered here yet: they return what the port's empty default
returns (no figures), until pay's tiers and the fairness view bring them."""

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncDate

from annotation.models import Assignment


class AnnotationWorkFigures:
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

    def quality_by_worker(self, **kwargs) -> dict[int, tuple[float, int]]:
        return {}

    def work_counts_by_worker(self, **kwargs) -> dict[int, dict[str, int]]:
        return {}
