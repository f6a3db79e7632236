"""Consensus shapes for an item several annotators labelled: their shapes are clustered
across annotators and each cluster is fused, weighted by each annotator's quality.

Clustering: annotators are taken from the most to the least trusted; each one's shapes
are matched one-to-one (Hungarian, by IoU or OKS, label ignored) to the clusters found
so far, of the same kind, and what does not match starts a new cluster. A cluster keeps
at most one shape per annotator.

A cluster becomes a consensus shape when the annotators in it carry at least half of
the item's total weight (so a box only one of three people drew is left out). Its label
is the weighted vote of its members. A box is the weighted mean of its members' corners;
a polygon is the member that overlaps the others most, weighted (averaging outlines with
different numbers of points would invent an outline nobody drew); key points are the
weighted mean position of each named point among the members who marked it, visible when
members carrying half the weight marked it.

The clusters are returned too, so callers can count, per member, which label was given
where the consensus says another (the per-label confusion).
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from annotation.quality.shapes import (
    DEFAULT_IOU_THRESHOLD,
    DEFAULT_OKS_THRESHOLD,
    match_boxes,
    match_pairs,
    oks,
    polygon_iou_matrix,
)

KINDS = ("bbox", "polygon", "keypoints")


@dataclass
class Cluster:
    kind: str
    members: list[tuple[int, dict]]  # (index of the annotator's work, the shape they drew)
    support: float = 0.0  # share of the item's total weight behind it
    label: str = ""


def _weighted_label(members: list[tuple[int, dict]], weights: list[float]) -> str:
    votes: dict[str, float] = defaultdict(float)
    for work, shape in members:
        votes[shape["label"]] += weights[work]
    best = max(votes.values())
    # Ties go to the most trusted member's label (members are in trust order).
    return next(shape["label"] for _, shape in members if votes[shape["label"]] == best)


def _fuse_box(members: list[tuple[int, dict]], weights: list[float]) -> dict:
    # Plain arithmetic: NumPy's call overhead dwarfs the sums of three or so boxes.
    total = x1 = y1 = x2 = y2 = 0.0
    for work, s in members:
        w = weights[work]
        total += w
        x1 += w * s["x"]
        y1 += w * s["y"]
        x2 += w * (s["x"] + s["w"])
        y2 += w * (s["y"] + s["h"])
    x1, y1, x2, y2 = x1 / total, y1 / total, x2 / total, y2 / total
    return {"type": "bbox", "x": round(x1, 2), "y": round(y1, 2), "w": round(x2 - x1, 2), "h": round(y2 - y1, 2)}


def _fuse_polygon(members: list[tuple[int, dict]], weights: list[float]) -> dict:
    w = np.array([weights[work] for work, _ in members])
    outlines = [shape["points"] for _, shape in members]
    overlap = polygon_iou_matrix(outlines, outlines) @ w
    return {"type": "polygon", "points": outlines[int(np.argmax(overlap))]}


def _fuse_keypoints(members: list[tuple[int, dict]], weights: list[float], names: list[str]) -> dict:
    total = sum(weights[work] for work, _ in members)
    points = {}
    for name in names:
        marked = [(weights[work], shape["points"][name]) for work, shape in members if name in shape["points"]]
        seen = [(w, p) for w, p in marked if p[2] > 0]
        seen_weight = sum(w for w, _ in seen)
        if not seen or seen_weight < total / 2:
            points[name] = [0, 0, 0]
            continue
        x = sum(w * p[0] for w, p in seen) / seen_weight
        y = sum(w * p[1] for w, p in seen) / seen_weight
        visible = sum(w for w, p in seen if p[2] == 2) >= seen_weight / 2
        points[name] = [round(x, 2), round(y, 2), 2 if visible else 1]
    return {"type": "keypoints", "points": points}


def _similarity(kind: str, reps: list[dict], shapes: list[dict], names: list[str]) -> np.ndarray:
    if kind == "polygon":
        return polygon_iou_matrix([s["points"] for s in reps], [s["points"] for s in shapes])
    return np.array([[oks(r["points"], s["points"], names) for s in shapes] for r in reps]).reshape(
        len(reps), len(shapes)
    )


def cluster_shapes(
    works: list[list[dict]],
    weights: list[float],
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    oks_threshold: float = DEFAULT_OKS_THRESHOLD,
    keypoint_names: list[str] | None = None,
) -> list[Cluster]:
    """The clusters of the works' shapes (see the module docstring), each with its support
    and weighted label. `works[i]` is annotator i's list of shapes, `weights[i]` > 0."""
    total = sum(weights)
    order = sorted(range(len(works)), key=lambda i: -weights[i])  # stable: ties keep input order
    clusters: list[Cluster] = []
    for kind in KINDS:
        of_kind: list[Cluster] = []  # clusters of this kind, in creation order
        names = keypoint_names or []
        if kind == "keypoints" and not names:
            names = sorted({name for work in works for s in work if s["type"] == kind for name in s["points"]})
        for index in order:
            shapes = [s for s in works[index] if s["type"] == kind]
            if not shapes:
                continue
            reps = [cluster.members[0][1] for cluster in of_kind]
            if kind == "bbox":
                pairs = match_boxes(reps, shapes, iou_threshold, by_label=False)
            else:
                threshold = oks_threshold if kind == "keypoints" else iou_threshold
                pairs = match_pairs(_similarity(kind, reps, shapes, names), threshold) if reps else []
            taken = set()
            for cluster_index, shape_index, _ in pairs:
                of_kind[cluster_index].members.append((index, shapes[shape_index]))
                taken.add(shape_index)
            of_kind.extend(Cluster(kind, [(index, s)]) for j, s in enumerate(shapes) if j not in taken)
        clusters.extend(of_kind)
    for cluster in clusters:
        cluster.support = sum(weights[work] for work, _ in cluster.members) / total
        cluster.label = _weighted_label(cluster.members, weights)
    return clusters


def fuse_shapes(
    works: list[list[dict]],
    weights: list[float],
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    oks_threshold: float = DEFAULT_OKS_THRESHOLD,
    keypoint_names: list[str] | None = None,
    min_support: float = 0.5,
) -> tuple[list[dict], list[Cluster]]:
    """(consensus shapes, all clusters): see the module docstring."""
    if not works:
        return [], []
    clusters = cluster_shapes(
        works, weights, iou_threshold=iou_threshold, oks_threshold=oks_threshold, keypoint_names=keypoint_names
    )
    fused = []
    for cluster in clusters:
        if cluster.support + 1e-9 < min_support:
            continue
        if len(cluster.members) == 1:
            shape = dict(cluster.members[0][1])  # one person's shape stays exactly as drawn
        elif cluster.kind == "bbox":
            shape = _fuse_box(cluster.members, weights)
        elif cluster.kind == "polygon":
            shape = _fuse_polygon(cluster.members, weights)
        else:
            names = keypoint_names or sorted({name for _, s in cluster.members for name in s["points"]})
            shape = _fuse_keypoints(cluster.members, weights, names)
        fused.append({**shape, "label": cluster.label})
    return fused, clusters


def weighted_class(classes: list[str | None], weights: list[float]) -> str | None:
    """The image class with the most weight behind it (ties: the most trusted's)."""
    votes: dict[str, float] = defaultdict(float)
    for value, weight in zip(classes, weights, strict=True):
        if value is not None:
            votes[value] += weight
    if not votes:
        return None
    best = max(votes.values())
    order = sorted(range(len(classes)), key=lambda i: -weights[i])
    return next(classes[i] for i in order if classes[i] is not None and votes[classes[i]] == best)  # type: ignore[index]
