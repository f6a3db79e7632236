"""PDF documents with Chinese text (payslips, certificates), shared by every app.

fpdf2 writes the PDF and embeds the glyphs it uses from Noto Sans SC (SIL Open Font
License), which comes from PyPI in the data-only wheel `pylopdf-fonts-zh-cn`, so a fresh
machine needs no system fonts and every ordinary viewer shows the text as written
(docs/decisions/0007-pdf-documents.md says why this font and this library).

The full font has 31,000 glyphs and parsing it costs ~0.25 s and ~40 MB per document.
Most documents need only the 6,763 characters of GB2312 (what nearly every name and
every label here is written in), so the first document cuts the font down to those once
and keeps the cut in the var folder; a document whose text needs a character outside it
(a rare character in a name) is drawn again with the whole font.
"""

import logging
import os
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

log = logging.getLogger(__name__)

FONT_FAMILY = "NotoSansSC"
_subset_lock = threading.Lock()


@cache
def _full_font() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.__file__).parent / "NotoSansSC-Regular.otf"


def _common_characters() -> set[int]:
    """ASCII, Latin-1, general punctuation, CJK punctuation, full-width forms and GB2312."""
    chars = {*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2000, 0x2070), *range(0x2100, 0x2200)}
    chars |= {*range(0x2460, 0x2500), *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)}
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def _subset_font() -> Path:
    """The GB2312 cut of the font, made once per var folder (about 8 s) and then reused."""
    full = _full_font()
    target = Path(settings.VAR_DIR) / "fonts" / f"{full.stem}-common-{full.stat().st_size}.otf"
    if target.exists():
        return target
    with _subset_lock:
        if target.exists():
            return target
        from fontTools import subset
        from fontTools.ttLib import TTFont

        target.parent.mkdir(parents=True, exist_ok=True)
        font = TTFont(str(full))
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=_common_characters())
        subsetter.subset(font)
        # Written aside and renamed, so another process never reads half a font.
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".otf")
        os.close(handle)
        font.save(temporary)
        os.replace(temporary, target)
    return target


@cache
def _characters_of(font: Path) -> frozenset[str]:
    from fontTools.ttLib import TTFont

    return frozenset(chr(code) for code in TTFont(str(font)).getBestCmap())


class Document(FPDF):
    """An A4 page set in Noto Sans SC; notes every character the subset font lacks."""

    def __init__(self, *, title: str, font: Path, check_characters: frozenset[str] | None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._known = check_characters
        self.missing_characters: set[str] = set()
        self.set_title(title)
        self.set_author("Aidou")
        self.set_creator("Aidou")
        self.add_font(FONT_FAMILY, fname=str(font))
        self.set_font(FONT_FAMILY, size=10)
        self.set_auto_page_break(auto=True, margin=15)

    def normalize_text(self, text):
        if self._known is not None:
            self.missing_characters.update(ch for ch in text if ch not in self._known and not ch.isspace())
        return super().normalize_text(text)


def pdf_render(*, title: str, draw: Callable[[Document], None]) -> bytes:
    """Run `draw` on a new document and return the PDF's bytes. `draw` adds pages and text;
    it may be called twice (the second time with the whole font), so it must not write
    anything but the document."""
    subset = _subset_font()
    document = Document(title=title, font=subset, check_characters=_characters_of(subset))
    draw(document)
    if document.missing_characters:
        log.info("PDF %r needs the whole font for %r", title, "".join(sorted(document.missing_characters)))
        document = Document(title=title, font=_full_font(), check_characters=None)
        draw(document)
    return bytes(document.output())
