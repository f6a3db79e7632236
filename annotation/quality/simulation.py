"""A seeded simulated crowd, for tests and benchmarks of the quality engine: items with
a known truth, annotators with their own confusion matrices."""

import numpy as np


def simulate_crowd(
    *,
    items: int,
    classes: int,
    annotators: int,
    per_item: int,
    seed: int,
    accuracy: tuple[float, float] = (0.35, 0.95),
) -> dict[str, np.ndarray]:
    """`per_item` different annotators label each item. An annotator is right with a
    probability drawn from `accuracy`; when wrong, their mistakes follow their own
    Dirichlet-drawn preferences per true class (people confuse particular classes).
    Returns arrays `tasks`, `workers`, `labels` (one row per label) and `truth`."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, items)
    skill = rng.uniform(accuracy[0], accuracy[1], annotators)
    shares = rng.dirichlet(np.full(classes - 1, 0.5), size=(annotators, classes))
    matrices = np.empty((annotators, classes, classes))
    for k in range(classes):
        others = [c for c in range(classes) if c != k]
        matrices[:, k, k] = skill
        matrices[:, k, others] = shares[:, k, :] * (1 - skill)[:, None]
    tasks = np.repeat(np.arange(items), per_item)
    workers = np.argsort(rng.random((items, annotators)), axis=1)[:, :per_item].ravel()
    cumulative = matrices.cumsum(axis=2)[workers, truth[tasks]]
    labels = (rng.random(tasks.size)[:, None] > cumulative).sum(axis=1).clip(0, classes - 1)
    return {"tasks": tasks, "workers": workers, "labels": labels, "truth": truth}
