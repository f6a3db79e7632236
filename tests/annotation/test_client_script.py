"""The client script in docs/examples, run as a client runs it: a separate process talking
HTTP to a live server with an API key."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from annotation.demo import DEMO_SCHEMA, coco_for, street_scene
from tests.annotation.factories import OrganisationFactory, api_key_for

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "client.py"


@pytest.mark.django_db(transaction=True)
def test_the_documented_client_script_works_first_time(live_server, tmp_path):
    scenes, archive = [], io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for n in range(3):
            data, annotation = street_scene(seed=n)
            zf.writestr(f"street_{n}.jpg", data)
            scenes.append((f"street_{n}.jpg", 640, 360, annotation))
        zf.writestr("broken.jpg", b"\xff\xd8 not really a jpeg")
        zf.writestr("../evil.jpg", street_scene(seed=9)[0])
    (tmp_path / "images.zip").write_bytes(archive.getvalue())
    (tmp_path / "coco.json").write_text(json.dumps(coco_for(scenes, DEMO_SCHEMA)))
    key = api_key_for(OrganisationFactory(name="Script Client"))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), live_server.url, key, "images.zip", "coco.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("first {'accepted': 3, 'duplicates': 0, 'rejected': 2}")
    assert "broken.jpg" in lines[0] and "../evil.jpg" in lines[0]
    assert lines[1].startswith("again {'accepted': 0, 'duplicates': 3, 'rejected': 2}")
    shapes = sum(len(annotation["shapes"]) for *_, annotation in scenes)
    assert lines[-1] == f"exported 3 images, {shapes} annotations"
