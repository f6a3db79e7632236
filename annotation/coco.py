"""COCO <-> our shapes, both ways, so an import followed by an export gives the same
boxes, polygons and key points back.

Conventions (the exporter writes them, the importer reads them):
- a box is an annotation with `bbox` and an empty `segmentation`;
- a polygon is an annotation with one polygon in `segmentation` (its bbox is derived);
- key points are an annotation with `keypoints` [x, y, v, ...] in the order of the
  project's `keypoints` names and `num_keypoints` (its bbox spans the labelled points);
- an image's class is `images[].attributes.class`.
Category ids are the project's labels in order, 1..n.
"""

from django.utils.translation import gettext as _

from aidou.text import clean_file_name


class CocoError(ValueError):
    """The file as a whole is not a COCO file we can read."""


def _bbox_of(points: list[list[float]]) -> list[float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)] if points else [0, 0, 0, 0]


def shape_to_coco(shape: dict, *, category_ids: dict[str, int], keypoint_names: list[str]) -> dict:
    """One of our shapes as the fields of a COCO annotation (without id / image_id)."""
    category_id = category_ids[shape["label"]]
    if shape["type"] == "bbox":
        x, y, w, h = shape["x"], shape["y"], shape["w"], shape["h"]
        return {"category_id": category_id, "bbox": [x, y, w, h], "area": round(w * h, 4), "segmentation": [],
                "iscrowd": 0}  # fmt: skip
    if shape["type"] == "polygon":
        points = shape["points"]
        flat = [coordinate for point in points for coordinate in point]
        # Shoelace area, as pycocotools would compute for the polygon.
        area = (
            abs(sum(points[i][0] * points[i - 1][1] - points[i - 1][0] * points[i][1] for i in range(len(points)))) / 2
        )
        return {"category_id": category_id, "bbox": _bbox_of(points), "area": round(area, 4),
                "segmentation": [flat], "iscrowd": 0}  # fmt: skip
    triples: list[float] = []
    labelled = []
    for name in keypoint_names:
        x, y, visibility = shape["points"].get(name, [0, 0, 0])
        triples += [x, y, visibility]
        if visibility:
            labelled.append([x, y])
    box = _bbox_of(labelled)
    return {"category_id": category_id, "bbox": box, "area": round(box[2] * box[3], 4), "segmentation": [],
            "keypoints": triples, "num_keypoints": len(labelled), "iscrowd": 0}  # fmt: skip


def coco_categories(schema: dict) -> list[dict]:
    keypoints = schema.get("keypoints", []) if "keypoints" in schema.get("tools", []) else []
    categories = []
    for index, label in enumerate(schema.get("labels", []), start=1):
        category = {"id": index, "name": label["name"], "supercategory": ""}
        if keypoints:
            category["keypoints"] = list(keypoints)
            category["skeleton"] = []
        categories.append(category)
    return categories


class PreAnnotationError(ValueError):
    """One COCO annotation cannot become a shape: it is dropped, the image is kept.
    `code` is the stable name of the reason (documented in the API's import job)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --- The file's schema -----------------------------------------------------------------
# One check of every field we read, before any is used: a list where an id belongs, an
# object where a name belongs, a number where a list belongs is the file's fault, named
# in a 400, never a TypeError deep inside. Values inside boxes, polygons and key points
# are judged per shape afterwards (annotation.schema), where a bad one drops one shape.
ID = (int, str)
NAME_MAX = 200
FILE_NAME_MAX = 1024


def _kind_name(kinds) -> str:
    return {
        dict: _("an object"),
        list: _("a list"),
        str: _("a string"),
        ID: _("an integer or a string"),
        (list, dict): _("a list or an object"),
    }[kinds]


def _field(container: dict, key: str, kinds, where: str, *, required: bool = False, max_length: int = 0):
    value = container.get(key)
    field = f"{where}.{key}".lstrip(".")
    if value is None:
        if required:
            raise CocoError(_("%(field)s is missing.") % {"field": field})
        return None
    if not isinstance(value, kinds):
        raise CocoError(_("%(field)s must be %(kind)s.") % {"field": field, "kind": _kind_name(kinds)})
    if max_length and isinstance(value, str) and len(value) > max_length:
        raise CocoError(_("%(field)s is longer than %(n)d characters.") % {"field": field, "n": max_length})
    return value


def _each_object(values: list, where: str):
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise CocoError(_("%(field)s must be %(kind)s.") % {"field": f"{where}[{index}]", "kind": _("an object")})
        yield f"{where}[{index}]", value


def coco_validate(data) -> None:
    """Raise CocoError naming the first field whose type is not what a COCO file we read
    has there; return None when every field we read fits."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise CocoError(_('A COCO file is a JSON object with an "images" list.'))
    for key in ("annotations", "categories"):
        _field(data, key, list, "")
    for where, image in _each_object(data["images"], "images"):
        _field(image, "id", ID, where, required=True, max_length=NAME_MAX)
        _field(image, "file_name", str, where, required=True, max_length=FILE_NAME_MAX)
        attributes = _field(image, "attributes", dict, where)
        if attributes is not None:
            _field(attributes, "class", str, f"{where}.attributes", max_length=NAME_MAX)
    for where, category in _each_object(data.get("categories") or [], "categories"):
        _field(category, "id", ID, where, required=True, max_length=NAME_MAX)
        _field(category, "name", str, where, required=True, max_length=NAME_MAX)
        for index, name in enumerate(_field(category, "keypoints", list, where) or []):
            if not isinstance(name, str) or len(name) > NAME_MAX:
                raise CocoError(
                    _("%(field)s must be %(kind)s.") % {"field": f"{where}.keypoints[{index}]", "kind": _("a string")}
                )
    for where, annotation in _each_object(data.get("annotations") or [], "annotations"):
        _field(annotation, "id", ID, where, max_length=NAME_MAX)
        _field(annotation, "image_id", ID, where, required=True, max_length=NAME_MAX)
        _field(annotation, "category_id", ID, where, max_length=NAME_MAX)
        _field(annotation, "bbox", list, where)
        _field(annotation, "keypoints", list, where)
        segmentation = _field(annotation, "segmentation", (list, dict), where)
        if isinstance(segmentation, list):
            for index, polygon in enumerate(segmentation):
                if not isinstance(polygon, list):
                    raise CocoError(
                        _("%(field)s must be %(kind)s.")
                        % {"field": f"{where}.segmentation[{index}]", "kind": _("a list")}
                    )


def coco_to_prefill(data, schema: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """Read a COCO dict into pre-annotations per image file name (cleaned as the imported
    files' names are, aidou.text.clean_file_name). Returns `(prefill_by_file_name,
    dropped_by_file_name)`: an annotation that cannot be read (unknown category, RLE
    masks, bad numbers) is dropped, and its image's entry in `dropped` says how many were
    and the first reason (`{"code", "reason", "count"}`). Raises CocoError when the file
    itself is not COCO we read (coco_validate)."""
    coco_validate(data)
    label_names = {label["name"] for label in schema.get("labels", [])}
    keypoint_names = schema.get("keypoints", [])
    categories: dict = {category["id"]: category for category in data.get("categories") or []}
    images: dict = {}
    prefill: dict[str, dict] = {}
    dropped: dict[str, dict] = {}
    for image in data["images"]:
        file_name = clean_file_name(image["file_name"], keep_folders=True)
        images[image["id"]] = file_name
        attributes = image.get("attributes") or {}
        prefill[file_name] = {"shapes": [], "class": attributes.get("class")}
    for annotation in data.get("annotations") or []:
        target = images.get(annotation["image_id"])
        if target is None:
            raise CocoError(
                _("An annotation names image_id %(id)s, which is not in images.") % {"id": annotation["image_id"]}
            )
        try:
            shape = _annotation_to_shape(annotation, categories, label_names, keypoint_names)
        except PreAnnotationError as exc:
            prefill_drop(dropped, target, exc.code, exc.message)
            continue
        prefill[target]["shapes"].append(shape)
    return prefill, dropped


def prefill_drop(dropped: dict[str, dict], file_name: str, code: str, reason: str, count: int = 1) -> None:
    """Count `count` dropped pre-annotations of a file, keeping the first reason."""
    entry = dropped.setdefault(file_name, {"code": code, "reason": reason, "count": 0})
    entry["count"] += count


def _annotation_to_shape(annotation: dict, categories: dict, label_names: set, keypoint_names: list) -> dict:
    category = categories.get(annotation.get("category_id"))
    if category is None:
        raise PreAnnotationError(
            _("Annotation %(id)s has an unknown category_id.") % {"id": annotation.get("id")}, "unknown_category"
        )
    label = category["name"]
    if label not in label_names:
        raise PreAnnotationError(
            _("Category “%(name)s” is not a label of this project.") % {"name": label}, "unknown_label"
        )
    segmentation = annotation.get("segmentation") or []
    if isinstance(segmentation, dict):
        raise PreAnnotationError(_("RLE masks are not supported; send polygons."), "unsupported_shape")
    if segmentation:
        if len(segmentation) != 1:
            raise PreAnnotationError(_("Send each polygon as its own annotation."), "invalid_shape")
        flat = segmentation[0]
        if len(flat) % 2:
            raise PreAnnotationError(_("A polygon is a flat list of x, y pairs."), "invalid_shape")
        return {"type": "polygon", "label": label, "points": [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]}
    keypoints = annotation.get("keypoints")
    if keypoints:
        names = category.get("keypoints") or keypoint_names
        if len(keypoints) != 3 * len(names):
            raise PreAnnotationError(
                _("Key points need x, y, v for each of %(n)d names.") % {"n": len(names)}, "invalid_shape"
            )
        points = {name: [keypoints[3 * i], keypoints[3 * i + 1], keypoints[3 * i + 2]] for i, name in enumerate(names)}
        return {"type": "keypoints", "label": label, "points": points}
    bbox = annotation.get("bbox")
    if bbox is None or len(bbox) != 4:
        raise PreAnnotationError(
            _("Annotation %(id)s has no usable bbox, polygon or key points.") % {"id": annotation.get("id")},
            "invalid_shape",
        )
    x, y, w, h = bbox
    return {"type": "bbox", "label": label, "x": x, "y": y, "w": w, "h": h}
