"""Reads of scheduling: the calendar's kind of each day (pay's overtime rule reads it too),
published shifts and their events (childcare books care around shifts), the week grid, and
scoped lists of shift types, rosters, attendance and absences."""

import datetime as dt
from collections.abc import Collection

from django.db.models import QuerySet

from workforce.models import CalendarDay, Centre, Shift, ShiftEvent
from workforce.pay.payroll import HOLIDAY, REST_DAY, WORKDAY

# --- The calendar -------------------------------------------------------------------------


def day_kinds_between(first: dt.date, last: dt.date, centre: Centre | None = None) -> dict[dt.date, str]:
    """Every day of [first, last]: `workday`, `rest_day` or `holiday` (a statutory holiday),
    in one query. A Saturday or Sunday is a rest day unless the calendar makes it a workday
    in lieu (调休上班); a weekday is a workday unless it is a statutory holiday or a rest day
    in lieu (调休放假). The calendar is national: `centre` is taken so that a centre's own
    days (a local holiday) can join it without changing any caller."""
    special = dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"))
    kinds: dict[dt.date, str] = {}
    day = first
    while day <= last:
        kind = special.get(day)
        if kind == CalendarDay.Kind.STATUTORY:
            kinds[day] = HOLIDAY
        elif kind == CalendarDay.Kind.REST:
            kinds[day] = REST_DAY
        elif kind == CalendarDay.Kind.WORKDAY or day.weekday() < 5:
            kinds[day] = WORKDAY
        else:
            kinds[day] = REST_DAY
        day += dt.timedelta(days=1)
    return kinds


def day_kind(date: dt.date, centre: Centre | None = None) -> str:
    """The kind of one day (`workday`, `rest_day` or `holiday`), as `day_kinds_between` says."""
    return day_kinds_between(date, date, centre)[date]


# --- Published shifts and their events (followed by childcare) ---------------------------


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
