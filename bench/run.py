"""Run the benchmarks and print one table: our figure, the bare limit's, and their ratio.

    .venv/bin/python bench/run.py [--quick] [--only workers_list[,other]]

A benchmark is a module bench/<name>.py listed in BENCHMARKS with:
  setup() -> list[str]        make its data (idempotent); returns words for the header line
  measure(ctx) -> list[Row]   measure against the running server (ctx.server)
  urlpatterns (optional)      its bare-limit views, served only by bench/urls.py

Everything runs on the database in DATABASE_URL (default: var/bench.sqlite3, never the
developer's var/aidou.sqlite3) against gunicorn on 127.0.0.1, stopped at the end.
"""

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import sys
import warnings
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # run as a script: import `bench.x`, and let no bench/ module shadow the stdlib

from bench.common import RESULTS_DIR, BenchError, Context, MemoryPeak, Options, Row, Server, Worker  # noqa: E402

# Add a benchmark: write bench/<name>.py and list its name here.
BENCHMARKS = [
    "workers_list",
    "items_list",
    "imports",
    "import_usable",
    "exports",
    "labelling",
    "aggregation",
    "quality",
    "payroll",
    "certification",
    "earnings",
    "childcare",
]

SERVER_WORKERS = 4
# The benchmark during which the memory of web + worker is sampled for its row.
MEMORY_DURING = "labelling"

# Keys for the benchmark database only: fixed, so data made by one run decrypts in the next.
_BENCH_FERNET_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"aidou-bench-field-key").digest()).decode()


def bench_environment() -> dict[str, str]:
    """The environment for this process and the server: production-like (DEBUG=0 unless the
    caller set DEBUG), the bench URLconf, no throttling, quiet logs."""
    env = dict(os.environ)
    var_dir = Path(env.get("AIDOU_VAR_DIR", ROOT / "var"))
    env.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'bench.sqlite3'}")
    env.setdefault("MEDIA_ROOT", str(var_dir / "bench-media"))  # never the developer's media
    env.setdefault("CELERY_BROKER_FOLDER", str(var_dir / "bench-broker"))  # nor their queue
    env.setdefault("DEBUG", "0")
    env.setdefault("SECRET_KEY", "bench-only-" + hashlib.sha256(b"aidou-bench-secret").hexdigest())
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    env.setdefault("FIELD_ENCRYPTION_KEYS", _BENCH_FERNET_KEY)
    env.setdefault("PII_DIGEST_KEY", "bench-only-digest-key")
    env.update(
        DJANGO_SETTINGS_MODULE="aidou.settings",
        AIDOU_URLCONF="bench.urls",
        THROTTLE_USER="100000000/hour",
        THROTTLE_VERIFY="100000000/hour",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    )
    _refuse_developer_database(env["DATABASE_URL"], var_dir)
    return env


def _refuse_developer_database(url: str, var_dir: Path) -> None:
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        if Path(config["NAME"]).resolve() == (var_dir / "aidou.sqlite3").resolve():
            raise SystemExit("bench: refusing to use the development database var/aidou.sqlite3")


def database_description() -> str:
    from django.db import connection

    version = ".".join(str(part) for part in connection.get_database_version())
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        try:
            name = str(Path(name).resolve().relative_to(ROOT))
        except ValueError:
            pass
    return f"{connection.vendor} {version} ({name})"


def bare_django_mb(env: dict[str, str]) -> float:
    """The RSS (MB) of a bare Python process that has loaded Django with our settings and
    done nothing else: the floor under each of our processes."""
    import subprocess

    probe = (
        "import django; django.setup()\n"
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def memory_rows(env: dict[str, str], memory: MemoryPeak, facts: list[str]) -> list[Row]:
    rss, pss, count = memory.peak
    if not count:
        raise BenchError("no server or worker process was sampled")
    one = bare_django_mb(env)
    facts.append(
        f"memory during {MEMORY_DURING}: {count} processes (gunicorn master + {SERVER_WORKERS} workers, Celery "
        f"worker + children), peak PSS {pss:,.0f} MB; bare = {count} x {one:.0f} MB (python + django.setup())"
    )
    return [Row(f"peak RSS web + worker during {MEMORY_DURING} (MB)", rss, one * count, 0)]


def format_table(header: str, rows: list[Row]) -> str:
    cells = [("benchmark", "ours", "bare limit", "ratio (ours/bare)")]
    for row in rows:
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}"
        cells.append((row.benchmark, f"{row.ours:,.{row.decimals}f}", f"{row.bare:,.{row.decimals}f}", ratio))
    widths = [max(len(line[i]) for line in cells) for i in range(4)]

    def line(values, fill=" "):
        parts = [
            v.ljust(w, fill) if i == 0 else v.rjust(w, fill)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([header, "", line(cells[0]), rule, *(line(c) for c in cells[1:])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per target instead of 15")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--only", help=f"comma-separated benchmarks to run, of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = BENCHMARKS
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = sorted(set(names) - set(BENCHMARKS))
        if unknown:
            parser.error(f"unknown benchmark(s) {unknown}; known: {BENCHMARKS}")

    env = bench_environment()
    os.environ.update(env)
    import django

    # DEBUG=0 and no collectstatic: whitenoise warns about var/staticfiles; the API never serves it.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    modules = [import_module(f"bench.{name}") for name in names]
    database = database_description()
    print(f"bench: migrating {database} ...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    facts: list[str] = []
    options = Options.for_run(args.quick)
    options.clients = args.clients
    rows: list[Row] = []
    try:
        for module in modules:
            facts += module.setup()
        connections.close_all()
        print(
            f"bench: gunicorn ({SERVER_WORKERS} sync workers), Celery worker, {options.clients} clients ...", flush=True
        )
        with Server(env, workers=SERVER_WORKERS) as server, Worker(env) as worker:
            for name, module in zip(names, modules, strict=True):
                print(f"bench: {name} ...", flush=True)
                ctx = Context(options=options, server=server, worker=worker)
                with MemoryPeak([server.process.pid, worker.process.pid]) as memory:
                    rows += module.measure(ctx)
                facts += ctx.facts
                if name == MEMORY_DURING:
                    rows += memory_rows(env, memory, facts)
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 1

    header = (
        f"database: {database} · {' · '.join(facts)} · gunicorn {SERVER_WORKERS} sync workers · "
        f"{options.clients} clients · {os.cpu_count()} CPUs · DEBUG={env['DEBUG']}"
        + (" · --quick" if args.quick else "")
    )
    print()
    print(format_table(header, rows))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "latest.json").write_text(
        json.dumps(
            {
                "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "header": header,
                "database": database,
                "quick": args.quick,
                "rows": [row.as_dict() for row in rows],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
