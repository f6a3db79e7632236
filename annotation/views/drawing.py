"""Shapes drawn over an item's image as server-rendered SVG (templates/annotation/
_shapes_svg.html): the review screen and the annotator's own gold results use it."""

from collections import Counter

FALLBACK_COLOUR = "#f5a623"


def label_colours(project) -> dict[str, str]:
    return {label["name"]: label["color"] for label in project.label_schema.get("labels", [])}


def _n(value) -> str:
    """A coordinate for SVG: a plain number, never localised."""
    return str(round(float(value), 2))


def drawing(shapes: list[dict], colours: dict[str, str], *, width: int, height: int) -> dict:
    """What the SVG over the image draws: each shape with its label's colour, where its
    label text goes, and sizes in image pixels that stay readable at any image size."""
    font = max(10, round(max(width, height) / 45))
    radius = max(3, round(font / 3))
    drawn = []
    for shape in shapes:
        label = str(shape.get("label", ""))
        entry = {"type": shape.get("type"), "label": label, "color": colours.get(label, FALLBACK_COLOUR)}
        if entry["type"] == "bbox":
            x, y = float(shape["x"]), float(shape["y"])
            entry.update(x=_n(x), y=_n(y), w=_n(shape["w"]), h=_n(shape["h"]))
            anchor = (x, y)
        elif entry["type"] == "polygon":
            points = shape.get("points") or []
            if not points:
                continue
            entry["points"] = " ".join(f"{_n(px)},{_n(py)}" for px, py in points)
            anchor = min(((float(px), float(py)) for px, py in points), key=lambda p: (p[1], p[0]))
        elif entry["type"] == "keypoints":
            named = (shape.get("points") or {}).items()
            entry["points"] = [
                {"name": name, "x": _n(p[0]), "y": _n(p[1]), "visible": p[2] == 2}
                for name, p in named
                if isinstance(p, list | tuple) and len(p) == 3 and p[2]
            ]
            if not entry["points"]:
                continue
            first = entry["points"][0]
            anchor = (float(first["x"]), float(first["y"]) - radius)
        else:
            continue
        # The label sits above the shape's top-left, or just inside it at the image's top edge.
        entry["tx"] = _n(anchor[0])
        entry["ty"] = _n(anchor[1] - 4 if anchor[1] - 4 >= font else anchor[1] + font)
        drawn.append(entry)
    legend = Counter(entry["label"] for entry in drawn)
    return {
        "shapes": drawn,
        "font": font,
        "radius": radius,
        "legend": [
            {"label": label, "color": colours.get(label, FALLBACK_COLOUR), "n": n} for label, n in legend.items()
        ],
    }
