"""Adaptive review sampling: review everything a new annotator submits, less as their
recent quality proves itself, and more again as soon as it slips. Never zero, so a
proven annotator still produces the review observations that would show a slip."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from annotation.quality.scores import QualityEstimate

REASONS = ("new", "quality_below_target", "proven")


@dataclass(frozen=True)
class SamplingPolicy:
    """`floor`: the routine share reviewed once quality is proven (never 0).
    `min_observations`: below this many, review everything. `target`: the quality the
    Wilson lower bound must reach to earn the floor. `window`: only the most recent
    observations count, so a drop shows at once instead of being diluted by a long good
    history. `ramp`: how far below the target the lower bound may fall before every
    submission is reviewed again."""

    floor: float = 0.10
    min_observations: int = 20
    target: float = 0.90
    window: int = 50
    ramp: float = 0.30

    def __post_init__(self) -> None:
        if not 0 < self.floor <= 1:
            raise ValueError("floor must be in (0, 1]: some work is always reviewed")
        if not 0 < self.target <= 1:
            raise ValueError("target must be in (0, 1]")
        if self.min_observations < 1:
            raise ValueError("min_observations must be at least 1")
        if self.window < self.min_observations:
            raise ValueError("window must hold at least min_observations, or no one ever stops being new")
        if self.ramp <= 0:
            raise ValueError("ramp must be positive")


@dataclass(frozen=True)
class SamplingDecision:
    """Whether one submission goes to review, at what rate and why. `reason` is one of
    REASONS; the numbers behind it are in `estimate`, for a page to explain."""

    rate: float
    sampled: bool
    reason: str
    estimate: QualityEstimate


def review_rate(recent: Sequence[float], policy: SamplingPolicy) -> tuple[float, str, QualityEstimate]:
    """(rate, reason, estimate) from the annotator's observations, oldest first. The rate
    falls linearly from 1.0 (lower bound at or below target - ramp) to the floor (lower
    bound at the target); it always lies in [floor, 1]."""
    windowed = list(recent)[-policy.window :]
    estimate = QualityEstimate.from_observations(windowed)
    if len(windowed) < policy.min_observations:
        return 1.0, "new", estimate
    if estimate.low >= policy.target:
        return policy.floor, "proven", estimate
    shortfall = min(1.0, (policy.target - estimate.low) / policy.ramp)
    rate = policy.floor + (1.0 - policy.floor) * shortfall
    return min(1.0, max(policy.floor, rate)), "quality_below_target", estimate


def sample_point(key: str) -> float:
    """A uniform number in [0, 1) fixed by `key`: the same submission always gets the
    same decision (reproducible, auditable), and since it does not depend on the rate,
    raising the rate only adds submissions to review, never swaps them."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def decide(recent: Sequence[float], policy: SamplingPolicy, key: str) -> SamplingDecision:
    """Whether the submission named by `key` (e.g. "annotation:123") is reviewed."""
    rate, reason, estimate = review_rate(recent, policy)
    return SamplingDecision(rate=rate, sampled=sample_point(key) < rate, reason=reason, estimate=estimate)
