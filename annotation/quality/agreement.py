"""Agreement between annotators of the same items: Krippendorff's alpha for image classes
(nominal data, any number of annotators per item, missing values allowed)."""

from collections import Counter
from collections.abc import Iterable

import numpy as np


def krippendorff_alpha_nominal(units: Iterable[Iterable]) -> float | None:
    """Alpha over `units`, each the values the annotators of one item gave. Items with
    fewer than two values carry no pairs and are left out. None when nothing can be
    said (no pairable values, or every value the same everywhere: no expected
    disagreement)."""
    counted = [Counter(values) for values in units]
    counted = [c for c in counted if sum(c.values()) >= 2]
    if not counted:
        return None
    categories = sorted({value for c in counted for value in c}, key=repr)
    index = {value: i for i, value in enumerate(categories)}
    coincidence = np.zeros((len(categories), len(categories)))
    for c in counted:
        m = sum(c.values())
        n = np.zeros(len(categories))
        for value, count in c.items():
            n[index[value]] = count
        coincidence += (np.outer(n, n) - np.diag(n)) / (m - 1)
    totals = coincidence.sum(axis=1)
    n_total = totals.sum()
    observed = (coincidence.sum() - np.trace(coincidence)) / n_total
    expected = (n_total**2 - (totals**2).sum()) / (n_total * (n_total - 1))
    if expected == 0:
        return None
    return float(1 - observed / expected)
