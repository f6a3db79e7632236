"""Label schemas and shapes: what a project allows, and whether an annotation fits it.

Pure functions on plain dicts (no database), so the API, the import job and the
workbench judge shapes the same way. Errors are {field: [message, ...]} as DRF shows them.
"""

import re
from math import isfinite

from django.utils.translation import gettext as _

TOOLS = ("bbox", "polygon", "keypoints", "classification")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABELS = 200
MAX_SHAPES = 2000
MAX_POLYGON_POINTS = 1000
_LARGEST = 1e15


class SchemaError(ValueError):
    """`errors`: {field: [message, ...]}; `codes`: {field: stable name of the first reason}
    where the check gives one (clean_annotation's, for the import's warnings)."""

    def __init__(self, errors: dict[str, list[str]], codes: dict[str, str] | None = None):
        super().__init__(errors)
        self.errors = errors
        self.codes = codes or {}


def _names(values, field: str, errors: dict, *, limit: int = MAX_LABELS) -> list[str]:
    if not isinstance(values, list) or not values:
        errors.setdefault(field, []).append(_("Give a non-empty list."))
        return []
    if len(values) > limit:
        errors.setdefault(field, []).append(_("At most %(n)d entries.") % {"n": limit})
    names = []
    for value in values:
        if not isinstance(value, str) or not value.strip() or len(value) > 100 or not value.isprintable():
            errors.setdefault(field, []).append(_("Each entry is a name of 1 to 100 printable characters."))
            continue
        names.append(value.strip())
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        errors.setdefault(field, []).append(_("Duplicate names: %(names)s.") % {"names": ", ".join(duplicates)})
    return names


def clean_label_schema(schema) -> dict:
    """Return the schema normalised (`tools`, `labels`, and `keypoints` / `classes` when
    their tool is on), or raise SchemaError naming each bad field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(schema, dict):
        raise SchemaError({"label_schema": [_("The label schema is a JSON object.")]})
    tools = schema.get("tools")
    if not isinstance(tools, list) or not tools:
        errors["label_schema.tools"] = [_("List at least one tool: %(tools)s.") % {"tools": ", ".join(TOOLS)}]
        tools = []
    unknown = [tool for tool in tools if tool not in TOOLS]
    if unknown:
        errors.setdefault("label_schema.tools", []).append(
            _("Unknown tools: %(tools)s.") % {"tools": ", ".join(map(str, unknown))}
        )
    tools = [tool for tool in TOOLS if tool in tools]
    cleaned: dict = {"tools": tools}

    drawing = [tool for tool in tools if tool != "classification"]
    labels = schema.get("labels", [])
    if drawing or labels:
        if not isinstance(labels, list) or not labels:
            errors["label_schema.labels"] = [_("Drawing tools need at least one label.")]
            labels = []
        cleaned_labels = []
        for label in labels:
            if not isinstance(label, dict):
                errors.setdefault("label_schema.labels", []).append(_('Each label is {"name", "color"}.'))
                continue
            colour = label.get("color", "#e6194b")
            if not isinstance(colour, str) or not _COLOUR.match(colour):
                errors.setdefault("label_schema.labels", []).append(
                    _("“%(color)s” is not a colour like #e6194b.") % {"color": colour}
                )
            cleaned_labels.append({"name": label.get("name"), "color": colour})
        names = _names([label["name"] for label in cleaned_labels], "label_schema.labels", errors)
        cleaned["labels"] = [
            {"name": name, "color": label["color"]} for name, label in zip(names, cleaned_labels, strict=False)
        ]
    if "keypoints" in tools:
        cleaned["keypoints"] = _names(schema.get("keypoints"), "label_schema.keypoints", errors, limit=100)
    elif schema.get("keypoints"):
        errors["label_schema.keypoints"] = [_("Key point names need the keypoints tool.")]
    if "classification" in tools:
        cleaned["classes"] = _names(schema.get("classes"), "label_schema.classes", errors)
    elif schema.get("classes"):
        errors["label_schema.classes"] = [_("Classes need the classification tool.")]
    if errors:
        raise SchemaError(errors)
    return cleaned


def _number(value) -> bool:
    # JSON's numbers are exactly int or float (bool is neither). An int too large for a
    # float (isfinite and float() would overflow on a 400-digit one) is no coordinate.
    kind = type(value)
    return (kind is float and isfinite(value)) or (kind is int and -_LARGEST < value < _LARGEST)


def clean_annotation(annotation, schema: dict, *, width: int, height: int) -> dict:
    """Check an annotation `{"shapes": [...], "class": ...}` against a project's schema and
    an image's size; return it normalised (coordinates rounded to 0.01 px)."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    if not isinstance(annotation, dict):
        raise SchemaError(
            {"non_field_errors": [_('An annotation is {"shapes": [...], "class": ...}.')]},
            {"non_field_errors": "invalid_shape"},
        )
    tools = set(schema.get("tools", []))
    labels = {label["name"] for label in schema.get("labels", [])}
    keypoint_names = schema.get("keypoints", [])
    shapes = annotation.get("shapes", [])
    if not isinstance(shapes, list):
        raise SchemaError({"shapes": [_("Shapes are a list.")]}, {"shapes": "invalid_shape"})
    if len(shapes) > MAX_SHAPES:
        raise SchemaError({"shapes": [_("At most %(n)d shapes.") % {"n": MAX_SHAPES}]}, {"shapes": "too_many_shapes"})

    def inside(x, y) -> bool:
        return _number(x) and _number(y) and 0 <= x <= width and 0 <= y <= height

    def polygon_points(points) -> list | None:
        # Checked and rounded in one pass: every submission's polygons go through here.
        cleaned = []
        for point in points:
            if type(point) not in (list, tuple) or len(point) != 2:
                return None
            x, y = point
            if not inside(x, y):
                return None
            cleaned.append([round(x, 2), round(y, 2)])
        return cleaned

    cleaned_shapes = []
    for index, shape in enumerate(shapes):
        field = f"shapes[{index}]"

        def fail(message, code="invalid_shape", field=field):
            errors.setdefault(field, []).append(message)
            codes.setdefault(field, code)

        if not isinstance(shape, dict):
            fail(_("A shape is an object."))
            continue
        kind, label = shape.get("type"), shape.get("label")
        if kind not in ("bbox", "polygon", "keypoints") or kind not in tools:
            fail(_("This project does not allow shapes of type “%(type)s”.") % {"type": kind}, "unsupported_shape")
            continue
        if label not in labels:
            fail(_("Unknown label “%(label)s”.") % {"label": label}, "unknown_label")
            continue
        if kind == "bbox":
            values = [shape.get(key) for key in ("x", "y", "w", "h")]
            if not all(_number(v) for v in values):
                fail(_("A box needs numbers x, y and positive w, h."))
                continue
            x, y, w, h = (float(v) for v in values)  # type: ignore[arg-type]  # numbers, checked above
            if w <= 0 or h <= 0:
                fail(_("A box needs numbers x, y and positive w, h."))
            elif not (inside(x, y) and inside(x + w, y + h)):
                fail(
                    _("The box reaches outside the %(w)d×%(h)d image.") % {"w": width, "h": height}, "box_outside_image"
                )
            else:
                cleaned_shapes.append(
                    {
                        "type": "bbox",
                        "label": label,
                        "x": round(x, 2),
                        "y": round(y, 2),
                        "w": round(w, 2),
                        "h": round(h, 2),
                    }
                )
        elif kind == "polygon":
            points = shape.get("points")
            if not isinstance(points, list) or len(points) < 3:
                fail(_("A polygon needs at least 3 points."))
            elif len(points) > MAX_POLYGON_POINTS:
                fail(_("At most %(n)d points in a polygon.") % {"n": MAX_POLYGON_POINTS})
            elif (polygon := polygon_points(points)) is None:
                fail(
                    _("Every polygon point is [x, y] inside the %(w)d×%(h)d image.") % {"w": width, "h": height},
                    "shape_outside_image",
                )
            else:
                cleaned_shapes.append({"type": "polygon", "label": label, "points": polygon})
        else:
            points = shape.get("points")
            if not isinstance(points, dict) or not points:
                fail(_('Key points are {"name": [x, y, visibility]}.'))
                continue
            unknown = [name for name in points if name not in keypoint_names]
            if unknown:
                fail(_("Unknown key points: %(names)s.") % {"names": ", ".join(map(str, unknown))}, "unknown_keypoint")
                continue
            cleaned_points = {}
            for name in keypoint_names:
                point = points.get(name, [0, 0, 0])
                if not (isinstance(point, list | tuple) and len(point) == 3 and point[2] in (0, 1, 2)):
                    fail(_("Key point “%(name)s” is [x, y, visibility 0/1/2].") % {"name": name})
                    break
                x, y, visibility = point
                if visibility and not inside(x, y):
                    fail(_("Key point “%(name)s” is outside the image.") % {"name": name}, "shape_outside_image")
                    break
                cleaned_points[name] = [round(x, 2), round(y, 2), visibility] if visibility else [0, 0, 0]
            else:
                cleaned_shapes.append({"type": "keypoints", "label": label, "points": cleaned_points})
    image_class = annotation.get("class")
    if image_class is not None:
        if "classification" not in tools:
            errors["class"] = [_("This project has no image classes.")]
            codes["class"] = "unknown_class"
        elif image_class not in schema.get("classes", []):
            errors["class"] = [_("Unknown class “%(class)s”.") % {"class": image_class}]
            codes["class"] = "unknown_class"
    if errors:
        raise SchemaError(errors, codes)
    return {"shapes": cleaned_shapes, "class": image_class}
