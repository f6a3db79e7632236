"""Payroll pages: HR's periods, runs (with a progress bar), payslips and the bank file; a
person's own payslips. Each view checks, calls one selector or service, and renders."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aidou.errors import DomainError
from workforce import policies
from workforce import selectors as people_selectors
from workforce.models import PayPeriod, Payslip, User
from workforce.pay import selectors, services


def _require(allowed: bool) -> None:
    if not allowed:
        raise DjangoPermissionDenied


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RunStartForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)
    centre = forms.IntegerField(label=gettext_lazy("Centre"), required=False)


class AdjustmentForm(forms.Form):
    worker = forms.IntegerField(label=gettext_lazy("Person"))
    amount = forms.CharField(label=gettext_lazy("Amount (yuan, negative to take back)"), max_length=16)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    corrects = forms.IntegerField(label=gettext_lazy("Corrects payslip"), required=False)


@login_required
def period_list(request):
    user = request.user
    if user.centre_id is None and not user.is_network_admin:
        return redirect("my-payslips")
    if not (user.is_network_admin or policies.can_view_centre_payslips(user, user.centre_id)):
        return redirect("my-payslips")
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)  # payroll is for the month past
    form = RunStartForm(initial={"month": f"{last_month:%Y-%m}"})
    return render(
        request,
        "workforce/pay/period_list.html",
        {
            "periods": selectors.pay_periods_visible_to(user)[:60],
            "form": form,
            "can_run": policies.can_run_payroll(user, user.centre_id) or user.is_network_admin,
            "centres": people_selectors.centres_visible_to(user) if user.is_network_admin else None,
        },
    )


@login_required
@require_POST
def run_start(request):
    """Open the month's period if it is new and start its run."""
    user = request.user
    form = RunStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a month as YYYY-MM, e.g. 2026-11."))
        return redirect("pay-periods")
    try:
        month = selectors.month_parse(form.cleaned_data["month"], field="month")
        centre_id = form.cleaned_data.get("centre") or user.centre_id
        if centre_id is None:
            raise ValidationError({"centre": [_("Name the centre whose payroll to run.")]})
        centre = people_selectors.centre_get(user, centre_id)
        period = services.pay_period_open(actor=user, centre=centre, month=month)
        run = services.payroll_run_start(actor=user, period=period)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("pay-periods")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("pay-periods")
    return redirect("pay-run-detail", run_id=run.pk)


@login_required
def period_detail(request, period_id: int):
    user = request.user
    period = selectors.pay_period_get(user, period_id)
    payslips = list(selectors.payslip_list(user, month=period.month, centre_id=period.centre_id))
    banks = selectors.payslip_bank_details(payslips)
    rows = [(payslip, banks.get(payslip.worker_id, ("", "", ""))) for payslip in payslips]
    runs = list(selectors.payroll_runs_visible_to(user).filter(period=period)[:10])
    totals = {
        "gross": sum((p.gross for p in payslips), Decimal("0")),
        "deductions": sum((p.total_deductions for p in payslips), Decimal("0")),
        "net": sum((p.net for p in payslips), Decimal("0")),
    }
    can_run = policies.can_run_payroll(user, period.centre_id)
    return render(
        request,
        "workforce/pay/period_detail.html",
        {
            "period": period,
            "rows": rows,
            "runs": runs,
            "totals": totals,
            "can_run": can_run and period.status == PayPeriod.Status.OPEN,
            "can_bank_file": policies.can_download_bank_file(user, period.centre_id)
            and period.status == PayPeriod.Status.CLOSED,
            "adjustment_form": AdjustmentForm() if can_run and period.status == PayPeriod.Status.OPEN else None,
            "adjustments": period.adjustments.select_related("worker").order_by("-created_at")[:50],
        },
    )


@login_required
@require_POST
def period_run(request, period_id: int):
    period = selectors.pay_period_get(request.user, period_id)
    try:
        run = services.payroll_run_start(actor=request.user, period=period)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("pay-period-detail", period_id=period.pk)
    return redirect("pay-run-detail", run_id=run.pk)


@login_required
@require_POST
def period_close(request, period_id: int):
    period = selectors.pay_period_get(request.user, period_id)
    try:
        services.pay_period_close(actor=request.user, period=period)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The period is closed: its payslips are final."))
    return redirect("pay-period-detail", period_id=period.pk)


@login_required
@require_POST
def period_adjust(request, period_id: int):
    user = request.user
    period = selectors.pay_period_get(user, period_id)
    form = AdjustmentForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({field: [str(m) for m in errors] for field, errors in form.errors.items()})
        try:
            amount = Decimal(form.cleaned_data["amount"].strip())
        except InvalidOperation as exc:
            raise ValidationError({"amount": [_("Give an amount in yuan, e.g. 25.50.")]}) from exc
        worker = User.objects.filter(pk=form.cleaned_data["worker"], centre_id=period.centre_id).first()
        if worker is None:
            raise ValidationError({"worker": [_("This person does not work at this centre.")]})
        corrects = None
        if form.cleaned_data.get("corrects"):
            corrects = selectors.payslip_get(user, form.cleaned_data["corrects"])
        services.pay_adjustment_add(
            actor=user,
            worker=worker,
            period=period,
            amount=amount,
            reason=form.cleaned_data["reason"],
            corrects=corrects,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (DomainError, Http404) as exc:
        messages.error(request, getattr(exc, "message", _("Not found.")))
    else:
        messages.success(request, _("Adjustment added; run the payroll again to put it on the payslip."))
    return redirect("pay-period-detail", period_id=period.pk)


@login_required
def bank_file(request, period_id: int, file_format: str):
    """The bank transfer file, with full account numbers; every download is audited."""
    period = selectors.pay_period_get(request.user, period_id)
    try:
        name, content_type, body = services.bank_file_download(
            actor=request.user, period=period, file_format=file_format, ip_address=_client_ip(request)
        )
    except DomainError as exc:
        if exc.status_code == 403:
            raise DjangoPermissionDenied from exc
        messages.error(request, exc.message)
        return redirect("pay-period-detail", period_id=period.pk)
    except ValidationError as exc:
        raise Http404 from exc
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def run_detail(request, run_id: int):
    run = selectors.payroll_run_get(request.user, run_id)
    return render(
        request,
        "workforce/pay/run_detail.html",
        {"run": run, "can_run": policies.can_run_payroll(request.user, run.period.centre_id)},
    )


@login_required
@require_POST
def run_retry(request, run_id: int):
    run = selectors.payroll_run_get(request.user, run_id)
    try:
        services.payroll_run_retry(actor=request.user, run=run)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("pay-run-detail", run_id=run.pk)


@login_required
def payslip_detail(request, payslip_id: int):
    payslip = selectors.payslip_get(request.user, payslip_id)
    return render(
        request,
        "workforce/pay/payslip_detail.html",
        {
            "payslip": payslip,
            "earnings": [line for line in payslip.line_list if line.kind == "earning"],
            "deductions": [line for line in payslip.line_list if line.kind == "deduction"],
            "is_own": payslip.worker_id == request.user.pk,
        },
    )


@login_required
def payslip_pdf(request, payslip_id: int):
    payslip = selectors.payslip_get(request.user, payslip_id)
    from workforce.pay import documents  # fpdf2: 57 MB, loaded when a PDF is asked for

    response = HttpResponse(documents.payslip_pdf(payslip), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="payslip-{payslip.period.month:%Y-%m}-{payslip.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_payslips(request):
    payslips = selectors.payslips_visible_to(request.user).filter(worker=request.user)[:36]
    return render(request, "workforce/pay/my_payslips.html", {"payslips": payslips, "draft": Payslip.Status.DRAFT})


@login_required
def ledger_audit(request):
    """A supervisor's view of the centre's earnings lines (one person's with ?worker=), each
    earning line with a way to take it back when the work is found wrong on audit."""
    user = request.user
    _require(policies.can_reverse_ledger(user, user.centre_id))
    worker = request.GET.get("worker", "")
    worker_id = int(worker) if worker.isdigit() and len(worker) < 10 else None
    lines = list(selectors.ledger_lines_of_centre(user, worker_id=worker_id)[:200])
    for line in lines:
        line.explanation = selectors.line_explanation(line)
    return render(request, "workforce/pay/ledger_audit.html", {"lines": lines, "worker_id": worker_id})


@login_required
@require_POST
def ledger_line_reverse(request, line_id: int):
    try:
        services.ledger_reverse(actor=request.user, line_id=line_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The line was taken back; the person sees why on their home page."))
    return redirect("pay-ledger")
