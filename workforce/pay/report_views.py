"""A pay period's summary (with charts and a CSV of its figures) and its fairness view.

HR and the centre manager of the period's centre, and a network admin, may read them;
anyone else is refused (403), and another centre's period is not found (404)."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from workforce import policies
from workforce.models import PayPeriod
from workforce.pay import charts, reports, selectors


def _readable_period(request, period_id: int) -> PayPeriod:
    user = request.user
    if not (user.is_network_admin or policies.can_view_centre_payslips(user, user.centre_id)):
        raise PermissionDenied
    return selectors.pay_period_get(user, period_id)


def _row_label(row: reports.SummaryRow) -> str:
    if row.kind == "centre":
        return _("Whole centre")
    if row.kind == "no_team":
        return _("No team")
    return row.name


def _cell(text: str) -> str:
    # A team name that a spreadsheet would read as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _segment_labels() -> dict[str, str]:
    return {
        "piece": _("Piece work"),
        "base": _("Base pay"),
        "min_wage_topup": _("Minimum wage top-up"),
        "other": _("Overtime, allowances, adjustments"),
    }


@login_required
def period_summary(request, period_id: int):
    period = _readable_period(request, period_id)
    rows = reports.period_summary(period)
    labelled = [(row, _row_label(row)) for row in rows]
    histograms = []
    for n, (row, label) in enumerate(labelled):
        bins = reports.histogram_bins(row.net_values)
        histograms.append({"id": f"hist-{n}", "label": label, "bins": bins, "chart": charts.histogram(bins)})
    segment_labels = _segment_labels()
    return render(
        request,
        "workforce/pay/period_summary.html",
        {
            "period": period,
            "rows": labelled,
            "centre_histogram": histograms[0] if histograms else None,
            "team_histograms": histograms[1:],
            "split_chart": charts.stacked_bars([(label, row.segments) for row, label in labelled], reports.SEGMENTS),
            "segments": [(key, segment_labels[key]) for key in reports.SEGMENTS],
            "cost_chart": charts.bars([(label, row.cost_per_item) for row, label in labelled]),
        },
    )


@login_required
def period_summary_csv(request, period_id: int):
    """The summary's figures: one row per scope, then the net-pay histogram of each."""
    period = _readable_period(request, period_id)
    rows = reports.period_summary(period)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Scope"),
            _("People"),
            _("Gross pay"),
            _("Piece work"),
            _("Base pay"),
            _("Top-ups paid"),
            _("Top-ups (yuan)"),
            _("Overtime, allowances, adjustments"),
            _("Deductions"),
            _("Net pay"),
            _("Accepted items"),
            _("Labour cost per accepted item"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                _cell(_row_label(row)),
                row.people,
                f"{row.gross:.2f}",
                f"{row.piece:.2f}",
                f"{row.base:.2f}",
                row.topup_count,
                f"{row.topup_sum:.2f}",
                f"{row.other:.2f}",
                f"{row.deductions:.2f}",
                f"{row.net:.2f}",
                row.accepted,
                "" if row.cost_per_item is None else f"{row.cost_per_item:.2f}",
            ]
        )
    writer.writerow([])
    writer.writerow([_("Scope"), _("Net pay from (yuan)"), _("Net pay under (yuan)"), _("People")])
    for row in rows:
        for b in reports.histogram_bins(row.net_values):
            writer.writerow([_cell(_row_label(row)), f"{b.low:.2f}", f"{b.high:.2f}", b.count])
    response = HttpResponse(
        "\ufeff" + out.getvalue(),  # a BOM, so that Excel reads the Chinese as UTF-8
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pay-summary-{period.centre_id}-{period.month:%Y-%m}.csv"'
    return response


@login_required
def period_fairness(request, period_id: int):
    period = _readable_period(request, period_id)
    return render(
        request,
        "workforce/pay/period_fairness.html",
        {"period": period, "scopes": reports.period_fairness(period), "min_group": reports.MIN_GROUP},
    )
