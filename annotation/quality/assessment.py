"""A whole project's work assessed at once: what the quality recomputation job computes
from the rows it loads, kept free of the database so it can be tested by hand and timed.

For every item labelled by several annotators, each pair of them is scored against each
other (shape F1 with labels, as gold is scored); each annotator's agreement on an item
is their mean F1 with the colleagues who labelled it too. Image classes get their
consensus from Dawid-Skene over the whole project (`aggregate_labels`), which also
estimates each annotator's class accuracy, and their agreement as Krippendorff's alpha.
Shapes get their consensus from `fuse_shapes`, weighted by each annotator's quality from
reviews and gold (smoothed, so a newcomer counts as 0.5). Each cluster member whose label
differs from its cluster's consensus label is counted in the per-label confusion.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from annotation.quality.aggregation import aggregate_labels
from annotation.quality.agreement import krippendorff_alpha_nominal
from annotation.quality.fusion import fuse_shapes, weighted_class
from annotation.quality.shapes import DEFAULT_IOU_THRESHOLD, score_annotation

# Below this weight an annotator still counts a little: fusion divides by total weight.
MIN_WEIGHT = 0.05


@dataclass(frozen=True)
class Work:
    """One annotator's current work on one item, as its labels stand (a fix replaces it)."""

    annotation_id: int
    item_id: int
    annotator_id: int
    batch_id: int
    shapes: list
    image_class: str | None
    active_ms: int = 0


@dataclass
class AnnotatorFigures:
    items: int = 0
    agreement_sum: float = 0.0
    agreement_n: int = 0  # items they shared with at least one colleague
    class_accuracy: float | None = None  # Dawid-Skene's estimate, when the project has classes
    active_ms: list[int] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        return self.agreement_sum / self.agreement_n if self.agreement_n else None

    @property
    def median_seconds(self) -> float | None:
        timed = [ms for ms in self.active_ms if ms > 0]
        return float(np.median(timed)) / 1000 if timed else None


@dataclass
class Assessment:
    consensus: dict[int, dict]  # item id -> {"shapes", "class", "annotators", "agreement", "basis"}
    annotators: dict[int, AnnotatorFigures]
    batches: dict[int, dict]  # batch id -> {"pairs", "f1_sum", "items"}
    shape_confusion: dict[tuple[str, str], int]  # (label given, consensus label) -> members
    class_confusion: dict[tuple[str, str], int]  # (class given, consensus class) -> labels
    class_alpha: float | None
    pairs: int
    f1_sum: float

    @property
    def mean_pairwise_f1(self) -> float | None:
        return self.f1_sum / self.pairs if self.pairs else None


def quality_weight(good: float, n: float) -> float:
    """An annotator's weight in fusion: their share of good outcomes, smoothed towards 0.5
    (Laplace), so one lucky review does not make anyone an oracle."""
    return max(MIN_WEIGHT, (good + 1) / (n + 2))


def assess_project(
    works: list[Work],
    outcomes: dict[int, tuple[float, int]],
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    keypoint_names: list[str] | None = None,
    progress=None,
) -> Assessment:
    """`outcomes[annotator] = (good, n)` from reviews and gold, for the fusion weights.
    `progress(done)` is called every 1,000 items of each of the two passes, with the number
    of items done, each counted once per pass (so it ends at twice the number of items)."""
    by_item: dict[int, list[Work]] = defaultdict(list)
    for work in works:
        by_item[work.item_id].append(work)

    classes = _class_consensus(works)
    annotators: dict[int, AnnotatorFigures] = defaultdict(AnnotatorFigures)
    for annotator_id, accuracy in classes["accuracy"].items():
        annotators[annotator_id].class_accuracy = accuracy
    batches: dict[int, dict] = defaultdict(lambda: {"pairs": 0, "f1_sum": 0.0, "items": 0})
    shape_confusion: dict[tuple[str, str], int] = defaultdict(int)
    class_confusion: dict[tuple[str, str], int] = defaultdict(int)
    consensus: dict[int, dict] = {}
    pairs, f1_sum = 0, 0.0
    item_agreement: dict[int, float | None] = {}

    # First pass: agreement between colleagues on each shared item.
    for done, (item_id, item_works) in enumerate(by_item.items(), start=1):
        item_works.sort(key=lambda w: w.annotation_id)
        labels = [{"shapes": w.shapes, "class": w.image_class} for w in item_works]
        item_f1 = [0.0] * len(item_works)
        item_pairs = 0
        for i in range(len(item_works)):
            figures = annotators[item_works[i].annotator_id]
            figures.items += 1
            figures.active_ms.append(item_works[i].active_ms)
            for j in range(i + 1, len(item_works)):
                f1 = score_annotation(
                    labels[i], labels[j], keypoint_names=keypoint_names, iou_threshold=iou_threshold
                ).f1
                item_f1[i] += f1
                item_f1[j] += f1
                item_pairs += 1
        item_agreement[item_id] = None
        others = len(item_works) - 1
        if others:
            for work, total in zip(item_works, item_f1, strict=True):
                figures = annotators[work.annotator_id]
                figures.agreement_sum += total / others
                figures.agreement_n += 1
            batch = batches[item_works[0].batch_id]
            batch["pairs"] += item_pairs
            batch["f1_sum"] += sum(item_f1) / 2
            batch["items"] += 1
            pairs += item_pairs
            f1_sum += sum(item_f1) / 2
            item_agreement[item_id] = round(sum(item_f1) / 2 / item_pairs, 4)
        if progress is not None and done % 1000 == 0:
            progress(done)

    # Weights: each annotator's quality from reviews and gold, and agreement with colleagues.
    weight_of = {}
    for annotator_id, figures in annotators.items():
        good, n = outcomes.get(annotator_id, (0.0, 0))
        weight_of[annotator_id] = quality_weight(good + figures.agreement_sum, n + figures.agreement_n)

    # Second pass: each item's consensus.
    for done, (item_id, item_works) in enumerate(by_item.items(), start=1):
        weights = [weight_of[w.annotator_id] for w in item_works]
        shapes, clusters = fuse_shapes(
            [w.shapes for w in item_works], weights, iou_threshold=iou_threshold, keypoint_names=keypoint_names
        )
        for cluster in clusters:
            if cluster.support >= 0.5:
                for _, shape in cluster.members:
                    shape_confusion[(shape["label"], cluster.label)] += 1
        image_class = classes["consensus"].get(item_id)
        if image_class is None:
            image_class = weighted_class([w.image_class for w in item_works], weights)
        for work in item_works:
            if work.image_class is not None and image_class is not None:
                class_confusion[(work.image_class, image_class)] += 1
        consensus[item_id] = {
            "shapes": shapes,
            "class": image_class,
            "annotators": len(item_works),
            "agreement": item_agreement[item_id],
            "basis": [w.annotation_id for w in item_works],
        }
        if progress is not None and done % 1000 == 0:
            progress(len(by_item) + done)

    return Assessment(
        consensus=consensus,
        annotators=dict(annotators),
        batches=dict(batches),
        shape_confusion=dict(shape_confusion),
        class_confusion=dict(class_confusion),
        class_alpha=classes["alpha"],
        pairs=pairs,
        f1_sum=f1_sum,
    )


def _class_consensus(works: list[Work]) -> dict:
    """Dawid-Skene over every image class given in the project: the consensus per item,
    each annotator's estimated accuracy, and Krippendorff's alpha of the classes."""
    classed = [w for w in works if w.image_class is not None]
    if not classed:
        return {"consensus": {}, "accuracy": {}, "alpha": None}
    tasks = np.array([w.item_id for w in classed], dtype=np.int64)
    workers = np.array([w.annotator_id for w in classed], dtype=np.int64)
    labels = np.array([w.image_class for w in classed], dtype=object).astype(str)
    consensus, accuracy = aggregate_labels(tasks, workers, labels)
    units: dict[int, list[str]] = defaultdict(list)
    for w in classed:
        units[w.item_id].append(w.image_class)  # type: ignore[arg-type]
    return {
        "consensus": dict(zip(np.unique(tasks).tolist(), consensus.tolist(), strict=True)),
        "accuracy": dict(zip(np.unique(workers).tolist(), [round(float(a), 4) for a in accuracy], strict=True)),
        "alpha": krippendorff_alpha_nominal(units.values()),
    }
