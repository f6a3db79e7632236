"""PDF documents: Chinese text is embedded and extractable, with the whole font only when
the text needs a character outside the common cut."""

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from aidou.pdf import pdf_render


def _draw(text):
    def draw(document):
        document.add_page()
        document.cell(text=text)

    return draw


def _text_of(pdf: bytes) -> str:
    # pypdf reads fpdf2's 4-byte ToUnicode entries as a NUL and the character; poppler
    # (pdftotext) reads them as the character alone.
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\x00", "")


def test_chinese_text_is_embedded_with_the_common_cut_of_the_font(settings):
    pdf = pdf_render(title="工资条", draw=_draw("工资条 王秀英 应发 3,456.78 元"))
    assert pdf.startswith(b"%PDF-")
    assert "王秀英" in _text_of(pdf)
    assert b"/FontFile3" in pdf or b"/FontFile2" in pdf  # the font travels with the document
    assert list((settings.VAR_DIR / "fonts").glob("*-common-*.otf"))  # cut once, kept


def test_a_rare_character_in_a_name_is_drawn_with_the_whole_font():
    rare = "喆"  # common in names, outside GB2312
    common = pdf_render(title="t", draw=_draw("张华"))
    pdf = pdf_render(title="t", draw=_draw(f"张{rare}华"))
    assert rare in _text_of(pdf)
    assert len(pdf) > len(common)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is not installed")
def test_an_ordinary_viewer_renders_the_page(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_render(title="t", draw=_draw("人工智能训练师 五级")))
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))
