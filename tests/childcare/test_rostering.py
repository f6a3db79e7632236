"""The caregiver solver on plain data: ratios met, availability, certificates, hours and
rest respected, hours spread fairly, the shortfall named when no roster exists; and the
independent checker catching what a wrong plan gets wrong."""

import datetime as dt

from childcare.rostering import CaregiverOffer, SessionNeed, ratio_violations, roster_solve

MONDAY = dt.date(2026, 12, 14)


def at(day_offset: int, hh: int) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day_offset), dt.time(hh))


def need(sid, day, start, end, children, ratio=10):
    return SessionNeed(sid, at(day, start), at(day, end), children, ratio)


def offer(cid, *, days=range(7), hours=(8, 23), cert=MONDAY + dt.timedelta(days=365), per_day=8, per_week=40):
    return CaregiverOffer(cid, cert, tuple((at(d, hours[0]), at(d, hours[1])) for d in days), per_day, per_week)


def test_every_session_gets_its_ratio_and_hours_are_spread():
    sessions = [need(1, 0, 16, 19, 25), need(2, 1, 16, 19, 10), need(3, 2, 16, 19, 10), need(4, 3, 16, 19, 0)]
    caregivers = [offer(10), offer(11), offer(12)]
    plan = roster_solve(sessions, caregivers)
    assert plan.feasible
    assert [len(plan.assignments[s]) for s in (1, 2, 3)] == [3, 1, 1]  # ceil(25/10), 1, 1
    assert plan.assignments.get(4, []) == []  # nobody booked: nobody needed
    assert ratio_violations(sessions, caregivers, plan.assignments) == []
    hours = {c: sum(c in plan.assignments[s] for s in (1, 2, 3)) for c in (10, 11, 12)}
    assert sorted(hours.values()) == [1, 2, 2]  # 5 turns among 3 people: nobody gets 3


def test_expired_certificate_and_unavailability_are_respected():
    sessions = [need(1, 0, 16, 19, 5)]
    expired = offer(10, cert=MONDAY - dt.timedelta(days=1))
    away = offer(11, days=[1, 2])
    evening_only = offer(12, hours=(18, 23))
    plan = roster_solve(sessions, [expired, away, evening_only])
    assert plan.shortfalls == {1: 1}  # which session lacks how many
    plan = roster_solve(sessions, [expired, away, evening_only, offer(13)])
    assert plan.assignments[1] == [13] and plan.feasible


def test_infeasible_says_which_sessions_lack_how_many():
    # Two rooms at the same time, 30 toddlers at 1:5 each need 6; only 8 caregivers in all.
    sessions = [need(1, 0, 9, 12, 30, ratio=5), need(2, 0, 9, 12, 30, ratio=5), need(3, 1, 9, 12, 4, ratio=5)]
    plan = roster_solve(sessions, [offer(i) for i in range(8)])
    assert sum(plan.shortfalls.values()) == 4 and set(plan.shortfalls) <= {1, 2}
    assert 3 not in plan.shortfalls


def test_hours_and_rest():
    # One caregiver, 6 hours a day at most: of two 4-hour sessions the same day only one.
    sessions = [need(1, 0, 9, 13, 5), need(2, 0, 14, 18, 5)]
    plan = roster_solve(sessions, [offer(1, per_day=6)])
    assert sum(len(v) for v in plan.assignments.values()) == 1 and len(plan.shortfalls) == 1
    # A session ending at 23:00 and one at 08:00 the next day: less than 11 hours' rest.
    late, early = need(3, 0, 19, 23, 5), need(4, 1, 8, 12, 5)
    plan = roster_solve([late, early], [offer(1, hours=(7, 23))])
    assert len(plan.shortfalls) == 1


def test_checker_catches_a_wrong_plan():
    sessions = [need(1, 0, 16, 19, 15), need(2, 0, 18, 20, 5)]
    caregivers = [offer(10), offer(11, cert=MONDAY - dt.timedelta(days=1))]
    problems = ratio_violations(sessions, caregivers, {1: [10, 11], 2: [10]})
    assert any("caregiver 11 may not work it" in p for p in problems)
    assert any("session 1: 15 children, 1 caregivers" in p for p in problems)
    assert any("sessions 1 and 2 clash" in p for p in problems)


# --- The job on the database ---------------------------------------------------------------

import pytest  # noqa: E402

from childcare import services  # noqa: E402
from childcare.models import Booking, CaregiverAssignment, RosterSolve  # noqa: E402
from tests.childcare import factories as care  # noqa: E402


def _available_all_week(caregiver):
    for weekday in range(7):
        caregiver.availability.create(weekday=weekday, starts=dt.time(8), ends=dt.time(22))


@pytest.mark.django_db
def test_the_roster_job_staffs_sessions_promotes_the_waitlist_and_reports_shortfalls(
    centre, hr, lead, families_of_12, django_capture_on_commit_callbacks
):
    big = care.room(centre, name="大班", capacity=20)
    tuesday = care.next_weekday(1)
    first = care.session(big, day=tuesday)
    second = care.session(big, day=tuesday + dt.timedelta(days=1))
    bookings = [care.booking_for(parent, session=first) for parent in families_of_12]
    assert all(b.status == "waitlisted" for b in bookings)  # nobody rostered yet
    ok, expired = care.caregiver(centre, hr=hr), care.caregiver(centre, hr=hr, cert_days=-1)
    for one in (ok, expired):
        _available_all_week(one)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.roster_solve_start(actor=lead, centre_id=centre.pk, start=tuesday,
                                          end=tuesday + dt.timedelta(days=1))  # fmt: skip
    job.refresh_from_db()
    assert job.status == "succeeded"
    # 12 children at 1:10 need 2; only one caregiver counts: the first session lacks one.
    assert job.errors == [{"session": first.pk, "room": "大班", "starts_at": first.starts_at.isoformat(), "missing": 1}]
    second.refresh_from_db()
    assert list(CaregiverAssignment.objects.filter(session=second).values_list("caregiver", flat=True)) == [ok.pk]
    assert second.places == 10
    # A second valid caregiver: the first session is staffed and ten children confirmed.
    _available_all_week(care.caregiver(centre, hr=hr))
    with django_capture_on_commit_callbacks(execute=True):
        services.roster_solve_start(actor=lead, centre_id=centre.pk, start=tuesday, end=tuesday)
    assert RosterSolve.objects.first().errors == []
    first.refresh_from_db()
    assert (first.caregivers_counted, first.places, first.confirmed_count) == (2, 20, 12)
    assert Booking.objects.filter(session=first, status="confirmed").count() == 12
