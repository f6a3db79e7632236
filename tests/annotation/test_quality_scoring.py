"""Scoring, agreement and consensus against hand-worked cases."""

import math

import numpy as np
import pytest

from annotation.quality import aggregate_labels, krippendorff_alpha_nominal, score_annotation
from annotation.quality.shapes import box_iou_matrix, oks, polygon_iou_matrix


def box(x, y, w, h, label="car"):
    return {"type": "bbox", "label": label, "x": x, "y": y, "w": w, "h": h}


def test_box_iou_by_hand():
    # Two 10x10 boxes overlapping in a 5x10 strip: 50 / (100 + 100 - 50) = 1/3.
    assert box_iou_matrix([[0, 0, 10, 10]], [[5, 0, 10, 10]])[0, 0] == pytest.approx(1 / 3)
    # Touching edges share no area; identical boxes score 1.
    assert box_iou_matrix([[0, 0, 10, 10]], [[10, 0, 5, 5], [0, 0, 10, 10]]).tolist() == [[0.0, 1.0]]


def test_polygon_iou_by_hand():
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    triangle = [[0, 0], [10, 0], [0, 10]]  # half the square
    assert polygon_iou_matrix([square], [triangle])[0, 0] == pytest.approx(0.5)
    # A self-crossing outline is repaired, not scored as nothing.
    bow_tie = [[0, 0], [10, 10], [10, 0], [0, 10]]
    assert polygon_iou_matrix([square], [bow_tie])[0, 0] == pytest.approx(0.5)


def test_matching_is_one_to_one_by_label_and_scores_precision_recall_f1():
    reference = {"shapes": [box(0, 0, 10, 10), box(100, 100, 10, 10), box(200, 0, 10, 10, "person")], "class": None}
    drawn = {
        "shapes": [
            box(1, 0, 10, 10),  # IoU 90/110 with the first
            box(0, 1, 10, 10),  # a duplicate of the same car: only one may match
            box(200, 0, 10, 10, "car"),  # right place, wrong label: no match
        ],
        "class": None,
    }
    score = score_annotation(reference, drawn)
    assert (score.matched, score.extra, score.missed) == (1, 2, 2)
    assert score.precision == pytest.approx(1 / 3) and score.recall == pytest.approx(1 / 3)
    assert score.f1 == pytest.approx(1 / 3)
    assert score.mean_iou == pytest.approx(90 / 110)


def test_hungarian_matching_beats_greedy():
    # Greedy would pair drawn[0] with reference[0] (IoU 0.67) and leave reference[1]
    # unmatched; the optimum pairs both (0.6 and 0.6).
    reference = {"shapes": [box(0, 0, 10, 10), box(4, 0, 10, 10)]}
    drawn = {"shapes": [box(2, 0, 10, 10), box(-4, 0, 10, 10)]}
    score = score_annotation(reference, drawn, iou_threshold=0.3)
    assert score.matched == 2


def test_threshold_and_empty_cases():
    assert score_annotation({"shapes": [box(0, 0, 10, 10)]}, {"shapes": [box(5, 0, 10, 10)]}).matched == 0
    assert (
        score_annotation({"shapes": [box(0, 0, 10, 10)]}, {"shapes": [box(5, 0, 10, 10)]}, iou_threshold=0.3).matched
        == 1
    )
    nothing = score_annotation({"shapes": []}, {"shapes": []})
    assert (nothing.precision, nothing.recall, nothing.f1, nothing.mean_iou) == (1.0, 1.0, 1.0, None)
    assert score_annotation({"shapes": [box(0, 0, 1, 1)]}, {"shapes": []}).f1 == 0.0


def test_oks_by_hand():
    names = ["head", "hand"]
    reference = {"head": [0, 0, 2], "hand": [10, 10, 2]}  # extent 10x10: area 100
    assert oks(reference, reference, names) == 1.0
    # The hand 1 px off: exp(-1 / (2 * 100 * 0.01)) = exp(-0.5); mean with the head's 1.
    moved = {"head": [0, 0, 2], "hand": [11, 10, 2]}
    assert oks(reference, moved, names) == pytest.approx((1 + math.exp(-0.5)) / 2)
    # A point the reference has but the drawer left unlabelled scores 0.
    assert oks(reference, {"head": [0, 0, 2], "hand": [0, 0, 0]}, names) == pytest.approx(0.5)
    shape = {"type": "keypoints", "label": "person", "points": reference}
    score = score_annotation({"shapes": [shape]}, {"shapes": [{**shape, "points": moved}]}, keypoint_names=names)
    assert score.matched == 1 and score.oks == [pytest.approx((1 + math.exp(-0.5)) / 2)]


def test_image_class_is_exact():
    assert score_annotation({"shapes": [], "class": "day"}, {"shapes": [], "class": "day"}).class_correct is True
    assert score_annotation({"shapes": [], "class": "day"}, {"shapes": [], "class": "night"}).class_correct is False
    assert score_annotation({"shapes": [], "class": None}, {"shapes": [], "class": None}).class_correct is None


def test_krippendorff_alpha_by_hand():
    # Three items, two coders: (a, a), (a, b), (b, b). Coincidences: o_aa = 2, o_ab = o_ba = 1,
    # o_bb = 2; n = 6, n_a = n_b = 3. D_o = 2/6; D_e = (36 - 18) / 30 = 0.6; alpha = 1 - (1/3)/0.6.
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "b"], ["b", "b"]]) == pytest.approx(1 - (1 / 3) / 0.6)
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b"], ["c", "c", "c"]]) == pytest.approx(1.0)
    # Single values carry no pairs; all-identical data has no expected disagreement.
    assert krippendorff_alpha_nominal([["a"], ["b"]]) is None
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a"]]) is None
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example
    # with missing values: alpha = 0.743.
    data = [
        [1, 1], [2, 2, 3], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4],
        [1, 1, 2, 1], [2, 2, 2, 2], [5, 5, 5], [1, 1], [3, 3],
    ]  # fmt: skip
    assert krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=0.001)


def test_majority_vote_and_dawid_skene_on_a_hand_made_crowd():
    # Three reliable workers and two who always say "cat": the vote per task is clear,
    # and Dawid-Skene learns that the two are useless.
    tasks, workers, labels = [], [], []
    truth = {t: ("dog" if t % 2 else "cat") for t in range(40)}
    for t, answer in truth.items():
        for w in ("w1", "w2", "w3"):
            tasks.append(t), workers.append(w), labels.append(answer)
        for w in ("lazy1", "lazy2"):
            tasks.append(t), workers.append(w), labels.append("cat")
    consensus, accuracy = aggregate_labels(tasks, workers, labels)
    assert list(consensus) == [truth[t] for t in range(40)]
    ranked = dict(zip(np.unique(workers), accuracy, strict=True))
    assert ranked["w1"] > 0.95 and ranked["lazy1"] < 0.6
    vote, _ = aggregate_labels(tasks, workers, labels, method="majority_vote")
    assert list(vote) == list(consensus)


def test_dawid_skene_beats_the_vote_when_the_majority_is_unreliable():
    # Two good workers (95 %) against three near-random ones, seeded: the vote follows the
    # noisy majority, Dawid-Skene weighs workers by their learned confusion.
    rng = np.random.default_rng(7)
    n_tasks, classes = 2000, 4
    truth = rng.integers(0, classes, n_tasks)
    rows = []
    for skill in [0.95, 0.95, 0.4, 0.4, 0.4]:
        right = rng.random(n_tasks) < skill
        noise = (truth + rng.integers(1, classes, n_tasks)) % classes
        rows.append(np.where(right, truth, noise))
    tasks = np.tile(np.arange(n_tasks), 5)
    workers = np.repeat(np.arange(5), n_tasks)
    labels = np.concatenate(rows)
    ds, accuracy = aggregate_labels(tasks, workers, labels)
    mv, _ = aggregate_labels(tasks, workers, labels, method="majority_vote")
    assert (ds == truth).mean() > (mv == truth).mean() + 0.05
    assert accuracy[:2].min() > 0.9 and accuracy[2:].max() < 0.5


def test_aggregate_labels_checks_its_input():
    with pytest.raises(ValueError):
        aggregate_labels([1, 2], [1], [1, 2])
    with pytest.raises(ValueError):
        aggregate_labels([1], [1], [1], method="magic")
    consensus, accuracy = aggregate_labels([], [], [])
    assert consensus.size == 0 and accuracy.size == 0


def test_dawid_skene_agrees_with_crowd_kit_and_is_at_least_as_accurate():
    import json
    from pathlib import Path

    from annotation.quality.simulation import simulate_crowd

    reference = json.loads((Path(__file__).parent / "data" / "crowdkit_dawid_skene_seed11.json").read_text())
    crowd = simulate_crowd(items=400, classes=4, annotators=30, per_item=5, seed=11)
    consensus, _ = aggregate_labels(crowd["tasks"], crowd["workers"], crowd["labels"])
    agreement = (consensus == np.array(reference["consensus"])).mean()
    assert agreement >= 0.98
    assert (consensus == crowd["truth"]).mean() >= reference["accuracy"]
