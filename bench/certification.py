"""certification: eligibility of 6,000 workers with a year of work each, and the public
verification page and endpoint under load.

Data (made once): one centre, 6,000 annotators, each with 12 months of accepted work (5
images a month, 2 boxes each: 360,000 assignments and annotations), a third of it reviewed
(accepted, or sent back now and then) and one gold result a month; one issued certificate
with its signed credential.

- Eligibility: `certification.eligibility.paths_for(..., network=True)` for all 6,000
  (nine queries, then each person's requirements judged in Python). Bare limit: the same
  three aggregate statements (accepted work, reviews, gold results by person and month)
  as raw SQL through `connection.cursor()`, rows fetched and nothing judged.
- Verification page: GET /verify/<code>/ (template, masked name). Bare: a plain view that
  reads the same row with one raw statement and writes the same facts as text.
- Verify endpoint: POST /api/v1/credentials/verify/ (DRF, PyJWT EdDSA check, key and
  certificate look-ups). Bare: a plain view doing the EdDSA check with `cryptography`
  and one raw statement for the certificate's status.
"""

import base64
import datetime as dt
import http.client
import json
import time

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bench.common import BenchError, Context, Row, closed_loop, drive, load_rows

NAME = "certification"
WORKERS = 6_000
MONTHS = 12
PER_MONTH = 5
PREFIX = "bench-cert-"
CENTRE = "基准认定中心"


def _centre():
    from workforce.models import Centre

    return Centre.objects.get_or_create(name=CENTRE, defaults={"county": "基准县", "province": "陕西省"})[0]


def setup() -> list[str]:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from annotation.models import Batch, GoldAnswer, Item
    from certification.models import Certificate
    from tests.annotation.factories import ProjectFactory
    from workforce.models import Role, RoleGrant, User

    # The verification page is a template with static files: under DEBUG=0 it needs the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    centre = _centre()
    if User.objects.filter(username__startswith=PREFIX).count() >= WORKERS:
        return [f"certification: {WORKERS:,} workers x {MONTHS} months of work"]
    began = time.perf_counter()
    password = make_password("bench-only")
    with transaction.atomic():
        User.objects.bulk_create(
            [User(username=f"{PREFIX}{n}", name=f"认定{n}", password=password, centre=centre) for n in range(WORKERS)],
            batch_size=2000,
        )
        people = list(User.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True))
        RoleGrant.objects.bulk_create([RoleGrant(user_id=pk, role=Role.ANNOTATOR) for pk in people], batch_size=5000)
        reviewer = User.objects.create(username=f"{PREFIX}reviewer", centre=centre, password=password)
        project = ProjectFactory(name="基准认定项目")
        batch = Batch.objects.create(project=project, centre=centre, name="bench")
        items = Item.objects.bulk_create(
            [Item(project=project, file_name=f"c{n}.jpg", image="x.jpg", thumbnail="t.webp", content_type="image/jpeg",
                  width=640, height=480, sha256=f"c{n:063x}") for n in range(MONTHS * (PER_MONTH + 1))]
        )  # fmt: skip
        work, gold_items = items[: MONTHS * PER_MONTH], items[MONTHS * PER_MONTH :]
        golds = GoldAnswer.objects.bulk_create(
            [GoldAnswer(item=item, shapes=[], source="drawn", created_by=reviewer) for item in gold_items]
        )
        _history(people, batch.pk, work, golds, reviewer.pk)
        from certification import credentials

        certificate = Certificate.objects.create(
            number="BENCH-5-2026-00001", verify_code="bench-verify-code", holder_id=people[0], holder_name="王秀英",
            level_id=_level5(), centre=centre, issuing_body=f"{CENTRE}", issued_on=timezone.localdate(), status_index=0,
        )  # fmt: skip
        certificate.credential, certificate.signing_key = credentials.credential_sign(certificate)
        certificate.save(update_fields=["credential", "signing_key"])
    print(f"  {NAME}: made {WORKERS:,} workers' history in {time.perf_counter() - began:.0f} s", flush=True)
    return [f"certification: {WORKERS:,} workers x {MONTHS} months of work"]


def _level5() -> int:
    from certification.models import Level

    return Level.objects.get(grade=5).pk


def _history(people, batch_id, work, golds, reviewer_id) -> None:
    """Assignments, annotations, reviews and gold results in raw inserts (the ORM's per-row
    cost would make this minutes)."""
    now = timezone.now()
    shapes = json.dumps([{"type": "bbox", "label": "car", "x": 1, "y": 1, "w": 9, "h": 9},
                         {"type": "bbox", "label": "car", "x": 20, "y": 1, "w": 9, "h": 9}])  # fmt: skip
    db = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for chunk_start in range(0, len(people), 500):
            chunk = people[chunk_start : chunk_start + 500]
            assignments, annotations, reviews, results = [], [], [], []
            for person in chunk:
                for month in range(MONTHS):
                    at = db(now - dt.timedelta(days=30 * month + 3))
                    for k in range(PER_MONTH):
                        item = work[month * PER_MONTH + k]
                        assignments.append((batch_id, item.pk, person, "submitted", "{}", at, at, at, 0))
                    gold = golds[month]
                    assignments.append((batch_id, gold.item_id, person, "submitted", "{}", at, at, at, 0))
            cursor.executemany(
                "INSERT INTO annotation_assignment (batch_id, item_id, annotator_id, status, reason, leased_at,"
                " lease_expires_at, finished_at, active_ms, skip_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
                assignments,
            )
            cursor.execute(
                "SELECT id, item_id, annotator_id, finished_at FROM annotation_assignment WHERE annotator_id IN "
                f"({','.join(str(p) for p in chunk)}) ORDER BY id"  # noqa: S608 - integers
            )
            gold_of = {gold.item_id: gold.pk for gold in golds}
            rows = cursor.fetchall()
            for n, (assignment_id, item_id, person, at) in enumerate(rows):
                gold = item_id in gold_of
                review = "gold" if gold else ("accepted" if n % 3 == 0 else "not_sampled")
                if not gold and n % 3 == 0 and n % 21 == 0:
                    review = "rejected"
                annotations.append((assignment_id, 1, item_id, person, shapes, None, 0, at, review, True, "{}"))
            cursor.executemany(
                "INSERT INTO annotation_annotation (assignment_id, revision, item_id, annotator_id, shapes,"
                " image_class, client_time_ms, created_at, review, is_latest, sampling)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                annotations,
            )
            cursor.execute(
                "SELECT id, item_id, annotator_id, created_at, review FROM annotation_annotation WHERE annotator_id IN "
                f"({','.join(str(p) for p in chunk)}) AND review IN ('accepted', 'rejected', 'gold')"  # noqa: S608
            )
            for annotation_id, item_id, person, at, review in cursor.fetchall():
                if review == "gold":
                    results.append((annotation_id, gold_of[item_id], person, 0.9, "{}", at))
                else:
                    decision = "accept" if review == "accepted" else "reject"
                    reviews.append((annotation_id, item_id, reviewer_id, decision, "[]", "", at))
            cursor.executemany(
                "INSERT INTO annotation_review (annotation_id, item_id, reviewer_id, decision, reasons, comment,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                reviews,
            )
            cursor.executemany(
                "INSERT INTO annotation_goldresult (annotation_id, gold_id, annotator_id, score, details, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                results,
            )


# ---------------------------------------------------------------------------- bare limits


def bare_verify_page(request, code: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.holder_name, l.name, l.title, c.issued_on, c.status, c.number FROM certification_certificate c"
            " JOIN certification_level l ON l.id = c.level_id WHERE c.verify_code = %s",
            [code],
        )
        row = cursor.fetchone()
    if row is None:
        return HttpResponse(status=404)
    name = row[0][0] + "*" * (len(row[0]) - 2) + row[0][-1]
    return HttpResponse(f"{name} {row[1]}/{row[2]} {row[3]} {row[4]} {row[5]}", content_type="text/html")


_KEYS: dict = {}


@csrf_exempt
def bare_verify(request):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    token = json.loads(request.body)["credential"]
    head, body, signature = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT public_key FROM certification_signingkey WHERE kid = %s", [header["kid"]])
        public = cursor.fetchone()[0]
        key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public + "=" * (-len(public) % 4)))
        key.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), f"{head}.{body}".encode())
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        code = claims["jti"].rstrip("/").rsplit("/", 1)[-1]
        cursor.execute("SELECT number, status FROM certification_certificate WHERE verify_code = %s", [code])
        number, status = cursor.fetchone()
    return JsonResponse({"valid": status == "valid", "revoked": status == "revoked", "reason": "", "code": number})


urlpatterns = [
    path("bench/bare/verify/<str:code>/", bare_verify_page),
    path("bench/bare/credentials/verify/", bare_verify),
]


# ---------------------------------------------------------------------------- measure


def _bare_eligibility_sql() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT annotator_id, strftime('%Y-%m', created_at), COUNT(*) FROM annotation_annotation"
            " WHERE is_latest AND review IN ('accepted', 'fixed', 'not_sampled') GROUP BY 1, 2"
            if connection.vendor == "sqlite"
            else "SELECT annotator_id, date_trunc('month', created_at), COUNT(*), SUM((SELECT COUNT(*) FROM"
            " jsonb_array_elements(shapes) e WHERE e->>'type' = 'bbox')) FROM annotation_annotation"
            " WHERE is_latest AND review IN ('accepted', 'fixed', 'not_sampled') GROUP BY 1, 2"
        )
        cursor.fetchall()
        month = (
            "strftime('%Y-%m', r.created_at)" if connection.vendor == "sqlite" else "date_trunc('month', r.created_at)"
        )
        cursor.execute(
            f"SELECT a.annotator_id, {month}, COUNT(*), SUM(CASE WHEN r.decision = 'accept' THEN 1 ELSE 0 END)"  # noqa: S608
            " FROM annotation_review r JOIN annotation_annotation a ON a.id = r.annotation_id GROUP BY 1, 2"
        )
        cursor.fetchall()
        gold_month = month.replace("r.", "g.")
        cursor.execute(
            f"SELECT g.annotator_id, {gold_month}, COUNT(*), SUM(g.score) FROM annotation_goldresult g GROUP BY 1, 2"  # noqa: S608
        )
        cursor.fetchall()


def _post_loop(port: int, path: str, body: bytes, options, check) -> tuple[list[float], float]:
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(options.clients)]
    headers = {"Content-Type": "application/json"}

    def one(index: int) -> float:
        for attempt in (1, 2):
            conn = connections[index]
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt == 2:
                    raise
                continue
            took = (time.perf_counter() - began) * 1000
            if response.status != 200:
                raise BenchError(f"POST {path}: HTTP {response.status}: {data[:300]!r}")
            check(data)
            return took
        raise AssertionError("unreachable")

    try:
        return closed_loop(options.clients, one, seconds=options.max_seconds, limit=options.max_requests,
                           warmup=options.warmup_per_client, what=f"POST {path}")  # fmt: skip
    finally:
        for conn in connections:
            conn.close()


def measure(ctx: Context) -> list[Row]:
    from certification import eligibility
    from certification.models import Certificate
    from workforce.models import User

    ids = list(
        User.objects.filter(username__startswith=PREFIX, role_grants__role="annotator").values_list("pk", flat=True)
    )
    if len(ids) != WORKERS:
        raise BenchError(f"expected {WORKERS} workers, found {len(ids)}")
    rounds = 1 if ctx.options.quick else 3
    ours, bare = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        paths = eligibility.paths_for(ids, network=True)
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        _bare_eligibility_sql()
        bare.append(time.perf_counter() - began)
    volume = next(s for s in paths[ids[0]].states if s["code"] == "volume")
    if volume["have"] != MONTHS * PER_MONTH - MONTHS * PER_MONTH // 21:
        ctx.facts.append(f"volume of the first worker {volume['have']}")
    rows = [Row(f"eligibility, {WORKERS:,} workers x {MONTHS} months (s, best of {rounds})", min(ours), min(bare),
                decimals=2)]  # fmt: skip

    certificate = Certificate.objects.get(verify_code="bench-verify-code")
    port = ctx.server.port

    def page_check(body: bytes) -> None:
        if "王*英".encode() not in body:
            raise BenchError(f"not the verification page: {body[:200]!r}")

    page = drive(port, "/verify/bench-verify-code/", {"Accept-Language": "zh-hans"}, page_check, ctx.options)
    page_bare = drive(port, "/bench/bare/verify/bench-verify-code/", {}, page_check, ctx.options)
    rows += load_rows("verification page", page, page_bare)[:2]

    body = json.dumps({"credential": certificate.credential}).encode()

    def verdict_check(data: bytes) -> None:
        if json.loads(data).get("code") != certificate.number or not json.loads(data).get("valid"):
            raise BenchError(f"not a valid verdict: {data[:200]!r}")

    from bench.common import LoadResult

    ours_ms, ours_s = _post_loop(port, "/api/v1/credentials/verify/", body, ctx.options, verdict_check)
    bare_ms, bare_s = _post_loop(port, "/bench/bare/credentials/verify/", body, ctx.options, verdict_check)
    rows += load_rows("verify endpoint", LoadResult(ours_ms, ours_s), LoadResult(bare_ms, bare_s))[:2]
    return rows
