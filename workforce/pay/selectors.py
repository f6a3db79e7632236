"""Reads of pay: scoped lists of periods, runs and payslips, and the inputs of a payroll run
gathered for all people of a period at once (a fixed number of queries, whatever their
number; docs/decisions/0008)."""

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from workforce import policies
from workforce.models import (
    Absence,
    AbsenceKind,
    Allowance,
    AttendanceRecord,
    EmploymentType,
    LedgerLine,
    LegalFigure,
    PayAdjustment,
    PayPeriod,
    PayrollRun,
    Payslip,
    PayslipLine,
    PayTerms,
    PieceRate,
    QualityTier,
    Shift,
    TaxDeduction,
    User,
    WorkUnit,
)
from workforce.pay import payroll
from workforce.pay.legal import LegalFigures, legal_figures_for
from workforce.scheduling.selectors import day_kinds_between
from workforce.work_figures import work_figures

ZERO = Decimal("0")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- Months ----------------------------------------------------------------------------


def month_parse(text: str, *, field: str = "period") -> dt.date:
    """`2026-11` -> date(2026, 11, 1); ValidationError naming `field` otherwise."""
    match = _MONTH.match((text or "").strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise ValidationError({field: [_("Give a month as YYYY-MM, e.g. 2026-11.")]})


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the month in the centres' time zone, as aware datetimes."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=zone)
    end = dt.datetime.combine(month_end(month) + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def day_kinds(month: dt.date) -> dict[dt.date, str]:
    """Every day of the month: a workday, a rest day or a statutory holiday (one query), by
    the calendar's one rule (workforce.scheduling.selectors.day_kinds_between)."""
    return day_kinds_between(month, month_end(month))


# --- Scoped reads ----------------------------------------------------------------------


def pay_periods_visible_to(actor: User) -> QuerySet[PayPeriod]:
    """Periods of the centres whose payroll the actor runs or reads (HR, managers)."""
    qs = PayPeriod.objects.select_related("centre")
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None or not policies.can_view_centre_payslips(actor, actor.centre_id):
        return qs.none()
    return qs.filter(centre_id=actor.centre_id)


def pay_period_get(actor: User, period_id: int) -> PayPeriod:
    period = pay_periods_visible_to(actor).filter(pk=period_id).first()
    if period is None:
        raise Http404
    return period


def payroll_runs_visible_to(actor: User) -> QuerySet[PayrollRun]:
    qs = PayrollRun.objects.select_related("period__centre", "created_by")
    if actor.is_network_admin:
        return qs
    if actor.centre_id is None or not policies.can_view_centre_payslips(actor, actor.centre_id):
        return qs.none()
    return qs.filter(period__centre_id=actor.centre_id)


def payroll_run_get(actor: User, run_id: int) -> PayrollRun:
    run = payroll_runs_visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def payslips_visible_to(actor: User) -> QuerySet[Payslip]:
    """A network admin sees every payslip, HR and managers their centre's, anyone else
    their own; with the person, centre, period and lines (in order) loaded."""
    qs = Payslip.objects.select_related("worker", "centre", "period").prefetch_related(
        Prefetch("lines", queryset=PayslipLine.objects.order_by("position"), to_attr="line_list")
    )
    if actor.is_network_admin:
        return qs.order_by("-period__month", "worker__name", "worker_id")
    if actor.centre_id is not None and policies.can_view_centre_payslips(actor, actor.centre_id):
        qs = qs.filter(Q(centre_id=actor.centre_id) | Q(worker=actor))
    else:
        qs = qs.filter(worker=actor)
    return qs.order_by("-period__month", "worker__name", "worker_id")


def payslip_list(actor: User, *, month: dt.date | None = None, centre_id: int | None = None) -> QuerySet[Payslip]:
    qs = payslips_visible_to(actor)
    if month is not None:
        qs = qs.filter(period__month=month)
    if centre_id is not None:
        qs = qs.filter(centre_id=centre_id)
    return qs


def payslip_get(actor: User, payslip_id: int) -> Payslip:
    payslip = payslips_visible_to(actor).filter(pk=payslip_id).first()
    if payslip is None:
        raise Http404
    return payslip


def payslip_bank_details(payslips: list[Payslip]) -> dict[int, tuple[str, str, str]]:
    """worker id -> (bank, masked account, encrypted account) for a page of payslips."""
    from workforce.models import WorkerProfile

    rows = WorkerProfile.objects.filter(user_id__in=[p.worker_id for p in payslips]).values_list(
        "user_id", "bank_name", "bank_account_masked", "bank_account_encrypted"
    )
    return {user_id: (bank, masked, encrypted) for user_id, bank, masked, encrypted in rows}


# --- The inputs of a run ---------------------------------------------------------------


@dataclasses.dataclass
class RunInputs:
    period: payroll.PeriodInput
    figures: payroll.Figures
    workers: dict[int, payroll.WorkerInput]
    legal: LegalFigures


def payroll_figures(legal: LegalFigures, tiers: list[tuple[Decimal, Decimal]]) -> payroll.Figures:
    code = LegalFigure.Code
    value = legal.value
    rate = value(code.HOUSING_FUND_RATE)
    if not Decimal("0.05") <= rate <= Decimal("0.12"):
        raise ValidationError({"housing_fund_rate": [_("The housing fund rate must be between 5 % and 12 %.")]})
    return payroll.Figures(
        min_wage_monthly=value(code.MIN_WAGE_MONTHLY),
        min_wage_hourly=value(code.MIN_WAGE_HOURLY),
        pension_rate=value(code.PENSION_RATE),
        medical_rate=value(code.MEDICAL_RATE),
        unemployment_rate=value(code.UNEMPLOYMENT_RATE),
        housing_fund_rate=rate,
        base_floor=value(code.CONTRIBUTION_BASE_FLOOR),
        base_ceiling=value(code.CONTRIBUTION_BASE_CEILING),
        housing_fund_floor=value(code.HOUSING_FUND_BASE_FLOOR),
        housing_fund_ceiling=value(code.HOUSING_FUND_BASE_CEILING),
        basic_deduction=value(code.BASIC_DEDUCTION),
        workdays_per_month=value(code.WORKDAYS_PER_MONTH),
        hours_per_day=value(code.HOURS_PER_DAY),
        overtime_rates={name: value(code.OVERTIME_RATE, name) for name in payroll.OVERTIME_CLASSES},
        leave_pay_share={kind: value(code.LEAVE_PAY_SHARE, kind, default=ZERO) for kind in AbsenceKind.values},
        deduction_limits={
            kind: row.value
            for kind in TaxDeduction.Kind.values
            if (row := legal.find(code.DEDUCTION_LIMIT, kind)) is not None
        },
        brackets=legal.brackets,
        tiers=tiers,
    )


def quality_tiers_on(centre_id: int, on: dt.date) -> list[tuple[Decimal, Decimal]]:
    """The centre's own tiers in force on `on`, else the network's: (min score, multiplier),
    highest score first (one query)."""
    rows = list(
        QualityTier.objects.filter(Q(centre_id=centre_id) | Q(centre__isnull=True), effective_from__lte=on).values_list(
            "centre_id", "effective_from", "min_score", "multiplier"
        )
    )
    for owner in (centre_id, None):
        own = [row for row in rows if row[0] == owner]
        if own:
            newest = max(row[1] for row in own)
            return sorted(((row[2], row[3]) for row in own if row[1] == newest), reverse=True)
    return []


def _hours_of(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(payroll.HOURS)


def payroll_inputs(period: PayPeriod) -> RunInputs:
    """Everything the period's payslips are computed from, for every person who has pay
    terms at the centre, ledger lines, attendance or an adjustment in the month. A fixed
    number of queries (about fifteen) whatever the number of people; raises Conflict when a
    legal figure is missing."""
    centre = period.centre
    month = period.month
    last_day = month_end(month)
    start, end = month_bounds(month)
    zone = ZoneInfo(settings.TIME_ZONE)
    kinds = day_kinds(month)
    legal = legal_figures_for(centre, last_day)
    figures = payroll_figures(legal, quality_tiers_on(centre.pk, last_day))

    ledger: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        LedgerLine.objects.filter(centre=centre, accepted_at__gte=start, accepted_at__lt=end)
        .values("worker_id", "time_class")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        line_sums = ledger[row["worker_id"]]
        line_sums[row["time_class"]] = line_sums.get(row["time_class"], ZERO) + Decimal(row["total"])

    terms: dict[int, tuple[str, Decimal, Decimal | None]] = {}
    for worker_id, kind, base_amount, contribution_base in (
        PayTerms.objects.filter(worker__centre=centre, worker__is_active=True, effective_from__lte=last_day)
        .order_by("worker_id", "-effective_from")
        .values_list("worker_id", "kind", "base_amount", "contribution_base")
    ):
        terms.setdefault(worker_id, (kind, base_amount, contribution_base))

    worked_seconds: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for worker_id, clock_in, clock_out in AttendanceRecord.objects.filter(
        centre=centre, clock_in_at__gte=start, clock_in_at__lt=end, clock_out_at__isnull=False
    ).values_list("worker_id", "clock_in_at", "clock_out_at"):
        if clock_out is not None:
            worked_seconds[worker_id][clock_in.astimezone(zone).date()] += (clock_out - clock_in).total_seconds()
    clocked = set(worked_seconds)

    rostered: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for worker_id, day, starts, ends, break_minutes in Shift.objects.filter(
        roster__team__centre=centre,
        date__range=(month, last_day),
        published_starts_at__isnull=False,
        cancelled_at__isnull=True,
    ).values_list("worker_id", "date", "published_starts_at", "published_ends_at", "break_minutes"):
        if starts is not None and ends is not None:
            rostered[worker_id][day] += _hours_of(max(0.0, (ends - starts).total_seconds() - 60 * break_minutes))

    absences: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for worker_id, kind, starts_on, ends_on, days in Absence.objects.filter(
        centre=centre, status=Absence.Status.APPROVED, starts_on__lte=last_day, ends_on__gte=month
    ).values_list("worker_id", "kind", "starts_on", "ends_on", "days"):
        if starts_on >= month and ends_on <= last_day:
            absences[worker_id].append((kind, days))
            continue
        inside = sum(
            1 for day, day_kind in kinds.items() if starts_on <= day <= ends_on and day_kind == payroll.WORKDAY
        )
        absences[worker_id].append((kind, min(days, Decimal(inside))))

    adjustments: dict[int, list[payroll.AdjustmentInput]] = defaultdict(list)
    for worker_id, amount, reason, corrects_month in (
        PayAdjustment.objects.filter(period=period)
        .order_by("created_at", "id")
        .values_list("worker_id", "amount", "reason", "corrects__period__month")
    ):
        adjustments[worker_id].append(
            payroll.AdjustmentInput(
                amount=amount, reason=reason, corrects=f"{corrects_month:%Y-%m}" if corrects_month else ""
            )
        )

    # Who is paid this month.
    ids = set(ledger) | set(terms) | clocked | set(adjustments)
    people = {
        row[0]: row
        for row in User.objects.filter(pk__in=ids).values_list(
            "id", "profile__employment_type", "profile__hire_date", "centre_id"
        )
    }

    active = work_figures()
    for (worker_id, day), seconds in active.active_seconds_by_day(
        centre_id=centre.pk, worker_ids=None, start=start, end=end
    ).items():
        if worker_id in people and day not in worked_seconds.get(worker_id, {}):
            worked_seconds[worker_id][day] += seconds
    quality = active.quality_by_worker(centre_id=centre.pk, worker_ids=None, start=start, end=end)

    allowances_all: list[tuple[str, payroll.AllowanceInput]] = []
    allowances_own: dict[int, list[payroll.AllowanceInput]] = defaultdict(list)
    for allowance in (
        Allowance.objects.filter(centre=centre, starts_on__lte=last_day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=month))
        .order_by("code", "id")
    ):
        item = payroll.AllowanceInput(
            code=allowance.code,
            label=allowance.label,
            amount=allowance.amount,
            counts_toward_minimum=allowance.counts_toward_minimum,
            taxable=allowance.taxable,
        )
        if allowance.worker_id is not None:
            allowances_own[allowance.worker_id].append(item)
        else:
            allowances_all.append((allowance.applies_to, item))

    deductions: dict[int, list[payroll.DeductionInput]] = defaultdict(list)
    for worker_id, kind, amount, declared_from, declared_to in (
        TaxDeduction.objects.filter(worker__centre=centre, starts_on__lte=last_day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=month.replace(month=1)))
        .values_list("worker_id", "kind", "monthly_amount", "starts_on", "ends_on")
    ):
        deductions[worker_id].append(
            payroll.DeductionInput(kind=kind, monthly_amount=amount, starts_on=declared_from, ends_on=declared_to)
        )

    money_field: DecimalField = DecimalField(max_digits=14, decimal_places=2)
    year_before = {
        row["worker_id"]: payroll.YearBefore(
            taxable_gross=row["taxable"] or ZERO,
            contributions=row["contributions"] or ZERO,
            tax_withheld=row["tax"] or ZERO,
            first_month=row["first"],
        )
        for row in Payslip.objects.filter(
            centre=centre, period__month__gte=month.replace(month=1), period__month__lt=month
        )
        .values("worker_id")
        .annotate(
            taxable=Sum(Cast(KT("facts__taxable_gross"), money_field)),
            contributions=Sum(Cast(KT("facts__contributions"), money_field)),
            tax=Sum(Cast(KT("facts__income_tax"), money_field)),
            first=Min("period__month"),
        )
        .order_by()
    }

    workers: dict[int, payroll.WorkerInput] = {}
    for worker_id in sorted(people):
        _id, employment_type, hire_date, _centre = people[worker_id]
        full_time = employment_type != EmploymentType.PART_TIME
        kind, base_amount, contribution_base = terms.get(worker_id, (PayTerms.Kind.PIECE, ZERO, None))
        group = Allowance.AppliesTo.FULL_TIME if full_time else Allowance.AppliesTo.PART_TIME
        workers[worker_id] = payroll.WorkerInput(
            worker_id=worker_id,
            full_time=full_time,
            hire_date=hire_date,
            terms_kind=kind,
            base_amount=base_amount,
            contribution_base=contribution_base,
            ledger=ledger.get(worker_id, {}),
            quality=quality.get(worker_id),
            rostered=dict(rostered.get(worker_id, {})),
            worked={day: _hours_of(seconds) for day, seconds in worked_seconds.get(worker_id, {}).items()},
            absences=absences.get(worker_id, []),
            allowances=[item for applies, item in allowances_all if applies in (Allowance.AppliesTo.ALL, group)]
            + allowances_own.get(worker_id, []),
            adjustments=adjustments.get(worker_id, []),
            deductions=deductions.get(worker_id, []),
            year_before=year_before.get(worker_id, payroll.YearBefore()),
        )
    return RunInputs(
        period=payroll.PeriodInput(month=month, day_kinds=kinds), figures=figures, workers=workers, legal=legal
    )


# --- Piece rates and earnings (decision 0015) ----------------------------------------------


def piece_rates_in_force(
    *, centre_id: int, project_ids: Collection[int], at: dt.datetime | None = None, units: Collection[str] | None = None
) -> dict[int, dict[str, Decimal]]:
    """{project id: {unit: yuan}} of the rates in force at `at` (now) at the centre: per unit,
    the newest row that started by then. One indexed query (rates change rarely: a few rows
    per project and unit)."""
    if not project_ids:
        return {}
    rows = PieceRate.objects.filter(
        centre_id=centre_id, project_id__in=list(project_ids), effective_from__lte=at or timezone.now()
    )
    if units is not None:
        rows = rows.filter(unit__in=list(units))
    found: dict[int, dict[str, Decimal]] = {}
    for project_id, unit, value in rows.order_by("project_id", "unit", "effective_from").values_list(
        "project_id", "unit", "rate"
    ):
        found.setdefault(project_id, {})[unit] = value  # ascending: the newest wins
    return found


def piece_rates_shown(*, centre_id: int | None, project_ids: Collection[int]) -> dict[int, list[tuple[str, Decimal]]]:
    """{project id: [(unit's name, yuan), ...]} in force now, in the units' order: what an
    annotator sees before taking work (one query)."""
    if centre_id is None:
        return {}
    order = list(WorkUnit.values)
    return {
        project_id: [
            (str(WorkUnit(unit).label), value)
            for unit, value in sorted(by_unit.items(), key=lambda kv: order.index(kv[0]))
        ]
        for project_id, by_unit in piece_rates_in_force(centre_id=centre_id, project_ids=project_ids).items()
    }


def piece_rates_of_centre(centre_id: int) -> QuerySet[PieceRate]:
    """Every rate row of the centre, newest first per project and unit (the rates page's history)."""
    return (
        PieceRate.objects.filter(centre_id=centre_id)
        .select_related("set_by")
        .order_by("project_id", "unit", "-effective_from")
    )


def amount_text(value: Decimal) -> str:
    """An exact ledger amount as people read it: to the fen when it is a whole number of
    fen (24.96), else with all four places (0.0125)."""
    fen = value.quantize(Decimal("0.01"))
    return f"{fen:f}" if fen == value else f"{value.quantize(Decimal('0.0001')):f}"


def unit_count(unit: str, quantity: int) -> str:
    """'312 boxes', '1 accepted image' in the current language."""
    n = abs(quantity)
    if unit == WorkUnit.ITEM:
        text = ngettext("%(n)s accepted image", "%(n)s accepted images", n)
    elif unit == WorkUnit.BOX:
        text = ngettext("%(n)s box", "%(n)s boxes", n)
    elif unit == WorkUnit.POLYGON:
        text = ngettext("%(n)s polygon", "%(n)s polygons", n)
    elif unit == WorkUnit.KEYPOINTS:
        text = ngettext("%(n)s key-point set", "%(n)s key-point sets", n)
    elif unit == WorkUnit.CLASS:
        text = ngettext("%(n)s image class", "%(n)s image classes", n)
    elif unit == WorkUnit.REVIEW:
        text = ngettext("%(n)s review done", "%(n)s reviews done", n)
    else:
        text = "%(n)s " + unit
    return text % {"n": quantity}


def ledger_explanation(*, unit: str, quantity: int, rate_value: Decimal, amount: Decimal) -> str:
    """'312 boxes × 0.0800 = 24.96' in the current language."""
    return _("%(count)s × %(rate)s = %(amount)s") % {
        "count": unit_count(unit, quantity),
        "rate": f"{rate_value:.4f}",
        "amount": amount_text(amount),
    }


def line_explanation(line: LedgerLine) -> str:
    return ledger_explanation(unit=line.unit, quantity=line.quantity, rate_value=line.rate, amount=line.amount)


@dataclasses.dataclass
class EarningsRow:
    """The person's lines of one project, unit and rate, summed (today's and the month's)."""

    project_id: int | None
    project_name: str
    unit: str
    rate: Decimal
    quantity: int
    amount: Decimal
    today_quantity: int
    today_amount: Decimal

    @property
    def explanation(self) -> str:
        return ledger_explanation(unit=self.unit, quantity=self.quantity, rate_value=self.rate, amount=self.amount)

    @property
    def today_explanation(self) -> str:
        return ledger_explanation(
            unit=self.unit, quantity=self.today_quantity, rate_value=self.rate, amount=self.today_amount
        )


@dataclasses.dataclass
class Earnings:
    month: dt.date
    rows: list[EarningsRow]
    reversals: list[LedgerLine]
    today_total: Decimal
    month_total: Decimal

    @property
    def today_rows(self) -> list[EarningsRow]:
        return [row for row in self.rows if row.today_quantity]


def earnings_of(worker: User, *, now: dt.datetime | None = None) -> Earnings:
    """The person's earnings this month and today (the centre's time zone), as the ledger
    has them before the month's quality multiplier: one aggregate over this month's lines
    grouped by project, unit and rate (a range of the index `ledger_worker_time`),
    and, only when the month has reversals, one more query for them with their reasons."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    month = local.date().replace(day=1)
    month_start, month_stop = month_bounds(month)
    today_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = Q(accepted_at__gte=today_start)
    project_name = (
        PieceRate.objects.filter(centre_id=OuterRef("centre_id"), project_id=OuterRef("project_id"))
        .order_by("-effective_from")
        .values("project_name")[:1]
    )
    grouped = (
        LedgerLine.objects.filter(worker=worker, accepted_at__gte=month_start, accepted_at__lt=month_stop)
        .values("centre_id", "project_id", "unit", "rate", "kind")
        .annotate(
            month_quantity=Sum("quantity"),
            month_amount=Sum("amount"),
            today_quantity=Sum("quantity", filter=today, default=0),
            today_amount=Sum("amount", filter=today, default=ZERO),
            project_name=Subquery(project_name),
        )
        .order_by("project_id", "unit", "rate", "kind")
    )
    rows: list[EarningsRow] = []
    has_reversals = False
    today_total = month_total = ZERO
    for group in grouped:
        amount, today_amount = Decimal(group["month_amount"]), Decimal(group["today_amount"])
        month_total += amount
        today_total += today_amount
        if group["kind"] == LedgerLine.Kind.REVERSAL:
            has_reversals = True
            continue
        rows.append(
            EarningsRow(
                project_id=group["project_id"],
                project_name=group["project_name"] or "",
                unit=group["unit"],
                rate=Decimal(group["rate"]),
                quantity=group["month_quantity"],
                amount=amount,
                today_quantity=group["today_quantity"],
                today_amount=today_amount,
            )
        )
    order = list(WorkUnit.values)  # an image first, then its shapes, as the rates list them
    rows.sort(
        key=lambda row: (row.project_name, row.project_id or 0, order.index(row.unit) if row.unit in order else 99)
    )
    reversals = []
    if has_reversals:
        reversals = list(
            LedgerLine.objects.filter(
                worker=worker, kind=LedgerLine.Kind.REVERSAL, accepted_at__gte=month_start, accepted_at__lt=month_stop
            ).order_by("-accepted_at", "-id")
        )
        for line in reversals:
            line.explanation = line_explanation(line)  # type: ignore[attr-defined]
    return Earnings(month=month, rows=rows, reversals=reversals, today_total=today_total, month_total=month_total)


def ledger_lines_of(worker: User, *, start: dt.date, end: dt.date) -> QuerySet[LedgerLine]:
    """The person's own ledger lines accepted on the days `start` to `end` (inclusive, the
    centre's time zone), newest first: the earnings API (one indexed range)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return LedgerLine.objects.filter(worker=worker, accepted_at__gte=since, accepted_at__lt=until).order_by(
        "-accepted_at", "-id"
    )


def ledger_lines_of_centre(actor: User, *, worker_id: int | None = None) -> QuerySet[LedgerLine]:
    """Earning lines of the actor's centre for a supervisor's audit (newest first); none
    for anyone who may not take lines back."""
    if actor.centre_id is None or not policies.can_reverse_ledger(actor, actor.centre_id):
        return LedgerLine.objects.none()
    lines = LedgerLine.objects.filter(centre_id=actor.centre_id).select_related("worker", "reversal")
    if worker_id is not None:
        lines = lines.filter(worker_id=worker_id)
    return lines.order_by("-accepted_at", "-id")
