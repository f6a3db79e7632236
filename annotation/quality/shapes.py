"""Scoring one annotation against another (a gold answer, or a colleague's work).

Boxes and polygons are matched one-to-one by IoU (Hungarian matching), only within the
same label, and a match counts when its IoU reaches the threshold; key point sets are
matched the same way by OKS; image classes compare exactly. The result says how many
shapes matched, were extra or were missed, so it can be shown to the person it scores.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import shapely

# Shapely and SciPy's optimiser (some 90 MB of a process together) are imported where a
# polygon is scored or shapes are matched, not with this module: the web processes import
# it for its constants and scoring of boxes, most never match (docs/decisions/0018).

DEFAULT_IOU_THRESHOLD = 0.5
DEFAULT_OKS_THRESHOLD = 0.5
# COCO's per-point constants are for human joints; with named points of any kind, one
# constant for all: a point within ~10 % of the object's size scores about 0.6.
DEFAULT_KEYPOINT_SIGMA = 0.1


@dataclass
class ShapeScore:
    matched: int = 0
    extra: int = 0  # drawn but not in the reference (false positives)
    missed: int = 0  # in the reference but not drawn (false negatives)
    ious: list[float] = field(default_factory=list)  # of matched boxes and polygons
    oks: list[float] = field(default_factory=list)  # of matched key point sets
    class_correct: bool | None = None  # None when neither has an image class

    @property
    def precision(self) -> float:
        drawn = self.matched + self.extra
        return self.matched / drawn if drawn else 1.0

    @property
    def recall(self) -> float:
        wanted = self.matched + self.missed
        return self.matched / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def mean_iou(self) -> float | None:
        return float(np.mean(self.ious)) if self.ious else None

    def as_dict(self) -> dict:
        return {
            "matched": self.matched, "extra": self.extra, "missed": self.missed,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
            "mean_iou": None if self.mean_iou is None else round(self.mean_iou, 4),
            "mean_oks": round(float(np.mean(self.oks)), 4) if self.oks else None,
            "class_correct": self.class_correct,
        }  # fmt: skip


def box_iou_matrix(a, b) -> np.ndarray:
    """IoU of every box in `a` with every box in `b`; boxes are rows [x, y, w, h]."""
    a, b = np.asarray(a, dtype=float).reshape(-1, 4), np.asarray(b, dtype=float).reshape(-1, 4)
    ax2, ay2, bx2, by2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None, :]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None, :]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _polygon(points) -> "shapely.Geometry":
    import shapely

    polygon = shapely.Polygon(points)
    # A self-crossing outline (a "bow tie") is repaired rather than scored as nothing.
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def polygon_iou_matrix(a: list, b: list) -> np.ndarray:
    """IoU of every polygon (a list of [x, y]) in `a` with every one in `b`."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    import shapely

    pa = np.array([_polygon(p) for p in a], dtype=object)[:, None]
    pb = np.array([_polygon(p) for p in b], dtype=object)[None, :]
    inter = shapely.area(shapely.intersection(pa, pb))
    union = shapely.area(pa) + shapely.area(pb) - inter
    return np.divide(inter, union, out=np.zeros_like(inter, dtype=float), where=union > 0)


def oks(reference: dict, drawn: dict, names: list[str], *, sigma: float = DEFAULT_KEYPOINT_SIGMA) -> float:
    """Object keypoint similarity of two key point sets `{"name": [x, y, v]}`: over the
    points labelled in the reference, exp(-d² / (2 s² k²)) with s² the area of the
    reference points' extent; a point the drawer left unlabelled scores 0."""
    labelled = [name for name in names if reference.get(name, [0, 0, 0])[2] > 0]
    if not labelled:
        return 1.0 if not any(drawn.get(name, [0, 0, 0])[2] > 0 for name in names) else 0.0
    ref = np.array([reference[name][:2] for name in labelled], dtype=float)
    extent = ref.max(axis=0) - ref.min(axis=0)
    area = max(float(extent[0] * extent[1]), 1.0)
    total = 0.0
    for name, point in zip(labelled, ref, strict=True):
        other = drawn.get(name, [0, 0, 0])
        if other[2] > 0:
            d2 = float(((np.array(other[:2], dtype=float) - point) ** 2).sum())
            total += float(np.exp(-d2 / (2 * area * sigma**2)))
    return total / len(labelled)


def match_pairs(similarity: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one pairs (i, j, similarity) that reach the threshold and, among such
    pairings, maximise total similarity. Pairs below the threshold are ruled out before
    matching, so a weak pair can never displace a strong one."""
    if similarity.size == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    eligible = np.where(similarity >= threshold, similarity, 0.0)
    rows, cols = linear_sum_assignment(eligible, maximize=True)
    return [(i, j, float(similarity[i, j])) for i, j in zip(rows, cols, strict=True) if eligible[i, j] > 0]


def _corners(box: dict) -> tuple[float, float, float, float, float]:
    x, y, w, h = box["x"], box["y"], box["w"], box["h"]
    return x, y, x + w, y + h, w * h


def match_boxes(ref: list[dict], got: list[dict], threshold: float, *, by_label: bool) -> list[tuple[int, int, float]]:
    """`match_pairs` for boxes, without NumPy when no two candidate pairs compete: the
    common case of a few boxes per image, scored hundreds of thousands of times in a
    project's recomputation. When candidates do compete, the Hungarian method decides."""
    got_corners = [_corners(g) for g in got]
    candidates = []
    for i, r in enumerate(ref):
        ax1, ay1, ax2, ay2, a_area = _corners(r)
        for j, (bx1, by1, bx2, by2, b_area) in enumerate(got_corners):
            iw = (ax2 if ax2 < bx2 else bx2) - (ax1 if ax1 > bx1 else bx1)
            if iw <= 0:
                continue
            ih = (ay2 if ay2 < by2 else by2) - (ay1 if ay1 > by1 else by1)
            if ih <= 0 or (by_label and r["label"] != got[j]["label"]):
                continue
            inter = iw * ih
            union = a_area + b_area - inter
            if union > 0 and inter / union >= threshold:
                candidates.append((i, j, inter / union))
    if len({i for i, _, _ in candidates}) == len(candidates) == len({j for _, j, _ in candidates}):
        return candidates
    similarity = np.zeros((len(ref), len(got)))
    for i, j, iou in candidates:
        similarity[i, j] = iou
    return match_pairs(similarity, threshold)


def _same_label(reference: list[dict], drawn: list[dict]) -> np.ndarray:
    ref_labels = np.array([s["label"] for s in reference], dtype=object)[:, None]
    drawn_labels = np.array([s["label"] for s in drawn], dtype=object)[None, :]
    return ref_labels == drawn_labels


def score_annotation(
    reference: dict,
    drawn: dict,
    *,
    keypoint_names: list[str] | None = None,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    oks_threshold: float = DEFAULT_OKS_THRESHOLD,
) -> ShapeScore:
    """Score `drawn` against `reference`, both `{"shapes": [...], "class": ...}`."""
    score = ShapeScore()
    for kind in ("bbox", "polygon", "keypoints"):
        ref = [s for s in reference.get("shapes", []) if s["type"] == kind]
        got = [s for s in drawn.get("shapes", []) if s["type"] == kind]
        if not ref and not got:
            continue
        if kind == "bbox":
            pairs = match_boxes(ref, got, iou_threshold, by_label=True)
            score.matched += len(pairs)
            score.extra += len(got) - len(pairs)
            score.missed += len(ref) - len(pairs)
            score.ious.extend(value for *_, value in pairs)
            continue
        if kind == "polygon":
            similarity = polygon_iou_matrix([s["points"] for s in ref], [s["points"] for s in got])
        else:
            names = keypoint_names or sorted({name for s in ref + got for name in s["points"]})
            similarity = np.array([[oks(r["points"], g["points"], names) for g in got] for r in ref]).reshape(
                len(ref), len(got)
            )
        if ref and got:
            similarity = np.where(_same_label(ref, got), similarity, 0.0)
        pairs = match_pairs(similarity, oks_threshold if kind == "keypoints" else iou_threshold)
        score.matched += len(pairs)
        score.extra += len(got) - len(pairs)
        score.missed += len(ref) - len(pairs)
        (score.oks if kind == "keypoints" else score.ious).extend(value for *_, value in pairs)
    if reference.get("class") is not None or drawn.get("class") is not None:
        score.class_correct = reference.get("class") == drawn.get("class")
    return score
