"""Quality scores and adaptive review sampling: hand-worked Wilson intervals, the rate's
bounds, and a simulated annotator whose review rate falls as they prove themselves and
rises again when their quality drops."""

import numpy as np
import pytest

from annotation.quality.sampling import SamplingPolicy, decide, review_rate, sample_point
from annotation.quality.scores import OBSERVATION_WEIGHTS, QualityEstimate, effective_observations, wilson_interval


def test_wilson_by_hand():
    # p = 0.8, n = 10, z^2 = 3.8416: centre 0.99208 / 1.38416, margin 1.96 * sqrt(0.016 + 0.009604) / 1.38416.
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0)
    assert low == pytest.approx(10 / (10 + 1.96**2))  # all successes: n / (n + z^2)
    low, high = wilson_interval(7.5, 10)  # fractional successes: summed scores
    assert low < 0.75 < high
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_kish_effective_n():
    assert effective_observations([1.0] * 7) == pytest.approx(7)
    assert effective_observations([0.5] * 7) == pytest.approx(7)  # scale does not matter
    assert effective_observations([1.0, 0.0, 0.0]) == pytest.approx(1)
    assert effective_observations([]) == 0.0


def test_estimate_weighted_mean_and_interval():
    estimate = QualityEstimate.from_observations([1.0, 0.0], weights=[OBSERVATION_WEIGHTS["gold"], 0.5])
    assert estimate.score == pytest.approx(2 / 3)
    assert estimate.observations == 2
    n_effective = 1.5**2 / 1.25
    assert (estimate.low, estimate.high) == pytest.approx(wilson_interval(2 / 3 * n_effective, n_effective))
    # Unweighted: a plain mean and the plain Wilson interval.
    plain = QualityEstimate.from_observations([1.0] * 8 + [0.0] * 2)
    assert plain.score == pytest.approx(0.8)
    assert (plain.low, plain.high) == pytest.approx(wilson_interval(8, 10))
    empty = QualityEstimate.from_observations([])
    assert (empty.score, empty.observations, empty.low, empty.high) == (None, 0, 0.0, 1.0)
    with pytest.raises(ValueError):
        QualityEstimate.from_observations([1.5])


def test_policy_refuses_a_zero_floor():
    with pytest.raises(ValueError):
        SamplingPolicy(floor=0)
    with pytest.raises(ValueError):
        SamplingPolicy(window=10, min_observations=20)


def test_rate_new_proven_and_bounds():
    policy = SamplingPolicy()
    rate, reason, estimate = review_rate([1.0] * 7, policy)
    assert (rate, reason, estimate.observations) == (1.0, "new", 7)
    rate, reason, estimate = review_rate([1.0] * 500, policy)
    assert (rate, reason) == (policy.floor, "proven")
    assert estimate.observations == policy.window  # only the recent window counts
    rate, reason, _ = review_rate([0.0] * 50, policy)
    assert (rate, reason) == (1.0, "quality_below_target")
    for bad in range(0, 51, 5):
        rate, _, _ = review_rate([1.0] * (50 - bad) + [0.0] * bad, policy)
        assert policy.floor <= rate <= 1.0
    # A recent slip shows at once, whatever the history before the window.
    rate, reason, _ = review_rate([1.0] * 1000 + [0.0] * 15 + [1.0] * 35, policy)
    assert reason == "quality_below_target" and rate > 0.5


def test_decide_is_deterministic():
    policy = SamplingPolicy()
    history = [1.0] * 30 + [0.0] * 5
    first = decide(history, policy, "annotation:123")
    assert decide(history, policy, "annotation:123") == first
    assert 0.0 <= sample_point("annotation:123") < 1.0
    assert decide([], policy, "annotation:123").sampled  # new: always reviewed
    shares = np.mean([sample_point(f"annotation:{i}") < 0.3 for i in range(2000)])
    assert shares == pytest.approx(0.3, abs=0.03)  # the hash spreads keys evenly


def test_simulated_annotator_earns_the_floor_and_loses_it():
    """Only reviewed work produces a review observation, so the history grows only when
    a submission is sampled, as in real life."""
    rng = np.random.default_rng(0)
    policy = SamplingPolicy()
    history: list[float] = []
    sampled: list[bool] = []
    for i in range(300):
        decision = decide(history, policy, f"annotation:{i}")
        sampled.append(decision.sampled)
        if decision.sampled:
            history.append(float(rng.random() < 0.97))
    assert all(sampled[:20])
    assert np.mean(sampled[200:300]) <= 0.25  # near the 10% floor, well under half

    # Accuracy drops to 0.6: within ~30 reviewed submissions the rate is back above half.
    reviewed_since_drop = 0
    submission = 300
    while (decision := decide(history, policy, f"annotation:{submission}")).rate <= 0.5:
        if decision.sampled:
            history.append(float(rng.random() < 0.6))
            reviewed_since_drop += 1
        assert reviewed_since_drop <= 30
        submission += 1
    assert decision.reason == "quality_below_target"
