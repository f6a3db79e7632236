"""The payslip computation on its own (workforce.pay.payroll): every expectation is worked
out by hand in the test, to the fen, from the figures seeded for Shaanxi class II areas."""

import datetime as dt
from decimal import Decimal

import pytest

from workforce.models import Centre
from workforce.pay import payroll
from workforce.pay.legal import legal_figures_for
from workforce.pay.selectors import day_kinds, payroll_figures, quality_tiers_on

D = Decimal
NOVEMBER = dt.date(2026, 11, 1)  # 30 days, 9 Saturdays and Sundays: 21 workdays


@pytest.fixture
def figures(db):
    """The seeded figures of a class II Shaanxi centre with an 8 % housing fund: minimum wage
    2,050 a month / 20 an hour, base floor 4,254 and ceiling 21,270, housing fund floor 2,050."""
    centre = Centre.objects.create(name="图形测试中心", county="宜君县", province="陕西省", min_wage_class="II")
    base = payroll_figures(legal_figures_for(centre, dt.date(2026, 11, 30)), quality_tiers_on(centre.pk, NOVEMBER))
    return payroll.Figures(**{**base.__dict__, "housing_fund_rate": D("0.08")})


@pytest.fixture
def november(db):
    return payroll.PeriodInput(month=NOVEMBER, day_kinds=day_kinds(NOVEMBER))


def _workdays(period):
    return sorted(day for day, kind in period.day_kinds.items() if kind == payroll.WORKDAY)


def _line(result, code, nth=0):
    return [line for line in result.lines if line.code == code][nth]


def _amounts(result):
    return {line.code: line.amount for line in result.lines}


def test_seeded_figures_are_the_ones_the_hand_computations_use(figures, november):
    assert november.workdays == 21
    assert (figures.min_wage_monthly, figures.min_wage_hourly) == (D("2050"), D("20"))
    assert (figures.base_floor, figures.base_ceiling) == (D("4254"), D("21270"))
    assert (figures.housing_fund_floor, figures.housing_fund_ceiling) == (D("2050"), D("21270"))
    assert (figures.pension_rate, figures.medical_rate, figures.unemployment_rate) == (D("0.08"), D("0.02"), D("0.003"))
    assert figures.overtime_rates == {"overtime": D("1.5"), "rest_day": D("2"), "holiday": D("3")}
    assert figures.deduction_limits["children_education"] == D("2000")
    assert [bracket.rate for bracket in figures.brackets] == [
        D(x) for x in ("0.03", "0.1", "0.2", "0.25", "0.3", "0.35", "0.45")
    ]


def test_full_time_piece_worker_is_topped_up_to_the_share_of_the_monthly_minimum(figures, november):
    days = _workdays(november)
    worker = payroll.WorkerInput(
        worker_id=1,
        full_time=True,
        # 8 h on 20 of the 21 workdays, nothing rostered: 160 of 168 scheduled hours.
        worked={day: D("8") for day in days[:20]},
        ledger={"normal": D("1500.0000"), "overtime": D("100.0000")},
        allowances=[
            payroll.AllowanceInput("transport", "交通补贴", D("100"), counts_toward_minimum=False, taxable=True),
            payroll.AllowanceInput("post", "岗位津贴", D("200"), counts_toward_minimum=True, taxable=True),
        ],
    )
    result = payroll.payslip_compute(worker, november, figures)
    # Piece: (1,500 + 100) × 1.00 (no quality observations) = 1,600.00.
    assert _line(result, "piece").amount == D("1600.00")
    # Overtime premium: 100 × 50 % = 50.00 (not counted toward the floor).
    assert _line(result, "overtime").amount == D("50.00")
    # Floor: 2,050 × 160 / 168 = 1,952.380952… -> 1,952.38. Normal pay: 1,500 piece in
    # normal hours + 200 counting allowance = 1,700.00. Top-up: 252.38.
    assert _line(result, "min_wage_topup").amount == D("252.38")
    # Gross: 1,600 + 50 + 100 + 200 + 252.38 = 2,202.38.
    assert result.gross == D("2202.38")
    # Social insurance base: 2,202.38 raised to the floor 4,254: pension 340.32, medical
    # 85.08, unemployment 4,254 × 0.3 % = 12.762 -> 12.76. Housing fund: 2,202.38 is above its
    # floor 2,050: × 8 % = 176.1904 -> 176.19. Tax: 2,202.38 − 614.35 − 5,000 < 0 -> 0.
    amounts = _amounts(result)
    assert (amounts["pension"], amounts["medical"], amounts["unemployment"], amounts["housing_fund"]) == (
        D("340.32"),
        D("85.08"),
        D("12.76"),
        D("176.19"),
    )
    assert amounts["income_tax"] == D("0.00")
    assert result.total_deductions == D("614.35")
    assert result.net == D("1588.03")
    assert "4,254.00" in _line(result, "pension").explanation  # the floor is explained


def test_part_time_worker_is_topped_up_to_the_hourly_minimum_and_pays_no_contributions(figures, november):
    days = _workdays(november)
    worker = payroll.WorkerInput(
        worker_id=2, full_time=False, worked={day: D("4") for day in days[:15]}, ledger={"normal": D("1000")}
    )
    result = payroll.payslip_compute(worker, november, figures)
    # Floor: 20 an hour × 60 normal hours = 1,200.00; piece 1,000.00; top-up 200.00.
    assert _line(result, "min_wage_topup").amount == D("200.00")
    assert result.gross == D("1200.00")
    assert [line.code for line in result.lines if line.kind == "deduction"] == ["income_tax"]
    assert result.net == D("1200.00")


def test_no_top_up_when_normal_pay_reaches_the_floor_and_overtime_does_not_count(figures, november):
    days = _workdays(november)
    # All 168 scheduled hours worked: floor 2,050.00. Normal piece 2,000 plus 500 overtime piece:
    # the overtime must not lift the normal pay over the floor, so 50.00 is still topped up.
    worker = payroll.WorkerInput(
        worker_id=3,
        full_time=True,
        worked={day: D("8") for day in days},
        ledger={"normal": D("2000"), "overtime": D("500")},
    )
    result = payroll.payslip_compute(worker, november, figures)
    assert _line(result, "min_wage_topup").amount == D("50.00")


def test_contribution_base_is_clamped_to_the_floor_and_the_ceiling(figures, november):
    low = payroll.WorkerInput(
        worker_id=4, full_time=True, terms_kind="monthly", base_amount=D("5000"), contribution_base=D("3000")
    )
    amounts = _amounts(payroll.payslip_compute(low, november, figures))
    # 3,000 raised to 4,254: 340.32 / 85.08 / 12.76; housing fund 3,000 (above 2,050) × 8 % = 240.00.
    assert (amounts["pension"], amounts["medical"], amounts["unemployment"], amounts["housing_fund"]) == (
        D("340.32"),
        D("85.08"),
        D("12.76"),
        D("240.00"),
    )
    high = payroll.WorkerInput(
        worker_id=5, full_time=True, terms_kind="monthly", base_amount=D("40000"), contribution_base=D("30000")
    )
    result = payroll.payslip_compute(high, november, figures)
    amounts = _amounts(result)
    # 30,000 limited to 21,270: 1,701.60 / 425.40 / 63.81; housing fund 21,270 × 8 % = 1,701.60.
    assert (amounts["pension"], amounts["medical"], amounts["unemployment"], amounts["housing_fund"]) == (
        D("1701.60"),
        D("425.40"),
        D("63.81"),
        D("1701.60"),
    )
    # Tax, first month: 40,000 − 3,892.41 − 5,000 = 31,107.59 × 3 % = 933.2277 -> 933.23.
    assert amounts["income_tax"] == D("933.23")
    assert result.taxable_income_ytd == D("31107.59")
    assert "21,270.00" in _line(result, "pension").explanation


@pytest.mark.parametrize(
    ("good", "observations", "multiplier", "piece"),
    [
        (98, 100, "1.10", "1100.00"),  # exactly 0.98: the top tier
        (99, 100, "1.10", "1100.00"),
        (96, 100, "1.00", "1000.00"),
        (92, 100, "0.95", "950.00"),
        (50, 100, "0.90", "900.00"),
        (9, 9, "1.00", "1000.00"),  # fewer than 10 observations: ×1.00
    ],
)
def test_each_quality_tier(figures, november, good, observations, multiplier, piece):
    worker = payroll.WorkerInput(
        worker_id=6, full_time=False, ledger={"normal": D("1000")}, quality=(float(good), observations)
    )
    result = payroll.payslip_compute(worker, november, figures)
    line = _line(result, "piece")
    assert line.rate == D(multiplier)
    assert line.amount == D(piece)


def test_ledger_total_is_rounded_once_not_per_line(figures, november):
    # 1,000 lines of 0.0125 each sum exactly to 12.5000: paid 12.50, not 1,000 × 0.01.
    worker = payroll.WorkerInput(worker_id=7, full_time=False, ledger={"normal": D("0.0125") * 1000})
    assert _line(payroll.payslip_compute(worker, november, figures), "piece").amount == D("12.50")


def test_piece_work_in_overtime_earns_the_premium_times_the_multiplier(figures, november):
    worker = payroll.WorkerInput(
        worker_id=8,
        full_time=False,
        ledger={"normal": D("100"), "overtime": D("10"), "rest_day": D("10"), "holiday": D("10")},
        quality=(99.0, 100),
    )
    result = payroll.payslip_compute(worker, november, figures)
    # Piece: 130 × 1.10 = 143.00. Premiums: 10 × 50 % × 1.10 = 5.50; 10 × 100 % × 1.10 = 11.00;
    # 10 × 200 % × 1.10 = 22.00.
    assert _line(result, "piece").amount == D("143.00")
    assert [line.amount for line in result.lines if line.code == "overtime"] == [D("5.50"), D("11.00"), D("22.00")]


def test_unpaid_leave_lowers_the_salary_and_the_floor(figures, november):
    worker = payroll.WorkerInput(
        worker_id=9, full_time=True, terms_kind="monthly", base_amount=D("2175"), absences=[("personal", D("2"))]
    )
    result = payroll.payslip_compute(worker, november, figures)
    # 2,175 − 2,175 × 2 / 21.75 = 2,175 − 200 = 1,975.00.
    assert _line(result, "base").amount == D("1975.00")
    # Floor: 2,050 × (168 − 16) / 168 = 1,854.7619… -> 1,854.76; 1,975 is above it: no top-up.
    assert "min_wage_topup" not in _amounts(result)


def test_withholding_stops_at_gross_and_says_so(figures, november):
    # A full-time person with no pay this month: contributions on the floor are due but
    # nothing can be withheld; the lines say what was due.
    worker = payroll.WorkerInput(worker_id=10, full_time=True, adjustments=[payroll.AdjustmentInput(D("100"), "补发")])
    result = payroll.payslip_compute(worker, november, figures)
    amounts = _amounts(result)
    # Gross 100.00: pension 340.32 due, 100.00 withheld; the rest nothing.
    assert (amounts["pension"], amounts["medical"], amounts["unemployment"], amounts["housing_fund"]) == (
        D("100.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert result.net == D("0.00")
    assert "340.32" in _line(result, "pension").explanation


def test_annual_table_and_quick_deductions(figures):
    brackets = figures.brackets
    assert payroll.annual_tax(D("0"), brackets) == D("0.00")
    assert payroll.annual_tax(D("36000"), brackets) == D("1080.00")  # 36,000 × 3 %
    assert payroll.annual_tax(D("36000.01"), brackets) == D("1080.00")  # × 10 % − 2,520 = 1,080.001
    assert payroll.annual_tax(D("144001"), brackets) == D("11880.20")  # × 20 % − 16,920
    assert payroll.annual_tax(D("1000000"), brackets) == D("268080.00")  # × 45 % − 181,920


def test_special_deductions_are_capped_per_declaration_and_month():
    limits = {"elder_care": D("3000"), "children_education": D("2000")}
    declared = [
        payroll.DeductionInput("elder_care", D("3500"), dt.date(2026, 1, 1), None),  # over the limit
        payroll.DeductionInput("children_education", D("2000"), dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ]
    # January 3,000; February 3,000 + 2,000; March 3,000: 11,000.00.
    assert payroll.special_deductions(declared, limits, dt.date(2026, 1, 1), dt.date(2026, 3, 1)) == D("11000.00")
