"""Payroll runs end to end: inputs read from the database, payslips written by the job,
periods closed. Expectations are worked out by hand to the fen in each test."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aidou.errors import Conflict
from tests import factories
from tests.workforce import pay_fixtures
from tests.workforce.pay_fixtures import amounts, at, ledger, payslip_of, run_payroll
from workforce.models import (
    AttendanceRecord,
    CalendarDay,
    PayrollRun,
    Payslip,
    PayslipLine,
    Roster,
    Shift,
    ShiftType,
    Team,
)
from workforce.pay import services
from workforce.pay.legal import legal_figures_for, places_of

pytestmark = pytest.mark.django_db
pay_centre = pay_fixtures.pay_centre
D = Decimal


def test_places_most_specific_first(pay_centre):
    assert places_of(pay_centre) == ["CN-SN:II", "CN-SN", "CN"]
    figures = legal_figures_for(pay_centre, dt.date(2026, 11, 30))
    assert figures.value("housing_fund_rate") == D("0.08")  # the centre's own row beats CN's 5 %
    assert figures.value("min_wage_monthly") == D("2050")  # CN-SN:II
    assert figures.value("unemployment_rate") == D("0.003")  # CN-SN
    assert figures.value("pension_rate") == D("0.08")  # CN
    assert "2023" in figures.source("min_wage_monthly")


def test_newest_row_on_or_before_the_date(pay_centre, network_admin):
    services.legal_figure_add(
        actor=network_admin,
        code="min_wage_monthly",
        region="CN-SN:II",
        value=D("2200"),
        effective_from=dt.date(2026, 12, 1),
        source="测试: 新标准",
    )
    assert legal_figures_for(pay_centre, dt.date(2026, 11, 30)).value("min_wage_monthly") == D("2050")
    assert legal_figures_for(pay_centre, dt.date(2026, 12, 31)).value("min_wage_monthly") == D("2200")


def test_cumulative_income_tax_over_three_months_with_a_bracket_change_and_a_special_deduction(pay_centre, hr):
    person = factories.worker(actor=hr, centre=pay_centre, name="李建国", hire_date=dt.date(2024, 3, 1))
    services.pay_terms_set(
        actor=hr,
        worker=person,
        kind="monthly",
        base_amount=D("30000"),
        contribution_base=D("10000"),
        effective_from=dt.date(2025, 1, 1),
    )
    services.tax_deduction_declare(
        actor=hr, worker=person, kind="children_education", monthly_amount=D("2000"), starts_on=dt.date(2026, 1, 1)
    )
    # Each month: salary 30,000.00. Contributions of the declared base 10,000: pension 800.00,
    # medical 200.00, unemployment 30.00, housing fund 8 % 800.00 = 1,830.00. Taxable a month:
    # 30,000 − 1,830 − 5,000 basic − 2,000 children's education = 21,170.00.
    #   January:  YTD 21,170.00 × 3 % = 635.10;             withheld 635.10
    #   February: YTD 42,340.00 × 10 % − 2,520 = 1,714.00;   1,714.00 − 635.10 = 1,078.90
    #   March:    YTD 63,510.00 × 10 % − 2,520 = 3,831.00;   3,831.00 − 1,714.00 = 2,117.00
    expected = [
        (dt.date(2026, 1, 1), "635.10", "21170.00", "635.10", "27534.90"),
        (dt.date(2026, 2, 1), "1078.90", "42340.00", "1714.00", "27091.10"),
        (dt.date(2026, 3, 1), "2117.00", "63510.00", "3831.00", "26053.00"),
    ]
    for month, tax, taxable_ytd, tax_ytd, net in expected:
        run = run_payroll(hr, pay_centre, month)
        assert run.status == "succeeded", run.failure
        payslip = payslip_of(person, month)
        found = amounts(payslip)
        assert found["base"] == [D("30000.00")]
        assert (found["pension"], found["medical"], found["unemployment"], found["housing_fund"]) == (
            [D("800.00")],
            [D("200.00")],
            [D("30.00")],
            [D("800.00")],
        )
        assert found["income_tax"] == [D(tax)], month
        assert payslip.taxable_income_ytd == D(taxable_ytd)
        assert payslip.tax_withheld_ytd == D(tax_ytd)
        assert payslip.net == D(net)
        services.pay_period_close(actor=hr, period=payslip.period)
    march = payslip_of(person, dt.date(2026, 3, 1))
    tax_line = march.lines.get(code="income_tax")
    assert tax_line.rate == D("0.1")
    assert "63,510.00" in tax_line.explanation and "6,000.00" in tax_line.explanation


def _roster_shift(worker, team, day, start_hour, end_hour):
    shift_type, _ = ShiftType.objects.get_or_create(
        centre=team.centre, name="白班", defaults={"starts": dt.time(9), "ends": dt.time(17)}
    )
    monday = day - dt.timedelta(days=day.weekday())
    roster, _ = Roster.objects.get_or_create(team=team, week_start=monday, defaults={"version": 1})
    starts, ends = at(day, start_hour), at(day, end_hour)
    return Shift.objects.create(
        roster=roster,
        worker=worker,
        shift_type=shift_type,
        date=day,
        starts_at=starts,
        ends_at=ends,
        published_starts_at=starts,
        published_ends_at=ends,
    )


def _clock(worker, day, start_hour, end_hour):
    return AttendanceRecord.objects.create(
        worker=worker, centre_id=worker.centre_id, clock_in_at=at(day, start_hour), clock_out_at=at(day, end_hour)
    )


def test_overtime_on_a_workday_a_rest_day_and_a_statutory_holiday(pay_centre, hr):
    # Seeded with the calendar (migration 0007): National Day is a statutory holiday.
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 1)).kind == "statutory"
    team = Team.objects.create(centre=pay_centre, name="夜班组")
    salaried = factories.worker(actor=hr, centre=pay_centre, name="周海燕", hire_date=dt.date(2024, 3, 1))
    services.pay_terms_set(
        actor=hr, worker=salaried, kind="monthly", base_amount=D("4350"), effective_from=dt.date(2026, 1, 1)
    )
    # 10 October is a Saturday worked in lieu (调休上班): the 17th is a rest day.
    wednesday, saturday, holiday = dt.date(2026, 10, 14), dt.date(2026, 10, 17), dt.date(2026, 10, 1)
    _roster_shift(salaried, team, wednesday, 9, 17)  # 8 h rostered
    _clock(salaried, wednesday, 9, 19)  # 10 h worked: 2 h beyond the schedule
    _clock(salaried, saturday, 9, 17)  # 8 h on a rest day
    _clock(salaried, holiday, 9, 13)  # 4 h on National Day
    piece = factories.worker(actor=hr, centre=pay_centre, name="王秀英")
    ledger(piece, "100", at(dt.date(2026, 10, 13), 10))
    ledger(piece, "10", at(wednesday, 20), "overtime")
    ledger(piece, "10", at(saturday, 10), "rest_day")
    ledger(piece, "10", at(holiday, 10), "holiday")

    run = run_payroll(hr, pay_centre, dt.date(2026, 10, 1))
    assert run.status == "succeeded", run.failure
    # Hourly rate: 4,350 ÷ 21.75 ÷ 8 = 25.00. Workday 2 h × 25 × 150 % = 75.00; rest day
    # 8 h × 25 × 200 % = 400.00; holiday 4 h × 25 × 300 % = 300.00.
    found = amounts(payslip_of(salaried, dt.date(2026, 10, 1)))
    assert found["base"] == [D("4350.00")]
    assert found["overtime"] == [D("75.00"), D("400.00"), D("300.00")]
    # Piece work (no quality observations: × 1.00): 130.00, premiums 10 × 50 % = 5.00,
    # 10 × 100 % = 10.00, 10 × 200 % = 20.00.
    found = amounts(payslip_of(piece, dt.date(2026, 10, 1)))
    assert found["piece"] == [D("130.00")]
    assert found["overtime"] == [D("5.00"), D("10.00"), D("20.00")]
    hours = payslip_of(salaried, dt.date(2026, 10, 1)).facts["hours"]
    assert (hours["overtime"], hours["rest_day"], hours["holiday"], hours["normal"]) == ("2.00", "8.00", "4.00", "8.00")


def test_a_reversal_in_a_later_month_reduces_that_month_and_leaves_the_closed_one(pay_centre, hr):
    person = factories.worker(actor=hr, centre=pay_centre, name="张桂英")
    paid = ledger(person, "100.0000", at(dt.date(2026, 11, 10), 10))
    november = run_payroll(hr, pay_centre, dt.date(2026, 11, 1))
    services.pay_period_close(actor=hr, period=november.period)
    closed = payslip_of(person, dt.date(2026, 11, 1))
    before = (closed.gross, closed.net, list(closed.lines.values_list("code", "amount")))

    ledger(person, "-40.0000", at(dt.date(2026, 12, 3), 10), reverses=paid)
    ledger(person, "50.0000", at(dt.date(2026, 12, 4), 10))
    run_payroll(hr, pay_centre, dt.date(2026, 12, 1))
    # December: 50 − 40 = 10.00 of piece work.
    assert amounts(payslip_of(person, dt.date(2026, 12, 1)))["piece"] == [D("10.00")]
    closed.refresh_from_db()
    assert (closed.gross, closed.net, list(closed.lines.values_list("code", "amount"))) == before
    assert closed.status == "closed"


def test_a_closed_period_refuses_runs_and_adjustments_and_a_correction_goes_to_the_next(pay_centre, hr):
    person = factories.worker(actor=hr, centre=pay_centre, name="刘丽娟")
    ledger(person, "300", at(dt.date(2026, 11, 10), 10))
    november = run_payroll(hr, pay_centre, dt.date(2026, 11, 1)).period
    services.pay_period_close(actor=hr, period=november)
    with pytest.raises(Conflict):
        services.payroll_run_start(actor=hr, period=november, enqueue=False)
    with pytest.raises(Conflict):
        services.pay_adjustment_add(actor=hr, worker=person, period=november, amount=D("10"), reason="补发")
    with pytest.raises(Conflict):
        services.pay_period_close(actor=hr, period=november)

    december = services.pay_period_open(actor=hr, centre=pay_centre, month=dt.date(2026, 12, 1))
    services.pay_adjustment_add(
        actor=hr,
        worker=person,
        period=december,
        amount=D("25.5"),
        reason="11月漏计一批框",
        corrects=payslip_of(person, dt.date(2026, 11, 1)),
    )
    run_payroll(hr, pay_centre, dt.date(2026, 12, 1))
    line = payslip_of(person, dt.date(2026, 12, 1)).lines.get(code="adjustment")
    assert line.amount == D("25.50")
    assert "11月漏计一批框" in line.explanation and "2026-11" in line.explanation


def test_a_run_cannot_start_twice(pay_centre, hr):
    period = services.pay_period_open(actor=hr, centre=pay_centre, month=dt.date(2026, 11, 1))
    services.payroll_run_start(actor=hr, period=period, enqueue=False)
    with pytest.raises(Conflict):
        services.payroll_run_start(actor=hr, period=period, enqueue=False)
    assert PayrollRun.objects.filter(period=period).count() == 1


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no except clause."""


def test_a_run_taken_over_after_its_worker_was_killed_leaves_one_payslip_each(pay_centre, hr, monkeypatch):
    people = [factories.worker(actor=hr, centre=pay_centre) for _ in range(3)]
    for n, person in enumerate(people):
        ledger(person, f"{100 + n}", at(dt.date(2026, 11, 10), 10))
    period = services.pay_period_open(actor=hr, centre=pay_centre, month=dt.date(2026, 11, 1))
    run = services.payroll_run_start(actor=hr, period=period, enqueue=False)

    real_lock = services._period_lock_open
    calls = itertools.count(1)

    def dies_on_the_second_chunk(period_id):
        if next(calls) == 2:
            raise WorkerKilled
        return real_lock(period_id)

    monkeypatch.setattr(services, "_period_lock_open", dies_on_the_second_chunk)
    with pytest.raises(WorkerKilled):
        services.payroll_run_execute(job_id=run.pk, chunk_size=1)
    monkeypatch.setattr(services, "_period_lock_open", real_lock)
    run.refresh_from_db()
    assert run.status == "running" and run.processed == 1
    assert Payslip.objects.filter(period=period).count() == 1

    # Celery delivers the task again (acks_late); while the dead worker's heartbeat is fresh
    # the claim refuses, once it is stale the new worker takes the run over.
    assert services.payroll_run_execute(job_id=run.pk, chunk_size=1) is None
    PayrollRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    run = services.payroll_run_execute(job_id=run.pk, chunk_size=1)
    assert run.status == "succeeded" and run.processed == 3
    assert sorted(Payslip.objects.filter(period=period).values_list("worker_id", flat=True)) == sorted(
        p.pk for p in people
    )
    # And a second run of the period replaces them: still one each, with the same lines.
    first_ids = set(Payslip.objects.filter(period=period).values_list("pk", flat=True))
    run_payroll(hr, pay_centre, dt.date(2026, 11, 1))
    assert Payslip.objects.filter(period=period).count() == 3
    assert not first_ids & set(Payslip.objects.filter(period=period).values_list("pk", flat=True))
    assert PayslipLine.objects.filter(payslip__period=period, code="piece").count() == 3


def test_people_no_longer_paid_lose_their_draft(pay_centre, hr):
    person = factories.worker(actor=hr, centre=pay_centre)
    line = ledger(person, "80", at(dt.date(2026, 11, 10), 10))
    run_payroll(hr, pay_centre, dt.date(2026, 11, 1))
    line.delete()  # as if the work had never been accepted
    run_payroll(hr, pay_centre, dt.date(2026, 11, 1))
    assert not Payslip.objects.filter(worker=person).exists()


def test_a_missing_figure_fails_the_run_with_a_sentence(centre, hr):
    # No minimum-wage class: Shaanxi's minimum wage is seeded per class only.
    person = factories.worker(actor=hr, centre=centre)
    ledger(person, "80", at(dt.date(2026, 11, 10), 10))
    run = run_payroll(hr, centre, dt.date(2026, 11, 1))
    assert run.status == "failed"
    assert "Minimum wage per month" in run.failure
    assert not Payslip.objects.exists()


def _people_with_a_month_of_everything(hr, centre, month: dt.date, count: int):
    team = Team.objects.get_or_create(centre=centre, name="查询组")[0]
    day = month + dt.timedelta(days=(7 - month.weekday()) % 7)  # the first Monday
    for n in range(count):
        person = factories.worker(actor=hr, centre=centre)
        services.pay_terms_set(
            actor=hr, worker=person, kind="hourly", base_amount=D("25"), effective_from=dt.date(2026, 1, 1)
        )
        services.tax_deduction_declare(
            actor=hr, worker=person, kind="housing_rent", monthly_amount=D("800"), starts_on=month
        )
        ledger(person, "10", at(day, 10))
        _roster_shift(person, team, day + dt.timedelta(days=n % 3), 9, 17)
        _clock(person, day + dt.timedelta(days=n % 3), 9, 18)
        services.allowance_grant(
            worker=person, code="skill", label="技能津贴", amount=D("50"), starts_on=month, source=f"q:{month}:{n}"
        )


def test_the_run_reads_and_writes_in_a_number_of_queries_independent_of_the_people(pay_centre, hr):
    counts = []
    # September: 2 people; October: 7 more (the 2 are paid again: they have pay terms).
    for month, added, people in ((dt.date(2026, 9, 1), 2, 2), (dt.date(2026, 10, 1), 7, 9)):
        _people_with_a_month_of_everything(hr, pay_centre, month, added)
        period = services.pay_period_open(actor=hr, centre=pay_centre, month=month)
        run = services.payroll_run_start(actor=hr, period=period, enqueue=False)
        with CaptureQueriesContext(connection) as queries:
            services.payroll_run_execute(job_id=run.pk)
        assert Payslip.objects.filter(period=period).count() == people
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # 17 reads of inputs (one per kind, for everyone), 4 statements per chunk of 500
    # payslips, the job's claim and progress, the savepoints: 31 on SQLite; and one more since
    # annotation answers the port with the workbench's active time (annotation/work_figures.py).
    assert counts[0] <= 32
