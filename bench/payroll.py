"""payroll: a payroll run of one centre's month: 6,000 people, 10,000,000 ledger lines.

Ours: `workforce.pay.services.payroll_run_execute` (the Celery task's body: claim, read
every input once for everyone, compute each payslip in Python, write them in chunks of 500
with their lines). Bare limit: the one statement no payroll can do without, the ledger
summed by person for the month (`SELECT worker_id, SUM(amount) ... GROUP BY worker_id`).

The data is made with SQL (generate_series on PostgreSQL, a recursive CTE on SQLite), never
the ORM, once, and analysed: people (with profiles and bank names), and ledger lines spread
over the month, 90 % in normal hours and the rest in overtime, on rest days and holidays.
Each side runs in a fresh process that reports its seconds and its own peak RSS.
`--quick`, or AIDOU_BENCH_PAYROLL_PEOPLE / AIDOU_BENCH_PAYROLL_LINES, make a smaller month
of the same shape (quick: 600 people, 100,000 lines); another size starts the data over.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time

from django.db import connection, transaction

from bench.common import ROOT, BenchError, Context, Row
from bench.exports import _peak_rss_mb

NAME = "payroll"
CENTRE = "bench-payroll 中心"
MONTH = dt.date(2026, 11, 1)


def _size(quick: bool) -> tuple[int, int]:
    people = int(os.environ.get("AIDOU_BENCH_PAYROLL_PEOPLE", 600 if quick else 6_000))
    lines = int(os.environ.get("AIDOU_BENCH_PAYROLL_LINES", 100_000 if quick else 10_000_000))
    return people, lines


def _centre():
    from workforce.models import Centre

    return Centre.objects.filter(name=CENTRE).first()


def setup() -> list[str]:
    # setup() is not handed the options; the runner's own --quick flag says the size.
    people, lines = _size("--quick" in sys.argv)
    from workforce.models import LedgerLine, User

    centre = _centre()
    have_people = User.objects.filter(centre=centre).count() if centre else 0
    have_lines = LedgerLine.objects.filter(centre=centre).count() if centre else 0
    if (have_people, have_lines) != (people, lines):
        began = time.perf_counter()
        _make_data(people, lines)
        print(f"  {NAME}: made {people:,} people and {lines:,} ledger lines in {time.perf_counter() - began:.0f} s")
    return [f"payroll {people:,} people x {lines:,} ledger lines"]


def _series(count: int) -> str:
    """Rows g = 1..count, as the database makes them fastest."""
    if connection.vendor == "postgresql":
        return f"SELECT g FROM generate_series(1, {int(count)}) AS g"
    return f"SELECT g FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {int(count)}) SELECT g FROM s)"  # noqa: E501


def _make_data(people: int, lines: int) -> None:
    from workforce.models import Centre, LedgerLine, PayPeriod, PayrollRun, Payslip, PayslipLine, User, WorkerProfile

    with transaction.atomic():
        centre = _centre()
        if centre is not None:
            PayslipLine.objects.filter(payslip__centre=centre).delete()
            Payslip.objects.filter(centre=centre).delete()
            PayrollRun.objects.filter(period__centre=centre).delete()
            PayPeriod.objects.filter(centre=centre).delete()
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {LedgerLine._meta.db_table} WHERE centre_id = %s", [centre.pk])
                cursor.execute(
                    f"DELETE FROM {WorkerProfile._meta.db_table} WHERE user_id IN "
                    f"(SELECT id FROM {User._meta.db_table} WHERE centre_id = %s)",
                    [centre.pk],
                )
                cursor.execute(f"DELETE FROM {User._meta.db_table} WHERE centre_id = %s", [centre.pk])
        else:
            centre = Centre.objects.create(
                name=CENTRE, county="宜君县", province="陕西省", pay_region="CN-SN", min_wage_class="II", code="BENCH"
            )
        user, profile, ledger = User._meta.db_table, WorkerProfile._meta.db_table, LedgerLine._meta.db_table
        true = "TRUE" if connection.vendor == "postgresql" else "1"
        false = "FALSE" if connection.vendor == "postgresql" else "0"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {user} (password, is_superuser, username, first_name, last_name, email, is_staff,
                    is_active, date_joined, name, name_sort, centre_id)
                SELECT '!', {false}, 'bench-pay-' || g, '', '', '', {false}, {true}, %s, '计件员' || g,
                    'ji jian yuan ' || g, %s
                FROM ({_series(people)}) AS series""",  # noqa: S608 - table names from the models, numbers cast
                [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), centre.pk],
            )
            cursor.execute(f"SELECT MIN(id) FROM {user} WHERE centre_id = %s", [centre.pk])
            first_id = cursor.fetchone()[0]
            cursor.execute(
                f"""INSERT INTO {profile} (user_id, gender, education, employment_type, id_number_encrypted,
                    id_number_masked, bank_name, bank_account_encrypted, bank_account_masked, updated_at)
                SELECT id, 'female', '', CASE WHEN id %% 5 = 0 THEN 'part_time' ELSE 'full_time' END, '', '',
                    '中国农业银行', '', '', %s
                FROM {user} WHERE centre_id = %s""",  # noqa: S608
                [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), centre.pk],
            )
            # (`%%` is SQL's modulo in a statement with parameters, on both backends.)
            # Lines spread over the month's 30 days and 10 working hours (08:00-18:00 CST),
            # a rate of 0.0125 to 0.35 yuan, 1 to 8 units each.
            start = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.UTC)
            epoch = "%s::timestamptz" if connection.vendor == "postgresql" else "%s"
            if connection.vendor == "postgresql":
                moment = f"({epoch} + ((g %% 30) * INTERVAL '1 day') + ((g %% 36000) * INTERVAL '1 second'))"
            else:
                moment = f"datetime({epoch}, '+' || (g %% 30) || ' days', '+' || (g %% 36000) || ' seconds')"
            cursor.execute(
                f"""INSERT INTO {ledger} (worker_id, centre_id, kind, source, source_id, project_id, unit, quantity,
                    rate, amount, description, work_done_at, accepted_at, time_class, reason, created_at)
                SELECT {first_id} + (g %% {people}), %s, 'earning', 'bench', g, 1, 'box', 1 + g %% 8,
                    0.0125 + (g %% 34) * 0.01, (1 + g %% 8) * (0.0125 + (g %% 34) * 0.01), '{{}}', {moment}, {moment},
                    CASE WHEN g %% 100 < 90 THEN 'normal' WHEN g %% 100 < 95 THEN 'overtime'
                         WHEN g %% 100 < 98 THEN 'rest_day' ELSE 'holiday' END, '', {epoch}
                FROM ({_series(lines)}) AS series""",  # noqa: S608
                [centre.pk, start, start, start],
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {ledger}")
                cursor.execute(f"ANALYZE {user}")
                cursor.execute(f"ANALYZE {profile}")


def child_ours() -> None:
    """In a fresh process: open the period, start a run and execute it as the worker would."""
    from django.test.utils import CaptureQueriesContext

    import workforce.tasks  # noqa: F401 (what a worker loads when it starts)
    from workforce.models import PayPeriod, PayrollRun, Payslip, PayslipLine, User
    from workforce.pay import services

    centre = _centre()
    admin = User.objects.filter(username="bench-pay-admin").first()
    if admin is None:
        admin = User.objects.create(username="bench-pay-admin", is_superuser=True, centre=None)
    period, _ = PayPeriod.objects.get_or_create(centre=centre, month=MONTH)
    PayslipLine.objects.filter(payslip__period=period).delete()
    Payslip.objects.filter(period=period).delete()
    PayrollRun.objects.filter(period=period).delete()
    run = services.payroll_run_start(actor=admin, period=period, enqueue=False)
    before = _peak_rss_mb()
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        run = services.payroll_run_execute(job_id=run.pk)
    seconds = time.perf_counter() - began
    if run is None or run.status != PayrollRun.Status.SUCCEEDED:
        raise SystemExit(f"payroll run did not succeed: {run and run.failure}")
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": before,
                      "queries": len(queries), "payslips": run.summary["payslips"]}))  # fmt: skip


def child_bare() -> None:
    """In a fresh process: the ledger of the month summed by person, one statement."""
    from workforce.models import LedgerLine
    from workforce.pay.selectors import month_bounds

    centre = _centre()
    start, end = month_bounds(MONTH)
    before = _peak_rss_mb()
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT worker_id, SUM(amount) FROM {LedgerLine._meta.db_table} "  # noqa: S608
            "WHERE centre_id = %s AND accepted_at >= %s AND accepted_at < %s GROUP BY worker_id",
            [centre.pk, start, end],
        )
        rows = cursor.fetchall()
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": before,
                      "queries": 1, "payslips": len(rows)}))  # fmt: skip


def _in_fresh_process(call: str) -> dict:
    code = f"import django; django.setup(); import bench.payroll as b; b.{call}"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise BenchError(f"{call} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(ctx: Context) -> list[Row]:
    people, lines = _size(ctx.options.quick)
    ours = _in_fresh_process("child_ours()")
    bare = _in_fresh_process("child_bare()")
    if ours["payslips"] != people or bare["payslips"] != people:
        raise BenchError(f"expected {people} payslips, ours {ours['payslips']}, bare {bare['payslips']} people")
    label = f"payroll run {people:,} people x {lines / 1e6:g}M ledger lines"
    ctx.facts.append(f"payroll: {ours['queries']} queries in the run")
    return [
        Row(f"{label} (s)", ours["seconds"], bare["seconds"], decimals=2),
        Row(f"{label} peak RSS (MB)", ours["peak_rss_mb"], bare["peak_rss_mb"], decimals=0),
    ]
