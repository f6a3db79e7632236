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


def coco_to_prefill(data, schema: dict) -> tuple[dict[str, dict], dict[str, str]]:
    """Read a COCO dict into pre-annotations per image file name. Returns
    `(prefill_by_file_name, error_by_file_name)`: an image whose annotations cannot be
    read (unknown category, RLE masks, bad numbers) has an error instead of shapes.
    Raises CocoError when the file itself is not COCO."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise CocoError(_('A COCO file is a JSON object with an "images" list.'))
    for key in ("annotations", "categories"):
        if not isinstance(data.get(key, []), list):
            raise CocoError(_('"%(key)s" must be a list.') % {"key": key})
    label_names = {label["name"] for label in schema.get("labels", [])}
    keypoint_names = schema.get("keypoints", [])
    categories: dict = {}
    for category in data.get("categories", []):
        if not isinstance(category, dict) or "id" not in category or "name" not in category:
            raise CocoError(_('Each category needs "id" and "name".'))
        categories[category["id"]] = category
    images: dict = {}
    prefill: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for image in data["images"]:
        if not isinstance(image, dict) or "id" not in image or not isinstance(image.get("file_name"), str):
            raise CocoError(_('Each image needs "id" and "file_name".'))
        images[image["id"]] = image["file_name"]
        attributes = image.get("attributes")
        if not isinstance(attributes, dict):
            attributes = {}
        prefill[image["file_name"]] = {"shapes": [], "class": attributes.get("class")}
    for annotation in data.get("annotations", []):
        if not isinstance(annotation, dict):
            raise CocoError(_("Each annotation is a JSON object."))
        file_name = images.get(annotation.get("image_id"))
        if file_name is None:
            raise CocoError(
                _("An annotation names image_id %(id)s, which is not in images.") % {"id": annotation.get("image_id")}
            )
        if file_name in errors:
            continue
        try:
            prefill[file_name]["shapes"].append(
                _annotation_to_shape(annotation, categories, label_names, keypoint_names)
            )
        except ValueError as exc:
            errors[file_name] = str(exc)
            prefill.pop(file_name, None)
    return prefill, errors


def _annotation_to_shape(annotation: dict, categories: dict, label_names: set, keypoint_names: list) -> dict:
    category = categories.get(annotation.get("category_id"))
    if category is None:
        raise ValueError(_("Annotation %(id)s has an unknown category_id.") % {"id": annotation.get("id")})
    label = category["name"]
    if label not in label_names:
        raise ValueError(_("Category “%(name)s” is not a label of this project.") % {"name": label})
    segmentation = annotation.get("segmentation") or []
    if isinstance(segmentation, dict):
        raise ValueError(_("RLE masks are not supported; send polygons."))
    if segmentation:
        if len(segmentation) != 1:
            raise ValueError(_("Send each polygon as its own annotation."))
        flat = segmentation[0]
        if not isinstance(flat, list) or len(flat) % 2:
            raise ValueError(_("A polygon is a flat list of x, y pairs."))
        return {"type": "polygon", "label": label, "points": [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]}
    keypoints = annotation.get("keypoints")
    if keypoints:
        names = category.get("keypoints") or keypoint_names
        if not isinstance(keypoints, list) or len(keypoints) != 3 * len(names):
            raise ValueError(_("Key points need x, y, v for each of %(n)d names.") % {"n": len(names)})
        points = {name: [keypoints[3 * i], keypoints[3 * i + 1], keypoints[3 * i + 2]] for i, name in enumerate(names)}
        return {"type": "keypoints", "label": label, "points": points}
    bbox = annotation.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise ValueError(
            _("Annotation %(id)s has no usable bbox, polygon or key points.") % {"id": annotation.get("id")}
        )
    x, y, w, h = bbox
    return {"type": "bbox", "label": label, "x": x, "y": y, "w": w, "h": h}
