"""The payslip PDF and the bank transfer file.

The PDF is drawn by `aidou.pdf` in Noto Sans SC, embedded (decision 0007), so Chinese names
and labels read the same in every viewer. The bank file holds the full account numbers,
decrypted here and written only into the file HR downloads (the service audits each download).
"""

import csv
import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.crypto import decrypt_text
from aidou.money import money_text
from aidou.pdf import Document, pdf_render
from workforce.models import PayPeriod, Payslip, WorkerProfile

BANK_FILE_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _quantity(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


def payslip_pdf(payslip: Payslip) -> bytes:
    """The payslip as an A4 PDF: who, which month, every line with its explanation, totals.
    `payslip` comes from `selectors.payslip_get` (lines prefetched as `line_list`)."""
    lines = getattr(payslip, "line_list", None)
    if lines is None:
        lines = list(payslip.lines.order_by("position"))
    title = _("Payslip %(month)s · %(name)s") % {
        "month": f"{payslip.period.month:%Y-%m}",
        "name": payslip.worker.name or payslip.worker.username,
    }

    def draw(pdf: Document) -> None:
        pdf.add_page()
        pdf.set_font_size(16)
        pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(10)
        status = _("final") if payslip.status == Payslip.Status.CLOSED else _("draft, may still change")
        pdf.cell(
            0,
            6,
            f"{payslip.centre.name} · {_('status')}: {status} · {_('computed')}: "
            f"{timezone.localtime(payslip.computed_at):%Y-%m-%d %H:%M}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        for kind, heading in (("earning", _("Earnings")), ("deduction", _("Deductions"))):
            pdf.set_font_size(12)
            pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font_size(10)
            for line in (item for item in lines if item.kind == kind):
                y = pdf.get_y()
                pdf.cell(120, 6, line.label)
                pdf.cell(0, 6, money_text(line.amount), align="R", new_x="LMARGIN", new_y="NEXT")
                pdf.set_text_color(90, 90, 90)
                pdf.set_font_size(8.5)
                pdf.multi_cell(0, 4.5, line.explanation, new_x="LMARGIN", new_y="NEXT")
                pdf.set_font_size(10)
                pdf.set_text_color(0, 0, 0)
                if pdf.get_y() == y:
                    pdf.ln(6)
                pdf.ln(1.5)
            pdf.ln(2)
        pdf.set_draw_color(150, 150, 150)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        for label, amount in (
            (_("Gross pay"), payslip.gross),
            (_("Total deductions"), payslip.total_deductions),
            (_("Net pay"), payslip.net),
        ):
            pdf.cell(120, 7, label)
            pdf.cell(0, 7, money_text(amount), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font_size(8.5)
        pdf.multi_cell(
            0,
            4.5,
            _(
                "Taxable income this year so far: %(taxable)s yuan; income tax on it by the annual table: %(tax)s yuan. "
                "Amounts in yuan."
            )
            % {"taxable": money_text(payslip.taxable_income_ytd), "tax": money_text(payslip.tax_withheld_ytd)},
        )

    return pdf_render(title=title, draw=draw)


def bank_transfer_rows(period: PayPeriod) -> list[dict]:
    """One row per payslip of the period with pay to transfer (net above zero), with the
    full account number. Two queries."""
    payslips = list(
        Payslip.objects.filter(period=period, net__gt=0)
        .select_related("worker")
        .order_by("worker__name", "worker_id")
        .only("id", "net", "worker__name", "worker__username", "worker_id")
    )
    profiles = {
        profile.user_id: profile
        for profile in WorkerProfile.objects.filter(user_id__in=[p.worker_id for p in payslips]).only(
            "user_id", "bank_name", "bank_account_encrypted"
        )
    }
    rows = []
    for payslip in payslips:
        profile = profiles.get(payslip.worker_id)
        rows.append(
            {
                "name": payslip.worker.name or payslip.worker.username,
                "bank": profile.bank_name if profile else "",
                "account": decrypt_text(profile.bank_account_encrypted) if profile else "",
                "amount": payslip.net,
                "reference": f"{period.month:%Y-%m} {payslip.pk}",
            }
        )
    return rows


def bank_file_render(period: PayPeriod, rows: list[dict], file_format: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the bank file. Amounts are text with two decimals
    in the CSV and numbers formatted `0.00` in the XLSX, so no spreadsheet shows 1.1 for 1.10."""
    header = [_("Name"), _("Bank"), _("Account number"), _("Amount (yuan)"), _("Reference")]
    name = f"bank-{period.centre.code or period.centre_id}-{period.month:%Y-%m}.{file_format}"
    if file_format == "csv":
        text = io.StringIO()
        text.write("\ufeff")  # so Excel opens it as UTF-8
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            # Banks' import tools read the CSV as text; for Excel use the XLSX, whose account
            # cells are text (Excel opening a CSV shows 19 digits as 6.22848E+18).
            writer.writerow([row["name"], row["bank"], row["account"], f"{row['amount']:.2f}", row["reference"]])
        return name, BANK_FILE_FORMATS["csv"], text.getvalue().encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{period.month:%Y-%m}"
    sheet.append(header)
    for row in rows:
        sheet.append([row["name"], row["bank"], row["account"], row["amount"], row["reference"]])
        sheet.cell(row=sheet.max_row, column=3).number_format = "@"
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.00"
    for column, width in zip("ABCDE", (16, 18, 24, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return name, BANK_FILE_FORMATS["xlsx"], buffer.getvalue()
