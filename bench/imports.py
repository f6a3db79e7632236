"""imports: a zip of 2,000 JPEGs of 1280x720 through the real import job.

Ours: `import_start` (stages the zip as the API request does) then `import_run` (what the
Celery worker runs): zip safety checks, SHA-256, full Pillow decode, pixel check, EXIF
orientation, WebP thumbnail, the image and thumbnail written to storage, one Item row per
image. Bare limit: the same hash + decode + orientation + thumbnail loop over the same
zip in plain Python with Pillow, writing nothing. Both in this one process.
"""

import hashlib
import io
import time
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from annotation.demo import DEMO_SCHEMA, street_scene
from annotation.models import Item, Project
from annotation.services.api_keys import organisation_get_or_create
from annotation.services.imports import import_run, import_start
from annotation.services.projects import project_create
from bench.common import BenchError, Context, Row

NAME = "imports"
IMAGES = 2000
QUICK_IMAGES = 200


def _zip_path(count: int) -> Path:
    return Path(settings.MEDIA_ROOT).parent / f"bench-import-{count}.zip"


def _make_zip(count: int) -> Path:
    path = _zip_path(count)
    if path.exists():
        return path
    began = time.perf_counter()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for n in range(count):
            data, _ = street_scene(seed=100_000 + n, width=1280, height=720)
            archive.writestr(f"scenes/scene_{n:05d}.jpg", data)
    print(f"  {NAME}: wrote {count} JPEGs of 1280x720 in {time.perf_counter() - began:.1f} s", flush=True)
    return path


def setup() -> list[str]:
    _make_zip(IMAGES)
    return [f"import: {IMAGES} JPEGs 1280x720 in one zip"]


def _bare_loop(path: Path) -> int:
    count = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            hashlib.sha256(data).hexdigest()
            image = Image.open(io.BytesIO(data))
            image.load()
            image = ImageOps.exif_transpose(image)
            thumb = image.copy()
            thumb.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
            thumb.save(io.BytesIO(), "WEBP", quality=70, method=0)
            count += 1
    return count


def _ours(path: Path) -> tuple[int, float]:
    organisation = organisation_get_or_create(name="Bench client")
    project = project_create(
        organisation=organisation, name=f"bench import {time.time():.0f}", label_schema=DEMO_SCHEMA
    )
    try:
        began = time.perf_counter()
        job = import_start(
            project=project,
            files=[SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/zip")],
            enqueue=False,
        )
        job = import_run(job_id=job.pk)
        seconds = time.perf_counter() - began
        if job.accepted != job.total or job.rejected:
            raise BenchError(f"import accepted {job.accepted} of {job.total}: {job.errors[:3]}")
        return job.accepted, seconds
    finally:
        for item in Item.objects.filter(project=project).only("image", "thumbnail").iterator():
            item.image.delete(save=False)
            item.thumbnail.delete(save=False)
        Project.objects.filter(pk=project.pk).delete()


def measure(ctx: Context) -> list[Row]:
    count = QUICK_IMAGES if ctx.options.quick else IMAGES
    path = _make_zip(count)
    # Interleaved, best of two each: this machine's speed drifts more between runs than
    # the difference we want to see.
    bare_best = ours_best = 0.0
    for _ in range(2):
        began = time.perf_counter()
        bare_images = _bare_loop(path)
        bare_best = max(bare_best, bare_images / (time.perf_counter() - began))
        ours_images, ours_seconds = _ours(path)
        ours_best = max(ours_best, ours_images / ours_seconds)
        if ours_images != bare_images:
            raise BenchError(f"ours imported {ours_images} images, the bare loop read {bare_images}")
    ctx.facts.append(f"import: {count} images, 1 process each, best of 2 interleaved")
    return [Row("import images/s (1280x720 JPEG)", ours_best, bare_best)]
