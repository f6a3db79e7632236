"""An annotator's quality score with an honest interval: the mean of their observations
(gold F1, review outcomes, agreement with consensus, each a number in [0, 1]) and a
Wilson interval, so 3 of 3 accepted is not treated as proof of a perfect annotator."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

# How much one observation of each kind counts. Agreement counts half: it measures
# agreement with peers (who may share a mistake), not with the truth.
OBSERVATION_WEIGHTS: Mapping[str, float] = MappingProxyType({"gold": 1.0, "review": 1.0, "agreement": 0.5})


def wilson_interval(successes: float, observations: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion. Unlike the normal approximation it stays
    inside [0, 1] and does not collapse to a point at 0 or n successes, which is where
    small samples of good annotators live. Fractional counts are allowed (sums of
    scores in [0, 1], or a Kish effective n). No observations: (0, 1), nothing known."""
    if observations <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= observations:
        raise ValueError("successes must lie between 0 and observations")
    p = successes / observations
    z2 = z * z
    denominator = 1 + z2 / observations
    centre = (p + z2 / (2 * observations)) / denominator
    margin = z * math.sqrt(p * (1 - p) / observations + z2 / (4 * observations * observations)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def effective_observations(weights: Sequence[float]) -> float:
    """Kish's effective sample size (sum w)^2 / sum(w^2): n for equal weights, fewer when
    a few observations carry most of the weight, so down-weighted kinds cannot narrow
    the interval as much as the same number of full observations."""
    total = math.fsum(weights)
    squares = math.fsum(w * w for w in weights)
    return total * total / squares if squares > 0 else 0.0


@dataclass(frozen=True)
class QualityEstimate:
    """Weighted mean quality (None without observations), how many observations it
    rests on, and its Wilson interval [low, high]."""

    score: float | None
    observations: int
    low: float
    high: float

    @classmethod
    def from_observations(cls, values: Sequence[float], weights: Sequence[float] | None = None) -> "QualityEstimate":
        """Weighted mean of `values` (each in [0, 1]); the interval is Wilson on
        (mean * effective n, effective n), with Kish's effective n, because weighted
        observations carry less information than their raw count."""
        if weights is None:
            weights = [1.0] * len(values)
        if len(weights) != len(values):
            raise ValueError("values and weights must have the same length")
        if any(not 0.0 <= v <= 1.0 for v in values):
            raise ValueError("observations must lie in [0, 1]")
        if any(w < 0 for w in weights):
            raise ValueError("weights must not be negative")
        total = math.fsum(weights)
        if total <= 0:
            return cls(score=None, observations=len(values), low=0.0, high=1.0)
        score = math.fsum(v * w for v, w in zip(values, weights, strict=True)) / total
        n_effective = effective_observations(weights)
        low, high = wilson_interval(score * n_effective, n_effective)
        return cls(score=score, observations=len(values), low=low, high=high)
