"""What several annotators' accepted work on one item says together, for exports.

For now: the image class by vote, and the shapes of the annotation the others agree with
most (the medoid by shape F1). Fusing matched shapes across annotators, weighted by
their quality, comes with the quality recomputation job; the medoid is already a real
annotation, so it never invents a shape nobody drew."""

from collections import Counter

from annotation.quality.shapes import DEFAULT_IOU_THRESHOLD, score_annotation


def medoid_consensus(
    labels: list[dict], *, iou_threshold: float = DEFAULT_IOU_THRESHOLD, keypoint_names: list[str] | None = None
) -> dict | None:
    """`labels`: each `{"shapes": [...], "class": ...}`, in a stable order (the first wins
    ties). Returns the consensus in the same form, or None for no labels."""
    if not labels:
        return None
    if len(labels) == 1:
        return {"shapes": labels[0].get("shapes") or [], "class": labels[0].get("class")}
    agreement = [0.0] * len(labels)
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            f1 = score_annotation(labels[i], labels[j], keypoint_names=keypoint_names, iou_threshold=iou_threshold).f1
            agreement[i] += f1
            agreement[j] += f1
    best = max(range(len(labels)), key=lambda index: (agreement[index], -index))
    votes = Counter(label.get("class") for label in labels if label.get("class") is not None)
    top_class = None
    if votes:
        most = max(votes.values())
        top_class = next(label["class"] for label in labels if votes.get(label.get("class")) == most)
    return {"shapes": labels[best].get("shapes") or [], "class": top_class}
