"""Reads of the childcare app. Children's data: their guardians, childcare staff of the
centre and admins only; anything else answers as if it did not exist (404)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from aidou.errors import NotFound
from childcare import policies
from childcare.models import Booking, Caregiver, Child, PickupPerson, RatioRule, Room, Session
from workforce.models import Role
from workforce.scheduling.selectors import published_shifts

PROPOSAL_DAYS = 14
# Time to come from the care space to the work floor and back, around a shift.
TRAVEL_BUFFER = dt.timedelta(minutes=30)
CERTIFICATE_WARNING_DAYS = 30


def children_visible_to(actor) -> QuerySet[Child]:
    children = Child.objects.prefetch_related("guardians")
    if actor.is_network_admin:
        return children
    staff_centre = actor.centre_id if actor.has_role(Role.CHILDCARE_STAFF, Role.CENTRE_MANAGER) else None
    scope = Q(guardians=actor)
    if staff_centre is not None:
        scope |= Q(centre_id=staff_centre)
    return children.filter(scope).distinct()


def child_get(actor, child_id) -> Child:
    child = children_visible_to(actor).filter(pk=child_id).first()
    if child is None:
        raise NotFound("No such child.")
    return child


def children_of(guardian) -> list[Child]:
    return list(Child.objects.filter(guardians=guardian).prefetch_related("guardians").order_by("birth_date", "id"))


def ratio_rule_for(*, centre_id: int, band: str, day: dt.date) -> RatioRule | None:
    """The rule in force in a centre for a band on a day: the centre's own newest rule
    from before that day, else the network default's."""
    rules = RatioRule.objects.filter(band=band, effective_from__lte=day)
    own = rules.filter(centre_id=centre_id).order_by("-effective_from", "-id").first()
    return own or rules.filter(centre__isnull=True).order_by("-effective_from", "-id").first()


def ratio_rules_in_force(*, centre_id: int, day: dt.date) -> dict[str, RatioRule]:
    """Every band's rule in force on a day (as ratio_rule_for), in one query."""
    found: dict[str, RatioRule] = {}
    rules = RatioRule.objects.filter(Q(centre_id=centre_id) | Q(centre__isnull=True), effective_from__lte=day)
    # The network default first, then the centre's own, each oldest first: the last wins.
    for rule in rules.order_by(F("centre_id").asc(nulls_first=True), "effective_from", "id"):
        found[rule.band] = rule
    return found


def age_in_months(birth_date: dt.date, day: dt.date) -> int:
    months = (day.year - birth_date.year) * 12 + (day.month - birth_date.month)
    return months - (1 if day.day < birth_date.day else 0)


def child_fits_band(child: Child, *, band: str, day: dt.date, rules: dict[str, RatioRule]) -> bool:
    rule = rules.get(band)
    if rule is None:
        return False
    return rule.min_months <= age_in_months(child.birth_date, day) < rule.max_months


def sessions_with_counts(*, centre_id: int, start: dt.date, end: dt.date) -> QuerySet[Session]:
    """A centre's sessions dated in [start, end], with their room and waitlist length."""
    return (
        Session.objects.filter(room__centre_id=centre_id, date__gte=start, date__lte=end)
        .select_related("room")
        .annotate(waitlisted=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)))
        .order_by("starts_at", "room__name", "id")
    )


def sessions_for_staff(actor, *, start: dt.date, end: dt.date) -> QuerySet[Session]:
    """The sessions of the actor's centre (childcare staff, manager; admins: every centre)."""
    if actor.is_network_admin:
        qs = Session.objects.filter(date__gte=start, date__lte=end)
        return (
            qs.select_related("room")
            .annotate(waitlisted=Count("bookings", filter=Q(bookings__status=Booking.Status.WAITLISTED)))
            .order_by("starts_at", "room__name", "id")
        )
    if not policies.is_care_staff(actor, actor.centre_id):
        return Session.objects.none()
    return sessions_with_counts(centre_id=actor.centre_id, start=start, end=end)


def session_get_for_booking(actor, session_id) -> Session:
    """A session of the actor's centre (guardians book in their own centre)."""
    session = Session.objects.select_related("room").filter(pk=session_id).first()
    if session is None or (session.room.centre_id != actor.centre_id and not actor.is_network_admin):
        raise NotFound("No such session.")
    return session


def bookings_visible_to(actor) -> QuerySet[Booking]:
    bookings = Booking.objects.select_related("session__room", "child")
    if actor.is_network_admin:
        return bookings
    scope = Q(child__guardians=actor)
    if actor.has_role(Role.CHILDCARE_STAFF, Role.CENTRE_MANAGER):
        scope |= Q(session__room__centre_id=actor.centre_id)
    return bookings.filter(scope).distinct()


def booking_get(actor, booking_id) -> Booking:
    booking = bookings_visible_to(actor).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line. One query."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    ahead = Booking.objects.filter(
        session_id=booking.session_id, status=Booking.Status.WAITLISTED, waitlist_ticket__lt=booking.waitlist_ticket
    ).count()
    return ahead + 1


def guardian_bookings(guardian, *, since: dt.date) -> list[Booking]:
    """A guardian's live bookings from a day on, each with `position` (waitlist place)."""
    bookings = list(
        Booking.objects.filter(child__guardians=guardian, session__date__gte=since)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("session__room", "child", "attendance")
        .order_by("session__starts_at", "child__name", "id")
        .distinct()
    )
    waitlisted = [b for b in bookings if b.status == Booking.Status.WAITLISTED]
    if waitlisted:
        # Everyone waiting in these sessions, in one query, to rank each of ours.
        queues: dict[int, list[int]] = {}
        for session_id, ticket in (
            Booking.objects.filter(session_id__in={b.session_id for b in waitlisted}, status=Booking.Status.WAITLISTED)
            .order_by("session_id", "waitlist_ticket")
            .values_list("session_id", "waitlist_ticket")
        ):
            queues.setdefault(session_id, []).append(ticket or 0)
        for booking in waitlisted:
            booking.position = queues[booking.session_id].index(booking.waitlist_ticket or 0) + 1  # type: ignore[attr-defined]
    for booking in bookings:
        if booking.status != Booking.Status.WAITLISTED:
            booking.position = None  # type: ignore[attr-defined]
    return bookings


@dataclass(frozen=True)
class Proposal:
    """A session that covers one of the guardian's shifts, for one child not yet booked."""

    child: Child
    session: Session
    shift_id: int
    shift_starts_at: dt.datetime
    shift_ends_at: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.child.pk}:{self.session.pk}:{self.shift_id}"


def covering_sessions(sessions: list[Session], *, starts_at: dt.datetime, ends_at: dt.datetime) -> list[Session]:
    """The sessions that overlap the shift widened by the travel buffer."""
    start, end = starts_at - TRAVEL_BUFFER, ends_at + TRAVEL_BUFFER
    return [s for s in sessions if s.starts_at < end and s.ends_at > start]


def proposals_for(guardian, *, now: dt.datetime | None = None) -> list[Proposal]:
    """Sessions covering the guardian's published shifts of the next two weeks, per child
    of a fitting age, leaving out sessions the child is already booked (or waitlisted) in.
    A fixed handful of queries, however many shifts and children."""
    now = now or timezone.now()
    children = children_of(guardian)
    if not children or guardian.centre_id is None:
        return []
    end = now + dt.timedelta(days=PROPOSAL_DAYS)
    shifts = list(published_shifts(worker_ids=[guardian.pk], start=now, end=end))
    if not shifts:
        return []
    sessions = list(
        Session.objects.filter(
            room__centre_id=guardian.centre_id,
            room__is_active=True,
            starts_at__lt=end + TRAVEL_BUFFER,
            ends_at__gt=now,
        )
        .select_related("room")
        .order_by("starts_at", "id")
    )
    booked = set(
        Booking.objects.filter(child__in=children, session__in=sessions)
        .exclude(status=Booking.Status.CANCELLED)
        .values_list("child_id", "session_id")
    )
    rules = ratio_rules_in_force(centre_id=guardian.centre_id, day=timezone.localdate(now))
    found, seen = [], set()
    for shift in shifts:
        starts, ends = shift.published_starts_at, shift.published_ends_at
        if starts is None or ends is None:  # the selector returns published shifts only
            continue
        for session in covering_sessions(sessions, starts_at=starts, ends_at=ends):
            for child in children:
                pair = (child.pk, session.pk)
                if pair in booked or pair in seen:
                    continue
                if not child_fits_band(child, band=session.room.band, day=session.date, rules=rules):
                    continue
                seen.add(pair)
                found.append(Proposal(child, session, shift.pk, starts, ends))
    return found


def bookable_sessions(guardian, *, child: Child, start: dt.date, end: dt.date) -> list[Session]:
    """Sessions of the guardian's centre a child's age fits, for booking by hand."""
    rules = ratio_rules_in_force(centre_id=child.centre_id, day=start)
    bands = [band for band in rules if child_fits_band(child, band=band, day=start, rules=rules)]
    return list(
        sessions_with_counts(centre_id=child.centre_id, start=start, end=end).filter(
            room__band__in=bands, room__is_active=True
        )
    )


def pickup_people_of(child: Child) -> list[PickupPerson]:
    return list(PickupPerson.objects.filter(child=child).order_by("id"))


def todays_sessions(*, centre_id: int, day: dt.date) -> list[Session]:
    """The day's sessions with their bookings, attendance and caregivers (tablet and lead)."""
    live = Booking.objects.exclude(status=Booking.Status.CANCELLED).select_related("child", "attendance")
    return list(
        Session.objects.filter(room__centre_id=centre_id, date=day)
        .select_related("room")
        .prefetch_related(
            Prefetch("bookings", queryset=live.order_by("status", "child__name", "id"), to_attr="live_bookings"),
            "assignments__caregiver__user",
        )
        .order_by("starts_at", "room__name")
    )


def rooms_of(centre_id: int) -> list[Room]:
    return list(Room.objects.filter(centre_id=centre_id).order_by("name"))


def caregivers_expiring(*, centre_id: int, today: dt.date) -> list[Caregiver]:
    """Caregivers whose health certificate has expired or expires within 30 days."""
    horizon = today + dt.timedelta(days=CERTIFICATE_WARNING_DAYS)
    return list(
        Caregiver.objects.filter(centre_id=centre_id)
        .filter(Q(health_certificate_expires__isnull=True) | Q(health_certificate_expires__lte=horizon))
        .select_related("user")
        .order_by("health_certificate_expires", "id")
    )
