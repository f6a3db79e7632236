"""exports: a COCO export of 10,000 items with 10 boxes each (100,000 annotations).

Ours: `annotation.services.exports.export_run` (the Celery task's body: claim, ORM
`.iterator()` over `.only()` columns, `item_labels_for_export`, `shape_to_coco`, a
temporary file, Django storage). Bare limit: the same rows read with a raw cursor
(`fetchmany`) and the same COCO records written with the stdlib json encoder, one
compact encoding per chunk of rows, streamed to a local file (`json.dump` of the whole
would hold it all in memory, and encodes in pure Python).

Each runs in a fresh process of its own (Django set up, as a worker is), which reports
the seconds of the export, its own peak RSS (VmHWM; `ru_maxrss` where there is no
/proc) and how much the export added to what the process held before it started.
measure() first checks that both files hold the same images, annotations and categories.
"""

import contextlib
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotation.models import ExportJob, Item, Organisation, Project
from bench.common import ROOT, BenchError, Context, Row

NAME = "exports"
CHUNK = 500  # rows per fetch, as annotation.services.exports.CHUNK_SIZE
LABEL = "export coco 10k items"
ITEMS = 10_000
BOXES_PER_ITEM = 10
WIDTH, HEIGHT = 640, 480
ORGANISATION = "bench-exports"
PROJECT = "bench-exports 10k x 10 boxes"
SCHEMA = {
    "tools": ["bbox"],
    "labels": [{"name": "car", "color": "#e6194b"}, {"name": "person", "color": "#3cb44b"}],
}


# ---------------------------------------------------------------------------- data


def _project() -> Project | None:
    return Project.objects.filter(organisation__name=ORGANISATION, name=PROJECT).first()


def setup() -> list[str]:
    """One project of 10,000 items, each with 10 pre-annotated boxes, made once (the
    images are one tiny shared path: an export never opens them)."""
    project = _project()
    if project is None or Item.objects.filter(project=project).count() != ITEMS:
        began = time.perf_counter()
        _create_items()
        print(f"  {NAME}: created {ITEMS:,} items in {time.perf_counter() - began:.1f} s", flush=True)
    return [f"{ITEMS:,} items x {BOXES_PER_ITEM} boxes"]


@transaction.atomic
def _create_items() -> None:
    organisation, _ = Organisation.objects.get_or_create(name=ORGANISATION)
    Project.objects.filter(organisation=organisation, name=PROJECT).delete()
    project = Project.objects.create(organisation=organisation, name=PROJECT, label_schema=SCHEMA)
    rng = random.Random(20261122)

    def box() -> dict:
        w, h = round(rng.uniform(4, 200), 2), round(rng.uniform(4, 200), 2)
        x, y = round(rng.uniform(0, WIDTH - w), 2), round(rng.uniform(0, HEIGHT - h), 2)
        return {"type": "bbox", "label": rng.choice(("car", "person")), "x": x, "y": y, "w": w, "h": h}

    Item.objects.bulk_create(
        (
            Item(
                project=project,
                file_name=f"frames/{n:06d}.jpg",
                image="bench/tiny.jpg",
                thumbnail="bench/tiny.webp",
                content_type="image/jpeg",
                width=WIDTH,
                height=HEIGHT,
                sha256=hashlib.sha256(f"bench-export-{n}".encode()).hexdigest(),
                prefill={"shapes": [box() for _ in range(BOXES_PER_ITEM)], "class": None},
            )
            for n in range(ITEMS)
        ),
        batch_size=1000,
    )


# ---------------------------------------------------------------------------- the two processes


def _peak_rss_mb() -> float:
    """This process's own peak RSS. On Linux, VmHWM: `ru_maxrss` of a spawned child starts
    at its parent's peak (the kernel carries it across the vfork + exec that Python's
    subprocess uses), which would hide the child's own figure under the runner's."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child_ours(job_id: int) -> None:
    """In a fresh process: run the export job as the worker would; print the figures."""
    import annotation.tasks  # noqa: F401 (what a worker loads when it starts)
    from annotation.services.exports import export_run

    # export_run tells the webhooks at its end; a worker that has run a task has that
    # module (and the TLS and crypto libraries under it) loaded already.
    with contextlib.suppress(ImportError):
        import annotation.services.webhooks  # noqa: F401
    before = _peak_rss_mb()
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        job = export_run(job_id=job_id)
    seconds = time.perf_counter() - began
    if job is None or job.status != ExportJob.Status.SUCCEEDED:
        raise SystemExit(f"export {job_id} did not succeed: {job and job.failure}")
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": before,
                      "queries": len(queries), "items": job.items}))  # fmt: skip


def child_bare(project_id: int, out_path: str) -> None:
    """In a fresh process: the same COCO file from a raw cursor, streamed."""
    item_table, project_table = Item._meta.db_table, Project._meta.db_table
    before = _peak_rss_mb()
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        cursor.execute(f"SELECT label_schema FROM {project_table} WHERE id = %s", [project_id])
        schema = cursor.fetchone()[0]
        schema = json.loads(schema) if isinstance(schema, str) else schema
        category_ids = {label["name"]: n for n, label in enumerate(schema["labels"], start=1)}
        categories = [{"id": n, "name": name, "supercategory": ""} for name, n in category_ids.items()]
        cursor.execute(
            f"SELECT id, file_name, width, height, prefill FROM {item_table} WHERE project_id = %s ORDER BY id",
            [project_id],
        )
        side_path = out_path + ".annotations"
        with open(out_path, "w", encoding="utf-8") as out, open(side_path, "w+", encoding="utf-8") as side:
            out.write('{"info":{},"licenses":[],"categories":' + json.dumps(categories) + ',"images":[')
            images = annotation_id = written_annotations = 0
            compact = json.JSONEncoder(separators=(",", ":")).encode
            while rows := cursor.fetchmany(CHUNK):
                # One encoding per chunk of rows for each list: as few json calls as it gets.
                chunk_images, chunk_annotations = [], []
                for item_id, file_name, width, height, prefill in rows:
                    chunk_images.append({"id": item_id, "file_name": file_name, "width": width, "height": height})
                    prefill = json.loads(prefill) if isinstance(prefill, str) else prefill
                    for shape in (prefill or {}).get("shapes", []):
                        annotation_id += 1
                        w, h = shape["w"], shape["h"]
                        chunk_annotations.append(
                            {"id": annotation_id, "image_id": item_id, "category_id": category_ids[shape["label"]],
                             "bbox": [shape["x"], shape["y"], w, h], "area": round(w * h, 4), "segmentation": [],
                             "iscrowd": 0}
                        )  # fmt: skip
                out.write(("," if images else "") + compact(chunk_images)[1:-1])
                images += len(chunk_images)
                if chunk_annotations:
                    side.write(("" if not written_annotations else ",") + compact(chunk_annotations)[1:-1])
                    written_annotations += len(chunk_annotations)
            out.write('],"annotations":[')
            side.seek(0)
            while chunk := side.read(1 << 20):
                out.write(chunk)
            out.write("]}")
        os.unlink(side_path)
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": before,
                      "queries": len(queries), "items": images}))  # fmt: skip


def _in_fresh_process(call: str) -> dict:
    code = f"import django; django.setup(); import bench.exports as b; b.{call}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise BenchError(f"{call} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- measure


def _digest(handle) -> tuple[str, int, int]:
    """A digest of a COCO file's images and annotations (not its info), and their counts."""
    data = json.load(handle)
    body = json.dumps([data["categories"], data["images"], data["annotations"]], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest(), len(data["images"]), len(data["annotations"])


def measure(ctx: Context) -> list[Row]:
    project = _project()
    if project is None:
        raise BenchError("setup() made no project")
    job = ExportJob.objects.create(project=project, format=ExportJob.Format.COCO, only_accepted=False)
    with tempfile.TemporaryDirectory(prefix="aidou-bench-export-") as folder:
        bare_path = str(Path(folder) / "bare.json")
        try:
            ours = _in_fresh_process(f"child_ours({job.pk})")
            bare = _in_fresh_process(f"child_bare({project.pk}, {bare_path!r})")
            job.refresh_from_db()
            with job.file.open("rb") as handle:
                ours_digest = _digest(handle)
            with open(bare_path, "rb") as handle:
                bare_digest = _digest(handle)
        finally:
            job.refresh_from_db()
            if job.file:
                job.file.delete(save=False)
            job.delete()
    expected = (ITEMS, ITEMS * BOXES_PER_ITEM)
    if ours_digest[1:] != expected or bare_digest[1:] != expected:
        raise BenchError(f"images, annotations: ours {ours_digest[1:]}, bare {bare_digest[1:]}, expected {expected}")
    if ours_digest[0] != bare_digest[0]:
        raise BenchError("the bare COCO file's images, annotations or categories differ from ours")
    ctx.facts.append(f"{LABEL}: one fresh process each")
    return [
        Row(f"{LABEL} (s)", ours["seconds"], bare["seconds"], decimals=2),
        Row(f"{LABEL} peak RSS (MB)", ours["peak_rss_mb"], bare["peak_rss_mb"]),
        Row(
            f"{LABEL} RSS growth (MB)",
            ours["peak_rss_mb"] - ours["rss_before_mb"],
            bare["peak_rss_mb"] - bare["rss_before_mb"],
        ),  # fmt: skip
        Row(f"{LABEL} queries", ours["queries"], bare["queries"], decimals=0),
    ]
