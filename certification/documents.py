"""The certificate as a PDF: Chinese text in Noto Sans SC (aidou.pdf), the holder's name,
the level, the number, the date, the issuing body and a QR code of the public
verification page."""

import io

import segno
from django.utils.translation import gettext as _

from aidou.pdf import Document, pdf_render
from certification import credentials
from certification.models import Certificate


def qr_png(url: str) -> bytes:
    """A QR code of `url` as a PNG (error correction M: survives a crease or a stain)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def certificate_pdf(certificate: Certificate) -> bytes:
    level = certificate.level
    url = credentials.verify_url(certificate)
    qr = qr_png(url)

    def draw(pdf: Document) -> None:
        pdf.add_page()
        pdf.set_draw_color(180, 30, 40)
        pdf.set_line_width(1.2)
        pdf.rect(10, 10, 190, 277)
        pdf.set_line_width(0.3)
        pdf.rect(13, 13, 184, 271)
        pdf.set_y(35)
        pdf.set_font(size=28)
        pdf.cell(0, 14, "职业技能等级证书", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(size=12)
        pdf.cell(0, 8, "Vocational Skill Level Certificate", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(18)
        pdf.set_font(size=30)
        pdf.cell(0, 16, certificate.holder_name, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font(size=14)
        pdf.multi_cell(
            0, 9,
            f"经考核，成绩合格，准予认定为 人工智能训练师（职业编码 4-04-05-05）{level.name}/{level.title}。",
            align="C", new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        pdf.ln(10)
        pdf.set_font(size=12)
        rows = [
            ("证书编号", certificate.number),
            ("职业（工种）", "人工智能训练师"),
            ("职业技能等级", f"{level.name}/{level.title}"),
            ("发证日期", f"{certificate.issued_on:%Y年%m月%d日}"),
            ("发证机构", certificate.issuing_body),
        ]
        for label, value in rows:
            pdf.set_x(40)
            pdf.cell(40, 9, label)
            pdf.cell(0, 9, value, new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(qr), x=80, y=205, w=50, h=50)
        pdf.set_y(257)
        pdf.set_font(size=9)
        pdf.cell(0, 6, "扫码或访问下方网址查验证书真伪 · Scan to verify", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, url, align="C")

    return pdf_render(title=_("Certificate %(number)s") % {"number": certificate.number}, draw=draw)
