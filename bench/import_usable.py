"""import_usable: 200 JPEGs of 640x480 sent by a client until they are usable (issue 19).

Ours, end to end over HTTP against the runner's gunicorn and a real Celery worker
(prefork, concurrency 2): POST the 200 images as one zip to /api/v1/projects/{id}/imports/,
poll the job every 100 ms (a poll costs a web worker's CPU: faster polling slows the job on 2 cores) until it has succeeded, list the project's items (all 200 must be
there) and fetch the last one's thumbnail. Bare limit: a store-only upload, as a
competitor that decodes nothing does it: the same 200 files POSTed as one multipart
request to a plain Django view that writes each to disk (no hash, no check, no thumbnail,
no row). The two take turns, five rounds each (--quick: three); the median round of each
is reported, with the spread in the header line.
"""

import http.client
import json
import shutil
import statistics
import time
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from annotation.demo import DEMO_SCHEMA, street_scene
from annotation.models import Item, Project
from annotation.services.api_keys import api_key_create, organisation_get_or_create
from annotation.services.projects import project_create
from bench.common import BenchError, Context, Row

NAME = "import_usable"
IMAGES = 200
WIDTH, HEIGHT = 640, 480
POLL_SECONDS = 0.1


def _images() -> list[tuple[str, bytes]]:
    path = Path(settings.MEDIA_ROOT).parent / f"bench-import-{IMAGES}-{WIDTH}x{HEIGHT}.zip"
    if not path.exists():
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for n in range(IMAGES):
                archive.writestr(
                    f"scenes/scene_{n:05d}.jpg", street_scene(seed=200_000 + n, width=WIDTH, height=HEIGHT)[0]
                )
    with zipfile.ZipFile(path) as archive:
        return [(info.filename.rsplit("/", 1)[-1], archive.read(info)) for info in archive.infolist()]


def setup() -> list[str]:
    _images()
    return [f"import until usable: {IMAGES} JPEGs {WIDTH}x{HEIGHT}"]


def _store_dir() -> Path:
    return Path(settings.MEDIA_ROOT).parent / "bench-store-only"


@csrf_exempt
def bare_store_only(request):
    """Write each uploaded file to disk under a generated name; nothing else."""
    folder = _store_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    count = 0
    for upload in request.FILES.getlist("files"):
        with open(folder / f"{uuid.uuid4().hex}.jpg", "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        count += 1
    return JsonResponse({"stored": count})


urlpatterns = [path("bench/store-only/", bare_store_only)]


def _multipart(files: list[tuple[str, bytes]], content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        parts.append(data)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _call(conn: http.client.HTTPConnection, method: str, url: str, body=None, headers=None) -> tuple[int, bytes]:
    conn.request(method, url, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def _ours(port: int, token: str, zip_body: tuple[bytes, str]) -> float:
    organisation = organisation_get_or_create(name="Bench client")
    project = project_create(
        organisation=organisation, name=f"bench usable {uuid.uuid4().hex[:8]}", label_schema=DEMO_SCHEMA
    )
    auth = {"Authorization": f"Token {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body, content_type = zip_body
        began = time.perf_counter()
        status, answer = _call(
            conn, "POST", f"/api/v1/projects/{project.pk}/imports/", body, {**auth, "Content-Type": content_type}
        )
        if status != 202:
            raise BenchError(f"import POST: HTTP {status}: {answer[:300]!r}")
        job_id = json.loads(answer)["id"]
        while True:
            status, answer = _call(conn, "GET", f"/api/v1/imports/{job_id}/", headers=auth)
            job = json.loads(answer)
            if job["status"] in ("succeeded", "failed"):
                break
            if time.perf_counter() - began > 120:
                raise BenchError(f"import {job_id} not done after 120 s (is the Celery worker running?): {job}")
            time.sleep(POLL_SECONDS)
        status, answer = _call(conn, "GET", f"/api/v1/projects/{project.pk}/items/?page_size=1000", headers=auth)
        items = json.loads(answer)["results"]
        status, thumbnail = _call(conn, "GET", f"/api/v1/items/{items[-1]['id']}/thumbnail/", headers=auth)
        seconds = time.perf_counter() - began
        if job["status"] != "succeeded" or job["accepted"] != IMAGES or len(items) != IMAGES:
            raise BenchError(f"import {job_id}: {job['status']}, {job['accepted']} accepted, {len(items)} listed")
        if status != 200 or thumbnail[8:12] != b"WEBP":
            raise BenchError(f"thumbnail: HTTP {status}")
        return seconds
    finally:
        conn.close()
        for item in Item.objects.filter(project=project).only("image", "thumbnail").iterator():
            item.image.delete(save=False)
            item.thumbnail.delete(save=False)
        Project.objects.filter(pk=project.pk).delete()


def _bare(port: int, files_body: tuple[bytes, str]) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body, content_type = files_body
        began = time.perf_counter()
        status, answer = _call(conn, "POST", "/bench/store-only/", body, {"Content-Type": content_type})
        seconds = time.perf_counter() - began
        if status != 200 or json.loads(answer)["stored"] != IMAGES:
            raise BenchError(f"store-only POST: HTTP {status}: {answer[:300]!r}")
        return seconds
    finally:
        conn.close()
        shutil.rmtree(_store_dir(), ignore_errors=True)


def measure(ctx: Context) -> list[Row]:
    if ctx.worker is None:
        raise BenchError("import_usable needs the runner's Celery worker")
    images = _images()
    zip_path = Path(settings.MEDIA_ROOT).parent / f"bench-import-{IMAGES}-{WIDTH}x{HEIGHT}.zip"
    zip_body = _multipart([(zip_path.name, zip_path.read_bytes())], "application/zip")
    files_body = _multipart(images, "image/jpeg")
    organisation = organisation_get_or_create(name="Bench client")
    _, token = api_key_create(organisation=organisation, name=f"bench usable {uuid.uuid4().hex[:8]}")
    _ours(ctx.server.port, token, zip_body)  # warm-up: the worker's first task loads the import code
    _bare(ctx.server.port, files_body)
    ours, bare = [], []
    for _ in range(3 if ctx.options.quick else 5):
        bare.append(_bare(ctx.server.port, files_body))
        ours.append(_ours(ctx.server.port, token, zip_body))
    ctx.facts.append(
        f"import until usable: ours {min(ours):.2f}-{max(ours):.2f} s, store-only {min(bare):.2f}-{max(bare):.2f} s "
        f"over {len(ours)} alternating rounds"
    )
    return [
        Row(
            f"{IMAGES} JPEGs {WIDTH}x{HEIGHT} uploaded until usable (s)",
            statistics.median(ours),
            statistics.median(bare),
            2,
        )
    ]
