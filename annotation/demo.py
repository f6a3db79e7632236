"""Street scenes drawn with Pillow, with the boxes, polygons and key points that match
what was drawn, for the demo dataset and the benchmarks."""

import io
import random

from PIL import Image, ImageDraw

DEMO_SCHEMA = {
    "tools": ["bbox", "polygon", "keypoints", "classification"],
    "labels": [
        {"name": "car", "color": "#e6194b"},
        {"name": "person", "color": "#3cb44b"},
        {"name": "traffic_light", "color": "#4363d8"},
    ],
    "keypoints": ["head", "left_hand", "right_hand"],
    "classes": ["day", "night"],
}
CAR_COLOURS = [(200, 40, 40), (40, 80, 200), (230, 230, 230), (30, 30, 30), (240, 190, 40)]


def street_scene(seed: int, width: int = 640, height: int = 360) -> tuple[bytes, dict]:
    """A JPEG of a street and its annotation `{"shapes": [...], "class": ...}`."""
    rng = random.Random(seed)
    night = rng.random() < 0.3
    sky = (25, 30, 60) if night else (150, 200, 240)
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.45)
    draw.rectangle([0, horizon, width, height], fill=(70, 70, 75))
    for x in range(0, width, 60):  # lane marks
        draw.rectangle([x, int(height * 0.72), x + 30, int(height * 0.72) + 4], fill=(240, 240, 240))
    shapes: list[dict] = []
    for _ in range(rng.randint(1, 4)):
        w = rng.randint(90, 170)
        h = int(w * 0.45)
        x = rng.randint(0, width - w - 1)
        y = rng.randint(horizon + 10, height - h - 1)
        draw.rectangle([x, y + h * 0.3, x + w, y + h], fill=rng.choice(CAR_COLOURS))
        draw.rectangle([x + w * 0.2, y, x + w * 0.75, y + h * 0.35], fill=(120, 160, 190))
        for wheel_x in (x + w * 0.2, x + w * 0.75):
            draw.ellipse([wheel_x - 10, y + h - 10, wheel_x + 10, y + h + 0], fill=(15, 15, 15))
        shapes.append({"type": "bbox", "label": "car", "x": float(x), "y": float(y), "w": float(w), "h": float(h)})
    for _ in range(rng.randint(0, 3)):
        px = rng.randint(20, width - 40)
        py = rng.randint(horizon - 40, height - 100)
        head = (px + 10, py + 8)
        left, right = (px - 2, py + 40), (px + 22, py + 40)
        body = [[px + 2, py + 16], [px + 18, py + 16], [px + 20, py + 90], [px, py + 90]]
        draw.ellipse([head[0] - 8, head[1] - 8, head[0] + 8, head[1] + 8], fill=(240, 200, 160))
        draw.polygon([tuple(point) for point in body], fill=(60, 120, 60))
        draw.line([px + 2, py + 20, *left], fill=(60, 120, 60), width=4)
        draw.line([px + 18, py + 20, *right], fill=(60, 120, 60), width=4)
        shapes.append({"type": "polygon", "label": "person", "points": [[float(a), float(b)] for a, b in body]})
        shapes.append(
            {"type": "keypoints", "label": "person",
             "points": {"head": [float(head[0]), float(head[1]), 2], "left_hand": [float(left[0]), float(left[1]), 2],
                        "right_hand": [float(right[0]), float(right[1]), 2]}}
        )  # fmt: skip
    if rng.random() < 0.5:
        lx = rng.randint(10, width - 30)
        draw.rectangle([lx, horizon - 90, lx + 18, horizon - 30], fill=(20, 20, 20))
        draw.ellipse([lx + 3, horizon - 85, lx + 15, horizon - 73], fill=(220, 30, 30) if night else (30, 200, 60))
        shapes.append(
            {"type": "bbox", "label": "traffic_light", "x": float(lx), "y": float(horizon - 90), "w": 18.0, "h": 60.0}
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue(), {"shapes": shapes, "class": "night" if night else "day"}


def coco_for(scenes: list[tuple[str, int, int, dict]], schema: dict) -> dict:
    """A COCO dict for (file_name, width, height, annotation) tuples."""
    from annotation.coco import coco_categories, shape_to_coco

    category_ids = {label["name"]: index for index, label in enumerate(schema["labels"], start=1)}
    images, annotations = [], []
    for image_id, (file_name, width, height, annotation) in enumerate(scenes, start=1):
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height,
                       "attributes": {"class": annotation.get("class")}})  # fmt: skip
        for shape in annotation["shapes"]:
            coco = shape_to_coco(shape, category_ids=category_ids, keypoint_names=schema.get("keypoints", []))
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, **coco})
    return {"images": images, "annotations": annotations, "categories": coco_categories(schema)}
