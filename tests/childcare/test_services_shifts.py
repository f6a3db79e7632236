"""Proposals from the guardian's published shifts (plus the travel buffer), accepted in
one call, and bookings following a moved or cancelled shift through the signal."""

import datetime as dt

import pytest
from django.utils import timezone

from childcare import selectors, services
from childcare.models import Booking, Notice, ShiftFollower
from tests.childcare import factories as care

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(after_school, centre, hr, lead):
    """Evening care on the next Tuesday and Thursday, 17:00-21:00, one caregiver each."""
    tuesday, thursday = care.next_weekday(1), care.next_weekday(3)
    helper = care.caregiver(centre, hr=hr)
    sessions = [care.staffed(care.session(after_school, day=d, start=(17, 0), end=(21, 0)), lead, helper)
                for d in (tuesday, thursday)]  # fmt: skip
    return tuesday, thursday, sessions


def test_proposals_cover_shifts_with_the_travel_buffer(week, guardian, django_assert_max_num_queries):
    tuesday, thursday, (tue, thu) = week
    child = care.child_of(guardian)
    # Tuesday's shift ends at 16:40: within 30 minutes of the 17:00 session, so it is covered.
    care.published_shift(guardian, starts_at=care.at(tuesday, 13), ends_at=care.at(tuesday, 16, 40))
    # Thursday's ends at 16:00: an hour before the session, so nothing is proposed.
    care.published_shift(guardian, starts_at=care.at(thursday, 8), ends_at=care.at(thursday, 16))
    with django_assert_max_num_queries(6):
        proposals = selectors.proposals_for(guardian)
    assert [(p.child.pk, p.session.pk) for p in proposals] == [(child.pk, tue.pk)]


def test_accept_all_in_one_call_and_proposals_disappear(week, guardian):
    tuesday, thursday, (tue, thu) = week
    first, second = care.child_of(guardian, name="大宝"), care.child_of(guardian, name="二宝", years=10)
    shift = care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    care.published_shift(guardian, starts_at=care.at(thursday, 18), ends_at=care.at(thursday, 22))
    booked = services.proposals_accept(guardian=guardian)
    assert sorted((b.child_id, b.session_id, b.status) for b in booked) == sorted(
        [(first.pk, tue.pk, "confirmed"), (second.pk, tue.pk, "confirmed"),
         (first.pk, thu.pk, "confirmed"), (second.pk, thu.pk, "confirmed")]
    )  # fmt: skip
    assert {b.shift_id for b in booked if b.session_id == tue.pk} == {shift.pk}
    assert selectors.proposals_for(guardian) == []


def test_other_peoples_shifts_propose_nothing(week, guardian, other_guardian):
    tuesday, _thursday, _sessions = week
    care.child_of(guardian)
    care.published_shift(other_guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    assert selectors.proposals_for(guardian) == []


def test_a_moved_shift_flags_the_booking_and_accepting_moves_the_care(
    week, guardian, django_capture_on_commit_callbacks
):
    tuesday, thursday, (tue, thu) = week
    child = care.child_of(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        shift = care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    (booking,) = services.proposals_accept(guardian=guardian)
    assert booking.session_id == tue.pk

    # Moved within the session's time: nothing to do.
    with django_capture_on_commit_callbacks(execute=True):
        shift = care.shift_move(shift, starts_at=care.at(tuesday, 17), ends_at=care.at(tuesday, 21))
    booking.refresh_from_db()
    assert booking.follow_up == ""

    # Moved to Thursday evening: the guardian is told, the booking waits for their word.
    with django_capture_on_commit_callbacks(execute=True):
        care.shift_move(shift, starts_at=care.at(thursday, 18), ends_at=care.at(thursday, 22))
    booking.refresh_from_db()
    assert (booking.status, booking.follow_up) == ("confirmed", "shift_moved")
    assert Notice.objects.filter(recipient=guardian, kind="shift_moved", booking=booking).count() == 1
    assert ShiftFollower.objects.get().last_event_id > 0

    moved = services.booking_follow_up_resolve(actor=guardian, booking=booking, accept=True)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert [(b.child_id, b.session_id, b.status) for b in moved] == [(child.pk, thu.pk, "confirmed")]
    tue.refresh_from_db()
    assert tue.confirmed_count == 0


def test_a_cancelled_shift_is_confirmed_before_the_care_is_cancelled(
    week, guardian, django_capture_on_commit_callbacks
):
    tuesday, _thursday, (tue, _thu) = week
    care.child_of(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        shift = care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    (booking,) = services.proposals_accept(guardian=guardian)
    with django_capture_on_commit_callbacks(execute=True):
        care.shift_cancel(shift)
    booking.refresh_from_db()
    assert (booking.status, booking.follow_up) == ("confirmed", "shift_cancelled")
    # Keeping it (care is wanted anyway) clears the flag; the place stays.
    services.booking_follow_up_resolve(actor=guardian, booking=booking, accept=False)
    booking.refresh_from_db()
    assert (booking.status, booking.follow_up) == ("confirmed", "")


def test_following_twice_reads_each_event_once(week, guardian):
    tuesday, _thursday, _sessions = week
    care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    assert services.shift_events_follow() == 1
    assert services.shift_events_follow() == 0


def test_shift_moved_for_a_waitlisted_booking_is_flagged_too(after_school, centre, guardian):
    tuesday = care.next_weekday(1)
    session = care.session(after_school, day=tuesday, start=(17, 0), end=(21, 0))  # no caregiver: waitlist
    care.child_of(guardian)
    shift = care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    (booking,) = services.proposals_accept(guardian=guardian)
    assert booking.status == Booking.Status.WAITLISTED and booking.session_id == session.pk
    care.shift_cancel(shift)
    services.shift_events_follow()
    booking.refresh_from_db()
    assert booking.follow_up == "shift_cancelled"
    assert timezone.now() < booking.session.starts_at + dt.timedelta(days=8)
