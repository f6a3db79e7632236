"""Consensus labels for image classes: Dawid-Skene EM over annotators' confusion matrices,
vectorised with NumPy, with majority vote as its start and its fallback.

`aggregate_labels(task_ids, worker_ids, labels)` takes three equal-length arrays (one row
per label given) and returns `(consensus, worker_accuracy)`:
- `consensus[i]` is the label of task `np.unique(task_ids)[i]`;
- `worker_accuracy[j]` is the estimated share of correct labels of worker
  `np.unique(worker_ids)[j]` (the diagonal of their confusion matrix, weighted by how
  often each true class occurs).
Labels may be any sortable values (ints or strings); the consensus uses the same values.
"""

import numpy as np
from scipy import sparse

METHODS = ("dawid_skene", "majority_vote")


def _factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique values, each value's index among them)."""
    if values.dtype.kind in "iu" and values.size:
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * values.size:
            # Ids are usually dense integers: a lookup table instead of a sort.
            offset = values - low
            present = np.zeros(high - low + 1, dtype=bool)
            present[offset] = True
            index = np.cumsum(present) - 1
            return np.flatnonzero(present) + low, index[offset].astype(np.int64)
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.int64)


def _majority(task: np.ndarray, label: np.ndarray, n_tasks: int, n_classes: int) -> np.ndarray:
    """Each task's share of votes per class (ties shared equally)."""
    votes = np.bincount(task * n_classes + label, minlength=n_tasks * n_classes).reshape(n_tasks, n_classes)
    return votes / votes.sum(axis=1, keepdims=True)


def _confusions(posterior: np.ndarray, by_cell: sparse.csr_matrix, n_workers: int, smoothing: float) -> np.ndarray:
    """confusion[w, k, l]: how often worker w says l when the truth is k, from the current
    posterior over truths; additive smoothing keeps unseen cells off zero. `by_cell` counts
    the labels per (worker * n_classes + label) cell and task, so one sparse product sums
    the posterior over every label of every cell."""
    n_classes = posterior.shape[1]
    per_cell = by_cell @ posterior  # [w * n_classes + l, k]
    counts = per_cell.reshape(n_workers, n_classes, n_classes).transpose(0, 2, 1) + smoothing
    return counts / counts.sum(axis=2, keepdims=True)


def _posterior(
    log_prior: np.ndarray, log_confusion: np.ndarray, by_task: sparse.csr_matrix
) -> tuple[np.ndarray, float]:
    n_classes = log_prior.shape[0]
    # table[w * n_classes + l, k] = log confusion[w, k, l]; each task sums its labels' rows.
    table = log_confusion.transpose(0, 2, 1).reshape(-1, n_classes)
    log_post = by_task @ table + log_prior
    top = log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post - top)
    total = post.sum(axis=1, keepdims=True)
    log_likelihood = float((np.log(total) + top).sum())
    return post / total, log_likelihood


def aggregate_labels(
    task_ids,
    worker_ids,
    labels,
    method: str = "dawid_skene",
    *,
    max_iterations: int = 100,
    tolerance: float = 1e-7,
    smoothing: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Consensus per task and accuracy per worker (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    task_ids, worker_ids, labels = np.asarray(task_ids), np.asarray(worker_ids), np.asarray(labels)
    if not (task_ids.shape == worker_ids.shape == labels.shape) or task_ids.ndim != 1:
        raise ValueError("task_ids, worker_ids and labels are 1-d arrays of the same length")
    if task_ids.size == 0:
        return np.array([], dtype=labels.dtype), np.array([], dtype=float)
    _, task = _factorise(task_ids)
    _, worker = _factorise(worker_ids)
    classes, label = _factorise(labels)
    n_tasks, n_workers, n_classes = int(task.max()) + 1, int(worker.max()) + 1, len(classes)

    cell = worker * n_classes + label
    ones = np.ones(cell.size)
    by_cell = sparse.csr_matrix((ones, (cell, task)), shape=(n_workers * n_classes, n_tasks))
    by_task = by_cell.T.tocsr()
    posterior = _majority(task, label, n_tasks, n_classes)
    if method == "dawid_skene" and n_classes > 1:
        previous = -np.inf
        for _ in range(max_iterations):
            confusion = _confusions(posterior, by_cell, n_workers, smoothing)
            prior = posterior.mean(axis=0) + 1e-12
            posterior, log_likelihood = _posterior(np.log(prior / prior.sum()), np.log(confusion), by_task)
            if not np.isfinite(log_likelihood):  # degenerate data: keep the majority vote
                posterior = _majority(task, label, n_tasks, n_classes)
                break
            if abs(log_likelihood - previous) <= tolerance * max(1.0, abs(log_likelihood)):
                break
            previous = log_likelihood
    confusion = _confusions(posterior, by_cell, n_workers, smoothing)
    class_share = posterior.mean(axis=0)
    accuracy = (np.diagonal(confusion, axis1=1, axis2=2) * class_share).sum(axis=1)
    return classes[posterior.argmax(axis=1)], accuracy
