"""Loaded with `-p` before Django starts: tests get their own var/ folder (test database
file, broker folder, media), so a running `make run` never shares a queue with them."""

import os
from pathlib import Path

os.environ.setdefault("AIDOU_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
