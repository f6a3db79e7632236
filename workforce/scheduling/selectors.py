"""Reads of scheduling: the calendar's kind of each day (pay's overtime rule reads it too),
published shifts and their events (childcare books care around shifts), the week grid, and
scoped lists of shift types, rosters, attendance and absences."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from workforce import policies
from workforce.models import (
    Absence,
    AttendanceRecord,
    CalendarDay,
    Centre,
    Roster,
    Shift,
    ShiftEvent,
    ShiftType,
    Team,
    User,
)
from workforce.pay.payroll import HOLIDAY, REST_DAY, WORKDAY

# --- The calendar -------------------------------------------------------------------------


def _kinds_from(first: dt.date, last: dt.date, special: dict[dt.date, str]) -> dict[dt.date, str]:
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


def day_kinds_between(first: dt.date, last: dt.date, centre: Centre | None = None) -> dict[dt.date, str]:
    """Every day of [first, last]: `workday`, `rest_day` or `holiday` (a statutory holiday),
    in one query. A Saturday or Sunday is a rest day unless the calendar makes it a workday
    in lieu (调休上班); a weekday is a workday unless it is a statutory holiday or a rest day
    in lieu (调休放假). The calendar is national: `centre` is taken so that a centre's own
    days (a local holiday) can join it without changing any caller."""
    special = dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"))
    return _kinds_from(first, last, special)


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


# --- Scoped reads of the pages and the API ------------------------------------------------


def shift_types_visible_to(actor: User, centre_id: int | None = None) -> QuerySet[ShiftType]:
    """Shift types of the centres whose schedule the actor keeps (their own; any for a
    network admin, narrowed to `centre_id` when given)."""
    qs = ShiftType.objects.select_related("centre").order_by("centre__name", "starts", "name")
    if actor.is_network_admin:
        return qs.filter(centre_id=centre_id) if centre_id else qs
    if actor.centre_id is None or not policies.can_manage_schedule(actor, actor.centre_id):
        return qs.none()
    return qs.filter(centre_id=actor.centre_id)


def shift_type_get(actor: User, shift_type_id: int) -> ShiftType:
    shift_type = shift_types_visible_to(actor).filter(pk=shift_type_id).first()
    if shift_type is None:
        raise Http404
    return shift_type


def schedule_teams_visible_to(actor: User) -> QuerySet[Team]:
    """Teams whose rosters the actor keeps."""
    qs = Team.objects.select_related("centre").order_by("centre__name", "name")
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None or not policies.can_manage_schedule(actor, actor.centre_id):
        return qs.none()
    return qs.filter(centre_id=actor.centre_id)


def schedule_team_get(actor: User, team_id: int) -> Team:
    team = schedule_teams_visible_to(actor).filter(pk=team_id).first()
    if team is None:
        raise Http404
    return team


@dataclass
class GridCell:
    shifts: list[Shift] = field(default_factory=list)

    @property
    def type_ids(self) -> set[int]:
        return {shift.shift_type_id for shift in self.shifts if not shift.removed}

    @property
    def changed(self) -> bool:
        """Does the draft differ from what was published here?"""
        return any(
            shift.removed or (shift.published_starts_at, shift.published_ends_at) != (shift.starts_at, shift.ends_at)
            for shift in self.shifts
        )


@dataclass
class WeekGrid:
    team: Team
    week_start: dt.date
    roster: Roster | None
    days: list[tuple[dt.date, str]]  # (day, workday / rest_day / holiday)
    holidays: dict[dt.date, str]  # day -> the calendar's name of it
    people: list[User]
    shift_types: list[ShiftType]
    cells: dict[tuple[int, dt.date], GridCell]

    def cell(self, worker_id: int, day: dt.date) -> GridCell:
        return self.cells.get((worker_id, day)) or GridCell()

    @property
    def previous_week(self) -> dt.date:
        return self.week_start - dt.timedelta(days=7)

    @property
    def next_week(self) -> dt.date:
        return self.week_start + dt.timedelta(days=7)


def roster_week_grid(team: Team, week_start: dt.date) -> WeekGrid:
    """The team's week as a grid of people × days, in five queries whatever its size: the
    roster, the members, the centre's shift types, the week's live shifts, the calendar."""
    last = week_start + dt.timedelta(days=6)
    roster = Roster.objects.filter(team=team, week_start=week_start).select_related("published_by").first()
    people = list(team.members.filter(is_active=True).order_by("name", "id"))
    shift_types = list(ShiftType.objects.filter(centre_id=team.centre_id).order_by("starts", "name"))
    cells: dict[tuple[int, dt.date], GridCell] = {}
    if roster is not None:
        for shift in roster.shifts.filter(cancelled_at__isnull=True).order_by("starts_at", "id"):
            cells.setdefault((shift.worker_id, shift.date), GridCell()).shifts.append(shift)
    special = list(CalendarDay.objects.filter(date__range=(week_start, last)).values_list("date", "kind", "name"))
    kinds = _kinds_from(week_start, last, {day: kind for day, kind, _name in special})
    return WeekGrid(
        team=team, week_start=week_start, roster=roster, days=list(kinds.items()),
        holidays={day: name for day, _kind, name in special},
        people=people, shift_types=shift_types, cells=cells,
    )  # fmt: skip


def my_shifts(worker: User, first: dt.date, last: dt.date) -> QuerySet[Shift]:
    """The person's published, live shifts on the days [first, last], in time order."""
    return (
        Shift.objects.filter(
            worker=worker, date__range=(first, last), published_starts_at__isnull=False, cancelled_at__isnull=True
        )
        .select_related("shift_type", "roster__team")
        .order_by("published_starts_at", "id")
    )


def attendance_open_record(worker: User) -> AttendanceRecord | None:
    return AttendanceRecord.objects.filter(worker=worker, clock_out_at__isnull=True).select_related("shift").first()


def attendance_of(worker: User, first: dt.date, last: dt.date) -> QuerySet[AttendanceRecord]:
    """The person's own records clocked in on the days [first, last], newest first."""
    start, end = _day_bounds(first, last)
    return (
        AttendanceRecord.objects.filter(worker=worker, clock_in_at__gte=start, clock_in_at__lt=end)
        .select_related("shift__shift_type")
        .prefetch_related("corrections__corrected_by")
        .order_by("-clock_in_at", "-id")
    )


def attendance_visible_to(actor: User) -> QuerySet[AttendanceRecord]:
    """Records of the centres whose schedule the actor keeps."""
    qs = AttendanceRecord.objects.select_related("worker", "shift__shift_type").prefetch_related(
        "corrections__corrected_by"
    )
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None or not policies.can_manage_schedule(actor, actor.centre_id):
        return qs.none()
    return qs.filter(centre_id=actor.centre_id)


def attendance_of_team(actor: User, team: Team, first: dt.date, last: dt.date) -> QuerySet[AttendanceRecord]:
    start, end = _day_bounds(first, last)
    return (
        attendance_visible_to(actor)
        .filter(worker__teams=team, clock_in_at__gte=start, clock_in_at__lt=end)
        .order_by("worker__name", "worker_id", "clock_in_at")
    )


def attendance_record_get(actor: User, record_id: int) -> AttendanceRecord:
    record = attendance_visible_to(actor).filter(pk=record_id).first()
    if record is None:
        raise Http404
    return record


def absences_of(worker: User) -> QuerySet[Absence]:
    return Absence.objects.filter(worker=worker).select_related("decided_by").order_by("-starts_on", "-id")


def absences_visible_to(actor: User) -> QuerySet[Absence]:
    """Leave requests of the centres whose schedule the actor keeps."""
    qs = Absence.objects.select_related("worker", "decided_by").order_by("-created_at", "-id")
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None or not policies.can_manage_schedule(actor, actor.centre_id):
        return qs.none()
    return qs.filter(centre_id=actor.centre_id)


def absence_get(actor: User, absence_id: int) -> Absence:
    """A request the actor decides (their centre's), or their own; anyone else's is 404."""
    absence = absences_visible_to(actor).filter(pk=absence_id).first()
    if absence is None:
        absence = absences_of(actor).filter(pk=absence_id).first()
    if absence is None:
        raise Http404
    return absence


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the day after `last`) in the centres' time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=zone),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    )
