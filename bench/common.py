"""What every benchmark shares: the result row, the gunicorn server and the HTTP load driver.

Nothing here imports Django, so bench/run.py can use it before settings are configured.
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


class BenchError(RuntimeError):
    """A benchmark could not measure what it claims to measure: stop loudly."""


@dataclass
class Row:
    """One line of the table: the same work done by our code and by the bare limit."""

    benchmark: str
    ours: float
    bare: float
    decimals: int = 1

    @property
    def ratio(self) -> float | None:
        return self.ours / self.bare if self.bare else None

    def as_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "ours": round(self.ours, 3),
            "bare": round(self.bare, 3),
            "ratio": None if self.ratio is None else round(self.ratio, 3),
        }


@dataclass
class Options:
    quick: bool = False
    clients: int = 8
    max_seconds: float = 15.0
    max_requests: int = 3000
    warmup_per_client: int = 5

    @classmethod
    def for_run(cls, quick: bool) -> "Options":
        if quick:
            return cls(quick=True, max_seconds=3.0, max_requests=300, warmup_per_client=2)
        return cls()


@dataclass
class Context:
    """Handed to each benchmark's measure(): where the server is and how hard to push it."""

    options: Options
    server: "Server"
    facts: list[str] = field(default_factory=list)  # words for the table's header line
    worker: "Worker | None" = None  # the Celery worker, for benchmarks that run jobs


# ---------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving aidou.wsgi on 127.0.0.1 with the bench URLconf; a context manager
    that always stops the server it started."""

    def __init__(self, env: dict[str, str], workers: int = 4, log_name: str = "gunicorn.log"):
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = RESULTS_DIR / log_name
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "gunicorn", "aidou.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", "sync",
            "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _ = self.get("/healthz")
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise BenchError(f"gunicorn not healthy after {timeout:.0f} s ({last}); see {self.log_path}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The session we started holds only the gunicorn master and its workers.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# ---------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    latencies_ms: list[float]
    elapsed_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed_s

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


def closed_loop(
    clients: int, one, *, seconds: float, limit: int, warmup: int, at_exit=None, what: str = "calls"
) -> tuple[list[float], float]:
    """`clients` threads each call `one(index)` -> ms `warmup` times, then together until
    `limit` calls were made or `seconds` passed; each runs `at_exit()` as it ends. Returns
    the timed figures and the wall time of the window. The first failure stops everyone."""
    made = 0
    made_lock = threading.Lock()
    failure: list[BaseException] = []
    figures: list[list[float]] = [[] for _ in range(clients)]
    window = [0.0, 0.0]

    def open_window() -> None:
        window[0] = time.perf_counter()
        window[1] = window[0] + seconds

    start = threading.Barrier(clients + 1, action=open_window)

    def client(index: int) -> None:
        nonlocal made
        try:
            for _ in range(warmup):
                one(index)
            start.wait()
            while not failure and time.perf_counter() < window[1]:
                with made_lock:
                    if made >= limit:
                        break
                    made += 1
                figures[index].append(one(index))
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            failure.append(exc)
            start.abort()
        finally:
            if at_exit is not None:
                at_exit()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - window[0]
    if failure:
        raise BenchError(f"{what} failed under load: {failure[0]!r}") from failure[0]
    flat = [ms for per_client in figures for ms in per_client]
    if len(flat) < 2:
        raise BenchError(f"{what}: only {len(flat)} measured")
    return flat, elapsed


def drive(
    port: int,
    path: str,
    headers: dict[str, str],
    check: Callable[[bytes], None],
    options: Options,
) -> LoadResult:
    """`options.clients` threads, each on its own keep-alive connection (re-opened when the
    server closes it, as gunicorn's sync workers do after every response), send GET `path`
    until `options.max_requests` were sent or `options.max_seconds` passed. Every response
    must be 200 and pass `check(body)` (checked outside the timed span)."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(options.clients)]

    def one(index: int) -> float:
        conn = connections[index]
        for attempt in (1, 2):
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had closed: reconnect once, untimed.
                conn.close()
                if attempt == 2:
                    raise
                continue
            took = (time.perf_counter() - began) * 1000
            if response.status != 200:
                raise BenchError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
            check(body)
            return took
        raise AssertionError("unreachable")

    try:
        latencies, elapsed = closed_loop(
            options.clients, one, seconds=options.max_seconds, limit=options.max_requests,
            warmup=options.warmup_per_client, what=f"GET {path}",
        )  # fmt: skip
    finally:
        for conn in connections:
            conn.close()
    return LoadResult(latencies_ms=latencies, elapsed_s=elapsed)


def load_rows(label: str, ours: LoadResult, bare: LoadResult) -> list[Row]:
    return [
        Row(f"{label} p50 (ms)", ours.percentile(50), bare.percentile(50)),
        Row(f"{label} p95 (ms)", ours.percentile(95), bare.percentile(95)),
        Row(f"{label} req/s", ours.per_second, bare.per_second),
    ]


def page_check(expected_results: int) -> Callable[[bytes], None]:
    """A check for drive(): the body is a page with exactly `expected_results` results."""

    def check(body: bytes) -> None:
        try:
            got = len(json.loads(body)["results"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchError(f"not a page of results: {body[:300]!r}") from exc
        if got != expected_results:
            raise BenchError(f"expected {expected_results} results, got {got}")

    return check


# ---------------------------------------------------------------------------- worker


class Worker:
    """A real Celery worker (prefork, concurrency 2: the production shape's one worker);
    on the file-system broker, the environment's CELERY_BROKER_FOLDER (the runner's own)
    is emptied first, so no task left by an earlier run reaches it. A context manager
    that always stops it."""

    def __init__(self, env: dict[str, str], concurrency: int = 2, log_name: str = "celery.log"):
        self.env = dict(env)
        self.concurrency = concurrency
        self.log_path = RESULTS_DIR / log_name
        self.process: subprocess.Popen | None = None
        folder = self.env.get("CELERY_BROKER_FOLDER")
        if folder and self.env.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
            for sub in ("queue", "processed", "control"):
                (Path(folder) / sub).mkdir(parents=True, exist_ok=True)
                for stale in (Path(folder) / sub).iterdir():
                    stale.unlink()

    def __enter__(self) -> "Worker":
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "celery", "-A", "aidou", "worker", "--loglevel=WARNING",
            f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    def __exit__(self, *exc) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# ---------------------------------------------------------------------------- memory


def session_memory_mb(session_ids: list[int]) -> tuple[float, float, int]:
    """RSS and PSS (MB) summed over every process in these sessions (the server's master
    and workers, the Celery worker and its children), and how many processes. RSS counts
    a page shared by several processes once in each; PSS divides it among them."""
    rss = pss = 0
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[3]) not in session_ids:  # the 6th field: the session id
                continue
            with open(f"/proc/{entry.name}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            count += 1
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
    return rss / 1024, pss / 1024, count


class MemoryPeak:
    """Samples session_memory_mb every `every` seconds in a thread while open; keeps the
    highest RSS sum (with the PSS and process count of that moment)."""

    def __init__(self, session_ids: list[int], every: float = 0.1):
        self.session_ids = session_ids
        self.every = every
        self.peak = (0.0, 0.0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            sample = session_memory_mb(self.session_ids)
            if sample[0] > self.peak[0]:
                self.peak = sample
            self._stop.wait(self.every)

    def __enter__(self) -> "MemoryPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
