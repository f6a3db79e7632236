"""Reads of scheduling that other apps use (childcare books care around shifts)."""

import datetime as dt
from collections.abc import Collection

from django.db.models import QuerySet

from workforce.models import Shift, ShiftEvent


def published_shifts(*, worker_ids: Collection[int], start: dt.datetime, end: dt.datetime) -> QuerySet[Shift]:
    """The published, not cancelled shifts of these people that overlap [start, end), in
    time order, with their shift type. Times are the published ones."""
    return (
        Shift.objects.filter(
            worker_id__in=list(worker_ids),
            published_starts_at__lt=end,
            published_ends_at__gt=start,
            cancelled_at__isnull=True,
        )
        .select_related("shift_type")
        .order_by("published_starts_at", "worker_id", "id")
    )


def shift_events_after(
    event_id: int, *, centre_id: int | None = None, worker_ids: Collection[int] | None = None, limit: int = 500
) -> list[ShiftEvent]:
    """The shift events after `event_id` (a follower's last seen id; 0 for all), oldest first,
    at most `limit`, optionally of one centre or of some people."""
    events = ShiftEvent.objects.filter(pk__gt=event_id)
    if centre_id is not None:
        events = events.filter(centre_id=centre_id)
    if worker_ids is not None:
        events = events.filter(worker_id__in=list(worker_ids))
    return list(events.order_by("id")[:limit])
