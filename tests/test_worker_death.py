"""A worker killed with SIGKILL in the middle of a 300-image import, on real worker
processes and the configured broker (the file-system broker in `make test`, Redis in CI's
PostgreSQL leg): the next worker's beat sweeps the job up and it finishes with every
image exactly once. No eager mode, no mocks."""

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from annotation.models import ImportJob, Item
from annotation.services.imports import import_start
from tests.annotation.factories import ProjectFactory, jpeg_bytes
from tests.test_celery_worker import _test_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

IMAGES = 300


def _worker(tmp_path, name: str, *, beat: bool) -> subprocess.Popen:
    """A worker process in a session of its own (so it and its beat child can be killed
    together), with a short stale limit and sweep period so the test takes seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "JOB_STALE_AFTER_SECONDS": "3",
        "JOB_SWEEP_EVERY_SECONDS": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "aidou", "worker", "--pool=solo", "--loglevel=INFO",
               f"--hostname={name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    if beat:
        command += ["--beat", f"--schedule={tmp_path / 'celerybeat-schedule'}"]
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _images_zip() -> bytes:
    out = io.BytesIO()
    digests = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for index in range(IMAGES):
            image = jpeg_bytes(160, 120, (index % 20 * 12, index // 20 * 16, 90))
            digests.add(hashlib.sha256(image).digest())
            archive.writestr(f"street/{index:03d}.jpg", image)
    assert len(digests) == IMAGES  # 300 different images, none a duplicate of another
    return out.getvalue()


def _log(tmp_path) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(tmp_path.glob("*.log")))


def test_an_import_whose_worker_is_killed_is_finished_by_the_next_worker_exactly_once(tmp_path):
    project = ProjectFactory()
    first = _worker(tmp_path, "first", beat=False)
    second = None
    try:
        job = import_start(project=project, files=[SimpleUploadedFile("street.zip", _images_zip())])
        deadline = time.monotonic() + 120
        # Killed once some images are in: each is committed alone, so the test sees them.
        while Item.objects.filter(project=project).count() < 20:
            assert time.monotonic() < deadline and first.poll() is None, _log(tmp_path)
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.RUNNING and job.attempts == 1
        left_behind = Item.objects.filter(project=project).count()
        assert 20 <= left_behind < IMAGES, "the first worker finished before it was killed"

        second = _worker(tmp_path, "second", beat=True)
        deadline = time.monotonic() + 180
        while not job.is_finished:
            assert time.monotonic() < deadline and second.poll() is None, f"job {job.status}\n{_log(tmp_path)}"
            time.sleep(0.2)
            job.refresh_from_db()
    finally:
        _stop(first)
        if second is not None:
            _stop(second)

    assert job.status == ImportJob.Status.SUCCEEDED, job.failure
    assert job.attempts == 2
    assert (job.total, job.processed, job.accepted, job.duplicates, job.rejected) == (IMAGES, IMAGES, IMAGES, 0, 0)
    names = list(Item.objects.filter(project=project).values_list("file_name", flat=True))
    assert sorted(names) == [f"street/{index:03d}.jpg" for index in range(IMAGES)]  # each exactly once
    assert not (settings.MEDIA_ROOT / job.staging_dir).exists()  # staged zip and its folder removed
    assert job.uploads == []


def test_the_worker_of_the_run_command_stops_on_one_sigterm_to_its_process_group(tmp_path):
    """systemd, `timeout` and `pkill` signal every process of the group, pool processes
    too; one of them killed inside a pool lock used to leave the main process waiting
    for a second SIGTERM. bin/run-embedded remaps SIGTERM (docs/decisions/0014)."""
    run_command = (settings.BASE_DIR / "bin" / "run-embedded").read_text()
    assert "export REMAP_SIGTERM=SIGQUIT" in run_command
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "REMAP_SIGTERM": "SIGQUIT"}
    log_path = tmp_path / "prefork.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "aidou", "worker", "--concurrency=2", "--loglevel=INFO",
             "--hostname=prefork@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log_path.read_text():
            assert time.monotonic() < deadline and worker.poll() is None, log_path.read_text()
            time.sleep(0.2)
        time.sleep(1)  # the pool processes are up and waiting on the pool's queue
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            pytest.fail(f"the worker did not stop on one SIGTERM\n{log_path.read_text()[-3000:]}")
