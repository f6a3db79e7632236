"""What every web and worker process loads at start-up (docs/decisions/0018): the heavy
libraries only some pages and jobs use are imported where they are used, so each of the
processes stays near the size of Django itself."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Loaded by the quality recomputation, the PDF pages, roster workbooks and caregiver rostering only.
HEAVY = ["scipy", "shapely", "fpdf", "fontTools", "openpyxl", "segno", "ortools", "pandas"]
PROBE = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every view module, as a web worker's first request loads them
from aidou.celery import app
app.loader.import_default_modules()  # every tasks module, as the worker loads them
import PIL.Image
print(json.dumps({"loaded": [name for name in %r if name in sys.modules], "pil_plugins": len(PIL.Image.ID)}))
"""


def test_no_heavy_library_is_loaded_at_start_up():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aidou.settings"}
    env.pop("AIDOU_URLCONF", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE % HEAVY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["loaded"] == []
    # Importing the import service must not make Pillow load all its ~40 plugins.
    assert found["pil_plugins"] < 10
