"""Writes of the childcare app: children, rules, sessions, caregivers, bookings and the
waitlist, following shifts, check-in and check-out.

The one invariant that matters most: a session never holds more confirmed children than
`places` (room, group size, caregivers x ratio). `confirmed_count` moves only through
`_take_place` (a conditional UPDATE) and `_free_place`; the database's check constraint
says the same, so no code path can overbook."""

import datetime as dt
import re

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.audit import audit_record
from aidou.crypto import decrypt_text, encrypt_text
from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from aidou.jobs import job_claim
from childcare import policies, selectors
from childcare.models import (
    Attendance,
    Booking,
    Caregiver,
    CaregiverAssignment,
    CaregiverAvailability,
    Child,
    EmergencyContact,
    Notice,
    PickupPerson,
    RatioRule,
    Room,
    RosterSolve,
    Session,
    SessionTemplate,
    ShiftFollower,
)
from childcare.rostering import CaregiverOffer, SessionNeed, ratio_violations, roster_solve
from workforce.scheduling.selectors import shift_events_after

CONSENT_VERSION = "2026-1"
PIN_PATTERN = re.compile(r"^[0-9]{4,6}$")
PIN_FAILURES_BEFORE_LOCK = 5
PIN_LOCK = dt.timedelta(minutes=15)
LATE_PICKUP_GRACE = dt.timedelta(minutes=10)


class AuditAction:
    READ_HEALTH_NOTES = "childcare_read_health_notes"
    PIN_REFUSED = "childcare_pin_refused"
    PIN_LOCKED = "childcare_pin_locked"
    CHILD_DELETED = "childcare_child_deleted"


class PinRefused(DomainError):
    """A wrong PIN, or a person locked after too many (403: the request was understood)."""

    status_code = 403


# --- Children -------------------------------------------------------------------------------


@transaction.atomic
def child_register(
    *,
    guardian,
    name: str,
    birth_date: dt.date,
    consent: bool,
    allergies: str = "",
    medical_notes: str = "",
    photo_consent: bool = False,
    co_guardians=(),
) -> Child:
    """A guardian registers their child. Nothing is stored without their consent to the
    processing of the child's data (PIPL art. 31), recorded with its time and version."""
    if not consent:
        raise ValidationError({"consent": [_("We can only keep your child's details with your consent.")]})
    if guardian.centre_id is None:
        raise ValidationError({"guardian": [_("Only staff of a centre can register a child.")]})
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Enter the child's name.")]})
    today = timezone.localdate()
    if birth_date > today or birth_date < today.replace(year=today.year - 14):
        raise ValidationError({"birth_date": [_("The care space is for children under 14.")]})
    child = Child.objects.create(
        centre_id=guardian.centre_id,
        name=name[:50],
        birth_date=birth_date,
        allergies_encrypted=encrypt_text(allergies.strip()),
        medical_notes_encrypted=encrypt_text(medical_notes.strip()),
        has_health_notes=bool(allergies.strip() or medical_notes.strip()),
        photo_consent=photo_consent,
        consent_by=guardian,
        consent_at=timezone.now(),
        consent_version=CONSENT_VERSION,
    )
    child.guardians.add(guardian, *co_guardians)
    return child


def child_health_notes_read(*, actor, child: Child, ip_address: str | None = None) -> dict[str, str]:
    """The only way to read a child's allergies and medical notes: guardians and the centre's
    childcare staff. Every staff read writes an audit row in the same transaction."""
    if not policies.can_see_child(actor, child):
        raise NotFound(_("No such child."))
    with transaction.atomic():
        if not policies.is_guardian(actor, child):
            audit_record(
                actor=actor,
                action=AuditAction.READ_HEALTH_NOTES,
                target=child,
                fields=["allergies", "medical_notes"],
                ip_address=ip_address,
            )
        return {
            "allergies": decrypt_text(child.allergies_encrypted),
            "medical_notes": decrypt_text(child.medical_notes_encrypted),
        }


@transaction.atomic
def child_delete(*, actor, child: Child) -> None:
    """A guardian deletes their child's record and everything kept with it. Past bookings
    go with it; the audit row keeps only the id."""
    if not policies.is_guardian(actor, child):
        raise NotFound(_("No such child."))
    for booking in child.bookings.exclude(status=Booking.Status.CANCELLED).select_related("session"):
        booking_cancel(actor=actor, booking=booking)
    audit_record(actor=actor, action=AuditAction.CHILD_DELETED, target=child, fields=["*"])
    child.delete()


def _check_pin(pin: str) -> None:
    if not PIN_PATTERN.match(pin or ""):
        raise ValidationError({"pin": [_("A PIN is 4 to 6 digits.")]})


@transaction.atomic
def pickup_person_add(
    *, actor, child: Child, name: str, relation: str, mobile: str, pin: str, user=None
) -> PickupPerson:
    """A guardian names someone who may collect the child (or themselves, with `user`)."""
    if not policies.is_guardian(actor, child):
        raise NotFound(_("No such child."))
    _check_pin(pin)
    if not name.strip():
        raise ValidationError({"name": [_("Enter the person's name.")]})
    return PickupPerson.objects.create(
        child=child,
        user=user,
        name=name.strip()[:50],
        relation=relation.strip()[:30],
        mobile=mobile.strip()[:11],
        pin_hash=make_password(pin),
    )


@transaction.atomic
def emergency_contact_add(*, actor, child: Child, name: str, relation: str, mobile: str) -> EmergencyContact:
    if not policies.is_guardian(actor, child):
        raise NotFound(_("No such child."))
    return EmergencyContact.objects.create(child=child, name=name[:50], relation=relation[:30], mobile=mobile[:11])


# --- Rules, rooms, sessions -----------------------------------------------------------------


@transaction.atomic
def ratio_rule_set(
    *,
    actor,
    centre_id: int,
    band: str,
    min_months: int,
    max_months: int,
    children_per_caregiver: int,
    max_group_size: int,
    effective_from: dt.date,
    source_note: str,
) -> RatioRule:
    """The childcare lead sets the centre's own rule from a date on (a new row; the old one
    stays for the sessions it governed). Sessions generated afterwards use it."""
    if not policies.can_run_space(actor, centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can change its ratios."))
    if not source_note.strip():
        raise ValidationError({"source_note": [_("Say where this rule comes from.")]})
    if children_per_caregiver < 1 or max_group_size < 1:
        raise ValidationError({"children_per_caregiver": [_("Ratios and group sizes are at least 1.")]})
    return RatioRule.objects.create(
        centre_id=centre_id,
        band=band,
        min_months=min_months,
        max_months=max_months,
        children_per_caregiver=children_per_caregiver,
        max_group_size=max_group_size,
        effective_from=effective_from,
        source_note=source_note.strip()[:300],
        created_by=actor,
    )


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


@transaction.atomic
def sessions_generate(*, centre_id: int, start: dt.date, weeks: int = 2) -> int:
    """Dated sessions from the centre's weekly templates for `weeks` weeks from `start`.
    Safe to run again: a session that exists (room, start) is left as it is. Returns how
    many were created."""
    templates = list(
        SessionTemplate.objects.filter(room__centre_id=centre_id, room__is_active=True, is_active=True).select_related(
            "room"
        )
    )
    rules_by_day: dict[dt.date, dict] = {}
    new = []
    for offset in range(weeks * 7):
        day = start + dt.timedelta(days=offset)
        for template in templates:
            if template.weekday != day.weekday():
                continue
            rules = rules_by_day.setdefault(day, selectors.ratio_rules_in_force(centre_id=centre_id, day=day))
            rule = rules.get(template.room.band)
            if rule is None:
                continue
            new.append(
                Session(
                    room=template.room,
                    template=template,
                    kind=template.kind,
                    date=day,
                    starts_at=_aware(day, template.starts),
                    ends_at=_aware(day, template.ends),
                    capacity=min(template.room.capacity, rule.max_group_size),
                    children_per_caregiver=rule.children_per_caregiver,
                )
            )
    before = Session.objects.filter(room__centre_id=centre_id).count()
    Session.objects.bulk_create(new, ignore_conflicts=True)
    return Session.objects.filter(room__centre_id=centre_id).count() - before


@transaction.atomic
def room_create(*, actor, centre_id: int, name: str, band: str, capacity: int) -> Room:
    if not policies.can_run_space(actor, centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can manage rooms."))
    return Room.objects.create(centre_id=centre_id, name=name, band=band, capacity=capacity)


# --- Places, the waitlist, caregivers -------------------------------------------------------


def _lock_session(session_id: int) -> Session:
    """The session row, locked until the transaction ends (PostgreSQL; SQLite's IMMEDIATE
    transactions already hold the write lock)."""
    return Session.objects.select_for_update().get(pk=session_id)


def _take_place(session_id: int) -> bool:
    """One place, if there is one: the conditional UPDATE is the guard."""
    return bool(
        Session.objects.filter(pk=session_id, confirmed_count__lt=F("places")).update(
            confirmed_count=F("confirmed_count") + 1
        )
    )


def _free_place(session_id: int) -> None:
    Session.objects.filter(pk=session_id, confirmed_count__gt=0).update(confirmed_count=F("confirmed_count") - 1)


def _tell_guardians(booking: Booking, kind: str) -> None:
    Notice.objects.bulk_create(
        [Notice(recipient_id=guardian_id, booking=booking, kind=kind) for guardian_id in _guardian_ids(booking)]
    )


def _guardian_ids(booking: Booking) -> list[int]:
    return list(Child.guardians.through.objects.filter(child_id=booking.child_id).values_list("user_id", flat=True))


def _waitlist_promote(session_id: int) -> list[Booking]:
    """Confirm waitlisted bookings in ticket order while places last; tell their guardians.
    Call with the session locked. A fixed handful of queries however many move up."""
    session = Session.objects.get(pk=session_id)
    free = session.places - session.confirmed_count
    if free <= 0:
        return []
    first = list(
        Booking.objects.filter(session_id=session_id, status=Booking.Status.WAITLISTED).order_by(
            "waitlist_ticket", "id"
        )[:free]
    )
    if not first:
        return []
    # The same guard as one booking, for all of them at once.
    if not Session.objects.filter(pk=session_id, confirmed_count__lte=F("places") - len(first)).update(
        confirmed_count=F("confirmed_count") + len(first)
    ):
        return []
    now = timezone.now()
    Booking.objects.filter(pk__in=[b.pk for b in first]).update(status=Booking.Status.CONFIRMED, confirmed_at=now)
    guardians = Child.guardians.through.objects.filter(child_id__in={b.child_id for b in first})
    by_child: dict[int, list[int]] = {}
    for child_id, user_id in guardians.values_list("child_id", "user_id"):
        by_child.setdefault(child_id, []).append(user_id)
    Notice.objects.bulk_create(
        [Notice(recipient_id=user_id, booking=b, kind=Notice.Kind.PROMOTED) for b in first
         for user_id in by_child.get(b.child_id, [])]
    )  # fmt: skip
    for booking in first:
        booking.status, booking.confirmed_at = Booking.Status.CONFIRMED, now
    return first


def places_for(session: Session, counted: int) -> int:
    return min(session.capacity, counted * session.children_per_caregiver)


@transaction.atomic
def session_places_refresh(*, session_id: int) -> Session:
    """Recount the caregivers who count toward the session's ratio (health certificate valid
    on its date) and set its places; promote the waitlist if places grew. Refuses (409)
    when the children already confirmed would no longer be safely looked after."""
    session = _lock_session(session_id)
    counted = sum(
        1
        for assignment in CaregiverAssignment.objects.filter(session_id=session_id).select_related("caregiver")
        if assignment.caregiver.counts_on(session.date)
    )
    places = places_for(session, counted)
    if places < session.confirmed_count:
        raise Conflict(
            _("%(confirmed)d children are booked; %(counted)d caregivers may look after only %(places)d.")
            % {"confirmed": session.confirmed_count, "counted": counted, "places": places}
        )
    Session.objects.filter(pk=session_id).update(caregivers_counted=counted, places=places)
    _waitlist_promote(session_id)
    session.refresh_from_db()
    return session


@transaction.atomic
def caregiver_assign(*, actor, session: Session, caregiver: Caregiver) -> Session:
    """Roster a caregiver to a session; the waitlist moves up if the ratio now allows."""
    if not policies.can_run_space(actor, session.room.centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can roster caregivers."))
    if caregiver.centre_id != session.room.centre_id:
        raise NotFound(_("No such caregiver."))
    CaregiverAssignment.objects.get_or_create(session=session, caregiver=caregiver)
    return session_places_refresh(session_id=session.pk)


@transaction.atomic
def caregiver_unassign(*, actor, session: Session, caregiver: Caregiver) -> Session:
    """Take a caregiver off a session; refused (409) if the children booked need them."""
    if not policies.can_run_space(actor, session.room.centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can roster caregivers."))
    CaregiverAssignment.objects.filter(session=session, caregiver=caregiver).delete()
    return session_places_refresh(session_id=session.pk)


@transaction.atomic
def caregiver_save(
    *,
    actor,
    user,
    qualification: str = "",
    qualification_expires: dt.date | None = None,
    health_certificate_expires: dt.date | None = None,
) -> Caregiver:
    """Create or update a caregiver's record; sessions they are rostered to are recounted."""
    if not policies.can_run_space(actor, user.centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can keep caregivers' records."))
    caregiver, _created = Caregiver.objects.update_or_create(
        user=user,
        defaults={
            "centre_id": user.centre_id,
            "qualification": qualification,
            "qualification_expires": qualification_expires,
            "health_certificate_expires": health_certificate_expires,
        },
    )
    for session_id in caregiver.assignments.filter(session__date__gte=timezone.localdate()).values_list(
        "session_id", flat=True
    ):
        session_places_refresh(session_id=session_id)
    return caregiver


# --- Bookings -------------------------------------------------------------------------------


@transaction.atomic
def booking_create(*, actor, child: Child, session: Session, shift_id: int | None = None) -> Booking:
    """A guardian books a session for their child: confirmed if a place is free within the
    capacity and the ratio, otherwise waitlisted with the next ticket. Another family's
    child or another centre's session: NotFound. Already booked: Conflict."""
    if not policies.can_book_for(actor, child):
        raise NotFound(_("No such child."))
    if session.room.centre_id != child.centre_id:
        raise NotFound(_("No such session."))
    if session.ends_at <= timezone.now():
        raise Conflict(_("This session is over."))
    rules = selectors.ratio_rules_in_force(centre_id=child.centre_id, day=session.date)
    if not selectors.child_fits_band(child, band=session.room.band, day=session.date, rules=rules):
        raise DomainError(_("This room is not for a child of this age."), field="session")
    if Booking.objects.filter(session=session, child=child).exclude(status=Booking.Status.CANCELLED).exists():
        raise Conflict(_("This child is already booked in this session."))
    now = timezone.now()
    try:
        with transaction.atomic():
            if _take_place(session.pk):
                booking = Booking.objects.create(
                    session=session,
                    child=child,
                    booked_by=actor,
                    status=Booking.Status.CONFIRMED,
                    confirmed_at=now,
                    shift_id=shift_id,
                )
            else:
                Session.objects.filter(pk=session.pk).update(waitlist_tickets=F("waitlist_tickets") + 1)
                ticket = Session.objects.values_list("waitlist_tickets", flat=True).get(pk=session.pk)
                booking = Booking.objects.create(
                    session=session,
                    child=child,
                    booked_by=actor,
                    status=Booking.Status.WAITLISTED,
                    waitlist_ticket=ticket,
                    shift_id=shift_id,
                )
    except IntegrityError as exc:  # the same child booked twice at the same moment
        raise Conflict(_("This child is already booked in this session.")) from exc
    return booking


@transaction.atomic
def booking_cancel(*, actor, booking: Booking) -> Booking:
    """Cancel a booking (its guardian or the centre's childcare staff). A confirmed place is
    freed at once and goes to the first on the waitlist. Cancelling twice is harmless."""
    child = booking.child
    if not (policies.is_guardian(actor, child) or policies.is_care_staff(actor, child.centre_id)):
        raise NotFound(_("No such booking."))
    _lock_session(booking.session_id)
    current = Booking.objects.select_for_update().get(pk=booking.pk)
    if current.status == Booking.Status.CANCELLED:
        return current
    if hasattr(current, "attendance"):
        raise Conflict(_("This child has already been checked in."))
    was_confirmed = current.status == Booking.Status.CONFIRMED
    Booking.objects.filter(pk=current.pk).update(
        status=Booking.Status.CANCELLED, cancelled_at=timezone.now(), follow_up=""
    )
    if was_confirmed:
        _free_place(current.session_id)
        _waitlist_promote(current.session_id)
    current.refresh_from_db()
    return current


@transaction.atomic
def proposals_accept(*, guardian, keys: list[str] | None = None) -> list[Booking]:
    """Book the proposed sessions (all, or those whose `key` is given) in one go. Each is
    checked against capacity and ratio like any booking, so some may be waitlisted."""
    wanted = set(keys) if keys is not None else None
    booked = []
    for proposal in selectors.proposals_for(guardian):
        if wanted is not None and proposal.key not in wanted:
            continue
        booked.append(
            booking_create(actor=guardian, child=proposal.child, session=proposal.session, shift_id=proposal.shift_id)
        )
    return booked


def shift_events_follow(*, limit: int = 500) -> int:
    """Follow the workforce shift events not seen yet: a booking made for a shift that moved
    away from it or was cancelled is flagged for its guardian to confirm. New shifts need
    nothing: proposals are read from the published shifts. Safe to run twice and from
    several workers (the follower row is locked). Returns how many events it read."""
    with transaction.atomic():
        ShiftFollower.objects.get_or_create(pk=1)
        follower = ShiftFollower.objects.select_for_update().get(pk=1)
        events = shift_events_after(follower.last_event_id, limit=limit)
        if not events:
            return 0
        for event in events:
            if event.kind not in ("moved", "cancelled"):
                continue
            for booking in (
                Booking.objects.filter(shift_id=event.shift_id)
                .exclude(status=Booking.Status.CANCELLED)
                .select_related("session")
            ):
                session = booking.session
                if event.kind == "moved" and selectors.covering_sessions(
                    [session], starts_at=event.starts_at, ends_at=event.ends_at
                ):
                    continue  # the care still covers the moved shift
                kind = Booking.FollowUp.SHIFT_CANCELLED if event.kind == "cancelled" else Booking.FollowUp.SHIFT_MOVED
                Booking.objects.filter(pk=booking.pk).update(follow_up=kind)
                _tell_guardians(booking, kind)
        ShiftFollower.objects.filter(pk=1).update(last_event_id=events[-1].pk)
        return len(events)


@transaction.atomic
def booking_follow_up_resolve(*, actor, booking: Booking, accept: bool) -> list[Booking]:
    """The guardian answers a flagged booking. Accept: the booking is cancelled and, for a
    moved shift, the sessions covering its new time are booked (capacity and ratio checked,
    so they may be waitlisted). Decline: the booking stays as it is."""
    if not policies.is_guardian(actor, booking.child):
        raise NotFound(_("No such booking."))
    if not booking.follow_up:
        raise Conflict(_("Nothing to confirm for this booking."))
    if not accept:
        Booking.objects.filter(pk=booking.pk).update(follow_up="")
        return []
    moved = booking.follow_up == Booking.FollowUp.SHIFT_MOVED
    shift_id = booking.shift_id
    booking_cancel(actor=actor, booking=booking)
    if not moved:
        return []
    keys = [p.key for p in selectors.proposals_for(actor) if p.shift_id == shift_id and p.child.pk == booking.child_id]
    return proposals_accept(guardian=actor, keys=keys)


# --- Check-in and check-out -----------------------------------------------------------------


@transaction.atomic
def child_check_in(*, actor, booking: Booking) -> Attendance:
    """A caregiver of the centre checks a confirmed child in, once."""
    if not policies.is_care_staff(actor, booking.session.room.centre_id):
        raise NotFound(_("No such booking."))
    if booking.status != Booking.Status.CONFIRMED:
        raise Conflict(_("Only a confirmed booking can be checked in."))
    if booking.session.date != timezone.localdate():
        raise Conflict(_("Children are checked in on the day of the session."))
    try:
        with transaction.atomic():
            return Attendance.objects.create(booking=booking, checked_in_at=timezone.now(), checked_in_by=actor)
    except IntegrityError as exc:
        raise Conflict(_("This child is already checked in.")) from exc


def child_check_out(*, actor, booking: Booking, pickup_person_id: int, pin: str) -> Attendance:
    """Hand a child to a guardian or an authorised person who gives their PIN. A wrong PIN
    is refused and audit-logged; the fifth in a row locks that person for 15 minutes (the
    failure is committed even though the call fails). Late pick-ups are flagged."""
    if not policies.is_care_staff(actor, booking.session.room.centre_id):
        raise NotFound(_("No such booking."))
    refusal: str | None = None
    with transaction.atomic():
        attendance = Attendance.objects.select_for_update().filter(booking=booking).first()
        if attendance is None:
            raise Conflict(_("This child has not been checked in."))
        if attendance.checked_out_at is not None:
            raise Conflict(_("This child has already been collected."))
        person = PickupPerson.objects.select_for_update().filter(pk=pickup_person_id, child_id=booking.child_id).first()
        if person is None:
            raise DomainError(_("This person may not collect this child."), field="pickup_person")
        now = timezone.now()
        if person.locked_until is not None and person.locked_until > now:
            refusal = _("Too many wrong PINs: %(name)s can try again at %(time)s.") % {
                "name": person.name,
                "time": timezone.localtime(person.locked_until).strftime("%H:%M"),
            }
            audit_record(actor=actor, action=AuditAction.PIN_REFUSED, target=person, fields=["pin"], reason="locked")
        elif not check_password(pin or "", person.pin_hash):
            person.failed_pin_attempts += 1
            if person.failed_pin_attempts >= PIN_FAILURES_BEFORE_LOCK:
                person.failed_pin_attempts, person.locked_until = 0, now + PIN_LOCK
                audit_record(actor=actor, action=AuditAction.PIN_LOCKED, target=person, fields=["pin"])
                refusal = _("Wrong PIN. %(name)s is locked for 15 minutes.") % {"name": person.name}
            else:
                audit_record(actor=actor, action=AuditAction.PIN_REFUSED, target=person, fields=["pin"])
                refusal = _("Wrong PIN.")
            person.save(update_fields=["failed_pin_attempts", "locked_until"])
        else:
            if person.failed_pin_attempts:
                person.failed_pin_attempts = 0
                person.save(update_fields=["failed_pin_attempts"])
            attendance.checked_out_at = now
            attendance.checked_out_by = actor
            attendance.collected_by = person
            attendance.late_pickup = now > booking.session.ends_at + LATE_PICKUP_GRACE
            attendance.save(update_fields=["checked_out_at", "checked_out_by", "collected_by", "late_pickup"])
    if refusal is not None:
        raise PinRefused(refusal, field="pin")
    return attendance


# --- Caregiver rostering (childcare/rostering.py) ------------------------------------------


@transaction.atomic
def roster_solve_start(*, actor, centre_id: int, start: dt.date, end: dt.date, enqueue: bool = True) -> RosterSolve:
    """The lead asks for a caregiver roster of [start, end]: a job a worker runs."""
    if not policies.can_run_space(actor, centre_id):
        raise PermissionDenied(_("Only the centre's childcare staff can roster caregivers."))
    if end < start or (end - start).days > 62:
        raise ValidationError({"end": [_("Roster at most 62 days, ending after the start.")]})
    job = RosterSolve.objects.create(centre_id=centre_id, start=start, end=end, created_by=actor)
    if enqueue:
        from childcare.tasks import roster_solve_task

        transaction.on_commit(lambda: roster_solve_task.delay(job.pk))
    return job


def _roster_inputs(job: RosterSolve):
    sessions = list(
        Session.objects.filter(room__centre_id=job.centre_id, date__gte=job.start, date__lte=job.end)
        .select_related("room")
        .annotate(waiting=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)))
        .order_by("starts_at", "id")
    )
    needs = [
        SessionNeed(
            s.pk,
            timezone.localtime(s.starts_at).replace(tzinfo=None),
            timezone.localtime(s.ends_at).replace(tzinfo=None),
            # Everyone booked or waiting, within the room's limit; one caregiver at least,
            # so that an empty session can take bookings.
            max(min(s.confirmed_count + s.waiting, s.capacity), 1),
            s.children_per_caregiver,
        )
        for s in sessions
    ]
    stretches: dict[int, list] = {}
    for slot in CaregiverAvailability.objects.filter(caregiver__centre_id=job.centre_id):
        stretches.setdefault(slot.caregiver_id, []).append(slot)
    offers = []
    for caregiver in Caregiver.objects.filter(centre_id=job.centre_id).order_by("id"):
        available = []
        for offset in range((job.end - job.start).days + 1):
            day = job.start + dt.timedelta(days=offset)
            for slot in stretches.get(caregiver.pk, []):
                if slot.weekday == day.weekday():
                    available.append((dt.datetime.combine(day, slot.starts), dt.datetime.combine(day, slot.ends)))
        offers.append(
            CaregiverOffer(
                caregiver.pk,
                caregiver.health_certificate_expires,
                tuple(available),
                caregiver.max_hours_per_day,
                caregiver.max_hours_per_week,
            )
        )
    return sessions, needs, offers


def roster_solve_run(*, job_id: int) -> None:
    """Solve, check the plan independently, publish it. Sessions the solver could fully
    staff get its caregivers; those it could not keep theirs and are listed in `errors`
    with how many caregivers they lack. Safe to run twice (claimed once)."""
    if not job_claim(RosterSolve, job_id, processed=0, assigned=0, errors=[]):
        return
    job = RosterSolve.objects.get(pk=job_id)
    sessions, needs, offers = _roster_inputs(job)
    RosterSolve.objects.filter(pk=job_id).update(total=len(sessions))
    plan = roster_solve(needs, offers)
    staffed = {sid: ids for sid, ids in plan.assignments.items() if sid not in plan.shortfalls}
    checked = [n for n in needs if n.id in staffed]
    problems = ratio_violations(checked, offers, staffed)
    if problems:  # never publish a roster the checker rejects
        RosterSolve.objects.filter(pk=job_id).update(
            status=RosterSolve.Status.FAILED, failure="; ".join(problems)[:2000], finished_at=timezone.now()
        )
        return
    by_id = {s.pk: s for s in sessions}
    assigned = 0
    with transaction.atomic():
        CaregiverAssignment.objects.filter(session_id__in=list(staffed)).delete()
        CaregiverAssignment.objects.bulk_create(
            [CaregiverAssignment(session_id=sid, caregiver_id=cid) for sid, ids in staffed.items() for cid in ids]
        )
        for sid in staffed:
            session_places_refresh(session_id=sid)
            assigned += len(staffed[sid])
    errors = [
        {
            "session": sid,
            "room": by_id[sid].room.name,
            "starts_at": by_id[sid].starts_at.isoformat(),
            "missing": missing,
        }
        for sid, missing in sorted(plan.shortfalls.items())
    ]
    RosterSolve.objects.filter(pk=job_id).update(
        status=RosterSolve.Status.SUCCEEDED,
        processed=len(sessions),
        assigned=assigned,
        errors=errors,
        finished_at=timezone.now(),
    )
