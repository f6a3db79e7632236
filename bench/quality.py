"""quality: recomputing a project of 100,000 items labelled by 3 annotators each (300,000
accepted annotations of 1 to 5 boxes and an image class; 60 annotators, a tenth of the
work reviewed). Ours: `annotation.services.quality.quality_recompute_run`, the Celery
task's body (claim, load, pairwise agreement, Dawid-Skene, fusion, 100,000 consensus
rows and 60 snapshots written), in a fresh process as a worker runs it. Bare limit: the
same rows read with a raw cursor (JSON parsed) and one row per item written back with
`executemany`: the I/O any recomputation has to do, with no scoring at all.
The target is under 60 s for ours.
"""

import json
import os
import random
import subprocess
import sys
import time

from django.db import connection, transaction

from annotation.models import Annotation, Assignment, Batch, Item, Organisation, Project, QualityJob, Review
from bench.common import ROOT, BenchError, Context, Row
from workforce.models import Centre, User

NAME = "quality"
ITEMS, OVERLAP, ANNOTATORS = 100_000, 3, 60
QUICK_ITEMS = 10_000
WIDTH, HEIGHT = 1280, 720
ORGANISATION = "bench-quality"
CLASSES = ("day", "night", "rain")
SCHEMA = {
    "tools": ["bbox"],
    "labels": [{"name": name, "color": "#e6194b"} for name in ("car", "person", "truck")],
    "classes": list(CLASSES),
}


def _items(quick: bool) -> int:
    return QUICK_ITEMS if quick else ITEMS


def _project(items: int) -> Project | None:
    return Project.objects.filter(organisation__name=ORGANISATION, name=f"bench-quality {items}").first()


def setup() -> list[str]:
    return []  # the data depends on --quick, which measure() knows: made there, once


def _ensure_data(items: int) -> Project:
    project = _project(items)
    if project is None or Annotation.objects.filter(item__project=project).count() != items * OVERLAP:
        began = time.perf_counter()
        _create(items)
        print(f"  {NAME}: created {items:,} items x {OVERLAP} in {time.perf_counter() - began:.1f} s", flush=True)
        if connection.vendor == "postgresql":
            # Fresh bulk rows have no planner statistics yet (autovacuum gathers them later,
            # as it does for work that accrues over weeks); without them plans go wrong.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        project = _project(items)
    assert project is not None
    return project


@transaction.atomic
def _create(items: int) -> None:
    organisation, _ = Organisation.objects.get_or_create(name=ORGANISATION)
    Project.objects.filter(organisation=organisation, name=f"bench-quality {items}").delete()
    project = Project.objects.create(
        organisation=organisation, name=f"bench-quality {items}", label_schema=SCHEMA, overlap=OVERLAP
    )
    centre, _ = Centre.objects.get_or_create(name="bench-quality centre", defaults={"county": "bench"})
    people = []
    for n in range(ANNOTATORS):
        person, _ = User.objects.get_or_create(username=f"bench-quality-{n}", defaults={"centre": centre})
        people.append(person)
    skill = {person.pk: random.Random(person.pk).uniform(0.7, 0.99) for person in people}
    batch = Batch.objects.create(project=project, centre=centre, name="bench")
    rng = random.Random(20261122)
    Item.objects.bulk_create(
        (
            Item(
                project=project,
                file_name=f"q/{n:06d}.jpg",
                image="bench/tiny.jpg",
                thumbnail="bench/tiny.webp",
                content_type="image/jpeg",
                width=WIDTH,
                height=HEIGHT,
                sha256=f"{n:064d}",
                status="done",
            )
            for n in range(items)
        ),  # fmt: skip
        batch_size=5000,
    )
    item_ids = list(Item.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    now = time.time()
    from django.utils import timezone

    stamp = timezone.now()
    assignments, labels = [], []
    for item_id in item_ids:
        truth = [
            (rng.choice(("car", "person", "truck")), rng.uniform(0, WIDTH - 200), rng.uniform(0, HEIGHT - 150))
            for _ in range(rng.randint(1, 5))
        ]
        truth_class = rng.choice(CLASSES)
        for person in rng.sample(people, OVERLAP):
            good = skill[person.pk]
            shapes = []
            for label, x, y in truth:
                if rng.random() > good + 0.05:
                    continue  # missed it
                if rng.random() > good:
                    label = rng.choice(("car", "person", "truck"))
                shapes.append({"type": "bbox", "label": label, "x": round(x + rng.gauss(0, 4), 2),
                               "y": round(y + rng.gauss(0, 4), 2), "w": 120.0, "h": 80.0})  # fmt: skip
            image_class = truth_class if rng.random() < good else rng.choice(CLASSES)
            assignments.append(
                Assignment(batch=batch, item_id=item_id, annotator=person, status="submitted", leased_at=stamp,
                           lease_expires_at=stamp, finished_at=stamp, active_ms=rng.randint(3_000, 60_000))
            )  # fmt: skip
            labels.append((shapes, image_class))
    Assignment.objects.bulk_create(assignments, batch_size=5000)
    reviewed = set(rng.sample(range(len(assignments)), len(assignments) // 10))
    Annotation.objects.bulk_create(
        (
            Annotation(
                assignment=a,
                item_id=a.item_id,
                annotator=a.annotator,
                shapes=shapes,
                image_class=image_class,
                review="accepted" if n in reviewed else "not_sampled",
            )
            for n, (a, (shapes, image_class)) in enumerate(zip(assignments, labels, strict=True))
        ),  # fmt: skip
        batch_size=5000,
    )
    reviewer = people[0]
    annotations = Annotation.objects.filter(item__project=project, review="accepted").values_list("id", "item_id")
    Review.objects.bulk_create(
        (Review(annotation_id=a, item_id=i, reviewer=reviewer, decision="accept") for a, i in annotations),
        batch_size=5000,
    )
    print(f"  {NAME}: generated in {time.time() - now:.1f} s", flush=True)


# ---------------------------------------------------------------------------- the two processes


def child_ours(job_id: int) -> None:
    import annotation.tasks  # noqa: F401 (what a worker loads when it starts)
    from annotation.services.quality import quality_recompute_run

    began = time.perf_counter()
    job = quality_recompute_run(job_id=job_id)
    seconds = time.perf_counter() - began
    if job is None or job.status != QualityJob.Status.SUCCEEDED:
        raise SystemExit(f"quality job {job_id} did not succeed: {job and job.failure}")
    print(json.dumps({"seconds": seconds, "items": job.summary["items"], "pairs": job.summary["pairs"]}))


def child_bare(project_id: int) -> None:
    """Read the same work with a raw cursor and write one row per item back."""
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_quality_out (item_id bigint, shapes text, n int)")
        cursor.execute(
            "SELECT a.item_id, a.shapes, a.image_class FROM annotation_annotation a "
            "JOIN annotation_item i ON i.id = a.item_id WHERE i.project_id = %s AND a.is_latest",
            [project_id],
        )
        per_item: dict[int, list] = {}
        while rows := cursor.fetchmany(5000):
            for item_id, shapes, _image_class in rows:
                shapes = json.loads(shapes) if isinstance(shapes, str) else shapes
                per_item.setdefault(item_id, []).append(shapes)
        cursor.executemany(
            "INSERT INTO bench_quality_out VALUES (%s, %s, %s)",
            [(item_id, json.dumps(works[0]), len(works)) for item_id, works in per_item.items()],
        )
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "items": len(per_item)}))


def _in_fresh_process(call: str) -> dict:
    code = f"import django; django.setup(); import bench.quality as b; b.{call}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise BenchError(f"{call} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(ctx: Context) -> list[Row]:
    items = _items(ctx.options.quick)
    project = _ensure_data(items)
    job = QualityJob.objects.create(project=project)
    ours = _in_fresh_process(f"child_ours({job.pk})")
    bare = _in_fresh_process(f"child_bare({project.pk})")
    if ours["items"] != items or bare["items"] != items:
        raise BenchError(f"items: ours {ours['items']}, bare {bare['items']}, expected {items}")
    label = f"quality recompute {items // 1000}k items x {OVERLAP}"
    ctx.facts.append(f"{label}: {ours['pairs']:,} pairs scored, {ANNOTATORS} annotators, one fresh process each")
    return [Row(f"{label} (s)", ours["seconds"], bare["seconds"], decimals=2)]
