"""Writes of pay that other apps call. Every function is one use case, transactional,
keyword-only."""

import datetime as dt
import json
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aidou.audit import audit_record
from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from aidou.jobs import JobKind, job_claim, job_fail, job_requeue
from aidou.models import AuditLog
from aidou.money import money
from workforce import policies
from workforce.models import (
    Allowance,
    CalendarDay,
    Centre,
    LedgerLine,
    LegalFigure,
    PayAdjustment,
    PayPeriod,
    PayrollRun,
    Payslip,
    PayslipLine,
    PayTerms,
    PieceRate,
    Shift,
    TaxDeduction,
    User,
    WorkUnit,
)
from workforce.pay import payroll, selectors
from workforce.pay.legal import legal_figures_for

log = logging.getLogger(__name__)


@transaction.atomic
def allowance_grant(
    *,
    worker: User,
    code: str,
    label: str,
    amount: Decimal,
    starts_on: dt.date,
    source: str,
    ends_on: dt.date | None = None,
    taxable: bool = True,
    counts_toward_minimum: bool = False,
) -> Allowance:
    """Give one person a monthly allowance from `starts_on`, on behalf of another module
    (`source` names what grants it, e.g. "certification.certificate:12"). Granting the same
    source again updates that allowance instead of adding one. Raises ValidationError for a
    negative amount or a person without a centre."""
    if not source:
        raise ValidationError({"source": [_("Say what grants the allowance.")]})
    amount = money(amount)
    if amount < 0:
        raise ValidationError({"amount": [_("An allowance cannot be negative.")]})
    if worker.centre_id is None:
        raise ValidationError({"worker": [_("This person belongs to no centre.")]})
    allowance, _created = Allowance.objects.select_for_update().update_or_create(
        source=source,
        defaults={
            "centre_id": worker.centre_id,
            "worker": worker,
            "applies_to": Allowance.AppliesTo.PERSON,
            "code": code,
            "label": label,
            "amount": amount,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "taxable": taxable,
            "counts_toward_minimum": counts_toward_minimum,
        },
    )
    return allowance


@transaction.atomic
def allowance_end(*, source: str, ends_on: dt.date) -> Allowance | None:
    """Stop the allowance `source` granted after `ends_on` (the last day it is paid for; a
    date before its start removes it from every month). None if there is none."""
    allowance = Allowance.objects.select_for_update().filter(source=source).first()
    if allowance is None:
        return None
    if ends_on < allowance.starts_on:
        allowance.delete()  # never paid: nothing of it is history
        return None
    allowance.ends_on = ends_on
    allowance.save(update_fields=["ends_on"])
    return allowance


# --- Pay periods and payroll runs ------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@transaction.atomic
def pay_period_open(*, actor: User, centre: Centre, month: dt.date) -> PayPeriod:
    """The centre's pay period of `month` (the first of a month), opened if it is new. HR of
    the centre or a network admin."""
    _require(policies.can_run_payroll(actor, centre.pk), _("Only HR of this centre may run its payroll."))
    period, _created = PayPeriod.objects.get_or_create(centre=centre, month=month.replace(day=1))
    return period


def payroll_run_start(*, actor: User, period: PayPeriod, enqueue: bool = True) -> PayrollRun:
    """Queue a run that computes the period's payslips (`enqueue=False`: the caller runs
    `payroll_run_execute` itself). Conflict when the period is closed or a run of it is
    already queued or running (also a partial unique constraint, so two HR clicks at once
    make one run)."""
    _require(policies.can_run_payroll(actor, period.centre_id), _("Only HR of this centre may run its payroll."))
    busy = _("A payroll run of this period is already under way.")
    try:
        with transaction.atomic():
            locked = PayPeriod.objects.select_for_update().get(pk=period.pk)
            if locked.status != PayPeriod.Status.OPEN:
                raise Conflict(_("This period is closed: its payslips are final."))
            if PayrollRun.objects.filter(period=locked, status__in=ACTIVE).exists():
                raise Conflict(busy)
            run = PayrollRun.objects.create(
                period=locked, created_by=actor, language=translation.get_language() or settings.LANGUAGE_CODE
            )
            if enqueue:
                transaction.on_commit(lambda: payroll_run_enqueue(run.pk))
    except IntegrityError as exc:
        raise Conflict(busy) from exc
    return run


ACTIVE = (PayrollRun.Status.QUEUED, PayrollRun.Status.RUNNING)


def payroll_run_enqueue(job_id: int) -> None:
    """Send the run's task (also what a sweep of dead workers' jobs calls to requeue it)."""
    from workforce.tasks import payroll_run_task

    payroll_run_task.delay(job_id)


def payroll_run_retry(*, actor: User, run: PayrollRun) -> PayrollRun:
    """Queue again a run that failed or whose worker died. Conflict otherwise, or when the
    period is closed or another run of it is under way."""
    _require(policies.can_run_payroll(actor, run.period.centre_id), _("Only HR of this centre may run its payroll."))
    if run.period.status != PayPeriod.Status.OPEN:
        raise Conflict(_("This period is closed: its payslips are final."))
    try:
        job_requeue(run, payroll_run_enqueue, refusal=_("This run cannot run again; start a new one."))
    except IntegrityError as exc:
        raise Conflict(_("A payroll run of this period is already under way.")) from exc
    return run


# Payslips written per transaction: small enough that a chunk's locks are short, large
# enough that the number of statements stays a few per thousand people.
CHUNK_SIZE = 500
PAYROLL_RUN_CLAIM_RESET = {"processed": 0, "errors": [], "summary": {}}


def payroll_run_execute(*, job_id: int, chunk_size: int = CHUNK_SIZE) -> PayrollRun | None:
    """Compute and write the period's payslips. Claimed with aidou.jobs.job_claim (a
    re-delivered task does nothing unless the run's worker died, and then it takes the run
    over). Inputs are read once for everyone (selectors.payroll_inputs), computed in memory,
    and written in chunks: each chunk, in one transaction holding the period's row lock,
    deletes the chunk's draft payslips and inserts the new ones, so a run killed midway and
    run again, or repeated, leaves exactly one payslip per person and period. A missing
    legal figure or a closed period fails the run with a sentence saying so."""
    language = PayrollRun.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            return _payroll_run_execute(job_id, chunk_size)
        except (DomainError, ValidationError) as exc:
            message = exc.message if isinstance(exc, DomainError) else "; ".join(exc.messages)
            PayrollRun.objects.filter(pk=job_id).update(
                status=PayrollRun.Status.FAILED, failure=message, finished_at=timezone.now()
            )
            return PayrollRun.objects.filter(pk=job_id).first()
        except Exception:
            log.exception("payroll run %s failed", job_id)
            job_fail(PayrollRun, job_id)
            raise


def _payroll_run_execute(job_id: int, chunk_size: int) -> PayrollRun | None:
    if not job_claim(PayrollRun, job_id, **PAYROLL_RUN_CLAIM_RESET):
        return None  # finished already, running elsewhere, or unknown
    run = PayrollRun.objects.select_related("period__centre").get(pk=job_id)
    period = run.period
    if period.status != PayPeriod.Status.OPEN:
        raise Conflict(_("This period is closed: its payslips are final."))
    inputs = selectors.payroll_inputs(period)
    results = [payroll.payslip_compute(worker, inputs.period, inputs.figures) for worker in inputs.workers.values()]
    PayrollRun.objects.filter(pk=job_id).update(total=len(results), heartbeat_at=timezone.now())
    now = timezone.now()
    for offset in range(0, len(results), chunk_size):
        chunk = results[offset : offset + chunk_size]
        with transaction.atomic():
            _period_lock_open(period.pk)
            _drafts_delete(period, worker_ids=[result.worker_id for result in chunk])
            slips = Payslip.objects.bulk_create(
                [
                    Payslip(
                        period=period,
                        worker_id=result.worker_id,
                        centre_id=period.centre_id,
                        run_id=job_id,
                        gross=result.gross,
                        total_deductions=result.total_deductions,
                        net=result.net,
                        taxable_income_ytd=result.taxable_income_ytd,
                        tax_withheld_ytd=result.tax_withheld_ytd,
                        facts=result.facts,
                        computed_at=now,
                    )
                    for result in chunk
                ]
            )
            PayslipLine.objects.bulk_create(
                [
                    PayslipLine(
                        payslip_id=slip.pk,
                        position=position,
                        code=line.code,
                        kind=line.kind,
                        label=line.label[:200],
                        quantity=line.quantity,
                        rate=line.rate,
                        amount=line.amount,
                        explanation=line.explanation,
                    )
                    for slip, result in zip(slips, chunk, strict=True)
                    for position, line in enumerate(result.lines, start=1)
                ]
            )
            PayrollRun.objects.filter(pk=job_id).update(processed=offset + len(chunk), heartbeat_at=timezone.now())
    with transaction.atomic():
        _period_lock_open(period.pk)
        # People paid by an earlier run who have nothing this month any more.
        _drafts_delete(period, exclude_run=job_id)
        summary = {
            "payslips": len(results),
            "gross": str(sum((r.gross for r in results), Decimal("0.00"))),
            "deductions": str(sum((r.total_deductions for r in results), Decimal("0.00"))),
            "net": str(sum((r.net for r in results), Decimal("0.00"))),
        }
        PayrollRun.objects.filter(pk=job_id).update(
            status=PayrollRun.Status.SUCCEEDED,
            processed=len(results),
            summary=summary,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _period_lock_open(period_id: int) -> PayPeriod:
    period = PayPeriod.objects.select_for_update().get(pk=period_id)
    if period.status != PayPeriod.Status.OPEN:
        raise Conflict(_("This period is closed: its payslips are final."))
    return period


def _drafts_delete(period: PayPeriod, *, worker_ids: list[int] | None = None, exclude_run: int | None = None) -> None:
    drafts = Payslip.objects.filter(period=period, status=Payslip.Status.DRAFT)
    if worker_ids is not None:
        drafts = drafts.filter(worker_id__in=worker_ids)
    if exclude_run is not None:
        drafts = drafts.exclude(run_id=exclude_run)
    ids = list(drafts.values_list("pk", flat=True))
    if ids:
        # Two plain statements: drafts have no corrections (only closed payslips are corrected).
        PayslipLine.objects.filter(payslip_id__in=ids).delete()
        Payslip.objects.filter(pk__in=ids)._raw_delete(Payslip.objects.db)


@transaction.atomic
def pay_period_close(*, actor: User, period: PayPeriod) -> PayPeriod:
    """Make the period's payslips final. Conflict when it is closed already, a run of it is
    under way, or its last run did not succeed (nothing to close)."""
    _require(policies.can_run_payroll(actor, period.centre_id), _("Only HR of this centre may run its payroll."))
    locked = PayPeriod.objects.select_for_update().get(pk=period.pk)
    if locked.status != PayPeriod.Status.OPEN:
        raise Conflict(_("This period is closed already."))
    last = PayrollRun.objects.filter(period=locked).order_by("-created_at", "-id").first()
    if last is not None and last.status in ACTIVE:
        raise Conflict(_("A payroll run of this period is under way; close it when it has finished."))
    if last is None or last.status != PayrollRun.Status.SUCCEEDED:
        raise Conflict(_("Run the payroll of this period successfully before closing it."))
    Payslip.objects.filter(period=locked).update(status=Payslip.Status.CLOSED)
    locked.status = PayPeriod.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    return locked


@transaction.atomic
def pay_adjustment_add(
    *, actor: User, worker: User, period: PayPeriod, amount: Decimal, reason: str, corrects: Payslip | None = None
) -> PayAdjustment:
    """A correction paid (positive) or taken back (negative) in an open period, with its
    reason; it may name the closed payslip it corrects. Conflict for a closed period."""
    _require(policies.can_run_payroll(actor, period.centre_id), _("Only HR of this centre may run its payroll."))
    locked = PayPeriod.objects.select_for_update().get(pk=period.pk)
    if locked.status != PayPeriod.Status.OPEN:
        raise Conflict(_("This period is closed: add the correction to an open period."))
    errors: dict[str, list[str]] = {}
    amount = money(amount)
    if amount == 0:
        errors["amount"] = [_("An adjustment cannot be zero.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why pay is adjusted; the person reads it on the payslip.")]
    if worker.centre_id != locked.centre_id:
        errors["worker"] = [_("This person does not work at this centre.")]
    if corrects is not None and (corrects.worker_id != worker.pk or corrects.status != Payslip.Status.CLOSED):
        errors["corrects"] = [_("Only a final payslip of the same person can be corrected.")]
    if errors:
        raise ValidationError(errors)
    return PayAdjustment.objects.create(
        worker=worker, period=locked, amount=amount, reason=reason[:500], corrects=corrects, created_by=actor
    )


@transaction.atomic
def pay_terms_set(
    *,
    actor: User,
    worker: User,
    kind: str,
    base_amount: Decimal,
    effective_from: dt.date,
    contribution_base: Decimal | None = None,
) -> PayTerms:
    """How a person is paid from `effective_from` (setting the same day again replaces it)."""
    _require(policies.can_run_payroll(actor, worker.centre_id), _("Only HR of this centre may run its payroll."))
    errors: dict[str, list[str]] = {}
    if kind not in PayTerms.Kind.values:
        errors["kind"] = [_("Choose how the person is paid.")]
    base_amount = money(base_amount)
    if base_amount < 0:
        errors["base_amount"] = [_("Pay cannot be negative.")]
    if kind in (PayTerms.Kind.MONTHLY, PayTerms.Kind.HOURLY) and base_amount <= 0:
        errors["base_amount"] = [_("Give the salary or the hourly wage.")]
    if contribution_base is not None:
        contribution_base = money(contribution_base)
        if contribution_base <= 0:
            errors["contribution_base"] = [_("A contribution base must be positive.")]
    if errors:
        raise ValidationError(errors)
    terms, _created = PayTerms.objects.update_or_create(
        worker=worker,
        effective_from=effective_from,
        defaults={
            "kind": kind,
            "base_amount": base_amount,
            "contribution_base": contribution_base,
            "created_by": actor,
        },
    )
    return terms


@transaction.atomic
def tax_deduction_declare(
    *,
    actor: User,
    worker: User,
    kind: str,
    monthly_amount: Decimal,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    note: str = "",
) -> TaxDeduction:
    """Record a special additional deduction the person declared (HR enters it, or the person
    for themselves). Refuses an amount over the kind's legal monthly limit in force then."""
    if actor.pk != worker.pk:
        _require(policies.can_run_payroll(actor, worker.centre_id), _("Only HR of this centre may run its payroll."))
    errors: dict[str, list[str]] = {}
    if kind not in TaxDeduction.Kind.values:
        errors["kind"] = [_("Choose a kind of deduction.")]
    monthly_amount = money(monthly_amount)
    if monthly_amount <= 0:
        errors["monthly_amount"] = [_("The amount must be positive.")]
    starts_on = starts_on.replace(day=1)
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The last month cannot be before the first.")]
    if not errors and worker.centre is not None:
        limit = legal_figures_for(worker.centre, starts_on).find(LegalFigure.Code.DEDUCTION_LIMIT, kind)
        if limit is not None and monthly_amount > limit.value:
            errors["monthly_amount"] = [
                _("The legal limit of this deduction is %(limit)s yuan a month.") % {"limit": money(limit.value)}
            ]
    if errors:
        raise ValidationError(errors)
    return TaxDeduction.objects.create(
        worker=worker,
        kind=kind,
        monthly_amount=monthly_amount,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note[:200],
        created_by=actor,
    )


@transaction.atomic
def legal_figure_add(
    *,
    actor: User | None,
    code: str,
    value: Decimal,
    effective_from: dt.date,
    source: str,
    region: str = "",
    centre: Centre | None = None,
    qualifier: str = "",
) -> LegalFigure:
    """A new figure in force from `effective_from` at a region (network admins) or for one
    centre (its HR). Figures are never edited: a new row from a later date replaces one."""
    if actor is not None:
        _require(
            policies.can_set_legal_figure(actor, centre.pk if centre else None),
            _("Only a network admin sets a region's figures, and HR their centre's own."),
        )
    errors: dict[str, list[str]] = {}
    if code not in LegalFigure.Code.values:
        errors["code"] = [_("Unknown figure.")]
    if (centre is None) == (not region):
        errors["region"] = [_("Give either a region or a centre.")]
    if not (source or "").strip():
        errors["source"] = [_("Say where the figure comes from (the notice and its date).")]
    value = Decimal(value)
    if value < 0:
        errors["value"] = [_("A figure cannot be negative.")]
    if code == LegalFigure.Code.HOUSING_FUND_RATE and not Decimal("0.05") <= value <= Decimal("0.12"):
        errors["value"] = [_("The housing fund rate must be between 5 % and 12 %.")]
    if errors:
        raise ValidationError(errors)
    if LegalFigure.objects.filter(
        code=code, qualifier=qualifier, region=region, centre=centre, effective_from=effective_from
    ).exists():
        raise Conflict(_("This figure already has a value from that date."), field="effective_from")
    return LegalFigure.objects.create(
        code=code,
        qualifier=qualifier,
        region=region,
        centre=centre,
        value=value,
        effective_from=effective_from,
        source=source.strip()[:500],
        created_by=actor,
    )


def bank_file_download(
    *, actor: User, period: PayPeriod, file_format: str, ip_address: str | None = None
) -> tuple[str, str, bytes]:
    """The bank transfer file of a closed period (CSV or XLSX) with full account numbers,
    and one audit row per download, written in the same transaction as the read. HR of the
    centre only; Conflict while the period is open (its payslips may still change)."""
    from workforce.pay import documents

    _require(
        policies.can_download_bank_file(actor, period.centre_id),
        _("Only HR of this centre may download its bank file."),
    )
    if file_format not in documents.BANK_FILE_FORMATS:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})
    if period.status != PayPeriod.Status.CLOSED:
        raise Conflict(_("Close the period first: the bank file pays final payslips only."))
    with transaction.atomic():
        rows = documents.bank_transfer_rows(period)
        audit_record(
            actor=actor,
            action=AuditLog.Action.BANK_FILE_DOWNLOAD,
            target=period,
            fields=["bank_account"],
            ip_address=ip_address,
            reason=f"{file_format}, {len(rows)} rows",
        )
    return documents.bank_file_render(period, rows, file_format)


# --- Piece rates and the earnings ledger (decision 0015) -------------------------------------

# What a ledger line's `source` names: an annotation (its id), a review (its id).
LEDGER_SOURCE_ANNOTATION = "annotation"
LEDGER_SOURCE_REVIEW = "review"
LEDGER_REVERSE_ACTION = "ledger_reverse"
MAX_RATE = Decimal("10000")  # yuan per unit: far above any real rate, far below the column's limit


def _rate_parse(value) -> Decimal:
    """A piece rate from a form or the API: a decimal string, 0 ≤ rate < 10,000, at most 4 places."""
    text = str(value).strip()
    try:
        parsed = Decimal(text)
    except (ArithmeticError, ValueError):
        raise DomainError(_("Give the rate in yuan, e.g. 0.0800."), field="rate") from None
    if not parsed.is_finite() or parsed < 0 or parsed >= MAX_RATE:
        raise DomainError(_("A rate is between 0 and 10,000 yuan."), field="rate")
    if parsed != parsed.quantize(Decimal("0.0001")):
        raise DomainError(_("A rate has at most 4 decimals."), field="rate")
    return parsed.quantize(Decimal("0.0001"))


@transaction.atomic
def piece_rates_set(
    *,
    actor: User,
    centre: Centre,
    project_id: int,
    project_name: str,
    rates: dict[str, object],
    effective_from: dt.datetime | None = None,
    note: str = "",
) -> list[PieceRate]:
    """New rates of one project at one centre, from `effective_from` (now when not given;
    never in the past: lines already written keep the rate they were written with). A rate
    row is never edited: each unit whose rate changes gets a new row; units whose rate in
    force is the same are left alone. Supervisors and managers of the centre, or a network
    admin. Raises DomainError (400) for a bad rate or unit, PermissionDenied otherwise."""
    _require(policies.can_set_piece_rates(actor, centre.pk), _("Only supervisors of this centre may set its rates."))
    now = timezone.now()
    moment = effective_from or now
    if moment < now - dt.timedelta(minutes=1):
        raise DomainError(_("A new rate starts now or later, never in the past."), field="effective_from")
    unknown = [unit for unit in rates if unit not in WorkUnit.values]
    if unknown:
        raise DomainError(_("Not a unit of work: %(unit)s") % {"unit": unknown[0]}, field="rates")
    parsed = {unit: _rate_parse(value) for unit, value in rates.items() if str(value).strip() != ""}
    current = selectors.piece_rates_in_force(centre_id=centre.pk, project_ids=[project_id], at=moment).get(
        project_id, {}
    )
    written = []
    for unit, value in parsed.items():
        if current.get(unit) == value:
            continue
        written.append(
            PieceRate(
                centre=centre,
                project_id=project_id,
                project_name=project_name[:200],
                unit=unit,
                rate=value,
                effective_from=moment,
                set_by=actor,
                note=note[:200],
            )
        )
    try:
        with transaction.atomic():
            PieceRate.objects.bulk_create(written)
    except IntegrityError:
        raise Conflict(_("A rate of this project already starts at that moment.")) from None
    return written


def _time_class(*, worker_id: int, centre_id: int, done_at: dt.datetime) -> str:
    """When the work was done, for its overtime rate (decision 0008): a statutory holiday,
    a rest day, outside the person's published shifts on a workday that has some, or normal
    (one or two indexed look-ups)."""
    local = timezone.localtime(done_at)
    day = local.date()
    kind = CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()
    if kind == CalendarDay.Kind.STATUTORY:
        return LedgerLine.TimeClass.HOLIDAY
    if kind == CalendarDay.Kind.REST or (day.weekday() >= 5 and kind != CalendarDay.Kind.WORKDAY):
        return LedgerLine.TimeClass.REST_DAY
    shifts = list(
        Shift.objects.filter(
            worker_id=worker_id, date=day, published_starts_at__isnull=False, cancelled_at__isnull=True
        ).values_list("published_starts_at", "published_ends_at")
    )
    if shifts and not any(start is not None and end is not None and start <= done_at < end for start, end in shifts):
        return LedgerLine.TimeClass.OVERTIME
    return LedgerLine.TimeClass.NORMAL


def ledger_work_accepted(
    *,
    worker_id: int,
    centre_id: int | None,
    project_id: int,
    source: str,
    source_id: int,
    units: dict[str, int],
    done_at: dt.datetime,
    accepted_at: dt.datetime | None = None,
    description: dict | None = None,
) -> None:
    """Write the earning lines of one piece of accepted work: one per unit it has (`units`,
    as counted by the app that did it) that the project pays at the worker's centre, at the
    rate in force when it was accepted, `amount` = quantity × rate exactly. Call it inside
    the transaction that accepts the work. Idempotent: accepting the same work again writes
    nothing more (the unique constraint on source, source id and unit). A person without a
    centre, or work whose project has no rate, writes nothing.

    It runs on every accept, so on PostgreSQL it is one statement (the rates in force, the
    time class and the insert: one round trip); elsewhere three look-ups and an insert."""
    if centre_id is None:
        return
    wanted = {unit: int(count) for unit, count in units.items() if int(count) > 0}
    if not wanted:
        return
    moment = accepted_at or timezone.now()
    if connection.vendor == "postgresql":
        _ledger_insert_pg(
            worker_id=worker_id, centre_id=centre_id, project_id=project_id, source=source, source_id=source_id,
            units=wanted, done_at=done_at, moment=moment, description=description or {},
        )  # fmt: skip
        return
    rates = selectors.piece_rates_in_force(
        centre_id=centre_id, project_ids=[project_id], at=moment, units=list(wanted)
    ).get(project_id, {})
    if not rates:
        return
    time_class = _time_class(worker_id=worker_id, centre_id=centre_id, done_at=done_at)
    LedgerLine.objects.bulk_create(
        [
            LedgerLine(
                worker_id=worker_id,
                centre_id=centre_id,
                kind=LedgerLine.Kind.EARNING,
                source=source,
                source_id=source_id,
                project_id=project_id,
                unit=unit,
                quantity=wanted[unit],
                rate=rate_in_force,
                amount=wanted[unit] * rate_in_force,  # exact: rounded once, on the payslip
                description=description or {},
                work_done_at=done_at,
                accepted_at=moment,
                time_class=time_class,
            )
            for unit, rate_in_force in sorted(rates.items())
        ],
        ignore_conflicts=True,
    )


# The same as the ORM path above, in one statement: per unit the newest rate that started by
# the moment of acceptance (units without one write nothing), the time class from the
# calendar and the person's published shifts that day (as _time_class decides it), and the
# insert, which skips lines already written.
_LEDGER_INSERT_PG = """
WITH units (unit, quantity) AS ({units}),
     day AS (SELECT (SELECT kind FROM workforce_calendarday WHERE date = %(day)s) AS kind),
     class AS (
        SELECT CASE
            WHEN day.kind = 'statutory' THEN 'holiday'
            WHEN day.kind = 'rest' OR (%(weekend)s AND day.kind IS DISTINCT FROM 'workday') THEN 'rest_day'
            WHEN EXISTS (SELECT 1 FROM workforce_shift s WHERE s.worker_id = %(worker)s AND s.date = %(day)s
                         AND s.published_starts_at IS NOT NULL AND s.cancelled_at IS NULL)
             AND NOT EXISTS (SELECT 1 FROM workforce_shift s WHERE s.worker_id = %(worker)s AND s.date = %(day)s
                             AND s.cancelled_at IS NULL AND s.published_starts_at <= %(done)s
                             AND %(done)s < s.published_ends_at)
            THEN 'overtime' ELSE 'normal' END AS time_class
        FROM day)
INSERT INTO workforce_ledgerline (worker_id, centre_id, kind, source, source_id, project_id, unit, quantity, rate,
    amount, description, work_done_at, accepted_at, time_class, reason, created_at)
SELECT %(worker)s, %(centre)s, 'earning', %(source)s, %(source_id)s, %(project)s, u.unit, u.quantity, r.rate,
    u.quantity * r.rate, CAST(%(description)s AS jsonb), %(done)s, %(moment)s, class.time_class, '', %(now)s
FROM units u CROSS JOIN class
JOIN LATERAL (SELECT p.rate FROM workforce_piecerate p
              WHERE p.centre_id = %(centre)s AND p.project_id = %(project)s AND p.unit = u.unit
                AND p.effective_from <= %(moment)s
              ORDER BY p.effective_from DESC LIMIT 1) r ON TRUE
ON CONFLICT DO NOTHING
"""


def _ledger_insert_pg(
    *, worker_id, centre_id, project_id, source, source_id, units: dict[str, int], done_at, moment, description
) -> None:
    day = timezone.localtime(done_at).date()
    params = {
        "worker": worker_id, "centre": centre_id, "project": project_id, "source": source, "source_id": source_id,
        "day": day, "weekend": day.weekday() >= 5, "done": done_at, "moment": moment, "now": timezone.now(),
        "description": json.dumps(description, ensure_ascii=False, cls=DjangoJSONEncoder),
    }  # fmt: skip
    selects = []
    for number, (unit, quantity) in enumerate(sorted(units.items())):
        params[f"u{number}"], params[f"q{number}"] = unit, quantity
        selects.append(f"SELECT CAST(%(u{number})s AS varchar), CAST(%(q{number})s AS integer)")
    with connection.cursor() as cursor:
        cursor.execute(_LEDGER_INSERT_PG.format(units=" UNION ALL ".join(selects)), params)


def ledger_review_done(
    *,
    reviewer_id: int,
    centre_id: int | None,
    project_id: int,
    review_id: int,
    done_at: dt.datetime,
    description: dict | None = None,
) -> None:
    """The reviewer's line for one review done (accept, send back or fix alike: reviewing
    is the work), inside the review's transaction. Idempotent by the review's id."""
    ledger_work_accepted(
        worker_id=reviewer_id,
        centre_id=centre_id,
        project_id=project_id,
        source=LEDGER_SOURCE_REVIEW,
        source_id=review_id,
        units={WorkUnit.REVIEW: 1},
        done_at=done_at,
        accepted_at=done_at,
        description=description,
    )


@transaction.atomic
def ledger_reverse(*, actor: User, line_id: int, reason: str) -> LedgerLine:
    """Take back one earning line (accepted work found wrong on audit): a new negative line
    naming it, with the reason, dated now (so it counts in the open period; a closed
    payslip never changes). Never an edit. Supervisors and managers of the line's centre.
    NotFound for a line the actor may not see, Conflict when it is already reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why this line is taken back."), field="reason")
    if len(reason) > 500:
        raise DomainError(_("At most 500 characters."), field="reason")
    line = LedgerLine.objects.select_for_update().filter(pk=line_id, kind=LedgerLine.Kind.EARNING).first()
    if line is None or not policies.can_reverse_ledger(actor, line.centre_id):
        raise NotFound(_("No such earnings line."))
    if LedgerLine.objects.filter(reverses=line).exists():
        raise Conflict(_("This line was already taken back."))
    reversal = LedgerLine.objects.create(
        worker_id=line.worker_id,
        centre_id=line.centre_id,
        kind=LedgerLine.Kind.REVERSAL,
        source=line.source,
        source_id=line.source_id,
        project_id=line.project_id,
        unit=line.unit,
        quantity=-line.quantity,
        rate=line.rate,
        amount=-line.amount,
        description=line.description,
        work_done_at=line.work_done_at,
        accepted_at=timezone.now(),
        time_class=line.time_class,  # the overtime premium it earned goes back with it
        reverses=line,
        reason=reason,
        created_by=actor,
    )
    audit_record(actor=actor, action=LEDGER_REVERSE_ACTION, target=line, fields=["amount"], reason=reason[:200])
    return reversal


PAYROLL_RUN_JOB_KIND = JobKind(name="payroll_run", model=PayrollRun, enqueue=payroll_run_enqueue)
