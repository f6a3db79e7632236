"""A real Celery worker process, on the configured broker (the file-system broker by
default, Redis in CI) and the test database: no eager mode anywhere in this file."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests import factories
from workforce import services
from workforce.models import RosterImport, User

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@" if db["USER"] else ""
    return f"postgres://{auth}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process():
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the test's own media folder
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aidou", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until_finished(job, worker: subprocess.Popen, timeout: float = 60) -> None:
    """Poll a job row until the worker process has finished it (or fail, with its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    raise AssertionError(f"job still {job.status} after {timeout} s")


def test_a_roster_import_runs_on_a_real_worker(celery_worker_process, centre, hr):
    body = f"姓名,手机号,身份证号,中心,角色\n真工人,13755556666,{factories.make_id_number()},{centre.name},标注员\n"
    job = services.roster_import_start(actor=hr, upload=SimpleUploadedFile("r.csv", body.encode()))
    # The service enqueued on commit (autocommit here); only the worker process can finish it.
    wait_until_finished(job, celery_worker_process)
    assert job.status == RosterImport.Status.SUCCEEDED, f"job still {job.status}"
    assert job.created == 1
    assert User.objects.filter(mobile="13755556666", name="真工人").exists()
