"""Shared pieces of the pay tests: a class II Shaanxi centre, ledger lines written as the
ledger writes them, and a run done synchronously."""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from workforce.models import LedgerLine, PayrollRun, Payslip
from workforce.pay import services

D = Decimal
TZ = ZoneInfo("Asia/Shanghai")
_source_ids = itertools.count(1)


@pytest.fixture
def pay_centre(centre, hr):
    """A class II Shaanxi centre whose own housing-fund rate is 8 %."""
    centre.min_wage_class = "II"
    centre.code = "YJ"
    centre.save()
    services.legal_figure_add(
        actor=hr,
        code="housing_fund_rate",
        centre=centre,
        value=D("0.08"),
        effective_from=dt.date(2020, 1, 1),
        source="中心住房公积金缴存比例 8%",
    )
    return centre


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def ledger(worker, amount, when, time_class="normal", reverses=None):
    fields = {
        "worker": worker,
        "centre_id": worker.centre_id,
        "source": "annotation",
        "source_id": next(_source_ids),
        "unit": "box",
        "quantity": 1 if reverses is None else -1,
        "rate": abs(D(amount)),
        "amount": D(amount),
        "work_done_at": when,
        "accepted_at": when,
        "time_class": time_class,
    }
    if reverses is not None:
        fields.update(kind="reversal", reverses=reverses, reason="审核发现错误")
    return LedgerLine.objects.create(**fields)


def run_payroll(hr, centre, month: dt.date, **kwargs) -> PayrollRun:
    period = services.pay_period_open(actor=hr, centre=centre, month=month)
    run = services.payroll_run_start(actor=hr, period=period, enqueue=False)
    result = services.payroll_run_execute(job_id=run.pk, **kwargs)
    assert result is not None
    return result


def payslip_of(worker, month: dt.date) -> Payslip:
    return Payslip.objects.get(worker=worker, period__month=month)


def amounts(payslip: Payslip) -> dict[str, list[Decimal]]:
    found: dict[str, list[Decimal]] = {}
    for line in payslip.lines.order_by("position"):
        found.setdefault(line.code, []).append(line.amount)
    return found
