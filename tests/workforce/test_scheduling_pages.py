"""The scheduling pages as people use them: the supervisor's week grid, shift types, the
annotator's clock panel, leave asked for and decided, attendance corrected, the report;
who may open what (another centre's: 404, a role that keeps no schedule: 403)."""

import datetime as dt

import pytest

from tests import factories
from tests.workforce.test_scheduling_services import at
from workforce.models import Absence, AttendanceRecord, Role, Shift, ShiftEvent, ShiftType

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 16)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def team(centre, annotator):
    team = factories.TeamFactory(centre=centre, name="标注一组")
    team.members.add(annotator)
    return team


@pytest.fixture
def morning(centre):
    return ShiftType.objects.create(centre=centre, name="上午", starts=dt.time(8, 30), ends=dt.time(12))


def test_shift_types_are_added_edited_and_retired(login, supervisor, centre):
    client = login(supervisor)
    page = client.post(
        "/schedule/shift-types/", {"name": "上午", "starts": "08:30", "ends": "12:00", "break_minutes": "0",
                                   "is_active": "on"},
    )  # fmt: skip
    assert page.status_code == 302
    shift_type = ShiftType.objects.get(centre=centre, name="上午")
    page = client.post("/schedule/shift-types/", {"name": "坏", "starts": "12:00", "ends": "08:00", "break_minutes": 0})
    assert page.status_code == 200 and not ShiftType.objects.filter(name="坏").exists()
    page = client.post(
        f"/schedule/shift-types/{shift_type.pk}/", {"name": "早班", "starts": "08:00", "ends": "12:00",
                                                   "break_minutes": "10", "is_active": "on"},
    )  # fmt: skip
    shift_type.refresh_from_db()
    assert (shift_type.name, shift_type.starts, shift_type.break_minutes) == ("早班", dt.time(8), 10)
    client.post(f"/schedule/shift-types/{shift_type.pk}/delete/")
    assert not ShiftType.objects.exists()


def test_shift_types_of_another_centre_are_not_found_and_annotators_are_refused(login, other_hr, annotator, morning):
    assert login(other_hr).get(f"/schedule/shift-types/{morning.pk}/").status_code == 404
    assert login(annotator).get("/schedule/shift-types/").status_code == 403


def test_the_week_grid_saves_copies_and_publishes(login, supervisor, team, annotator, morning):
    client = login(supervisor)
    grid = f"/schedule/teams/{team.pk}/week/?week={MONDAY:%Y-%m-%d}"
    html = client.get(grid).content.decode()
    assert f'name="cell-{annotator.pk}-2026-11-16" value="{morning.pk}"' in html
    cell = f"cell-{annotator.pk}-2026-11-17"
    page = client.post(grid, {"week": "2026-11-16", "action": "publish", cell: [str(morning.pk)]})
    assert page.status_code == 302
    event = ShiftEvent.objects.get()
    assert (event.kind, event.worker, event.starts_at) == ("added", annotator, at(dt.date(2026, 11, 17), 8, 30))
    html = client.get(grid).content.decode()
    assert f'value="{morning.pk}" checked' in html
    next_week = f"/schedule/teams/{team.pk}/week/?week=2026-11-23"
    client.post(next_week, {"week": "2026-11-23", "action": "copy"})
    assert Shift.objects.filter(date=dt.date(2026, 11, 24), published_starts_at__isnull=True).count() == 1


def test_the_grid_names_holidays_and_days_worked_in_lieu(login, supervisor, team, morning):
    client = login(supervisor)
    html = client.get(f"/schedule/teams/{team.pk}/week/?week=2026-09-28").content.decode()
    # Mon–Wed workdays, 1–3 October statutory (国庆节), Sunday the 4th a rest day.
    assert html.count('<th scope="col" class="day-holiday">') == 3 and "国庆节" in html
    assert html.count('<th scope="col" class="day-workday">') == 3
    html = client.get(f"/schedule/teams/{team.pk}/week/?week=2026-10-05").content.decode()
    # 5–7 October rest in lieu, Saturday the 10th worked in lieu, Sunday the 11th rest.
    assert html.count('<th scope="col" class="day-rest_day">') == 4
    assert html.count('<th scope="col" class="day-workday">') == 3


def test_the_grid_is_for_the_centres_schedule_keepers(login, team, annotator, other_hr):
    assert login(annotator).get(f"/schedule/teams/{team.pk}/week/").status_code == 403
    other_supervisor = factories.UserFactory(centre=other_hr.centre, roles=[Role.SUPERVISOR])
    assert login(other_supervisor).get(f"/schedule/teams/{team.pk}/week/").status_code == 404
    assert login(other_supervisor).get(f"/schedule/teams/{team.pk}/report/").status_code == 404


def test_the_annotator_clocks_in_and_out_from_her_home(login, annotator):
    client = login(annotator)
    html = client.get("/work/").content.decode()
    assert 'id="clock-in"' in html
    client.post("/schedule/clock-in/", {"next": "/work/"})
    page = client.post("/schedule/clock-in/", {"next": "/work/"}, follow=True)  # twice: refused
    assert AttendanceRecord.objects.filter(worker=annotator).count() == 1
    assert 'id="clock-out"' in page.content.decode()
    client.post("/schedule/clock-out/", {"next": "/work/"})
    assert AttendanceRecord.objects.get(worker=annotator).clock_out_at is not None
    assert client.post("/schedule/clock-out/", {"next": "https://evil.example/"})["Location"] == "/schedule/"


def test_leave_is_asked_for_and_decided_at_the_centre(login, annotator, supervisor, other_hr):
    client = login(annotator)
    client.post("/schedule/absences/", {"kind": "sick", "starts_on": "2026-12-07", "ends_on": "2026-12-08",
                                        "reason": "发烧"})  # fmt: skip
    absence = Absence.objects.get(worker=annotator)
    assert absence.days == 2
    other_supervisor = factories.UserFactory(centre=other_hr.centre, roles=[Role.SUPERVISOR])
    assert login(other_supervisor).post(f"/schedule/absences/{absence.pk}/decide/",
                                        {"decision": "approve"}).status_code == 404  # fmt: skip
    html = login(supervisor).get("/schedule/absences/").content.decode()
    assert annotator.name in html
    login(supervisor).post(f"/schedule/absences/{absence.pk}/decide/", {"decision": "approve"})
    absence.refresh_from_db()
    assert (absence.status, absence.decided_by) == ("approved", supervisor)


def test_a_supervisor_corrects_attendance_with_a_reason(login, supervisor, team, annotator):
    record = AttendanceRecord.objects.create(
        worker=annotator, centre=annotator.centre, clock_in_at=at(MONDAY, 9), clock_out_at=at(MONDAY, 9, 5)
    )
    client = login(supervisor)
    page = client.post(f"/schedule/attendance/{record.pk}/correct/",
                       {"clock_in_at": "2026-11-16T08:30", "clock_out_at": "2026-11-16T12:00", "reason": "忘记打卡"})  # fmt: skip
    assert page.status_code == 302
    html = client.get(f"/schedule/teams/{team.pk}/attendance/?day=2026-11-16").content.decode()
    assert "忘记打卡" in html and "09:00" in html  # the reason and the time before
    assert login(annotator).get(f"/schedule/attendance/{record.pk}/correct/").status_code == 403


def test_the_report_page_and_its_files(login, supervisor, team, annotator):
    client = login(supervisor)
    html = client.get(f"/schedule/teams/{team.pk}/report/?month=2026-11").content.decode()
    assert annotator.name in html and "2026-11" in html
    assert client.get(f"/schedule/teams/{team.pk}/report.csv?month=2026-11")["Content-Type"].startswith("text/csv")
    xlsx = client.get(f"/schedule/teams/{team.pk}/report.xlsx?month=2026-11")
    assert "spreadsheetml" in xlsx["Content-Type"] and xlsx.content[:2] == b"PK"
    assert client.get(f"/schedule/teams/{team.pk}/report.pdf").status_code == 404
    assert client.get(f"/schedule/teams/{team.pk}/report/?month=2026-13").status_code == 404


def test_the_schedule_home_lists_my_published_shifts(login, supervisor, team, annotator, morning):
    from workforce.scheduling import services

    roster = services.roster_get_or_create(actor=supervisor, team=team, week_start=MONDAY)
    services.roster_draft_set(actor=supervisor, roster=roster, cells={(annotator.pk, MONDAY): {morning.pk}})
    html = login(annotator).get("/schedule/?week=2026-11-16").content.decode()
    assert "上午" not in html.split('id="my-shifts"')[1].split("</table>")[0]  # a draft is not shown
    services.roster_publish(actor=supervisor, roster=roster)
    html = login(annotator).get("/schedule/?week=2026-11-16").content.decode()
    assert "08:30–12:00" in html
