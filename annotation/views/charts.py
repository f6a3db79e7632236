"""Charts drawn on the server as small inline SVG: no script, no outside host, a few
hundred bytes each, readable by screen readers through a table beside them."""

from dataclasses import dataclass

WIDTH, HEIGHT = 560, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 12, 10, 24


@dataclass
class LineChart:
    width: int
    height: int
    series: list[dict]  # {"name", "colour", "points": "x,y x,y", "dots": [{"x", "y", "label"}]}
    y_ticks: list[dict]  # {"y", "label"}
    x_labels: list[dict]  # {"x", "label"}


def score_line_chart(series: list[dict], labels: list[str]) -> LineChart | None:
    """Lines of scores in [0, 1] over the same `labels` (weeks, say). Each series is
    `{"name", "colour", "values": [float | None per label]}`; a None leaves a gap."""
    if not labels:
        return None
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(labels) - 1)

    def x_at(i: int) -> float:
        return round(PAD_LEFT + (i * step if len(labels) > 1 else inner_w / 2), 1)

    def y_at(value: float) -> float:
        return round(PAD_TOP + (1 - value) * inner_h, 1)

    drawn = []
    for line in series:
        dots = [
            {"x": x_at(i), "y": y_at(v), "label": f"{labels[i]}: {v:.2f}"}
            for i, v in enumerate(line["values"])
            if v is not None
        ]
        drawn.append({**line, "points": " ".join(f"{d['x']},{d['y']}" for d in dots), "dots": dots})
    every = max(1, len(labels) // 6)  # at most about six dates under the axis
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        series=drawn,
        y_ticks=[{"y": y_at(v), "label": f"{v:.1f}"} for v in (0.0, 0.5, 1.0)],
        x_labels=[{"x": x_at(i), "label": label} for i, label in enumerate(labels) if i % every == 0],
    )
