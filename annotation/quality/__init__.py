"""Quality: scoring shapes, agreement between annotators, and consensus labels. Pure
functions on plain data and NumPy arrays (no database), so they are exact to test and
fast to benchmark; the services feed them rows and store what they return."""

from annotation.quality.aggregation import aggregate_labels
from annotation.quality.agreement import krippendorff_alpha_nominal
from annotation.quality.shapes import ShapeScore, score_annotation

__all__ = ["ShapeScore", "aggregate_labels", "krippendorff_alpha_nominal", "score_annotation"]
