"""Piece rates and the earnings ledger, on the workforce side: rates with effective dates
set by supervisors, lines written exactly (to 4 places) and once, reversals as new
negative lines with a reason, the time class of each line, and the annotator's earnings
(home panel and API), each explained."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from aidou.models import AuditLog
from tests import factories
from tests.workforce.pay_fixtures import TZ, at, pay_centre, payslip_of, run_payroll  # noqa: F401
from workforce.models import CalendarDay, LedgerLine, PieceRate, Role, Roster, Shift, ShiftType
from workforce.pay import selectors, services

D = Decimal
PROJECT = 41


def rates(supervisor, centre, when=None, **values):
    return services.piece_rates_set(
        actor=supervisor, centre=centre, project_id=PROJECT, project_name="街景 2026-12", rates=values,
        effective_from=when,
    )  # fmt: skip


def earn(worker, units, *, source_id=1, when=None, source="annotation"):
    when = when or timezone.now()
    return services.ledger_work_accepted(
        worker_id=worker.pk, centre_id=worker.centre_id, project_id=PROJECT, source=source, source_id=source_id,
        units=units, done_at=when, accepted_at=when, description={"project": "街景 2026-12", "item": 7},
    )  # fmt: skip


@pytest.mark.django_db
def test_supervisors_set_rates_with_effective_dates_and_a_new_row_replaces(supervisor, centre):
    written = rates(supervisor, centre, box="0.0800", item="0.1", polygon="")
    assert sorted((row.unit, row.rate) for row in written) == [("box", D("0.0800")), ("item", D("0.1000"))]
    # The same rate again writes nothing; a changed one is a new row from its moment on.
    later = timezone.now() + dt.timedelta(days=3)
    assert [row.unit for row in rates(supervisor, centre, later, box="0.0800", item="0.1200")] == ["item"]
    assert PieceRate.objects.count() == 3
    now_rates = selectors.piece_rates_in_force(centre_id=centre.pk, project_ids=[PROJECT])
    assert now_rates == {PROJECT: {"box": D("0.0800"), "item": D("0.1000")}}
    then = selectors.piece_rates_in_force(centre_id=centre.pk, project_ids=[PROJECT], at=later)
    assert then[PROJECT]["item"] == D("0.1200")


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["0.00001", "-1", "abc", "NaN", "1e9", "10000"])
def test_a_bad_rate_is_refused_and_nothing_is_written(supervisor, centre, bad):
    with pytest.raises(DomainError) as refused:
        rates(supervisor, centre, box="0.0800", item=bad)
    assert refused.value.field == "rate"
    assert not PieceRate.objects.exists()


@pytest.mark.django_db
def test_rates_are_for_the_centres_supervisors_and_never_start_in_the_past(supervisor, annotator, centre, other_centre):
    other = factories.UserFactory(username="other_sup", centre=other_centre, roles=[Role.SUPERVISOR])
    for actor in (annotator, other):
        with pytest.raises(PermissionDenied):
            rates(actor, centre, box="0.08")
    with pytest.raises(DomainError) as past:
        rates(supervisor, centre, timezone.now() - dt.timedelta(days=1), box="0.08")
    assert past.value.field == "effective_from"
    with pytest.raises(DomainError):
        services.piece_rates_set(actor=supervisor, centre=centre, project_id=PROJECT, project_name="x",
                                 rates={"sheep": "1"})  # fmt: skip
    assert not PieceRate.objects.exists()


@pytest.mark.django_db
def test_a_line_per_paid_unit_exact_to_four_places_and_written_once(supervisor, annotator, centre):
    rates(supervisor, centre, box="0.0800", item="0.0125", keypoints="0.3333")
    earn(annotator, {"item": 1, "box": 312, "keypoints": 3, "polygon": 2})  # polygons: no rate, no line
    lines = LedgerLine.objects.filter(worker=annotator)
    assert sorted((ln.unit, ln.quantity, ln.rate, ln.amount) for ln in lines) == [
        ("box", 312, D("0.0800"), D("24.9600")),
        ("item", 1, D("0.0125"), D("0.0125")),  # never rounded to 0.01 here: the payslip rounds once
        ("keypoints", 3, D("0.3333"), D("0.9999")),
    ]
    earn(annotator, {"item": 1, "box": 312, "keypoints": 3})  # accepted twice: still one line per unit
    stored = LedgerLine.objects.filter(worker=annotator)
    assert stored.count() == 3
    assert {ln.amount for ln in stored} == {D("24.9600"), D("0.0125"), D("0.9999")}
    assert stored.get(unit="box").description == {"project": "街景 2026-12", "item": 7}


@pytest.mark.django_db
def test_no_rate_or_no_centre_writes_nothing(supervisor, annotator, centre, network_admin):
    earn(annotator, {"box": 3})
    rates(supervisor, centre, box="0.08")
    earn(network_admin, {"box": 3})  # no centre to pay them
    assert not LedgerLine.objects.exists()


@pytest.mark.django_db
def test_the_rate_in_force_when_the_work_was_accepted_is_the_rate_paid(supervisor, annotator, centre):
    rates(supervisor, centre, box="0.0800")
    soon = timezone.now() + dt.timedelta(hours=2)
    rates(supervisor, centre, soon, box="0.1000")
    earn(annotator, {"box": 10}, source_id=1)
    earn(annotator, {"box": 10}, source_id=2, when=soon + dt.timedelta(minutes=1))
    assert list(LedgerLine.objects.order_by("source_id").values_list("amount", flat=True)) == [D("0.8000"), D("1.0000")]


@pytest.mark.django_db
def test_a_reversal_is_a_new_negative_line_with_its_reason(supervisor, annotator, centre, other_centre):
    rates(supervisor, centre, box="0.0800")
    earn(annotator, {"box": 312})
    stored = LedgerLine.objects.get(unit="box")
    with pytest.raises(DomainError) as no_reason:
        services.ledger_reverse(actor=supervisor, line_id=stored.pk, reason="  ")
    assert no_reason.value.field == "reason"
    other = factories.UserFactory(username="other_sup", centre=other_centre, roles=[Role.SUPERVISOR])
    for outsider in (other, annotator):
        with pytest.raises(NotFound):
            services.ledger_reverse(actor=outsider, line_id=stored.pk, reason="错框")
    reversal = services.ledger_reverse(actor=supervisor, line_id=stored.pk, reason="抽检发现 12 个框标错")
    assert (reversal.kind, reversal.quantity, reversal.amount) == ("reversal", -312, D("-24.9600"))
    assert reversal.reverses_id == stored.pk and reversal.reason == "抽检发现 12 个框标错"
    stored.refresh_from_db()
    assert stored.amount == D("24.9600")  # never edited
    with pytest.raises(Conflict):
        services.ledger_reverse(actor=supervisor, line_id=stored.pk, reason="again")
    with pytest.raises(NotFound):  # a reversal is not reversed
        services.ledger_reverse(actor=supervisor, line_id=reversal.pk, reason="again")
    assert LedgerLine.objects.count() == 2
    [audit] = AuditLog.objects.filter(action="ledger_reverse")
    assert audit.actor == supervisor and audit.target_id == str(stored.pk)


@pytest.mark.django_db
def test_each_time_class(supervisor, annotator, centre):
    """2026-10-01 is a statutory holiday, 2026-12-05 a Saturday; 2026-12-07 a Monday with a
    published 08:30–12:00 shift; 2026-12-08 a Monday-to-Friday day without one."""
    rates(supervisor, centre, box="0.08")
    PieceRate.objects.update(effective_from=dt.datetime(2026, 1, 1, tzinfo=TZ))
    CalendarDay.objects.get_or_create(date=dt.date(2026, 10, 1), defaults={"kind": "statutory", "name": "国庆节",
                                                                           "source": "test"})  # fmt: skip
    team = factories.TeamFactory(centre=centre, name="班组")
    roster = Roster.objects.create(team=team, week_start=dt.date(2026, 12, 7), version=1)
    morning = ShiftType.objects.create(centre=centre, name="上午", starts=dt.time(8, 30), ends=dt.time(12, 0))
    Shift.objects.create(
        roster=roster, worker=annotator, shift_type=morning, date=dt.date(2026, 12, 7),
        starts_at=at(dt.date(2026, 12, 7), 8, 30), ends_at=at(dt.date(2026, 12, 7), 12),
        published_starts_at=at(dt.date(2026, 12, 7), 8, 30), published_ends_at=at(dt.date(2026, 12, 7), 12),
    )  # fmt: skip
    cases = [
        (at(dt.date(2026, 10, 1), 10), "holiday"),
        (at(dt.date(2026, 12, 5), 10), "rest_day"),
        (at(dt.date(2026, 12, 7), 10), "normal"),  # inside the shift
        (at(dt.date(2026, 12, 7), 19), "overtime"),  # outside it, on a workday that has one
        (at(dt.date(2026, 12, 8), 19), "normal"),  # no shift that day: nothing to exceed
    ]
    for number, (when, _expected) in enumerate(cases, start=1):
        earn(annotator, {"box": 1}, source_id=number, when=when)
    found = dict(LedgerLine.objects.values_list("source_id", "time_class"))
    assert [found[number] for number in range(1, 6)] == [expected for _when, expected in cases]


@pytest.mark.django_db
def test_earnings_today_and_this_month_explained_in_one_query(supervisor, annotator, centre, django_assert_num_queries):
    rates(supervisor, centre, box="0.0800", item="0.0125")
    PieceRate.objects.update(effective_from=dt.datetime(2026, 1, 1, tzinfo=TZ))
    now = at(dt.date(2026, 12, 7), 15)
    earn(annotator, {"box": 300, "item": 1}, source_id=1, when=at(dt.date(2026, 12, 1), 9))
    earn(annotator, {"box": 12}, source_id=2, when=at(dt.date(2026, 12, 7), 9))
    earn(annotator, {"box": 5}, source_id=3, when=at(dt.date(2026, 11, 30), 23, 59))  # last month
    with django_assert_num_queries(1):
        earnings = selectors.earnings_of(annotator, now=now)
    by_unit = {row.unit: row for row in earnings.rows}
    assert by_unit["box"].explanation == "312 boxes × 0.0800 = 24.96"
    assert by_unit["box"].today_explanation == "12 boxes × 0.0800 = 0.96"
    assert by_unit["item"].explanation == "1 accepted image × 0.0125 = 0.0125"
    assert by_unit["box"].project_name == "街景 2026-12"
    assert (earnings.month_total, earnings.today_total) == (D("24.9725"), D("0.9600"))
    assert [row.unit for row in earnings.today_rows] == ["box"]


@pytest.mark.django_db
def test_earnings_show_a_reversal_and_its_reason(supervisor, annotator, centre, django_assert_num_queries):
    rates(supervisor, centre, box="0.0800")
    earn(annotator, {"box": 312})
    line = LedgerLine.objects.get()
    services.ledger_reverse(actor=supervisor, line_id=line.pk, reason="抽检发现错框")
    with django_assert_num_queries(2):
        earnings = selectors.earnings_of(annotator)
    assert earnings.month_total == D("0") and earnings.today_total == D("0")
    [reversal] = earnings.reversals
    assert reversal.reason == "抽检发现错框" and reversal.amount == D("-24.9600")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("good", "multiplier", "piece"),
    [(99, "1.10", "27.46"), (96, "1.00", "24.96"), (92, "0.95", "23.71"), (50, "0.90", "22.46")],
)
def test_ledger_lines_are_paid_by_the_run_at_each_tier(
    pay_centre,  # noqa: F811
    hr,
    supervisor,
    annotator,
    good,
    multiplier,
    piece,
    monkeypatch,  # noqa: F811
):
    """312 boxes × 0.0800 = 24.96; × 1.10 = 27.456 → 27.46; × 0.95 = 23.712 → 23.71; × 0.90 = 22.464 → 22.46."""
    from workforce import work_figures

    class Figures:
        def quality_by_worker(self, **kwargs):
            return {annotator.pk: (float(good), 100)}

        def active_seconds_by_day(self, **kwargs):
            return {}

        def work_counts_by_worker(self, **kwargs):
            return {}

    monkeypatch.setattr(work_figures, "_registered", Figures())
    rates(supervisor, pay_centre, box="0.0800")
    PieceRate.objects.update(effective_from=dt.datetime(2026, 1, 1, tzinfo=TZ))
    earn(annotator, {"box": 312}, when=at(dt.date(2026, 11, 10), 10))
    run_payroll(hr, pay_centre, dt.date(2026, 11, 1))
    [line] = payslip_of(annotator, dt.date(2026, 11, 1)).lines.filter(code="piece")
    assert (line.rate, line.amount) == (D(multiplier), D(piece))
