"""workers_list: GET /api/v1/workers/?page_size=100 as an HR network admin, 10,000 people.

Ours: the production endpoint (DRF token auth, permission, throttle, filter set, paginator,
WorkerSerializer over select_related + prefetch_related). Bare limit: a plain Django view
that checks the token with one query and builds the same page from raw SQL through
`connection.cursor()`. measure() first checks that both return the same rows.
"""

import datetime as dt
import json
import random
import time

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path
from rest_framework.authtoken.models import Token

from aidou.crypto import digest_text, encrypt_text
from aidou.masking import mask_bank_account, mask_id_number
from bench.common import BenchError, Context, Row, drive, load_rows, page_check
from workforce.models import Centre, Education, EmploymentType, Gender, Role, RoleGrant, Team, User, WorkerProfile
from workforce.validators import id_number_check_char

NAME = "workers_list"
LABEL = "workers list"
PEOPLE = 10_000
PAGE_SIZE = 100
HR_USERNAME = "bench-hr"
WORKER_PREFIX = "bench-w"
OURS_PATH = f"/api/v1/workers/?page_size={PAGE_SIZE}"
BARE_PATH = f"/bench/bare/workers/?page_size={PAGE_SIZE}"

CENTRES = [
    ("基准宜君中心", "宜君县", "610222"),
    ("基准清涧中心", "清涧县", "610830"),
    ("基准子洲中心", "子洲县", "610831"),
]
TEAMS_PER_CENTRE = 7
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田"
GIVEN = ["秀英", "桂英", "玉兰", "丽娟", "晓燕", "红梅", "海燕", "艳", "娜", "静", "敏", "婷", "雪梅",
         "春花", "金凤", "小芳", "慧", "佳怡", "欣悦", "建国", "志强", "伟", "磊", "军", "勇", "浩然"]  # fmt: skip
BANKS = ["中国农业银行", "中国邮政储蓄银行", "陕西信合", "中国建设银行"]


# ---------------------------------------------------------------------------- data


def setup() -> list[str]:
    """10,000 people across 3 centres and 21 teams, made once; later runs reuse them."""
    foreign = User.objects.exclude(username__startswith="bench-").count()
    if foreign:
        raise BenchError(
            f"the bench database holds {foreign} people the benchmark did not create: "
            "point DATABASE_URL at a database of its own"
        )
    workers = User.objects.filter(username__startswith=WORKER_PREFIX).count()
    hr = User.objects.filter(username=HR_USERNAME).first()
    if hr is None and workers == 0:
        began = time.perf_counter()
        _create_people()
        if connection.vendor == "postgresql":
            # Planner statistics now, not whenever autovacuum gets to them in the middle of a run.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"  {NAME}: created {PEOPLE:,} people in {time.perf_counter() - began:.1f} s", flush=True)
    elif hr is None or workers != PEOPLE - 1:
        raise BenchError(
            f"the bench database holds {workers} bench workers (expected {PEOPLE - 1}); "
            "delete it (or drop the PostgreSQL database) and run again"
        )
    return [f"{User.objects.count():,} workers"]


def _id_number(region: str, birth: dt.date, serial: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_number_check_char(first17)


@transaction.atomic
def _create_people() -> None:
    rng = random.Random(20261121)
    centres = [Centre.objects.create(name=name, county=county, province="陕西省") for name, county, _ in CENTRES]
    teams_by_centre = {
        centre.pk: [
            Team.objects.create(centre=centre, name=f"{centre.county}标注{n + 1:02d}组")
            for n in range(TEAMS_PER_CENTRE)
        ]
        for centre in centres
    }
    unusable = make_password(None)  # token auth only: nobody logs in with a password
    users = [User(username=HR_USERNAME, name="基准人事", mobile="13900000000", centre=centres[0], password=unusable)]
    for i in range(1, PEOPLE):
        users.append(
            User(
                username=f"{WORKER_PREFIX}{i:05d}",
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                mobile=f"139{i:08d}",
                centre=centres[i % len(centres)],
                is_active=rng.random() > 0.05,
                password=unusable,
            )
        )
    User.objects.bulk_create(users, batch_size=500)
    ids = dict(User.objects.filter(username__startswith="bench-").values_list("username", "id"))
    hr_id = ids[HR_USERNAME]

    profiles, grants, memberships = [], [], []
    id_numbers: set[str] = set()  # the digest column is unique
    regions = {centre.pk: region for centre, (_, _, region) in zip(centres, CENTRES, strict=True)}
    for user in users:
        uid = ids[user.username]
        birth = dt.date(1972, 1, 1) + dt.timedelta(days=rng.randrange(0, 30 * 365))
        id_number = _id_number(regions[user.centre.pk], birth, uid)
        while id_number in id_numbers:
            birth += dt.timedelta(days=1)
            id_number = _id_number(regions[user.centre.pk], birth, uid)
        id_numbers.add(id_number)
        account = f"622848{uid:013d}"
        profiles.append(
            WorkerProfile(
                user_id=uid,
                gender=rng.choice(Gender.values),
                birth_date=birth,
                education=rng.choice(Education.values),
                hire_date=dt.date(2023, 3, 1) + dt.timedelta(days=rng.randrange(0, 900)),
                employment_type=rng.choice(EmploymentType.values),
                id_number_encrypted=encrypt_text(id_number),
                id_number_digest=digest_text(id_number),
                id_number_masked=mask_id_number(id_number),
                bank_name=rng.choice(BANKS),
                bank_account_encrypted=encrypt_text(account),
                bank_account_masked=mask_bank_account(account),
            )
        )
        if uid == hr_id:
            grants += [RoleGrant(user_id=uid, role=Role.HR), RoleGrant(user_id=uid, role=Role.NETWORK_ADMIN)]
            continue
        draw = rng.random()
        if draw < 0.02:
            grants.append(RoleGrant(user_id=uid, role=Role.SUPERVISOR))
        else:
            grants.append(RoleGrant(user_id=uid, role=Role.ANNOTATOR))
            if draw < 0.12:
                grants.append(RoleGrant(user_id=uid, role=Role.REVIEWER))
        for team in rng.sample(teams_by_centre[user.centre.pk], 2 if rng.random() < 0.2 else 1):
            memberships.append(Team.members.through(team_id=team.pk, user_id=uid))
    WorkerProfile.objects.bulk_create(profiles, batch_size=500)
    RoleGrant.objects.bulk_create(grants, batch_size=500)
    Team.members.through.objects.bulk_create(memberships, batch_size=500)
    Token.objects.create(user_id=hr_id)


def _token() -> str:
    return Token.objects.get(user__username=HR_USERNAME).key


# ---------------------------------------------------------------------------- bare limit


def _tables() -> dict[str, str]:
    return {
        "token": Token._meta.db_table,
        "user": User._meta.db_table,
        "centre": Centre._meta.db_table,
        "profile": WorkerProfile._meta.db_table,
        "team": Team._meta.db_table,
        "members": Team.members.through._meta.db_table,
        "grant": RoleGrant._meta.db_table,
    }


def _iso(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def bare_workers(request):
    """The same page as /api/v1/workers/ (everyone's, for a network admin) from raw SQL."""
    t = _tables()
    header = request.headers.get("Authorization", "")
    if not header.startswith("Token "):
        return JsonResponse({"detail": "no token"}, status=401)
    page_size = min(int(request.GET.get("page_size", 50)), 1000)
    page = max(int(request.GET.get("page", 1)), 1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {t['token']} k JOIN {t['user']} u ON u.id = k.user_id WHERE k.key = %s AND u.is_active",
            [header[6:]],
        )
        if cursor.fetchone() is None:
            return JsonResponse({"detail": "bad token"}, status=401)
        # The same work as the API: current staff only, in pinyin order (name_sort).
        cursor.execute(f"SELECT COUNT(*) FROM {t['user']} WHERE is_active")
        (count,) = cursor.fetchone()
        cursor.execute(
            f"""SELECT u.id, u.username, u.name, u.mobile, u.is_active, c.id, c.name, p.id,
                       p.gender, p.birth_date, p.education, p.hire_date, p.employment_type,
                       p.id_number_masked, p.bank_name, p.bank_account_masked
                FROM {t["user"]} u
                LEFT JOIN {t["centre"]} c ON c.id = u.centre_id
                LEFT JOIN {t["profile"]} p ON p.user_id = u.id
                WHERE u.is_active
                ORDER BY u.centre_id, u.name_sort, u.id
                LIMIT %s OFFSET %s""",
            [page_size, (page - 1) * page_size],
        )
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        teams: dict[int, list] = {uid: [] for uid in ids}
        roles: dict[int, list] = {uid: [] for uid in ids}
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"""SELECT m.user_id, t.id, t.name FROM {t["members"]} m JOIN {t["team"]} t ON t.id = m.team_id
                    WHERE m.user_id IN ({marks}) ORDER BY t.name_sort, t.name""",
                ids,
            )
            for uid, team_id, team_name in cursor.fetchall():
                teams[uid].append({"id": team_id, "name": team_name})
            cursor.execute(f"SELECT user_id, role FROM {t['grant']} WHERE user_id IN ({marks}) ORDER BY role", ids)
            for uid, role in cursor.fetchall():
                roles[uid].append(role)
    results = []
    for uid, username, name, mobile, active, c_id, c_name, p_id, *profile in rows:
        if p_id is None:
            profile = ["", None, "", None, "", "", "", ""]
        gender, birth, education, hired, employment, id_masked, bank, account_masked = profile
        results.append(
            {
                "id": uid, "username": username, "name": name, "mobile": mobile, "is_active": bool(active),
                "centre": None if c_id is None else {"id": c_id, "name": c_name},
                "teams": teams[uid], "roles": roles[uid],
                "gender": gender, "birth_date": birth, "education": education, "hire_date": hired,
                "employment_type": employment, "id_number": id_masked, "bank_name": bank,
                "bank_account": account_masked,
            }
        )  # fmt: skip

    def link(number: int) -> str | None:
        if number < 1 or (number - 1) * page_size >= count:
            return None
        return request.build_absolute_uri(f"{request.path}?page={number}&page_size={page_size}")

    body = {"count": count, "next": link(page + 1), "previous": link(page - 1), "results": results}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_iso), content_type="application/json"
    )


urlpatterns = [path("bench/bare/workers/", bare_workers, name="bench-bare-workers")]


# ---------------------------------------------------------------------------- measure


def _queries_per_request(url: str, token: str) -> int:
    """Queries one request runs, counted in-process (the second request, caches warm)."""
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"in-process GET {url}: HTTP {response.status_code}")
    return len(captured.captured_queries)


def _same_rows(ctx: Context, headers: dict[str, str]) -> None:
    pages = {}
    for label, url in (("ours", OURS_PATH), ("bare", BARE_PATH)):
        status, body = ctx.server.get(url, headers)
        if status != 200:
            raise BenchError(f"GET {url}: HTTP {status}: {body[:300]!r}")
        pages[label] = json.loads(body)
    ours, bare = pages["ours"], pages["bare"]
    people = User.objects.count()
    if ours["count"] != people or bare["count"] != people:
        raise BenchError(f"count: ours {ours['count']}, bare {bare['count']}, people {people}")
    if len(ours["results"]) != PAGE_SIZE:
        raise BenchError(f"ours returned {len(ours['results'])} results, not {PAGE_SIZE}")
    for mine, limit in zip(ours["results"], bare["results"], strict=True):
        if mine != limit:
            raise BenchError(f"the bare view's rows differ from ours:\n  ours {mine}\n  bare {limit}")


def measure(ctx: Context) -> list[Row]:
    token = _token()
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    _same_rows(ctx, headers)
    check = page_check(PAGE_SIZE)
    ours = drive(ctx.server.port, OURS_PATH, headers, check, ctx.options)
    bare = drive(ctx.server.port, BARE_PATH, headers, check, ctx.options)
    rows = load_rows(LABEL, ours, bare)
    rows.append(
        Row(
            f"{LABEL} queries/request",
            _queries_per_request(OURS_PATH, token),
            _queries_per_request(BARE_PATH, token),
            decimals=0,
        )
    )
    ctx.facts.append(f"{LABEL}: {ours.requests} + {bare.requests} requests measured")
    return rows
