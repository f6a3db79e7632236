"""Scheduling through its services: the calendar's day kinds, the roster's draft,
publication and republication as versioned events, copy-last-week, clock in and out, a
supervisor's correction kept with who and why, absences asked for and decided."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from aidou.errors import Conflict, DomainError, PermissionDenied
from tests import factories
from workforce.models import AttendanceCorrection, CalendarDay, PayPeriod, Role, Roster, Shift, ShiftEvent, ShiftType
from workforce.scheduling import selectors, services
from workforce.signals import shifts_published

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 16)  # a week with no holiday in it
D = Decimal


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def team(centre, annotator):
    team = factories.TeamFactory(centre=centre, name="标注一组")
    team.members.add(annotator)
    return team


@pytest.fixture
def colleague(centre, hr, team):
    return factories.worker(actor=hr, centre=centre, name="李桂英", team=team)


@pytest.fixture
def types(centre):
    make = ShiftType.objects.create
    return {
        "morning": make(centre=centre, name="上午", starts=dt.time(8, 30), ends=dt.time(12, 0)),
        "afternoon": make(centre=centre, name="下午", starts=dt.time(13, 30), ends=dt.time(17, 30), break_minutes=15),
        "evening": make(centre=centre, name="晚班", starts=dt.time(18, 30), ends=dt.time(21, 30)),
    }


def roster_of(supervisor, team, week=MONDAY) -> Roster:
    return services.roster_get_or_create(actor=supervisor, team=team, week_start=week)


def test_day_kinds_follow_the_seeded_calendar():
    # National Day 2026: 1–3 October statutory, 5–7 rest in lieu, Saturday the 10th worked in lieu.
    assert selectors.day_kind(dt.date(2026, 10, 1)) == "holiday"
    assert selectors.day_kind(dt.date(2026, 10, 6)) == "rest_day"
    assert selectors.day_kind(dt.date(2026, 10, 10)) == "workday"
    assert selectors.day_kind(dt.date(2026, 10, 11)) == "rest_day"  # an ordinary Sunday
    assert selectors.day_kind(dt.date(2026, 11, 16)) == "workday"
    # 13 statutory days a year (the 2024 revision), each row with its source.
    for year in (2025, 2026, 2027):
        days = CalendarDay.objects.filter(date__year=year, kind="statutory")
        assert days.count() == 13
        assert all("全国年节及纪念日放假办法" in day.source for day in days)
    assert "国办发明电〔2024〕12号" in CalendarDay.objects.get(date=dt.date(2025, 1, 26)).source


def test_payroll_reads_the_same_calendar():
    from workforce.pay.selectors import day_kinds

    october = day_kinds(dt.date(2026, 10, 1))
    assert october == selectors.day_kinds_between(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    # 22 weekdays in October 2026, less 2 statutory (1st, 2nd) and 3 in lieu (5th–7th), plus Saturday the 10th.
    assert sum(1 for kind in october.values() if kind == "workday") == 18


def test_publish_writes_one_added_event_per_shift_and_signals_after_commit(
    supervisor, team, annotator, colleague, types, django_capture_on_commit_callbacks
):
    roster = roster_of(supervisor, team)
    changed = services.roster_draft_set(
        actor=supervisor,
        roster=roster,
        cells={
            (annotator.pk, MONDAY): {types["morning"].pk, types["afternoon"].pk},
            (colleague.pk, MONDAY + dt.timedelta(days=1)): {types["evening"].pk},
        },
    )
    assert changed == 3
    assert selectors.published_shifts(worker_ids=[annotator.pk], start=at(MONDAY, 0), end=at(MONDAY, 23)).count() == 0
    received = []

    def follower(sender, event_ids, centre_id, **kwargs):
        received.append((sorted(event_ids), centre_id))

    shifts_published.connect(follower)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events = services.roster_publish(actor=supervisor, roster=roster)
    finally:
        shifts_published.disconnect(follower)
    assert [(event.kind, event.starts_at, event.ends_at) for event in events] == [
        ("added", at(MONDAY, 8, 30), at(MONDAY, 12)),
        ("added", at(MONDAY, 13, 30), at(MONDAY, 17, 30)),
        ("added", at(MONDAY + dt.timedelta(days=1), 18, 30), at(MONDAY + dt.timedelta(days=1), 21, 30)),
    ]
    assert {event.roster_version for event in events} == {1}
    assert received == [(sorted(event.pk for event in events), team.centre_id)]
    roster.refresh_from_db()
    assert (roster.version, roster.published_by, roster.has_unpublished_changes) == (1, supervisor, False)
    assert selectors.published_shifts(worker_ids=[annotator.pk], start=at(MONDAY, 0), end=at(MONDAY, 23)).count() == 2


def test_republishing_moves_and_cancels_with_new_versioned_events(supervisor, team, annotator, colleague, types):
    roster = roster_of(supervisor, team)
    tuesday = MONDAY + dt.timedelta(days=1)
    services.roster_draft_set(
        actor=supervisor,
        roster=roster,
        cells={(annotator.pk, MONDAY): {types["morning"].pk}, (colleague.pk, tuesday): {types["evening"].pk}},
    )
    first = services.roster_publish(actor=supervisor, roster=roster)
    # The annotator goes from the morning to the afternoon; the colleague's evening goes;
    # the colleague gets a Wednesday morning.
    services.roster_draft_set(
        actor=supervisor,
        roster=roster,
        cells={
            (annotator.pk, MONDAY): {types["afternoon"].pk},
            (colleague.pk, tuesday): set(),
            (colleague.pk, tuesday + dt.timedelta(days=1)): {types["morning"].pk},
        },
    )
    # Until published, followers still see the old times.
    moved_shift = Shift.objects.get(worker=annotator, date=MONDAY)
    assert (moved_shift.published_starts_at, moved_shift.starts_at) == (at(MONDAY, 8, 30), at(MONDAY, 13, 30))
    events = services.roster_publish(actor=supervisor, roster=roster)
    found = sorted((event.kind, event.worker_id, event.starts_at, event.previous_starts_at) for event in events)
    assert found == sorted(
        [
            ("moved", annotator.pk, at(MONDAY, 13, 30), at(MONDAY, 8, 30)),
            ("cancelled", colleague.pk, at(tuesday, 18, 30), None),
            ("added", colleague.pk, at(tuesday + dt.timedelta(days=1), 8, 30), None),
        ]
    )
    assert {event.roster_version for event in events} == {2}
    assert min(event.pk for event in events) > max(event.pk for event in first)
    assert [event.kind for event in selectors.shift_events_after(max(e.pk for e in first))] == [
        event.kind for event in events
    ]
    cancelled = Shift.objects.get(worker=colleague, date=tuesday)
    assert cancelled.cancelled_at is not None and not cancelled.is_published
    assert ShiftEvent.objects.count() == 5
    # Publishing again with nothing changed writes nothing.
    with pytest.raises(Conflict):
        services.roster_publish(actor=supervisor, roster=roster)
    assert Roster.objects.get(pk=roster.pk).version == 2


def test_removing_a_never_published_shift_just_deletes_it(supervisor, team, annotator, types):
    roster = roster_of(supervisor, team)
    services.roster_draft_set(actor=supervisor, roster=roster, cells={(annotator.pk, MONDAY): {types["morning"].pk}})
    services.roster_draft_set(actor=supervisor, roster=roster, cells={(annotator.pk, MONDAY): set()})
    assert not Shift.objects.exists()


def test_the_draft_takes_only_team_members_days_of_the_week_and_own_shift_types(
    supervisor, team, annotator, outsider, types, other_centre
):
    roster = roster_of(supervisor, team)
    foreign = ShiftType.objects.create(centre=other_centre, name="上午", starts=dt.time(8), ends=dt.time(12))
    for cells in (
        {(outsider.pk, MONDAY): {types["morning"].pk}},
        {(annotator.pk, MONDAY + dt.timedelta(days=7)): {types["morning"].pk}},
        {(annotator.pk, MONDAY): {foreign.pk}},
    ):
        with pytest.raises(DomainError):
            services.roster_draft_set(actor=supervisor, roster=roster, cells=cells)
    assert not Shift.objects.exists()
    with pytest.raises(DomainError):
        services.roster_get_or_create(actor=supervisor, team=team, week_start=MONDAY + dt.timedelta(days=1))


def test_only_schedule_keepers_of_the_centre_edit_rosters(team, annotator, other_hr, types):
    for actor in (annotator, other_hr):
        with pytest.raises(PermissionDenied):
            services.roster_get_or_create(actor=actor, team=team, week_start=MONDAY)


def test_copy_last_week_repeats_it_day_by_day(supervisor, team, annotator, colleague, types):
    last = roster_of(supervisor, team)
    services.roster_draft_set(
        actor=supervisor,
        roster=last,
        cells={
            (annotator.pk, MONDAY): {types["morning"].pk, types["afternoon"].pk},
            (colleague.pk, MONDAY + dt.timedelta(days=4)): {types["evening"].pk},
        },
    )
    services.roster_publish(actor=supervisor, roster=last)
    types["evening"].is_active = False  # retired since: not copied
    types["evening"].save()
    this = roster_of(supervisor, team, MONDAY + dt.timedelta(days=7))
    services.roster_draft_set(
        actor=supervisor, roster=this, cells={(colleague.pk, MONDAY + dt.timedelta(days=9)): {types["morning"].pk}}
    )
    assert services.roster_copy_previous_week(actor=supervisor, roster=this) == 3  # 2 added, 1 dropped
    assert services.roster_cells(this) == {
        (annotator.pk, MONDAY + dt.timedelta(days=7)): {types["morning"].pk, types["afternoon"].pk}
    }
    with pytest.raises(DomainError):
        services.roster_copy_previous_week(actor=supervisor, roster=roster_of(supervisor, team, dt.date(2026, 1, 5)))


def test_week_grid_reads_in_a_fixed_number_of_queries(supervisor, team, hr, centre, types, django_assert_num_queries):
    for _ in range(12):
        team.members.add(factories.worker(actor=hr, centre=centre))
    roster = roster_of(supervisor, team)
    cells = {
        (person.pk, MONDAY + dt.timedelta(days=n)): {types["morning"].pk}
        for person in team.members.all()
        for n in range(5)
    }
    services.roster_draft_set(actor=supervisor, roster=roster, cells=cells)
    with django_assert_num_queries(5):
        grid = selectors.roster_week_grid(team, MONDAY)
        assert sum(len(cell.shifts) for cell in grid.cells.values()) == 13 * 5


# --- Attendance -------------------------------------------------------------------------


def _published(supervisor, team, worker, types, day=MONDAY, kind="morning"):
    roster = roster_of(supervisor, team, services.week_start_of(day))
    services.roster_draft_set(actor=supervisor, roster=roster, cells={(worker.pk, day): {types[kind].pk}})
    services.roster_publish(actor=supervisor, roster=roster)
    return Shift.objects.get(worker=worker, date=day, shift_type=types[kind])


def test_clock_in_matches_the_shift_and_refuses_a_second_clock_in(supervisor, team, annotator, types):
    shift = _published(supervisor, team, annotator, types)
    record = services.attendance_clock_in(worker=annotator, at=at(MONDAY, 8, 10))  # 20 minutes early
    assert record.shift == shift
    with pytest.raises(Conflict):
        services.attendance_clock_in(worker=annotator, at=at(MONDAY, 8, 20))
    out = services.attendance_clock_out(worker=annotator, at=at(MONDAY, 12, 5))
    assert out.pk == record.pk and out.clock_out_at == at(MONDAY, 12, 5)
    with pytest.raises(Conflict):
        services.attendance_clock_out(worker=annotator, at=at(MONDAY, 12, 6))
    later = services.attendance_clock_in(worker=annotator, at=at(MONDAY, 19))  # no shift then
    assert later.shift is None


def test_a_correction_keeps_the_old_times_who_and_why(supervisor, team, annotator, types):
    record = services.attendance_clock_in(worker=annotator, at=at(MONDAY, 9))
    services.attendance_clock_out(worker=annotator, at=at(MONDAY, 9, 1))
    correction = services.attendance_correct(
        actor=supervisor, record=record, clock_in_at=at(MONDAY, 8, 30), clock_out_at=at(MONDAY, 12),
        reason="忘记打卡下班",
    )  # fmt: skip
    assert correction.corrected_by == supervisor and correction.reason == "忘记打卡下班"
    assert correction.before == {"clock_in_at": at(MONDAY, 9).isoformat(), "clock_out_at": at(MONDAY, 9, 1).isoformat()}
    assert correction.after == {
        "clock_in_at": at(MONDAY, 8, 30).isoformat(),
        "clock_out_at": at(MONDAY, 12).isoformat(),
    }
    record.refresh_from_db()
    assert (record.clock_in_at, record.clock_out_at) == (at(MONDAY, 8, 30), at(MONDAY, 12))


def test_corrections_need_a_reason_sane_times_another_supervisor_and_an_open_month(
    supervisor, team, annotator, hr, centre, other_hr
):
    record = services.attendance_clock_in(worker=annotator, at=at(MONDAY, 9))
    services.attendance_clock_out(worker=annotator, at=at(MONDAY, 12))
    with pytest.raises(DomainError):  # no reason
        services.attendance_correct(actor=supervisor, record=record, clock_in_at=at(MONDAY, 9),
                                    clock_out_at=at(MONDAY, 13), reason=" ")  # fmt: skip
    with pytest.raises(DomainError):  # out before in
        services.attendance_correct(actor=supervisor, record=record, clock_in_at=at(MONDAY, 9),
                                    clock_out_at=at(MONDAY, 8), reason="x")  # fmt: skip
    own = services.attendance_clock_in(worker=supervisor, at=at(MONDAY, 9))
    with pytest.raises(PermissionDenied):  # one's own record
        services.attendance_correct(actor=supervisor, record=own, clock_in_at=at(MONDAY, 8),
                                    clock_out_at=at(MONDAY, 12), reason="x")  # fmt: skip
    with pytest.raises(PermissionDenied):  # another centre's supervisor (their pages 404 first)
        services.attendance_correct(actor=other_hr, record=record, clock_in_at=at(MONDAY, 8),
                                    clock_out_at=at(MONDAY, 12), reason="x")  # fmt: skip
    with pytest.raises(Http404):
        selectors.attendance_record_get(other_hr, record.pk)
    PayPeriod.objects.create(centre=centre, month=dt.date(2026, 11, 1), status="closed")
    with pytest.raises(Conflict):
        services.attendance_correct(actor=supervisor, record=record, clock_in_at=at(MONDAY, 8),
                                    clock_out_at=at(MONDAY, 12), reason="x")  # fmt: skip
    assert not AttendanceCorrection.objects.exists()


def test_a_supervisor_enters_a_forgotten_stretch_as_a_correction(supervisor, team, annotator):
    correction = services.attendance_record_add(
        actor=supervisor, worker=annotator, clock_in_at=at(MONDAY, 8, 30), clock_out_at=at(MONDAY, 12),
        reason="打卡机故障",
    )  # fmt: skip
    assert correction.record.source == "supervisor"
    assert correction.before == {"clock_in_at": None, "clock_out_at": None}
    with pytest.raises(Conflict):  # overlapping the one just entered
        services.attendance_record_add(actor=supervisor, worker=annotator, clock_in_at=at(MONDAY, 11),
                                       clock_out_at=at(MONDAY, 13), reason="x")  # fmt: skip


# --- Absences -------------------------------------------------------------------------------


def test_leave_counts_the_workdays_of_its_dates_by_the_calendar(annotator):
    # 28 September to 9 October 2026: 28–30 September and 8–9 October are workdays; 1–3
    # October are statutory, 5–7 rest in lieu, the 4th a Sunday.
    absence = services.absence_request(
        worker=annotator, kind="annual", starts_on=dt.date(2026, 9, 28), ends_on=dt.date(2026, 10, 9)
    )
    assert absence.days == D("5") and absence.status == "requested"
    with pytest.raises(DomainError):  # overlaps the request above
        services.absence_request(worker=annotator, kind="sick", starts_on=dt.date(2026, 10, 9),
                                 ends_on=dt.date(2026, 10, 9))  # fmt: skip
    half = services.absence_request(worker=annotator, kind="personal", starts_on=dt.date(2026, 11, 20),
                                    ends_on=dt.date(2026, 11, 20), days=D("0.5"))  # fmt: skip
    assert half.days == D("0.5")
    for bad in (
        {"kind": "holiday", "starts_on": dt.date(2026, 12, 1), "ends_on": dt.date(2026, 12, 1)},
        {"kind": "sick", "starts_on": dt.date(2026, 12, 2), "ends_on": dt.date(2026, 12, 1)},
        {"kind": "sick", "starts_on": dt.date(2026, 12, 5), "ends_on": dt.date(2026, 12, 6)},  # a weekend
        {"kind": "sick", "starts_on": dt.date(2026, 12, 7), "ends_on": dt.date(2026, 12, 7), "days": D("2")},
        {"kind": "sick", "starts_on": dt.date(2026, 12, 7), "ends_on": dt.date(2026, 12, 8), "days": D("0.3")},
    ):
        with pytest.raises(DomainError):
            services.absence_request(worker=annotator, **bad)


def test_a_supervisor_of_the_centre_decides_leave_once(supervisor, annotator, other_hr, centre):
    other_supervisor = factories.UserFactory(centre=other_hr.centre, roles=[Role.SUPERVISOR])
    absence = services.absence_request(worker=annotator, kind="sick", starts_on=dt.date(2026, 12, 7),
                                       ends_on=dt.date(2026, 12, 8), reason="发烧")  # fmt: skip
    with pytest.raises(Http404):  # another centre's request is not found
        selectors.absence_get(other_supervisor, absence.pk)
    with pytest.raises(PermissionDenied):
        services.absence_decide(actor=other_supervisor, absence=absence, approve=True)
    with pytest.raises(PermissionDenied):  # an annotator decides nothing
        services.absence_decide(actor=annotator, absence=absence, approve=True)
    with pytest.raises(DomainError):  # a refusal says why
        services.absence_decide(actor=supervisor, absence=absence, approve=False)
    decided = services.absence_decide(actor=supervisor, absence=selectors.absence_get(supervisor, absence.pk),
                                      approve=True)  # fmt: skip
    assert (decided.status, decided.decided_by) == ("approved", supervisor)
    with pytest.raises(Conflict):
        services.absence_decide(actor=supervisor, absence=absence, approve=False, note="晚了")
    with pytest.raises(Conflict):
        services.absence_cancel(worker=annotator, absence=absence)


def test_nobody_decides_their_own_leave(supervisor):
    own = services.absence_request(worker=supervisor, kind="annual", starts_on=dt.date(2026, 12, 7),
                                   ends_on=dt.date(2026, 12, 7))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.absence_decide(actor=supervisor, absence=own, approve=True)


def test_the_same_shift_in_two_teams_rosters_is_a_conflict(supervisor, team, annotator, types, centre):
    second = factories.TeamFactory(centre=centre, name="标注二组")
    second.members.add(annotator)
    services.roster_draft_set(actor=supervisor, roster=roster_of(supervisor, team),
                              cells={(annotator.pk, MONDAY): {types["morning"].pk}})  # fmt: skip
    other = roster_of(supervisor, second)
    with pytest.raises(Conflict):
        services.roster_draft_set(actor=supervisor, roster=other, cells={(annotator.pk, MONDAY): {types["morning"].pk}})
    assert Shift.objects.count() == 1 and not Roster.objects.get(pk=other.pk).has_unpublished_changes
