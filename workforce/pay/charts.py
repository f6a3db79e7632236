"""Geometry of the period summary's charts, drawn as inline SVG by templates
(`templates/workforce/pay/_chart_*.svg.html`): no library, no script, no outside host.

Each function returns plain numbers (whole SVG units in a 360-wide view box, which stays
legible when a 390 px phone shrinks it) and the texts to print; colours come from CSS
classes. Every chart is paired on the page with a table of the same figures.
"""

import dataclasses
from decimal import Decimal

from aidou.money import money_text

WIDTH = 360
LABEL_WIDTH = 96  # left column of the horizontal bar charts
VALUE_WIDTH = 76  # room for the figure after a bar
ROW_HEIGHT = 26
BAR_HEIGHT = 16


def _scaled(value: Decimal | int, largest: Decimal | int, length: int) -> int:
    if not largest or value <= 0:
        return 0
    return max(1, int(round(Decimal(value) / Decimal(largest) * length)))


@dataclasses.dataclass(frozen=True)
class Column:
    x: int
    y: int
    width: int
    height: int
    count: int
    label: str  # the bin's lower edge


def histogram(bins) -> dict:
    """Vertical columns, one per bin of net pay; the count is printed above each."""
    height, top, bottom, left = 180, 18, 34, 4
    plot_height = height - top - bottom
    largest = max((b.count for b in bins), default=0)
    step = (WIDTH - 2 * left) // max(1, len(bins))
    columns = []
    for i, b in enumerate(bins):
        h = _scaled(b.count, largest, plot_height)
        columns.append(
            Column(
                x=left + i * step + 2,
                y=top + plot_height - h,
                width=max(2, step - 4),
                height=h,
                count=b.count,
                label=f"{int(b.low):,}",
            )
        )
    return {
        "width": WIDTH,
        "height": height,
        "axis_y": top + plot_height,
        "label_y": top + plot_height + 14,
        "step": step,
        "columns": columns,
        "last_label": f"{int(bins[-1].high):,}" if bins else "",
        "last_x": left + len(bins) * step,
    }


@dataclasses.dataclass(frozen=True)
class Segment:
    key: str
    x: int
    width: int


@dataclasses.dataclass(frozen=True)
class Row:
    y: int
    label: str
    value_text: str
    value_x: int
    segments: list[Segment]


def stacked_bars(rows: list[tuple[str, dict[str, Decimal]]], keys: tuple[str, ...]) -> dict:
    """One horizontal bar per row, its parts (`keys`, in order) side by side, all rows on
    one scale; the total is printed after the bar."""
    bar_length = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    totals = [sum((max(parts.get(k, Decimal(0)), Decimal(0)) for k in keys), Decimal(0)) for _l, parts in rows]
    largest = max(totals, default=Decimal(0))
    drawn = []
    for i, ((label, parts), total) in enumerate(zip(rows, totals, strict=True)):
        x = LABEL_WIDTH
        segments = []
        for key in keys:
            w = _scaled(max(parts.get(key, Decimal(0)), Decimal(0)), largest, bar_length)
            if w:
                segments.append(Segment(key=key, x=x, width=w))
                x += w
        drawn.append(Row(y=i * ROW_HEIGHT, label=label, value_text=money_text(total), value_x=x + 4, segments=segments))
    return {"width": WIDTH, "height": max(ROW_HEIGHT, len(rows) * ROW_HEIGHT), "rows": drawn}


def bars(rows: list[tuple[str, Decimal | None]]) -> dict:
    """One horizontal bar per row; rows without a figure get no bar and a dash."""
    bar_length = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((v for _l, v in rows if v is not None), default=Decimal(0))
    drawn = []
    for i, (label, value) in enumerate(rows):
        w = _scaled(value, largest, bar_length) if value is not None else 0
        segments = [Segment(key="value", x=LABEL_WIDTH, width=w)] if w else []
        drawn.append(
            Row(
                y=i * ROW_HEIGHT,
                label=label,
                value_text=money_text(value) if value is not None else "—",
                value_x=LABEL_WIDTH + w + 4,
                segments=segments,
            )
        )
    return {"width": WIDTH, "height": max(ROW_HEIGHT, len(rows) * ROW_HEIGHT), "rows": drawn}
