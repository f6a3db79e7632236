"""The monthly attendance report of a team: per person, hours rostered, hours clocked, active
labelling hours (the workbench's server-measured time, through workforce.work_figures),
late arrivals and days of approved leave; as rows for the page, and as CSV and XLSX.

The figures are read for the whole team at once: a fixed number of queries whatever its size."""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from workforce.models import Absence, AbsenceKind, AttendanceRecord, Shift, Team, User
from workforce.pay.payroll import WORKDAY
from workforce.pay.selectors import month_bounds, month_end
from workforce.scheduling.selectors import day_kinds_between
from workforce.work_figures import work_figures

# A clock-in up to this long after the shift's start is on time (a queue at the door).
LATE_GRACE = dt.timedelta(minutes=5)
HOURS = Decimal("0.01")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _hours(seconds: float) -> Decimal:
    return (Decimal(str(round(seconds))) / Decimal(3600)).quantize(HOURS)


@dataclass
class ReportRow:
    worker: User
    rostered_seconds: float = 0
    clocked_seconds: float = 0
    active_seconds: int = 0
    shifts: int = 0
    late: int = 0
    absence_days: dict[str, Decimal] = field(default_factory=dict)

    @property
    def rostered_hours(self) -> Decimal:
        return _hours(self.rostered_seconds)

    @property
    def clocked_hours(self) -> Decimal:
        return _hours(self.clocked_seconds)

    @property
    def active_hours(self) -> Decimal:
        return _hours(self.active_seconds)

    @property
    def absence_total(self) -> Decimal:
        return sum(self.absence_days.values(), Decimal(0))

    @property
    def absence_text(self) -> str:
        labels = dict(AbsenceKind.choices)
        return "; ".join(f"{labels[kind]} {days.normalize():f}" for kind, days in sorted(self.absence_days.items()))


@dataclass
class AttendanceReport:
    team: Team
    month: dt.date
    rows: list[ReportRow]

    def total(self, name: str) -> Decimal | int:
        return sum((getattr(row, name) for row in self.rows), Decimal(0) if "hours" in name else 0)


def attendance_report(team: Team, month: dt.date) -> AttendanceReport:
    """The team's month (`month` is its first day). Rostered: the published, live shifts of
    the month less their breaks. Clocked: finished records clocked in during the month (in the
    centre's time zone). Late: shifts whose first clock-in came more than five minutes after
    the start. Leave: approved days, those of leave running across the month's edge counted
    by the month's workdays. Caller checks the actor may read the team (a scoped selector)."""
    first, last = month, month_end(month)
    start, end = month_bounds(month)
    people = list(team.members.filter(is_active=True).order_by("name", "id"))
    rows = {person.pk: ReportRow(worker=person) for person in people}
    ids = list(rows)

    first_clock_in: dict[int, dt.datetime] = {}
    for worker_id, shift_id, clock_in, clock_out in AttendanceRecord.objects.filter(
        worker_id__in=ids, clock_in_at__gte=start, clock_in_at__lt=end
    ).values_list("worker_id", "shift_id", "clock_in_at", "clock_out_at"):
        if clock_out is not None:
            rows[worker_id].clocked_seconds += (clock_out - clock_in).total_seconds()
        if shift_id is not None and (shift_id not in first_clock_in or clock_in < first_clock_in[shift_id]):
            first_clock_in[shift_id] = clock_in

    for shift_id, worker_id, starts, ends, break_minutes in Shift.objects.filter(
        worker_id__in=ids, date__range=(first, last), published_starts_at__isnull=False, cancelled_at__isnull=True
    ).values_list("id", "worker_id", "published_starts_at", "published_ends_at", "break_minutes"):
        row = rows[worker_id]
        row.shifts += 1
        row.rostered_seconds += max(0.0, (ends - starts).total_seconds() - 60 * break_minutes)
        came = first_clock_in.get(shift_id)
        if came is not None and came > starts + LATE_GRACE:
            row.late += 1

    kinds = day_kinds_between(first, last, team.centre)
    for worker_id, kind, starts_on, ends_on, days in Absence.objects.filter(
        worker_id__in=ids, status=Absence.Status.APPROVED, starts_on__lte=last, ends_on__gte=first
    ).values_list("worker_id", "kind", "starts_on", "ends_on", "days"):
        if not (starts_on >= first and ends_on <= last):
            inside = sum(1 for day, day_kind in kinds.items() if starts_on <= day <= ends_on and day_kind == WORKDAY)
            days = min(days, Decimal(inside))
        taken = rows[worker_id].absence_days
        taken[kind] = taken.get(kind, Decimal(0)) + days

    active: dict[int, int] = defaultdict(int)
    if ids:
        for (worker_id, _day), seconds in (
            work_figures().active_seconds_by_day(centre_id=team.centre_id, worker_ids=ids, start=start, end=end).items()
        ):
            active[worker_id] += seconds
    for worker_id, seconds in active.items():
        if worker_id in rows:
            rows[worker_id].active_seconds = seconds
    return AttendanceReport(team=team, month=month, rows=[rows[person.pk] for person in people])


def _header() -> list[str]:
    return [
        _("Name"), _("Shifts"), _("Hours rostered"), _("Hours clocked"), _("Active labelling hours"),
        _("Late arrivals"), _("Days of leave"), _("Leave by kind"),
    ]  # fmt: skip


def _cells(row: ReportRow) -> list:
    return [
        row.worker.name or row.worker.username, row.shifts, row.rostered_hours, row.clocked_hours,
        row.active_hours, row.late, row.absence_total, row.absence_text,
    ]  # fmt: skip


def attendance_report_file(report: AttendanceReport, file_format: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes): hours as text with two decimals in the CSV, numbers
    formatted `0.00` in the XLSX."""
    name = f"attendance-{report.team.centre.code or report.team.centre_id}-{report.team.pk}-{report.month:%Y-%m}"
    if file_format == "csv":
        text = io.StringIO()
        text.write("\ufeff")  # so Excel opens it as UTF-8
        writer = csv.writer(text)
        writer.writerow(_header())
        for row in report.rows:
            writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in _cells(row)])
        return f"{name}.csv", "text/csv; charset=utf-8", text.getvalue().encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{report.month:%Y-%m}"
    sheet.append(_header())
    for row in report.rows:
        sheet.append(_cells(row))
        for column in (3, 4, 5, 7):
            sheet.cell(row=sheet.max_row, column=column).number_format = "0.00"
    for column, width in zip("ABCDEFGH", (14, 8, 12, 12, 16, 10, 10, 28), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return f"{name}.xlsx", XLSX_TYPE, buffer.getvalue()
