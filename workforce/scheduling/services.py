"""Writes of scheduling: shift types, the roster's draft and its publication (a versioned
ShiftEvent per change, `shifts_published` after commit), clock in and out, a supervisor's
correction of attendance, absences requested and decided (docs/decisions/0009).

Every function is one use case, transactional, with keyword-only arguments; a rule that
says no raises a DomainError (400), Conflict (409) or PermissionDenied (403)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, PermissionDenied
from workforce import policies
from workforce.models import (
    Absence,
    AbsenceKind,
    AttendanceCorrection,
    AttendanceRecord,
    Centre,
    PayPeriod,
    Roster,
    Shift,
    ShiftEvent,
    ShiftType,
    Team,
    User,
)
from workforce.pay.payroll import WORKDAY
from workforce.scheduling.selectors import day_kinds_between
from workforce.signals import shifts_published

# A clock-in this long before a published shift starts still belongs to it (people come
# early); later than its end it belongs to none.
CLOCK_IN_EARLY = dt.timedelta(hours=1)
# The longest stretch a supervisor may enter or correct to: a record over it is a typo.
LONGEST_RECORD = dt.timedelta(hours=16)
# Absences a request may span at most (maternity leave, 158 days in Shaanxi, fits).
LONGEST_ABSENCE_DAYS = 200


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not change the schedule of this centre."))


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of the week `day` falls in."""
    return day - dt.timedelta(days=day.weekday())


# --- Shift types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTypeData:
    name: str
    starts: dt.time
    ends: dt.time
    break_minutes: int = 0
    is_active: bool = True


def _shift_type_check(data: ShiftTypeData) -> None:
    if not data.name.strip():
        raise DomainError(_("Give the shift a name."), field="name")
    if data.ends <= data.starts:
        raise DomainError(_("A shift ends after it starts, on the same day."), field="ends")
    length = dt.datetime.combine(dt.date.min, data.ends) - dt.datetime.combine(dt.date.min, data.starts)
    if not 0 <= data.break_minutes < length.total_seconds() / 60:
        raise DomainError(_("The break must be shorter than the shift."), field="break_minutes")


@transaction.atomic
def shift_type_save(*, actor: User, centre: Centre, shift_type: ShiftType | None, data: ShiftTypeData) -> ShiftType:
    """Create a shift type of `centre` (shift_type None) or change one. Shifts already planned
    keep the times they were planned with; new cells take the new times. 400 on a duplicate
    name or times that do not make a same-day shift."""
    _require(policies.can_manage_schedule(actor, centre.pk))
    _shift_type_check(data)
    if (
        ShiftType.objects.filter(centre=centre, name=data.name.strip())
        .exclude(pk=shift_type.pk if shift_type else None)
        .exists()
    ):
        raise DomainError(_("This centre already has a shift of that name."), field="name")
    if shift_type is None:
        shift_type = ShiftType(centre=centre)
    elif shift_type.centre_id != centre.pk:
        raise DomainError(_("That shift type belongs to another centre."))
    shift_type.name = data.name.strip()
    shift_type.starts, shift_type.ends = data.starts, data.ends
    shift_type.break_minutes, shift_type.is_active = data.break_minutes, data.is_active
    shift_type.save()
    return shift_type


@transaction.atomic
def shift_type_delete(*, actor: User, shift_type: ShiftType) -> bool:
    """Delete a shift type no shift uses; one in use is retired instead (`is_active` off), so
    the rosters that used it keep their history. True when it was deleted."""
    _require(policies.can_manage_schedule(actor, shift_type.centre_id))
    if Shift.objects.filter(shift_type=shift_type).exists():
        ShiftType.objects.filter(pk=shift_type.pk).update(is_active=False)
        return False
    shift_type.delete()
    return True


# --- The roster's draft ----------------------------------------------------------------------


@transaction.atomic
def roster_get_or_create(*, actor: User, team: Team, week_start: dt.date) -> Roster:
    """The team's roster of the week starting on Monday `week_start` (made empty if new)."""
    _require(policies.can_manage_schedule(actor, team.centre_id))
    if week_start.weekday() != 0:
        raise DomainError(_("A roster's week starts on a Monday."), field="week")
    roster, _created = Roster.objects.get_or_create(team=team, week_start=week_start)
    return roster


def _shift_times(day: dt.date, shift_type: ShiftType) -> tuple[dt.datetime, dt.datetime]:
    zone = _zone()
    return (
        dt.datetime.combine(day, shift_type.starts, tzinfo=zone),
        dt.datetime.combine(day, shift_type.ends, tzinfo=zone),
    )


Cells = Mapping[tuple[int, dt.date], set[int]]


@transaction.atomic
def roster_draft_set(*, actor: User, roster: Roster, cells: Cells) -> int:
    """Make the draft say, for every (person, day) of the week, exactly the shift types in
    `cells` (a missing cell means no shift). Nothing is published: publishing turns the
    changes into events. Within a cell a published shift whose type went away takes the
    place of a new one (so the publication says "moved", not "cancelled" and "added"); a
    published shift no longer wanted is marked removed, to be cancelled on publication; a
    never-published one is simply deleted. Locks the roster. Returns how many shifts changed.
    400 for a person not in the team, a day outside the week or another centre's shift type."""
    team = roster.team
    _require(policies.can_manage_schedule(actor, team.centre_id))
    roster = Roster.objects.select_for_update().get(pk=roster.pk)
    days = {roster.week_start + dt.timedelta(days=n) for n in range(7)}
    members = set(team.members.values_list("pk", flat=True))
    types = {shift_type.pk: shift_type for shift_type in ShiftType.objects.filter(centre_id=team.centre_id)}
    for (worker_id, day), type_ids in cells.items():
        if worker_id not in members:
            raise DomainError(_("Only members of the team can be rostered."), field="cells")
        if day not in days:
            raise DomainError(_("Every day must be in the roster's week."), field="cells")
        if not set(type_ids) <= set(types):
            raise DomainError(_("Pick shift types of this centre."), field="cells")

    existing: dict[tuple[int, dt.date], list[Shift]] = defaultdict(list)
    for shift in roster.shifts.filter(cancelled_at__isnull=True):
        existing[(shift.worker_id, shift.date)].append(shift)

    changed = 0
    to_create: list[Shift] = []
    for key in set(existing) | {key for key, type_ids in cells.items() if type_ids}:
        worker_id, day = key
        wanted = set(cells.get(key, ()))
        shifts = existing.get(key, [])
        kept = {shift.shift_type_id for shift in shifts if not shift.removed and shift.shift_type_id in wanted}
        restored = [shift for shift in shifts if shift.removed and shift.shift_type_id in wanted - kept]
        for shift in restored:
            Shift.objects.filter(pk=shift.pk).update(removed=False)
            kept.add(shift.shift_type_id)
            changed += 1
        adding = sorted(wanted - kept, key=lambda type_id: (types[type_id].starts, type_id))
        leaving = sorted(
            (shift for shift in shifts if not shift.removed and shift.shift_type_id not in wanted),
            key=lambda shift: shift.starts_at,
        )
        # A published shift that leaves and a type that comes: move the shift to that type.
        for shift in [shift for shift in leaving if shift.published_starts_at is not None]:
            if not adding:
                break
            shift_type = types[adding.pop(0)]
            shift.shift_type = shift_type
            shift.starts_at, shift.ends_at = _shift_times(day, shift_type)
            shift.break_minutes = shift_type.break_minutes
            try:
                with transaction.atomic():
                    shift.save(update_fields=["shift_type", "starts_at", "ends_at", "break_minutes"])
            except IntegrityError as exc:  # that type is the person's that day in another roster
                raise Conflict(_("Someone already has that shift on that day in another roster.")) from exc
            leaving.remove(shift)
            changed += 1
        for shift in leaving:
            if shift.published_starts_at is None:
                shift.delete()
            else:
                Shift.objects.filter(pk=shift.pk).update(removed=True)
            changed += 1
        for type_id in adding:
            starts_at, ends_at = _shift_times(day, types[type_id])
            to_create.append(
                Shift(
                    roster=roster,
                    worker_id=worker_id,
                    shift_type_id=type_id,
                    date=day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    break_minutes=types[type_id].break_minutes,
                )
            )
    try:
        with transaction.atomic():
            Shift.objects.bulk_create(to_create)
    except IntegrityError as exc:  # the person has that shift in another team's roster
        raise Conflict(_("Someone already has that shift on that day in another roster.")) from exc
    changed += len(to_create)
    if changed:
        Roster.objects.filter(pk=roster.pk).update(has_unpublished_changes=True)
    return changed


def roster_cells(roster: Roster) -> dict[tuple[int, dt.date], set[int]]:
    """The draft of a roster as cells: (person, day) -> shift type ids (removed ones left out)."""
    cells: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for worker_id, day, type_id in roster.shifts.filter(cancelled_at__isnull=True, removed=False).values_list(
        "worker_id", "date", "shift_type_id"
    ):
        cells[(worker_id, day)].add(type_id)
    return cells


@transaction.atomic
def roster_copy_previous_week(*, actor: User, roster: Roster) -> int:
    """Make this week's draft what last week's roster says, day by day, for the people still
    in the team (a retired shift type is left out). 400 when last week has no roster.
    Returns how many shifts changed."""
    _require(policies.can_manage_schedule(actor, roster.team.centre_id))
    previous = Roster.objects.filter(
        team_id=roster.team_id, week_start=roster.week_start - dt.timedelta(days=7)
    ).first()
    if previous is None:
        raise DomainError(_("Last week has no roster to copy."))
    active_types = set(
        ShiftType.objects.filter(centre_id=roster.team.centre_id, is_active=True).values_list("pk", flat=True)
    )
    members = set(roster.team.members.values_list("pk", flat=True))
    cells = {
        (worker_id, day + dt.timedelta(days=7)): type_ids & active_types
        for (worker_id, day), type_ids in roster_cells(previous).items()
        if worker_id in members
    }
    return roster_draft_set(actor=actor, roster=roster, cells=cells)


@transaction.atomic
def roster_publish(*, actor: User, roster: Roster) -> list[ShiftEvent]:
    """Publish the draft: a new version, and one ShiftEvent per shift it adds, moves or
    cancels, written in this transaction; `shifts_published` is sent after commit. Locks the
    roster, so two publications of it follow each other. Publishing with no change writes
    no event and no version (409)."""
    _require(policies.can_manage_schedule(actor, roster.team.centre_id))
    roster = Roster.objects.select_for_update().select_related("team").get(pk=roster.pk)
    now = timezone.now()
    version = roster.version + 1
    centre_id = roster.team.centre_id
    events: list[ShiftEvent] = []
    cancelled: list[int] = []
    updated: list[Shift] = []
    for shift in roster.shifts.filter(cancelled_at__isnull=True).order_by("date", "starts_at", "id"):
        event = ShiftEvent(shift=shift, worker_id=shift.worker_id, centre_id=centre_id, roster_version=version)
        if shift.removed:
            if shift.published_starts_at is None:
                shift.delete()
                continue
            event.kind = ShiftEvent.Kind.CANCELLED
            event.starts_at, event.ends_at = shift.published_starts_at, shift.published_ends_at
            cancelled.append(shift.pk)
        elif shift.published_starts_at is None:
            event.kind = ShiftEvent.Kind.ADDED
            event.starts_at, event.ends_at = shift.starts_at, shift.ends_at
            updated.append(shift)
        elif (shift.published_starts_at, shift.published_ends_at) != (shift.starts_at, shift.ends_at):
            event.kind = ShiftEvent.Kind.MOVED
            event.starts_at, event.ends_at = shift.starts_at, shift.ends_at
            event.previous_starts_at, event.previous_ends_at = shift.published_starts_at, shift.published_ends_at
            updated.append(shift)
        else:
            continue
        events.append(event)
    if not events:
        Roster.objects.filter(pk=roster.pk).update(has_unpublished_changes=False)
        raise Conflict(_("Nothing has changed since the last publication."))
    Shift.objects.filter(pk__in=cancelled).update(cancelled_at=now)
    for shift in updated:
        shift.published_starts_at, shift.published_ends_at = shift.starts_at, shift.ends_at
    Shift.objects.bulk_update(updated, ["published_starts_at", "published_ends_at"])
    events = ShiftEvent.objects.bulk_create(events)
    Roster.objects.filter(pk=roster.pk).update(
        version=version, published_at=now, published_by=actor, has_unpublished_changes=False
    )
    event_ids = [event.pk for event in events]
    transaction.on_commit(
        lambda: shifts_published.send(sender=Roster, event_ids=event_ids, centre_id=centre_id, roster_id=roster.pk)
    )
    return events


# --- Attendance ------------------------------------------------------------------------------


def _published_shift_at(worker: User, moment: dt.datetime) -> Shift | None:
    """The person's live published shift `moment` falls in (or an hour before), the earliest."""
    return (
        Shift.objects.filter(
            worker=worker,
            cancelled_at__isnull=True,
            published_starts_at__lte=moment + CLOCK_IN_EARLY,
            published_ends_at__gt=moment,
        )
        .order_by("published_starts_at")
        .first()
    )


def _month_closed(centre_id: int, day: dt.date) -> bool:
    return PayPeriod.objects.filter(
        centre_id=centre_id, month=day.replace(day=1), status=PayPeriod.Status.CLOSED
    ).exists()


@transaction.atomic
def attendance_clock_in(*, worker: User, at: dt.datetime | None = None) -> AttendanceRecord:
    """Start a stretch of work now, matched to the published shift it falls in (if any).
    409 when the person is already clocked in (one open record per person: a constraint)."""
    if worker.centre_id is None:
        raise DomainError(_("Only people of a centre clock in."))
    moment = at or timezone.now()
    if AttendanceRecord.objects.filter(worker=worker, clock_out_at__isnull=True).exists():
        raise Conflict(_("You are already clocked in. Clock out first."))
    try:
        with transaction.atomic():
            return AttendanceRecord.objects.create(
                worker=worker, centre_id=worker.centre_id, shift=_published_shift_at(worker, moment), clock_in_at=moment
            )
    except IntegrityError as exc:  # a second tab clocked in at the same moment
        raise Conflict(_("You are already clocked in. Clock out first.")) from exc


@transaction.atomic
def attendance_clock_out(*, worker: User, at: dt.datetime | None = None) -> AttendanceRecord:
    """End the person's open stretch of work (locked). 409 when they are not clocked in."""
    record = AttendanceRecord.objects.select_for_update().filter(worker=worker, clock_out_at__isnull=True).first()
    if record is None:
        raise Conflict(_("You are not clocked in."))
    moment = at or timezone.now()
    if moment <= record.clock_in_at:
        raise Conflict(_("You clocked in a moment ago: wait a little before clocking out."))
    record.clock_out_at = moment
    record.save(update_fields=["clock_out_at"])
    return record


def _record_times_check(clock_in_at: dt.datetime, clock_out_at: dt.datetime | None) -> None:
    if clock_out_at is not None and clock_out_at <= clock_in_at:
        raise DomainError(_("Clocking out comes after clocking in."), field="clock_out_at")
    if clock_out_at is not None and clock_out_at - clock_in_at > LONGEST_RECORD:
        raise DomainError(_("A stretch of work is at most 16 hours."), field="clock_out_at")
    if clock_in_at > timezone.now():
        raise DomainError(_("Attendance cannot be entered in advance."), field="clock_in_at")


def _times(record_in: dt.datetime | None, record_out: dt.datetime | None) -> dict:
    """The times as ISO text in the centre's time zone (what the people concerned read)."""
    zone = _zone()
    return {
        "clock_in_at": record_in.astimezone(zone).isoformat() if record_in else None,
        "clock_out_at": record_out.astimezone(zone).isoformat() if record_out else None,
    }


@transaction.atomic
def attendance_correct(
    *, actor: User, record: AttendanceRecord, clock_in_at: dt.datetime, clock_out_at: dt.datetime | None, reason: str
) -> AttendanceCorrection:
    """A supervisor changes a record's times; the correction keeps the times before, who and
    why. Locks the record. 403 for one's own record or another centre's; 400 without a reason
    or with impossible times; 409 when the month's payroll is closed or the times overlap
    another of the person's records."""
    _require(policies.can_manage_schedule(actor, record.centre_id))
    if record.worker_id == actor.pk:
        raise PermissionDenied(_("Your own attendance is corrected by another supervisor."))
    if not reason.strip():
        raise DomainError(_("Say why the times change."), field="reason")
    _record_times_check(clock_in_at, clock_out_at)
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    for moment in (record.clock_in_at, clock_in_at):
        if _month_closed(record.centre_id, moment.astimezone(_zone()).date()):
            raise Conflict(_("That month's payroll is closed: correct it with a pay adjustment."))
    _overlap_check(record.worker_id, clock_in_at, clock_out_at, exclude=record.pk)
    before = _times(record.clock_in_at, record.clock_out_at)
    record.clock_in_at, record.clock_out_at = clock_in_at, clock_out_at
    record.shift = _published_shift_at(record.worker, clock_in_at)
    try:
        with transaction.atomic():
            record.save(update_fields=["clock_in_at", "clock_out_at", "shift"])
    except IntegrityError as exc:  # left open while another record is open
        raise Conflict(_("The person already has an open record.")) from exc
    return AttendanceCorrection.objects.create(
        record=record, corrected_by=actor, reason=reason.strip(), before=before, after=_times(clock_in_at, clock_out_at)
    )


def _overlap_check(worker_id: int, clock_in_at: dt.datetime, clock_out_at: dt.datetime | None, exclude=None) -> None:
    others = AttendanceRecord.objects.filter(worker_id=worker_id).exclude(pk=exclude)
    end = clock_out_at or timezone.now()
    overlapping = others.filter(clock_in_at__lt=end).exclude(clock_out_at__lte=clock_in_at)
    if overlapping.exists():
        raise Conflict(_("These times overlap another record of the person."))


@transaction.atomic
def attendance_record_add(
    *, actor: User, worker: User, clock_in_at: dt.datetime, clock_out_at: dt.datetime, reason: str
) -> AttendanceCorrection:
    """A supervisor enters a stretch the person forgot to clock (source `supervisor`), kept as
    a correction with no times before. Same rules as `attendance_correct`."""
    _require(policies.can_manage_schedule(actor, worker.centre_id))
    if worker.pk == actor.pk:
        raise PermissionDenied(_("Your own attendance is corrected by another supervisor."))
    if not reason.strip():
        raise DomainError(_("Say why the times change."), field="reason")
    _record_times_check(clock_in_at, clock_out_at)
    if _month_closed(worker.centre_id, clock_in_at.astimezone(_zone()).date()):
        raise Conflict(_("That month's payroll is closed: correct it with a pay adjustment."))
    _overlap_check(worker.pk, clock_in_at, clock_out_at)
    record = AttendanceRecord.objects.create(
        worker=worker,
        centre_id=worker.centre_id,
        shift=_published_shift_at(worker, clock_in_at),
        clock_in_at=clock_in_at,
        clock_out_at=clock_out_at,
        source=AttendanceRecord.Source.SUPERVISOR,
    )
    return AttendanceCorrection.objects.create(
        record=record, corrected_by=actor, reason=reason.strip(), before=_times(None, None),
        after=_times(clock_in_at, clock_out_at),
    )  # fmt: skip


# --- Absences --------------------------------------------------------------------------------


def absence_workdays(centre: Centre | None, starts_on: dt.date, ends_on: dt.date) -> int:
    """Workdays in [starts_on, ends_on] by the calendar (what a whole-day absence counts)."""
    return sum(1 for kind in day_kinds_between(starts_on, ends_on, centre).values() if kind == WORKDAY)


@transaction.atomic
def absence_request(
    *,
    worker: User,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    days: Decimal | None = None,
    reason: str = "",
) -> Absence:
    """The person asks for leave. `days` are working days in halves, at most the workdays of
    the range (default: all of them). 400 for an unknown kind, a range backwards or too
    long, no workday in it, or an overlap with leave already asked for or granted."""
    if worker.centre_id is None:
        raise DomainError(_("Only people of a centre ask for leave."))
    if kind not in AbsenceKind.values:
        raise DomainError(_("Pick a kind of leave."), field="kind")
    if ends_on < starts_on:
        raise DomainError(_("The leave ends on or after the day it starts."), field="ends_on")
    if (ends_on - starts_on).days >= LONGEST_ABSENCE_DAYS:
        raise DomainError(_("Ask for at most 200 days at a time."), field="ends_on")
    workdays = absence_workdays(worker.centre, starts_on, ends_on)
    if workdays == 0:
        raise DomainError(_("There is no workday in these dates."), field="starts_on")
    if days is None:
        days = Decimal(workdays)
    if days <= 0 or days > workdays or (days * 2) != (days * 2).to_integral_value():
        raise DomainError(
            _("Give the days in halves, at most the %(n)s workdays of these dates.") % {"n": workdays}, field="days"
        )
    overlapping = Absence.objects.filter(
        worker=worker,
        status__in=[Absence.Status.REQUESTED, Absence.Status.APPROVED],
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if overlapping.exists():
        raise DomainError(_("You have already asked for leave on some of these days."), field="starts_on")
    return Absence.objects.create(
        worker=worker, centre_id=worker.centre_id, kind=kind, starts_on=starts_on, ends_on=ends_on,
        days=days, reason=reason.strip()[:500],
    )  # fmt: skip


@transaction.atomic
def absence_decide(*, actor: User, absence: Absence, approve: bool, note: str = "") -> Absence:
    """A supervisor grants or refuses a request (a conditional update on `requested`, so two
    deciding at once do not both win). 403 for one's own leave or another centre's; 409
    when it was decided or cancelled already; a refusal needs a note."""
    if not policies.can_manage_schedule(actor, absence.centre_id):
        raise PermissionDenied(_("You may not decide leave at this centre."))
    if absence.worker_id == actor.pk:
        raise PermissionDenied(_("Someone else decides your own leave."))
    if not approve and not note.strip():
        raise DomainError(_("Say why the leave is refused."), field="note")
    status = Absence.Status.APPROVED if approve else Absence.Status.REFUSED
    done = Absence.objects.filter(pk=absence.pk, status=Absence.Status.REQUESTED).update(
        status=status, decided_by=actor, decided_at=timezone.now(), decision_note=note.strip()[:500]
    )
    if not done:
        raise Conflict(_("This request was already decided or withdrawn."))
    absence.refresh_from_db()
    return absence


@transaction.atomic
def absence_cancel(*, worker: User, absence: Absence) -> Absence:
    """The person withdraws a request not yet decided. 409 once decided."""
    if absence.worker_id != worker.pk:
        raise PermissionDenied(_("Only the person who asked withdraws a request."))
    done = Absence.objects.filter(pk=absence.pk, status=Absence.Status.REQUESTED).update(
        status=Absence.Status.CANCELLED
    )
    if not done:
        raise Conflict(_("This request was already decided; ask your supervisor."))
    absence.refresh_from_db()
    return absence
