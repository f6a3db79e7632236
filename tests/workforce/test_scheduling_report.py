"""The monthly attendance report: figures worked out by hand, the CSV and XLSX files, and a
fixed number of queries whatever the team's size."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.workforce.test_scheduling_services import at, roster_of, types  # noqa: F401 - a fixture
from workforce import work_figures as port
from workforce.models import AttendanceRecord, ShiftType
from workforce.scheduling import report, services

pytestmark = pytest.mark.django_db
NOVEMBER = dt.date(2026, 11, 1)
D = Decimal


class ActiveTime:
    """The workbench's measured time as annotation would report it through the port."""

    def __init__(self, seconds: dict):
        self.seconds = seconds
        self.asked = []

    def active_seconds_by_day(self, *, centre_id, worker_ids, start, end):
        self.asked.append((centre_id, sorted(worker_ids or []), start, end))
        return {key: value for key, value in self.seconds.items() if key[0] in (worker_ids or [])}

    def quality_by_worker(self, **kwargs):
        return {}

    def work_counts_by_worker(self, **kwargs):
        return {}


@pytest.fixture
def active_time():
    previous = port.work_figures()
    figures = ActiveTime({})
    port.work_figures_register(figures)
    yield figures
    port.work_figures_register(previous)


@pytest.fixture
def month(centre, hr, supervisor, annotator, types, active_time):  # noqa: F811 - the fixture above
    """Wang rostered 16 Nov morning (3.5 h) and afternoon (4 h less a 15-minute break = 3.75 h)
    and 17 Nov morning (3.5 h): 10.75 h in 3 shifts. She clocks 08:25–12:02 (3 h 37 min),
    13:40–17:30 (3 h 50 min, 10 minutes late: late), 08:34–12:00 on the 17th (3 h 26 min, 4
    minutes late: within the grace): 10 h 53 min = 10.88 h, 1 late arrival. Leave: annual
    19–20 Nov approved (2 days); personal 29 Oct–3 Nov approved (4 workdays, 2 of them in
    November); sick 23 Nov only requested (not counted). A December clock-in is not November's.
    Li has no shift and no clock record but 2 h of measured labelling."""
    team = factories.TeamFactory(centre=centre, name="标注一组")
    team.members.add(annotator)
    colleague = factories.worker(actor=hr, centre=centre, name="李桂英", team=team)
    monday, tuesday = dt.date(2026, 11, 16), dt.date(2026, 11, 17)
    roster = roster_of(supervisor, team, monday)
    services.roster_draft_set(
        actor=supervisor,
        roster=roster,
        cells={
            (annotator.pk, monday): {types["morning"].pk, types["afternoon"].pk},
            (annotator.pk, tuesday): {types["morning"].pk},
        },
    )
    services.roster_publish(actor=supervisor, roster=roster)
    for day, start, end in (
        (monday, (8, 25), (12, 2)),
        (monday, (13, 40), (17, 30)),
        (tuesday, (8, 34), (12, 0)),
        (dt.date(2026, 12, 1), (8, 30), (12, 0)),
    ):
        services.attendance_clock_in(worker=annotator, at=at(day, *start))
        services.attendance_clock_out(worker=annotator, at=at(day, *end))
    for kind, first, last, decide in (
        ("annual", dt.date(2026, 11, 19), dt.date(2026, 11, 20), True),
        ("personal", dt.date(2026, 10, 29), dt.date(2026, 11, 3), True),
        ("sick", dt.date(2026, 11, 23), dt.date(2026, 11, 23), False),
    ):
        absence = services.absence_request(worker=annotator, kind=kind, starts_on=first, ends_on=last)
        if decide:
            services.absence_decide(actor=supervisor, absence=absence, approve=True)
    active_time.seconds = {(annotator.pk, monday): 3600, (colleague.pk, monday): 5400, (colleague.pk, tuesday): 1800}
    return team, colleague


def test_the_report_figures_by_hand(month, annotator, active_time):
    team, colleague = month
    found = report.attendance_report(team, NOVEMBER)
    assert [row.worker for row in found.rows] == [colleague, annotator]  # by name: 李 before 王
    li, wang = found.rows
    assert (wang.shifts, wang.rostered_hours, wang.clocked_hours, wang.active_hours, wang.late) == (
        3, D("10.75"), D("10.88"), D("1.00"), 1,
    )  # fmt: skip
    assert wang.absence_days == {"annual": D("2"), "personal": D("2")} and wang.absence_total == D("4")
    assert (li.shifts, li.rostered_hours, li.clocked_hours, li.active_hours, li.late, li.absence_total) == (
        0, D("0.00"), D("0.00"), D("2.00"), 0, D("0"),
    )  # fmt: skip
    assert found.total("rostered_hours") == D("10.75") and found.total("late") == 1
    # The port was asked for the team's people and the month in the centre's time zone.
    (centre_id, ids, start, end), = active_time.asked  # fmt: skip
    assert (centre_id, ids) == (team.centre_id, sorted([annotator.pk, colleague.pk]))
    assert (start, end) == (at(NOVEMBER, 0), at(dt.date(2026, 12, 1), 0))


def test_the_csv_and_xlsx_say_the_same(month, annotator):
    team, colleague = month
    found = report.attendance_report(team, NOVEMBER)
    name, content_type, body = report.attendance_report_file(found, "csv")
    assert name.endswith("-2026-11.csv") and content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Shifts", "Hours rostered"]
    assert rows[2] == ["王秀英", "3", "10.75", "10.88", "1.00", "1", "4.00", "Annual leave 2; Personal leave 2"]
    assert rows[1][:5] == ["李桂英", "0", "0.00", "0.00", "2.00"]

    name, content_type, body = report.attendance_report_file(found, "xlsx")
    assert name.endswith(".xlsx") and "spreadsheetml" in content_type
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "2026-11"
    values = [cell.value for cell in sheet[3]]
    assert values[:7] == ["王秀英", 3, 10.75, 10.88, 1, 1, 4]
    assert sheet.cell(row=3, column=3).number_format == "0.00"


def test_the_report_reads_in_a_fixed_number_of_queries(month, hr, centre, django_assert_num_queries):
    team, _colleague = month
    # members, records, shifts, calendar, absences: five whatever the team's size.
    with django_assert_num_queries(5):
        report.attendance_report(team, NOVEMBER)
    for _ in range(15):
        team.members.add(factories.worker(actor=hr, centre=centre))
    with django_assert_num_queries(5):
        assert len(report.attendance_report(team, NOVEMBER).rows) == 17


def test_an_open_record_counts_no_hours_yet(centre, hr, annotator):
    team = factories.TeamFactory(centre=centre)
    team.members.add(annotator)
    AttendanceRecord.objects.create(worker=annotator, centre=centre, clock_in_at=at(dt.date(2026, 11, 2), 9))
    assert report.attendance_report(team, NOVEMBER).rows[0].clocked_hours == D("0.00")
    assert not ShiftType.objects.exists()
