"""Quality: scoring shapes, agreement between annotators, and consensus labels. Pure
functions on plain data and NumPy arrays (no database), so they are exact to test and
fast to benchmark; the services feed them rows and store what they return."""

import importlib

__all__ = ["ShapeScore", "aggregate_labels", "krippendorff_alpha_nominal", "score_annotation"]

# Loaded when first asked for, not with the package: importing annotation.quality.sampling
# (the assignment engine's, pure Python) must not load SciPy into every web process
# (docs/decisions/0018).
_HOMES = {
    "aggregate_labels": "annotation.quality.aggregation",
    "krippendorff_alpha_nominal": "annotation.quality.agreement",
    "ShapeScore": "annotation.quality.shapes",
    "score_annotation": "annotation.quality.shapes",
}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
