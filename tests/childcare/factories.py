"""The care space's test world, built through the childcare services; and published shifts
made directly with workforce's models (the roster pages that publish them are another
engineer's work), with the event and signal a publication writes and sends."""

import datetime as dt
import itertools
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from childcare import services
from childcare.models import AgeBand, Caregiver, Room, Session, SessionKind, SessionTemplate
from tests import factories
from workforce.models import Role, Roster, Shift, ShiftEvent, ShiftType
from workforce.signals import shifts_published

PIN = "2468"
_serial = itertools.count(1)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


def next_weekday(weekday: int, *, after: dt.date | None = None) -> dt.date:
    """The first such weekday after today (never today), so sessions are in the future."""
    day = (after or timezone.localdate()) + dt.timedelta(days=1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def child_of(guardian, *, name: str = "小明", years: int = 8, **fields):
    today = timezone.localdate()
    birth = today.replace(year=today.year - years, day=1) if today.month != 2 else dt.date(today.year - years, 1, 1)
    return services.child_register(guardian=guardian, name=name, birth_date=birth, consent=True, **fields)


def room(centre, *, name: str | None = None, band: str = AgeBand.SCHOOL_AGE, capacity: int = 20) -> Room:
    return Room.objects.create(centre=centre, name=name or f"房间{next(_serial)}", band=band, capacity=capacity)


def default_rules() -> None:
    """The national defaults the data migration seeds (a transactional test flushes them)."""
    from django.apps import apps

    import_module("childcare.migrations.0002_ratio_rules_seed").seed(apps, None)


def session(room_: Room, *, day: dt.date | None = None, start=(16, 0), end=(19, 0), kind=SessionKind.AFTER_SCHOOL):
    """One dated session made from a weekly template through the generator."""
    day = day or next_weekday(2)
    default_rules()
    template, _ = SessionTemplate.objects.get_or_create(
        room=room_, kind=kind, weekday=day.weekday(), starts=dt.time(*start), ends=dt.time(*end)
    )
    services.sessions_generate(centre_id=room_.centre_id, start=day, weeks=1)
    return Session.objects.get(room=room_, starts_at=at(day, *start))


def caregiver(centre, *, hr, cert_days: int = 365, name: str | None = None) -> Caregiver:
    user = factories.worker(actor=hr, centre=centre, roles=[Role.CHILDCARE_STAFF], name=name or f"老师{next(_serial)}")
    return Caregiver.objects.create(
        user=user,
        centre=centre,
        qualification="保育师",
        health_certificate_expires=timezone.localdate() + dt.timedelta(days=cert_days),
    )


def staffed(session_: Session, lead, *caregivers: Caregiver) -> Session:
    for one in caregivers:
        services.caregiver_assign(actor=lead, session=session_, caregiver=one)
    session_.refresh_from_db()
    return session_


def _publish(events: list[ShiftEvent], centre_id: int) -> None:
    ids = [event.pk for event in events]
    transaction.on_commit(lambda: shifts_published.send(sender=Roster, event_ids=ids, centre_id=centre_id))


def published_shift(worker, *, starts_at: dt.datetime, ends_at: dt.datetime) -> Shift:
    """A published shift of `worker` and its 'added' event; the signal follows on commit."""
    team = factories.TeamFactory(centre=worker.centre)
    day = timezone.localtime(starts_at).date()
    shift_type, _ = ShiftType.objects.get_or_create(
        centre=worker.centre,
        name=f"班次 {timezone.localtime(starts_at):%H%M}-{timezone.localtime(ends_at):%H%M}",
        defaults={"starts": timezone.localtime(starts_at).time(), "ends": timezone.localtime(ends_at).time()},
    )
    roster, _ = Roster.objects.get_or_create(
        team=team, week_start=day - dt.timedelta(days=day.weekday()), defaults={"version": 1}
    )
    shift = Shift.objects.create(
        roster=roster,
        worker=worker,
        shift_type=shift_type,
        date=day,
        starts_at=starts_at,
        ends_at=ends_at,
        published_starts_at=starts_at,
        published_ends_at=ends_at,
    )
    event = ShiftEvent.objects.create(
        shift=shift, worker=worker, centre=worker.centre, roster_version=1, kind="added",
        starts_at=starts_at, ends_at=ends_at,
    )  # fmt: skip
    _publish([event], worker.centre_id)
    return shift


def shift_move(shift: Shift, *, starts_at: dt.datetime, ends_at: dt.datetime) -> Shift:
    previous = (shift.published_starts_at, shift.published_ends_at)
    Shift.objects.filter(pk=shift.pk).update(
        starts_at=starts_at, ends_at=ends_at, published_starts_at=starts_at, published_ends_at=ends_at
    )
    event = ShiftEvent.objects.create(
        shift=shift, worker=shift.worker, centre=shift.worker.centre, roster_version=2, kind="moved",
        starts_at=starts_at, ends_at=ends_at, previous_starts_at=previous[0], previous_ends_at=previous[1],
    )  # fmt: skip
    _publish([event], shift.worker.centre_id)
    shift.refresh_from_db()
    return shift


def shift_cancel(shift: Shift) -> None:
    Shift.objects.filter(pk=shift.pk).update(cancelled_at=timezone.now())
    event = ShiftEvent.objects.create(
        shift=shift, worker=shift.worker, centre=shift.worker.centre, roster_version=2, kind="cancelled",
        starts_at=shift.published_starts_at, ends_at=shift.published_ends_at,
    )  # fmt: skip
    _publish([event], shift.worker.centre_id)


def booking_for(guardian, *, session: Session):
    """A child of `guardian` booked in `session` (confirmed or waitlisted)."""
    return services.booking_create(actor=guardian, child=child_of(guardian), session=session)
