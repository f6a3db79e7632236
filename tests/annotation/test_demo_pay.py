"""The demo's pay: Yijun's rates on the demo projects, ledger lines from the demo's
accepted work, October and November 2026 closed and the open month computed by the real
payroll run, and nothing doubled on a second run."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from workforce.models import LedgerLine, PayPeriod, Payslip, PieceRate, User

pytestmark = pytest.mark.django_db


def test_demo_pay_closes_two_months_computes_the_open_one_and_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo_client")
    call_command("seed_demo_pay")
    hr = User.objects.get(username="yijun_hr")
    periods = {period.month: period for period in PayPeriod.objects.filter(centre=hr.centre)}
    this_month = timezone.localdate().replace(day=1)
    assert periods[dt.date(2026, 10, 1)].status == "closed" and periods[dt.date(2026, 11, 1)].status == "closed"
    assert periods[this_month].status == "open"
    annotator = User.objects.get(username="yijun_annotator")
    for month in (dt.date(2026, 10, 1), dt.date(2026, 11, 1)):
        slip = Payslip.objects.get(worker=annotator, period__month=month)
        assert slip.status == "closed" and slip.lines.filter(code="piece", amount__gt=0).exists()
    # Every demo project pays at Yijun; the demo's accepted work of this month is in the ledger.
    assert PieceRate.objects.filter(centre=hr.centre, unit="box").count() == 2
    assert LedgerLine.objects.filter(accepted_at__gte=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)).count() > 100
    assert LedgerLine.objects.filter(source="annotation", description__how="accepted",
                                     accepted_at__date__gte=this_month).count() > 0  # fmt: skip
    assert LedgerLine.objects.filter(unit="review").exists()
    counts = (LedgerLine.objects.count(), Payslip.objects.count(), PieceRate.objects.count())
    call_command("seed_demo_pay")
    assert (LedgerLine.objects.count(), Payslip.objects.count(), PieceRate.objects.count()) == counts
