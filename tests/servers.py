"""A real multi-process web server (gunicorn) on the test database, for tests that must
show behaviour under many web processes, as production runs."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_server(*, workers: int = 4, threads: int = 4):
    """Yield the base URL of gunicorn serving the app on the test database. The test must
    use `django_db(transaction=True)` so the server processes see its rows."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "60"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "aidou.wsgi", f"--bind=127.0.0.1:{port}", f"--workers={workers}",
         f"--threads={threads}", "--log-level=warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # A worker's first request imports the app; on a loaded CI machine that
                # takes seconds, so a slow answer is retried like a refused connection.
                requests.get(f"{url}/accounts/login/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
