"""Places: capacity and ratio enforced, the waitlist promoted in ticket order, cancelling
frees at once, an expired health certificate counts toward no ratio."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aidou.errors import Conflict, DomainError, NotFound
from childcare import selectors, services
from childcare.models import AgeBand, Booking, Notice, Session
from tests import factories
from tests.childcare import factories as care

pytestmark = pytest.mark.django_db


def _children(guardian_factory, n):
    return [care.child_of(g, name=f"孩子{i}") for i, g in enumerate(guardian_factory(n))]


@pytest.fixture
def families(centre, hr):
    def make(n):
        return [factories.worker(actor=hr, centre=centre, name=f"家长{i}") for i in range(n)]

    return make


def test_no_caregiver_means_no_place(after_school, guardian):
    session = care.session(after_school)
    booking = services.booking_create(actor=guardian, child=care.child_of(guardian), session=session)
    assert booking.status == Booking.Status.WAITLISTED
    assert selectors.waitlist_position(booking) == 1


def test_ratio_caps_confirmed_and_the_rest_wait_in_order(after_school, centre, hr, lead, families):
    # School age: 1 caregiver per 10 children; room 20, group 20. One caregiver: 10 places.
    session = care.staffed(care.session(after_school), lead, care.caregiver(centre, hr=hr))
    assert (session.capacity, session.children_per_caregiver, session.places) == (20, 10, 10)
    parents = families(13)
    bookings = [
        services.booking_create(actor=p, child=care.child_of(p, name=f"孩子{i}"), session=session)
        for i, p in enumerate(parents)
    ]
    assert [b.status for b in bookings] == ["confirmed"] * 10 + ["waitlisted"] * 3
    assert [selectors.waitlist_position(b) for b in bookings[10:]] == [1, 2, 3]
    session.refresh_from_db()
    assert session.confirmed_count == 10

    # A second caregiver: 20 places, the three waiting are confirmed, first come first.
    care.staffed(session, lead, care.caregiver(centre, hr=hr))
    statuses = dict(Booking.objects.filter(session=session).values_list("pk", "status"))
    assert all(statuses[b.pk] == "confirmed" for b in bookings)
    assert Notice.objects.filter(kind=Notice.Kind.PROMOTED).count() == 3
    session.refresh_from_db()
    assert (session.places, session.confirmed_count) == (20, 13)


def test_capacity_caps_below_the_ratio(centre, hr, lead, families):
    small = care.room(centre, name="小间", capacity=2)
    session = care.staffed(care.session(small), lead, care.caregiver(centre, hr=hr))
    assert session.places == 2  # min(2, 1 x 10)
    a, b, c = families(3)
    results = [services.booking_create(actor=p, child=care.child_of(p), session=session).status for p in (a, b, c)]
    assert results == ["confirmed", "confirmed", "waitlisted"]


def test_cancelling_frees_the_place_at_once_for_the_first_waiting(centre, hr, lead, families):
    small = care.room(centre, name="小间", capacity=1)
    session = care.staffed(care.session(small), lead, care.caregiver(centre, hr=hr))
    first, second, third = families(3)
    held = services.booking_create(actor=first, child=care.child_of(first), session=session)
    waiting_2 = services.booking_create(actor=second, child=care.child_of(second), session=session)
    waiting_3 = services.booking_create(actor=third, child=care.child_of(third), session=session)
    assert (waiting_2.waitlist_ticket, waiting_3.waitlist_ticket) == (1, 2)

    services.booking_cancel(actor=first, booking=held)
    waiting_2.refresh_from_db()
    waiting_3.refresh_from_db()
    assert waiting_2.status == "confirmed" and waiting_3.status == "waitlisted"
    assert selectors.waitlist_position(waiting_3) == 1
    assert Notice.objects.filter(recipient=second, booking=waiting_2, kind="promoted").exists()
    assert not Notice.objects.filter(recipient=third).exists()
    session.refresh_from_db()
    assert session.confirmed_count == 1
    # Cancelling again changes nothing.
    services.booking_cancel(actor=first, booking=held)
    session.refresh_from_db()
    assert session.confirmed_count == 1


def test_cancelling_a_waitlisted_booking_moves_the_queue_up(centre, hr, lead, families):
    small = care.room(centre, name="小间", capacity=1)
    session = care.staffed(care.session(small), lead, care.caregiver(centre, hr=hr))
    a, b, c = families(3)
    services.booking_create(actor=a, child=care.child_of(a), session=session)
    w_b = services.booking_create(actor=b, child=care.child_of(b), session=session)
    w_c = services.booking_create(actor=c, child=care.child_of(c), session=session)
    services.booking_cancel(actor=b, booking=w_b)
    assert selectors.waitlist_position(Booking.objects.get(pk=w_c.pk)) == 1
    session.refresh_from_db()
    assert session.confirmed_count == 1


def test_expired_health_certificate_counts_toward_no_ratio(after_school, centre, hr, lead, guardian):
    session = care.session(after_school)
    expired = care.caregiver(centre, hr=hr, cert_days=-1)
    care.staffed(session, lead, expired)
    assert (session.caregivers_counted, session.places) == (0, 0)
    booking = services.booking_create(actor=guardian, child=care.child_of(guardian), session=session)
    assert booking.status == "waitlisted"
    # Renewed: they count, and the waiting child is confirmed.
    services.caregiver_save(
        actor=lead, user=expired.user, health_certificate_expires=timezone.localdate() + dt.timedelta(days=300)
    )
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_certificate_expiring_before_the_session_date_does_not_count(after_school, centre, hr, lead):
    day = timezone.localdate() + dt.timedelta(days=10)
    session = care.session(after_school, day=day)
    expiring = care.caregiver(centre, hr=hr, cert_days=5)
    care.staffed(session, lead, expiring)
    assert session.places == 0
    assert [c.pk for c in selectors.caregivers_expiring(centre_id=centre.pk, today=timezone.localdate())] == [
        expiring.pk
    ]


def test_taking_off_a_caregiver_the_children_need_is_refused(centre, hr, lead, guardian):
    room = care.room(centre, name="小间", capacity=5)
    one = care.caregiver(centre, hr=hr)
    session = care.staffed(care.session(room), lead, one)
    services.booking_create(actor=guardian, child=care.child_of(guardian), session=session)
    with pytest.raises(Conflict):
        services.caregiver_unassign(actor=lead, session=session, caregiver=one)
    session.refresh_from_db()
    assert (session.caregivers_counted, session.places, session.assignments.count()) == (1, 5, 1)


def test_booking_rules(after_school, centre, hr, lead, guardian, other_guardian, outsider):
    session = care.staffed(care.session(after_school), lead, care.caregiver(centre, hr=hr))
    child = care.child_of(guardian)
    with pytest.raises(NotFound):  # another family's child
        services.booking_create(actor=other_guardian, child=child, session=session)
    services.booking_create(actor=guardian, child=child, session=session)
    with pytest.raises(Conflict):
        services.booking_create(actor=guardian, child=child, session=session)
    toddler_room = care.room(centre, name="托小班", band=AgeBand.TODDLER, capacity=15)
    with pytest.raises(DomainError) as wrong_age:
        services.booking_create(actor=guardian, child=child, session=care.session(toddler_room))
    assert wrong_age.value.field == "session"
    other_room = care.room(outsider.centre, name="外中心")
    with pytest.raises(NotFound):
        services.booking_create(actor=guardian, child=child, session=care.session(other_room))
    past = Session.objects.filter(pk=session.pk)
    past.update(starts_at=timezone.now() - dt.timedelta(hours=3), ends_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        services.booking_create(actor=guardian, child=care.child_of(guardian, name="二宝"), session=past.get())
    assert Booking.objects.count() == 1


def test_centre_rule_replaces_the_national_default_from_its_date(after_school, centre, lead):
    today = timezone.localdate()
    national = selectors.ratio_rule_for(centre_id=centre.pk, band=AgeBand.TODDLER, day=today)
    assert (national.children_per_caregiver, national.max_group_size) == (5, 15)
    assert (selectors.ratio_rule_for(centre_id=centre.pk, band=AgeBand.INFANT, day=today).children_per_caregiver) == 3
    assert (selectors.ratio_rule_for(centre_id=centre.pk, band=AgeBand.TWOS, day=today).max_group_size) == 20
    services.ratio_rule_set(
        actor=lead, centre_id=centre.pk, band=AgeBand.TODDLER, min_months=12, max_months=24,
        children_per_caregiver=4, max_group_size=12, effective_from=today + dt.timedelta(days=7),
        source_note="宜君县卫健局 2026 年通知",
    )  # fmt: skip
    assert selectors.ratio_rule_for(centre_id=centre.pk, band=AgeBand.TODDLER, day=today).pk == national.pk
    later = selectors.ratio_rule_for(centre_id=centre.pk, band=AgeBand.TODDLER, day=today + dt.timedelta(days=8))
    assert (later.children_per_caregiver, later.max_group_size, later.centre_id) == (4, 12, centre.pk)
    with pytest.raises(ValidationError):
        services.ratio_rule_set(
            actor=lead, centre_id=centre.pk, band=AgeBand.TODDLER, min_months=12, max_months=24,
            children_per_caregiver=4, max_group_size=12, effective_from=today, source_note=" ",
        )  # fmt: skip


def test_sessions_generate_from_templates_once(after_school, centre):
    monday = care.next_weekday(0)
    for weekday in (0, 2, 4):
        after_school.templates.create(kind="after_school", weekday=weekday, starts=dt.time(16), ends=dt.time(19))
    assert services.sessions_generate(centre_id=centre.pk, start=monday, weeks=2) == 6
    assert services.sessions_generate(centre_id=centre.pk, start=monday, weeks=2) == 0
    first = Session.objects.order_by("starts_at").first()
    assert (first.date, timezone.localtime(first.starts_at).hour, first.capacity) == (monday, 16, 20)
