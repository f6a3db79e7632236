"""How one person's payslip is computed: pure functions, no queries (docs/decisions/0008).

The selectors gather every input for all people of a period at once (`PeriodInput`,
`WorkerInput`); `payslip_compute` turns one person's inputs into lines and totals. Every
amount is a Decimal rounded half-up to the fen at its line; every line carries the sentence
that explains it to the person paid, in the active language (the run's).
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from aidou.money import money, money_text, rate
from workforce.pay.legal import Bracket

ZERO = Decimal("0")
HOURS = Decimal("0.01")
# Fewer quality observations than this in a month and the multiplier is ×1.00 (policy of
# decision 0008, not law: a handful of checks says too little about a month of work).
MIN_QUALITY_OBSERVATIONS = 10
TIME_CLASSES = ("normal", "overtime", "rest_day", "holiday")
# Piece work done in these times earns a premium on top of its piece pay: the overtime
# multiple less the 100 % the piece line already pays.
OVERTIME_CLASSES = ("overtime", "rest_day", "holiday")

WORKDAY, REST_DAY, HOLIDAY = "workday", "rest_day", "holiday"


# --- Inputs ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Figures:
    """The legal figures of a centre in force in the period (`workforce.pay.legal`)."""

    min_wage_monthly: Decimal
    min_wage_hourly: Decimal
    pension_rate: Decimal
    medical_rate: Decimal
    unemployment_rate: Decimal
    housing_fund_rate: Decimal
    base_floor: Decimal
    base_ceiling: Decimal
    housing_fund_floor: Decimal
    housing_fund_ceiling: Decimal
    basic_deduction: Decimal
    workdays_per_month: Decimal
    hours_per_day: Decimal
    overtime_rates: dict[str, Decimal]  # time class -> multiple of the hourly rate
    leave_pay_share: dict[str, Decimal]  # absence kind -> share of pay kept
    deduction_limits: dict[str, Decimal]  # TaxDeduction kind -> monthly limit
    brackets: list[Bracket]
    tiers: list[tuple[Decimal, Decimal]]  # (min score, multiplier), highest score first


@dataclasses.dataclass(frozen=True)
class PeriodInput:
    month: dt.date  # the first day
    day_kinds: dict[dt.date, str]  # every day of the month: workday, rest_day or holiday

    @property
    def workdays(self) -> int:
        return sum(1 for kind in self.day_kinds.values() if kind == WORKDAY)


@dataclasses.dataclass(frozen=True)
class AllowanceInput:
    code: str
    label: str
    amount: Decimal
    counts_toward_minimum: bool
    taxable: bool


@dataclasses.dataclass(frozen=True)
class AdjustmentInput:
    amount: Decimal
    reason: str
    corrects: str = ""  # the month of the closed payslip it corrects, "2026-10"


@dataclasses.dataclass(frozen=True)
class DeductionInput:
    kind: str
    monthly_amount: Decimal
    starts_on: dt.date
    ends_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class YearBefore:
    """What this year's earlier payslips at this centre said (sums over them)."""

    taxable_gross: Decimal = ZERO
    contributions: Decimal = ZERO
    tax_withheld: Decimal = ZERO
    first_month: dt.date | None = None


@dataclasses.dataclass
class WorkerInput:
    worker_id: int
    full_time: bool
    hire_date: dt.date | None = None
    terms_kind: str = "piece"  # piece, monthly, hourly
    base_amount: Decimal = ZERO
    contribution_base: Decimal | None = None
    ledger: dict[str, Decimal] = dataclasses.field(default_factory=dict)  # time class -> exact sum
    quality: tuple[float, int] | None = None  # (good, observations)
    rostered: dict[dt.date, Decimal] = dataclasses.field(default_factory=dict)  # hours per day
    worked: dict[dt.date, Decimal] = dataclasses.field(default_factory=dict)  # hours per day
    absences: list[tuple[str, Decimal]] = dataclasses.field(default_factory=list)  # (kind, days this month)
    allowances: list[AllowanceInput] = dataclasses.field(default_factory=list)
    adjustments: list[AdjustmentInput] = dataclasses.field(default_factory=list)
    deductions: list[DeductionInput] = dataclasses.field(default_factory=list)
    year_before: YearBefore = dataclasses.field(default_factory=YearBefore)


# --- Output ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Line:
    code: str
    kind: str  # earning or deduction
    label: str
    amount: Decimal
    explanation: str
    quantity: Decimal | None = None
    rate: Decimal | None = None


@dataclasses.dataclass
class Result:
    worker_id: int
    lines: list[Line]
    gross: Decimal
    total_deductions: Decimal
    net: Decimal
    taxable_income_ytd: Decimal
    tax_withheld_ytd: Decimal
    facts: dict


# --- Rules -----------------------------------------------------------------------------


def annual_tax(taxable: Decimal, brackets: list[Bracket]) -> Decimal:
    """Tax on a year's (or the year so far's) taxable income by the annual table: the
    highest bracket whose lower bound the income exceeds, income × rate − quick deduction."""
    if taxable <= 0 or not brackets:
        return ZERO.quantize(Decimal("0.01"))
    chosen = brackets[0]
    for bracket in brackets:
        if taxable > bracket.lower:
            chosen = bracket
    return money(max(ZERO, taxable * chosen.rate - chosen.quick_deduction))


def bracket_of(taxable: Decimal, brackets: list[Bracket]) -> Bracket | None:
    chosen = None
    for bracket in brackets:
        if taxable > bracket.lower or chosen is None:
            chosen = bracket
    return chosen


def quality_multiplier(quality: tuple[float, int] | None, tiers: list[tuple[Decimal, Decimal]]):
    """(multiplier, score or None, observations): the tier of the month's quality score; ×1
    with fewer than MIN_QUALITY_OBSERVATIONS observations."""
    good, observations = quality or (0.0, 0)
    if observations < MIN_QUALITY_OBSERVATIONS or not tiers:
        return Decimal("1"), None, observations
    score = Decimal(str(good)) / Decimal(observations)
    for min_score, multiplier in tiers:
        if score >= min_score:
            return multiplier, score, observations
    return Decimal("1"), score, observations


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _month_starts(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + dt.timedelta(days=32)).replace(day=1)


def special_deductions(
    deductions: list[DeductionInput], limits: dict[str, Decimal], first: dt.date, last: dt.date
) -> Decimal:
    """The declared special additional deductions of every month from `first` to `last`
    (month starts), each declaration capped at its kind's monthly limit."""
    total = ZERO
    for month in _month_starts(first, last):
        for declared in deductions:
            if declared.starts_on.replace(day=1) <= month and (declared.ends_on is None or declared.ends_on >= month):
                limit = limits.get(declared.kind)
                total += min(declared.monthly_amount, limit) if limit is not None else declared.monthly_amount
    return money(total)


def _hours(value: Decimal) -> str:
    return f"{value.quantize(HOURS)}"


def _percent(value: Decimal) -> str:
    text = f"{(value * 100).normalize():f}"
    return f"{text} %"


@dataclasses.dataclass
class _Hours:
    within: Decimal = ZERO  # worked within the schedule on workdays (normal hours)
    scheduled: Decimal = ZERO  # rostered hours on workdays, or hours per day × workdays
    by_class: dict[str, Decimal] = dataclasses.field(
        default_factory=lambda: {"overtime": ZERO, "rest_day": ZERO, "holiday": ZERO}
    )
    paid_leave: Decimal = ZERO  # hours
    unpaid_leave_days: Decimal = ZERO
    leave_days: Decimal = ZERO


def _count_hours(worker: WorkerInput, period: PeriodInput, figures: Figures) -> _Hours:
    hours = _Hours()
    per_day = figures.hours_per_day
    has_roster = any(value > 0 for value in worker.rostered.values())
    for day, kind in period.day_kinds.items():
        worked = worker.worked.get(day, ZERO)
        if kind == WORKDAY:
            rostered = worker.rostered.get(day, ZERO)
            cap = rostered if has_roster else per_day
            hours.scheduled += cap
            within = min(worked, cap)
            hours.within += within
            hours.by_class["overtime"] += worked - within
        elif kind == REST_DAY:
            hours.by_class["rest_day"] += worked
        else:
            hours.by_class["holiday"] += worked
    for kind, days in worker.absences:
        share = figures.leave_pay_share.get(kind, ZERO)
        hours.leave_days += days
        hours.paid_leave += days * per_day * share
        hours.unpaid_leave_days += days * (1 - share)
    return hours


def payslip_compute(worker: WorkerInput, period: PeriodInput, figures: Figures) -> Result:
    """One person's payslip for the period. Pure: everything comes in the arguments."""
    earnings: list[Line] = []
    hours = _count_hours(worker, period, figures)
    facts: dict = {
        "terms": worker.terms_kind,
        "full_time": worker.full_time,
        "hours": {
            "normal": _hours(hours.within),
            "scheduled": _hours(hours.scheduled),
            **{name: _hours(value) for name, value in hours.by_class.items()},
            "paid_leave": _hours(hours.paid_leave),
            "leave_days": str(hours.leave_days),
        },
    }

    # Piece work: the month's ledger total × the quality multiplier, rounded once.
    multiplier, score, observations = quality_multiplier(worker.quality, figures.tiers)
    facts["quality"] = {
        "score": None if score is None else str(rate(score)),
        "observations": observations,
        "multiplier": str(multiplier),
    }
    ledger_total = sum((worker.ledger.get(name, ZERO) for name in TIME_CLASSES), ZERO)
    normal_piece = ZERO
    if worker.ledger:
        if score is None:
            why = _("fewer than %(n)d checked pieces of work this month, so ×1.00") % {"n": MIN_QUALITY_OBSERVATIONS}
        else:
            why = _("quality score %(score)s over %(n)d checked pieces of work") % {
                "score": _percent(rate(score)),
                "n": observations,
            }
        earnings.append(
            Line(
                code="piece",
                kind="earning",
                label=_("Piece work"),
                quantity=ledger_total,
                rate=multiplier,
                amount=money(ledger_total * multiplier),
                explanation=_(
                    "Accepted work in the ledger this month, %(total)s yuan, × quality multiplier %(m)s (%(why)s)."
                )
                % {"total": f"{rate(ledger_total)}", "m": f"{multiplier.normalize():f}", "why": why},
            )
        )
        normal_piece = money(worker.ledger.get("normal", ZERO) * multiplier)
        for name in OVERTIME_CLASSES:
            amount = worker.ledger.get(name, ZERO)
            if not amount:
                continue
            premium = figures.overtime_rates[name] - 1
            earnings.append(
                Line(
                    code="overtime",
                    kind="earning",
                    label=_("Overtime premium on piece work"),
                    quantity=amount,
                    rate=rate(premium * multiplier),
                    amount=money(amount * premium * multiplier),
                    explanation=_(
                        "Piece work done %(when)s, %(amount)s yuan, earns %(premium)s more (%(rate)s of the piece rate), "
                        "× quality multiplier %(m)s."
                    )
                    % {
                        "when": _time_class_words(name),
                        "amount": f"{rate(amount)}",
                        "premium": _percent(premium),
                        "rate": _percent(figures.overtime_rates[name]),
                        "m": f"{multiplier.normalize():f}",
                    },
                )
            )

    # Base pay and overtime hours of salaried and hourly staff.
    base = ZERO
    hourly_rate = ZERO
    if worker.terms_kind == "monthly":
        salary = worker.base_amount
        hourly_rate = salary / figures.workdays_per_month / figures.hours_per_day
        unpaid = hours.unpaid_leave_days
        withheld = money(salary * unpaid / figures.workdays_per_month) if unpaid else ZERO
        base = money(salary - withheld)
        explanation = _("Monthly salary %(salary)s yuan.") % {"salary": money_text(salary)}
        if unpaid:
            explanation += " " + _(
                "Less %(days)s unpaid days of leave × %(salary)s ÷ %(paid_days)s paid days a month = %(withheld)s."
            ) % {
                "days": f"{unpaid.normalize():f}",
                "salary": money_text(salary),
                "paid_days": f"{figures.workdays_per_month.normalize():f}",
                "withheld": money_text(withheld),
            }
        earnings.append(
            Line(code="base", kind="earning", label=_("Base pay"), rate=salary, amount=base, explanation=explanation)
        )
    elif worker.terms_kind == "hourly":
        hourly_rate = worker.base_amount
        paid_hours = hours.within + hours.paid_leave
        base = money(paid_hours * hourly_rate)
        earnings.append(
            Line(
                code="base",
                kind="earning",
                label=_("Base pay"),
                quantity=paid_hours,
                rate=hourly_rate,
                amount=base,
                explanation=_(
                    "%(worked)s normal hours worked and %(leave)s hours of paid leave × %(wage)s yuan an hour."
                )
                % {
                    "worked": _hours(hours.within),
                    "leave": _hours(hours.paid_leave),
                    "wage": money_text(hourly_rate),
                },
            )
        )
    if worker.terms_kind in ("monthly", "hourly"):
        for name in OVERTIME_CLASSES:
            worked = hours.by_class[name]
            if not worked:
                continue
            multiple = figures.overtime_rates[name]
            line_rate = rate(hourly_rate * multiple)
            if worker.terms_kind == "monthly":
                hourly_words = _("%(salary)s ÷ %(paid_days)s days ÷ %(per_day)s hours") % {
                    "salary": money_text(worker.base_amount),
                    "paid_days": f"{figures.workdays_per_month.normalize():f}",
                    "per_day": f"{figures.hours_per_day.normalize():f}",
                }
            else:
                hourly_words = money_text(hourly_rate)
            earnings.append(
                Line(
                    code="overtime",
                    kind="earning",
                    label=_("Overtime"),
                    quantity=worked,
                    rate=line_rate,
                    amount=money(worked * hourly_rate * multiple),
                    explanation=_("%(hours)s hours worked %(when)s × the hourly rate (%(hourly)s) × %(multiple)s.")
                    % {
                        "hours": _hours(worked),
                        "when": _time_class_words(name),
                        "hourly": hourly_words,
                        "multiple": _percent(multiple),
                    },
                )
            )

    # Allowances, in full.
    counted_allowances = ZERO
    untaxed = ZERO
    for allowance in worker.allowances:
        if allowance.counts_toward_minimum:
            counted_allowances += allowance.amount
        if not allowance.taxable:
            untaxed += allowance.amount
        notes = []
        notes.append(
            _("counts toward the minimum wage")
            if allowance.counts_toward_minimum
            else _("not counted toward the minimum wage")
        )
        if not allowance.taxable:
            notes.append(_("not taxed"))
        earnings.append(
            Line(
                code="allowance",
                kind="earning",
                label=allowance.label,
                amount=money(allowance.amount),
                explanation=_("%(label)s, %(amount)s yuan a month (%(notes)s).")
                % {"label": allowance.label, "amount": money_text(allowance.amount), "notes": "; ".join(notes)},
            )
        )

    # The minimum wage for normal hours.
    normal_pay = normal_piece + base + counted_allowances
    if worker.full_time:
        if worker.terms_kind == "monthly":
            # A salary pays for the schedule; only unpaid leave lowers what was provided.
            provided = max(ZERO, hours.scheduled - hours.unpaid_leave_days * figures.hours_per_day)
        else:
            provided = hours.within + hours.paid_leave
        share = min(Decimal("1"), provided / hours.scheduled) if hours.scheduled else ZERO
        floor = money(figures.min_wage_monthly * share)
        floor_words = _(
            "monthly minimum wage %(minimum)s × %(share)s of the scheduled hours provided (%(provided)s of %(scheduled)s h)"
        ) % {
            "minimum": money_text(figures.min_wage_monthly),
            "share": _percent(rate(share)),
            "provided": _hours(provided),
            "scheduled": _hours(hours.scheduled),
        }
    else:
        floor = money(figures.min_wage_hourly * hours.within)
        floor_words = _("hourly minimum wage %(minimum)s × %(hours)s normal hours") % {
            "minimum": money_text(figures.min_wage_hourly),
            "hours": _hours(hours.within),
        }
    facts["minimum"] = {"floor": str(floor), "normal_pay": str(normal_pay)}
    if normal_pay < floor:
        earnings.append(
            Line(
                code="min_wage_topup",
                kind="earning",
                label=_("Minimum wage top-up"),
                amount=floor - normal_pay,
                explanation=_(
                    "Pay for normal hours (piece work in normal hours, base pay and allowances that count) was "
                    "%(pay)s yuan, under the floor of %(floor)s yuan (%(words)s); overtime does not count."
                )
                % {"pay": money_text(normal_pay), "floor": money_text(floor), "words": floor_words},
            )
        )

    for adjustment in worker.adjustments:
        explanation = adjustment.reason
        if adjustment.corrects:
            explanation = _("%(reason)s (corrects the payslip of %(month)s)") % {
                "reason": adjustment.reason,
                "month": adjustment.corrects,
            }
        earnings.append(
            Line(
                code="adjustment",
                kind="earning",
                label=_("Adjustment"),
                amount=money(adjustment.amount),
                explanation=explanation,
            )
        )

    gross = sum((line.amount for line in earnings), ZERO)
    gross = money(gross)
    deductions, contributions, facts_deductions = _contributions(worker, figures, gross)
    facts.update(facts_deductions)
    remaining = max(ZERO, gross - contributions)

    # Income tax by the cumulative method.
    year_before = worker.year_before
    taxable_gross = gross - money(untaxed)
    if worker.hire_date and worker.hire_date.year == period.month.year:
        first_month = worker.hire_date.replace(day=1)
    elif worker.hire_date:
        first_month = period.month.replace(month=1)
    else:
        first_month = year_before.first_month or period.month
    first_month = min(first_month, period.month)
    months = months_between(first_month, period.month)
    special = special_deductions(worker.deductions, figures.deduction_limits, first_month, period.month)
    gross_ytd = year_before.taxable_gross + taxable_gross
    contributions_ytd = year_before.contributions + contributions
    basic_ytd = money(figures.basic_deduction * months)
    taxable_ytd = money(max(ZERO, gross_ytd - contributions_ytd - basic_ytd - special))
    tax_ytd = annual_tax(taxable_ytd, figures.brackets)
    due = max(ZERO, tax_ytd - year_before.tax_withheld)
    tax = min(due, remaining)
    bracket = bracket_of(taxable_ytd, figures.brackets)
    explanation = _(
        "Year to date: taxable pay %(gross)s − contributions %(contributions)s − basic deduction %(basic)s "
        "(%(per_month)s × %(months)d months) − special additional deductions %(special)s = taxable income "
        "%(taxable)s; tax on it by the annual table (%(rate)s, less %(quick)s) %(tax)s − already withheld "
        "this year %(before)s = %(due)s."
    ) % {
        "gross": money_text(gross_ytd),
        "contributions": money_text(contributions_ytd),
        "basic": money_text(basic_ytd),
        "per_month": money_text(figures.basic_deduction),
        "months": months,
        "special": money_text(special),
        "taxable": money_text(taxable_ytd),
        "rate": _percent(bracket.rate) if bracket else "0 %",
        "quick": money_text(bracket.quick_deduction) if bracket else "0.00",
        "tax": money_text(tax_ytd),
        "before": money_text(year_before.tax_withheld),
        "due": money_text(due),
    }
    if tax < due:
        explanation += " " + _("Only %(amount)s could be withheld from this month's pay; HR settles the rest.") % {
            "amount": money_text(tax)
        }
    deductions.append(
        Line(
            code="income_tax",
            kind="deduction",
            label=_("Individual income tax"),
            quantity=taxable_ytd,
            rate=bracket.rate if bracket and taxable_ytd > 0 else None,
            amount=tax,
            explanation=explanation,
        )
    )
    facts.update(
        {
            "taxable_gross": str(money(taxable_gross)),
            "contributions": str(contributions),
            "income_tax": str(tax),
            "special_deductions_ytd": str(special),
            "months_employed": months,
            "first_month": first_month.isoformat(),
        }
    )
    lines = earnings + deductions
    total_deductions = money(sum((line.amount for line in deductions), ZERO))
    return Result(
        worker_id=worker.worker_id,
        lines=lines,
        gross=gross,
        total_deductions=total_deductions,
        net=gross - total_deductions,
        taxable_income_ytd=taxable_ytd,
        tax_withheld_ytd=tax_ytd,
        facts=facts,
    )


def _contributions(worker: WorkerInput, figures: Figures, gross: Decimal) -> tuple[list[Line], Decimal, dict]:
    """Social insurance and the housing fund of full-time staff, withheld only up to gross."""
    if not worker.full_time:
        return [], ZERO, {"contribution_base": None, "housing_fund_base": None}
    declared = worker.contribution_base
    start = declared if declared is not None else gross
    start_words = _("declared base") if declared is not None else _("this month's gross")
    si_base = min(max(start, figures.base_floor), figures.base_ceiling)
    hf_base = min(max(start, figures.housing_fund_floor), figures.housing_fund_ceiling)

    def clamp_words(base: Decimal, floor: Decimal, ceiling: Decimal) -> str:
        words = _("%(what)s %(amount)s") % {"what": start_words, "amount": money_text(start)}
        if start < floor:
            words += " " + _("raised to the floor %(floor)s") % {"floor": money_text(floor)}
        elif start > ceiling:
            words += " " + _("limited to the ceiling %(ceiling)s") % {"ceiling": money_text(ceiling)}
        return words

    si_words = clamp_words(si_base, figures.base_floor, figures.base_ceiling)
    hf_words = clamp_words(hf_base, figures.housing_fund_floor, figures.housing_fund_ceiling)
    planned = [
        ("pension", _("Pension insurance"), si_base, figures.pension_rate, si_words),
        ("medical", _("Medical insurance"), si_base, figures.medical_rate, si_words),
        ("unemployment", _("Unemployment insurance"), si_base, figures.unemployment_rate, si_words),
        ("housing_fund", _("Housing fund"), hf_base, figures.housing_fund_rate, hf_words),
    ]
    remaining = max(ZERO, gross)
    lines: list[Line] = []
    total = ZERO
    for code, label, base, line_rate, words in planned:
        due = money(base * line_rate)
        taken = min(due, remaining)
        remaining -= taken
        total += taken
        explanation = _("%(rate)s of the contribution base %(base)s (%(words)s).") % {
            "rate": _percent(line_rate),
            "base": money_text(base),
            "words": words,
        }
        if taken < due:
            explanation += " " + _("Due %(due)s; only %(taken)s could be withheld from this month's pay.") % {
                "due": money_text(due),
                "taken": money_text(taken),
            }
        lines.append(
            Line(
                code=code,
                kind="deduction",
                label=label,
                quantity=base,
                rate=line_rate,
                amount=taken,
                explanation=explanation,
            )
        )
    return lines, total, {"contribution_base": str(si_base), "housing_fund_base": str(hf_base)}


def _time_class_words(name: str) -> str:
    return {
        "overtime": _("beyond the schedule on workdays"),
        "rest_day": _("on rest days"),
        "holiday": _("on statutory holidays"),
    }[name]
