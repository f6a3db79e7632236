"""aggregation: `annotation.quality.aggregate_labels` (our vectorised Dawid-Skene) on
1,000,000 labels beside crowd-kit's `DawidSkene` on the same data.

Data (seeded): 100,000 items with 10 classes, 500 annotators, each item labelled by 10
of them. Each annotator has a confusion matrix: accuracy drawn from 0.35..0.95 on the
diagonal, the rest spread over the other classes by a Dirichlet draw, so some
annotators confuse particular classes, as people do. Accuracy is the share of items
whose consensus equals the simulated truth.

crowd-kit is not a dependency of the app: it is installed on first use into its own
virtual environment (var/bench-crowdkit/) and run there in a separate process, reading
the same arrays from an .npz file. Both are timed around the aggregation call only.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from annotation.quality.simulation import simulate_crowd
from bench.common import ROOT, BenchError, Context, Row

NAME = "aggregation"
ITEMS, CLASSES, ANNOTATORS, PER_ITEM = 100_000, 10, 500, 10
QUICK_ITEMS = 10_000
CROWDKIT = "crowd-kit==1.4.2"

_CROWDKIT_SCRIPT = """
import json, sys, time
import numpy as np, pandas as pd
from crowdkit.aggregation import DawidSkene
data = np.load(sys.argv[1])
frame = pd.DataFrame({"task": data["tasks"], "worker": data["workers"], "label": data["labels"]})
began = time.perf_counter()
result = DawidSkene(n_iter=100, tol=1e-5).fit_predict(frame)
seconds = time.perf_counter() - began
consensus = result.sort_index().to_numpy()
print(json.dumps({"seconds": seconds, "accuracy": float((consensus == data["truth"]).mean())}))
"""


def _var_dir() -> Path:
    return Path(os.environ.get("AIDOU_VAR_DIR", ROOT / "var"))


def simulate(items: int, seed: int = 2026) -> dict[str, np.ndarray]:
    return simulate_crowd(items=items, classes=CLASSES, annotators=ANNOTATORS, per_item=PER_ITEM, seed=seed)


def _crowdkit_python() -> Path:
    venv = _var_dir() / "bench-crowdkit"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  {NAME}: installing {CROWDKIT} into {venv} (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", CROWDKIT, f"numpy=={np.__version__}"], check=True)
    return python


def setup() -> list[str]:
    return [f"aggregation: {PER_ITEM} labels x items, {CLASSES} classes, {ANNOTATORS} annotators"]


def measure(ctx: Context) -> list[Row]:
    items = QUICK_ITEMS if ctx.options.quick else ITEMS
    from annotation.quality.aggregation import aggregate_labels  # SciPy: kept out of the bench server's processes

    data = simulate(items)
    began = time.perf_counter()
    consensus, _ = aggregate_labels(data["tasks"], data["workers"], data["labels"])
    ours_seconds = time.perf_counter() - began
    ours_accuracy = float((consensus == data["truth"]).mean())
    vote, _ = aggregate_labels(data["tasks"], data["workers"], data["labels"], method="majority_vote")
    vote_accuracy = float((vote == data["truth"]).mean())

    path = _var_dir() / f"bench-aggregation-{items}.npz"
    np.savez(path, **data)
    result = subprocess.run(
        [str(_crowdkit_python()), "-c", _CROWDKIT_SCRIPT, str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"crowd-kit failed: {result.stderr[-2000:]}")
    crowdkit = json.loads(result.stdout.strip().splitlines()[-1])
    label = f"Dawid-Skene, {items * PER_ITEM:,} labels (bare: crowd-kit)"
    ctx.facts.append(f"majority vote accuracy {vote_accuracy:.4f}")
    return [
        Row(f"{label} seconds", ours_seconds, crowdkit["seconds"], decimals=2),
        Row(f"{label} accuracy vs truth", ours_accuracy, crowdkit["accuracy"], decimals=4),
    ]
