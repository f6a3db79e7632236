"""labelling: the assignment engine and the workbench (issue: labelling).

A project of 20,000 items with overlap 3 in one batch (60,000 slots) given to a team of 50
annotators; every measurement starts from the same state (reset(): no assignments or
annotations, every slot free), so reruns are comparable.

- `next` latency with 50 annotators, each its own token and client thread looping
  next -> submit; only `next` is timed. Bare limit: the engine's one claim statement
  (`claim_sql()`, in its own transaction, nothing else in it) from 50 threads, each with
  its own database connection. With 50 clients and no pause between images both sides
  queue (gunicorn's 4 workers, 2 CPUs), so the same is measured with 1 annotator (the
  service time) on a fresh batch, on the batch at 75% done (_fill: 45,000 past
  assignments), where the claim's plan changes, and for an annotator 5,000 items ahead of
  the others (_fill_ahead: 10,000 open slots behind them on items they had); and with the 50 annotators at a pace:
  1-3 s on each image between next and submit (THINK_S; people take 30 s or more), the
  bare claims paced alike. That row is the issue's "50 concurrent annotators".
- Submissions per second with 8 clients, each an annotator doing next + submit of 5 boxes
  and a 12-point polygon. Bare limit: two plain views doing the minimal SQL for the same
  two calls (see bare_next / bare_submit).
  Ours and bare take turns in six short rounds; each side's median round is reported.
- Queries per `next` and per `submit`, counted in-process, ours and bare.
- Workbench page weight: /work/label/ HTML + its scripts and stylesheets, each gzipped,
  beside the 150 KB budget.
- Time to the first drawn image in headless Chromium, cold (a fresh browser context per
  load: nothing cached), from navigation start to `#wb-stage[data-ready="1"]`, beside a
  plain page holding the same <img> until its onload.

The runner's server has DEBUG=0 and no collected static files (its `{% static %}` has no
manifest, so /work/label/ would be a 500), so the two workbench rows use a second gunicorn
on a static root of their own (var/bench-static, collected at each run, as a deploy would)
served by whitenoise as in production.
"""

import gzip
import hashlib
import http.client
import io
import json
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from annotation.models import Annotation, Assignment, Batch, Item, Organisation, Project, Task
from annotation.schema import clean_annotation
from annotation.services.assignments import claim_sql
from annotation.services.batches import Assignees, ItemChoice, batch_create
from bench.common import ROOT, BenchError, Context, LoadResult, Row, Server, closed_loop
from workforce.models import Centre, Role, RoleGrant, Team, User

NAME = "labelling"
LABEL = "labelling"
ITEMS = 20_000
OVERLAP = 3
ANNOTATORS = 50
VIEW_ITEMS = 20
ORGANISATION = "bench-labelling"
PROJECT = "bench-labelling 20k x 3"
VIEW_PROJECT = "bench-labelling workbench"
# The centre's past work: a delivered project whose batch the same team labelled, so the
# tables hold history as in any centre in use (see _create_history).
HISTORY_PROJECT = "bench-labelling delivered"
HISTORY_ITEMS = 20_000
CENTRE = "基准宜川标注中心"
TEAM = "宜川标注基准组"
PREFIX = "bench-lab-"  # not "bench-w": workers_list counts its people by that prefix
SUPERVISOR = f"{PREFIX}sup"
VIEWER = f"{PREFIX}viewer"  # the browser's annotator: only the small workbench batch
PASSWORD = "bench-labelling-only"  # noqa: S105 - bench database only
WIDTH, HEIGHT = 1280, 720
IMAGE = "items/bench-labelling/street.jpg"
SCHEMA = {
    "tools": ["bbox", "polygon"],
    "labels": [
        {"name": "car", "color": "#e6194b"},
        {"name": "person", "color": "#3cb44b"},
        {"name": "bicycle", "color": "#4363d8"},
        {"name": "truck", "color": "#f58231"},
        {"name": "sign", "color": "#911eb4"},
    ],
}
BUDGET_KB = 150
THINK_S = (1.0, 3.0)  # the paced row's seconds on an image (people take 30 s or more)
LATE_DONE = 15_000  # items done before the late-batch rows: 75% of the batch
AHEAD = 5_000  # items the far-ahead row's annotator did alone (their other slots open)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # every slot's free_at after reset(): long free
LOADS = 5  # timed browser loads of each page (after WARM_LOADS untimed ones)
WARM_LOADS = 2
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
OURS_NEXT = "/api/v1/assignments/next/"
OURS_SUBMIT = "/api/v1/assignments/{id}/submit/"
BARE_NEXT = "/bench/bare/labelling/next/"
SUBMIT_ROUNDS = 6
BARE_SUBMIT = "/bench/bare/labelling/{id}/submit/"


def _annotation() -> dict:
    """What an annotator sends for a street frame: 5 boxes and a 12-point polygon, to 0.01
    px as the workbench sends them (so the engine stores exactly this)."""
    rng = random.Random(20261123)
    labels = [label["name"] for label in SCHEMA["labels"]]
    shapes = []
    for _ in range(5):
        w, h = round(rng.uniform(20, 300), 2), round(rng.uniform(20, 200), 2)
        x, y = round(rng.uniform(0, WIDTH - w), 2), round(rng.uniform(0, HEIGHT - h), 2)
        shapes.append({"type": "bbox", "label": rng.choice(labels), "x": x, "y": y, "w": w, "h": h})
    points = [[round(rng.uniform(300, 900), 2), round(rng.uniform(200, 600), 2)] for _ in range(12)]
    shapes.append({"type": "polygon", "label": "person", "points": points})
    return {"shapes": shapes, "class": None}


ANNOTATION = _annotation()
SUBMISSION = json.dumps({**ANNOTATION, "time_spent_ms": 41_000}).encode()


# ---------------------------------------------------------------------------- data


@dataclass
class Data:
    batch: Batch
    project: Project
    annotator_ids: list[int]
    tokens: list[str]
    viewer_token: str


def _project(name: str) -> Project | None:
    return Project.objects.filter(organisation__name=ORGANISATION, name=name).first()


def setup() -> list[str]:
    """The people, the 20,000-item project and its batch, made once; the image the browser
    rows show is (re)written when missing."""
    project = _project(PROJECT)
    if project is None:
        if User.objects.filter(username__startswith=PREFIX).exists():
            raise BenchError(
                "the bench database holds labelling people but no labelling project: drop it and run again"
            )
        began = time.perf_counter()
        _create()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"  {NAME}: created {ITEMS:,} items x {OVERLAP} slots in {time.perf_counter() - began:.1f} s", flush=True)
        project = _project(PROJECT)
    if _project(HISTORY_PROJECT) is None:
        began = time.perf_counter()
        _create_history()
        print(
            f"  {NAME}: created {HISTORY_ITEMS:,} items of past work in {time.perf_counter() - began:.1f} s", flush=True
        )
    slots = Task.objects.filter(batch__project=project).count()
    if slots != ITEMS * OVERLAP:
        raise BenchError(
            f"the labelling batch has {slots} slots, expected {ITEMS * OVERLAP}: delete the bench database"
        )
    image = Path(settings.MEDIA_ROOT) / IMAGE
    if not image.exists():
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(_street_jpeg())
    return [f"{ITEMS:,} items x overlap {OVERLAP}, {ANNOTATORS} annotators"]


def _street_jpeg() -> bytes:
    """A 1280x720 JPEG of about the size of a real street frame (sky, road, blocks, grain)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(7)
    image = Image.new("RGB", (WIDTH, HEIGHT), (120, 160, 210))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT // 2):
        draw.line([(0, y), (WIDTH, y)], fill=(110 + y // 8, 150 + y // 10, 215 - y // 12))
    draw.rectangle([0, HEIGHT // 2, WIDTH, HEIGHT], fill=(90, 90, 95))
    for _ in range(60):
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT // 3, HEIGHT)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(20, 180), y + rng.randrange(15, 120)], fill=colour)
    grain = Image.effect_noise((WIDTH, HEIGHT), 40).convert("RGB")
    image = Image.blend(image, grain, 0.12).filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@transaction.atomic
def _create() -> None:
    centre = Centre.objects.create(name=CENTRE, county="宜川县", province="陕西省")
    team = Team.objects.create(centre=centre, name=TEAM)
    password = make_password(PASSWORD)  # one hash for all: the browser rows log in with it
    names = [SUPERVISOR, VIEWER] + [f"{PREFIX}a{n:02d}" for n in range(1, ANNOTATORS + 1)]
    User.objects.bulk_create(
        [User(username=name, name=f"基准标注{n}", centre=centre, password=password) for n, name in enumerate(names)]
    )
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    annotators = [ids[name] for name in names[2:]]
    RoleGrant.objects.bulk_create(
        [RoleGrant(user_id=ids[SUPERVISOR], role=Role.SUPERVISOR)]
        + [RoleGrant(user_id=uid, role=Role.ANNOTATOR) for uid in [ids[VIEWER], *annotators]]
    )
    team.members.add(*annotators)
    Token.objects.bulk_create([Token(user_id=ids[name], key=Token.generate_key()) for name in names[1:]])

    organisation = Organisation.objects.create(name=ORGANISATION)
    projects = {}
    for name, count, overlap in ((PROJECT, ITEMS, OVERLAP), (VIEW_PROJECT, VIEW_ITEMS, 1)):
        projects[name] = _project_with_items(organisation, name, count, overlap=overlap, folder="street")
    supervisor = User.objects.get(pk=ids[SUPERVISOR])
    batch_create(
        actor=supervisor,
        project=projects[PROJECT],
        choice=ItemChoice(size=ITEMS),
        assignees=Assignees(teams=[team.pk]),
        name="基准批次",
    )
    batch_create(
        actor=supervisor,
        project=projects[VIEW_PROJECT],
        choice=ItemChoice(size=VIEW_ITEMS),
        assignees=Assignees(annotators=[ids[VIEWER]]),
        name="基准工作台",
    )


def _project_with_items(organisation: Organisation, name: str, count: int, *, overlap: int, folder: str) -> Project:
    project = Project.objects.create(
        organisation=organisation, name=name, label_schema=SCHEMA, overlap=overlap, instructions="框出车辆和行人。"
    )
    Item.objects.bulk_create(
        (
            Item(
                project=project,
                file_name=f"{folder}/{n:06d}.jpg",
                image=IMAGE,  # one shared file: the engine never opens it, the browser rows do
                thumbnail=IMAGE,
                content_type="image/jpeg",
                width=WIDTH,
                height=HEIGHT,
                sha256=hashlib.sha256(f"{name}-{n}".encode()).hexdigest(),
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    project.item_count = count
    project.save(update_fields=["item_count"])
    return project


@transaction.atomic
def _create_history() -> None:
    """A project the team already delivered: one closed batch, every item labelled once,
    submitted and accepted. No centre's tables are empty when a batch starts, and a
    measurement that starts from empty, freshly analysed tables measures the planner
    instead: a prepared statement's generic plan made while the assignments table looks
    empty scans it, and keeps scanning it as thousands of rows arrive, until autovacuum
    next analyses it. reset() leaves this history alone."""
    organisation = Organisation.objects.get(name=ORGANISATION)
    project = _project_with_items(organisation, HISTORY_PROJECT, HISTORY_ITEMS, overlap=1, folder="delivered")
    team = Team.objects.get(name=TEAM)
    batch = batch_create(
        actor=User.objects.get(username=SUPERVISOR),
        project=project,
        choice=ItemChoice(size=HISTORY_ITEMS),
        assignees=Assignees(teams=[team.pk]),
        name="基准往期批次",
    )
    annotators = list(team.members.order_by("id").values_list("id", flat=True))
    slots = list(Task.objects.filter(batch=batch).order_by("item_id").values_list("id", "item_id"))
    t = _tables()
    with connection.cursor() as cursor:
        _insert_submitted(
            cursor,
            batch.pk,
            [(task_id, item_id, annotators[n % len(annotators)]) for n, (task_id, item_id) in enumerate(slots)],
        )
        cursor.execute(
            f"""INSERT INTO {t["annotation"]} (assignment_id, item_id, annotator_id, shapes, image_class,
                    client_time_ms, created_at, revision, review, sampling, is_latest)
                SELECT a.id, a.item_id, a.annotator_id, %s, NULL, 41000, a.finished_at, 1, %s, '{{}}', %s
                FROM {t["assignment"]} a WHERE a.batch_id = %s""",
            [json.dumps(ANNOTATION["shapes"]), str(Annotation.Review.ACCEPTED), True, batch.pk],
        )
    Task.objects.filter(batch=batch).update(
        done=True,
        taken=True,
        assignment_id=Subquery(Assignment.objects.filter(task_id=OuterRef("pk")).values("id")[:1]),
    )
    Item.objects.filter(project=project).update(status=Item.Status.DONE)
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CLOSED)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _data() -> Data:
    project = _project(PROJECT)
    batch = Batch.objects.get(project=project)
    names = [f"{PREFIX}a{n:02d}" for n in range(1, ANNOTATORS + 1)]
    by_name = dict(Token.objects.filter(user__username__in=[*names, VIEWER]).values_list("user__username", "key"))
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    return Data(
        batch=batch,
        project=project,
        annotator_ids=[ids[name] for name in names],
        tokens=[by_name[name] for name in names],
        viewer_token=by_name[VIEWER],
    )


def reset(data: Data) -> None:
    """Back to a batch nobody has touched: no assignments or annotations, every slot free,
    every item new; on PostgreSQL the dead rows vacuumed away, so each run and each
    measurement starts from the same tables."""
    batch = data.batch
    with transaction.atomic():
        Annotation.objects.filter(assignment__batch=batch).delete()
        # Only the rows a run touched: rewriting all 60,000 would leave as many dead ones.
        Task.objects.filter(batch=batch).exclude(done=False, taken=False, assignment=None, free_at=EPOCH).update(
            done=False, taken=False, assignment=None, free_at=EPOCH
        )
        Assignment.objects.filter(batch=batch).delete()
        Item.objects.filter(project=data.project).exclude(status=Item.Status.NEW).update(status=Item.Status.NEW)
    if connection.vendor == "postgresql":
        tables = [model._meta.db_table for model in (Annotation, Assignment, Task, Item)]
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def _insert_submitted(cursor, batch_id: int, turns: list[tuple[int, int, int]]) -> None:
    """Past turns, submitted: (task id, item id, annotator id) each."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    cursor.executemany(
        f"""INSERT INTO {_tables()["assignment"]} (task_id, batch_id, item_id, annotator_id, status, reason,
                leased_at, lease_expires_at, finished_at, skip_reason, draft, active_ms, last_seen_at)
            VALUES (%s, %s, %s, %s, 'submitted', '{{}}', %s, %s, %s, '', NULL, 0, %s)""",
        [(task_id, batch_id, item_id, annotator_id, now, now, now, now) for task_id, item_id, annotator_id in turns],
    )


def _fill(data: Data, items: int) -> None:
    """The batch as it stands late in a day: its first `items` items done, each slot by a
    different annotator, everyone with their share of past assignments. Written with raw
    SQL (a second or two, not 45,000 submits); vacuumed and analysed after, the planner's
    best case."""
    if not items:
        return
    t = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, item_id, slot FROM {t['task']} WHERE batch_id = %s ORDER BY item_id, slot LIMIT %s",
            [data.batch.pk, items * OVERLAP],
        )
        slots = cursor.fetchall()
        ids = data.annotator_ids
        _insert_submitted(
            cursor,
            data.batch.pk,
            # An item's slots: 3 people in a row.
            [(task_id, item_id, ids[n % len(ids)]) for n, (task_id, item_id, _slot) in enumerate(slots)],
        )
        cursor.execute(
            f"UPDATE {t['task']} SET done = %s, taken = %s WHERE batch_id = %s AND item_id <= %s",
            [True, True, data.batch.pk, slots[-1][1]],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {t['task']}, {t['assignment']}")


def _fill_ahead(data: Data, items: int) -> None:
    """The first annotator alone ahead of the others: they did slot 0 of the first `items`
    items, whose other slots nobody took yet (an overlap-3 batch where one person works
    faster, or earlier, than the rest of the team)."""
    t = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, item_id FROM {t['task']} WHERE batch_id = %s AND slot = 0 ORDER BY item_id LIMIT %s",
            [data.batch.pk, items],
        )
        slots = cursor.fetchall()
        _insert_submitted(
            cursor, data.batch.pk, [(task_id, item_id, data.annotator_ids[0]) for task_id, item_id in slots]
        )
        cursor.execute(
            f"UPDATE {t['task']} SET done = %s, taken = %s WHERE batch_id = %s AND slot = 0 AND item_id <= %s",
            [True, True, data.batch.pk, slots[-1][1]],
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {t['task']}, {t['assignment']}")


# ---------------------------------------------------------------------------- bare limit


def _tables() -> dict[str, str]:
    return {
        "token": Token._meta.db_table,
        "user": User._meta.db_table,
        "batch": Batch._meta.db_table,
        "named": Batch.annotators.through._meta.db_table,
        "batch_teams": Batch.teams.through._meta.db_table,
        "members": Team.members.through._meta.db_table,
        "project": Project._meta.db_table,
        "item": Item._meta.db_table,
        "task": Task._meta.db_table,
        "assignment": Assignment._meta.db_table,
        "annotation": Annotation._meta.db_table,
    }


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _iso(value) -> str:
    return timezone.localtime(_aware(value)).isoformat()


def _token_user(cursor, request, t, *, lock: bool) -> int | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Token "):
        return None
    # The lock serialises one annotator's claims (two tabs), as the engine's user-row lock.
    suffix = " FOR NO KEY UPDATE OF u" if lock and connection.vendor == "postgresql" else ""
    cursor.execute(
        f"SELECT u.id FROM {t['token']} k JOIN {t['user']} u ON u.id = k.user_id "
        f"WHERE k.key = %s AND u.is_active{suffix}",
        [header[6:]],
    )
    row = cursor.fetchone()
    return row[0] if row else None


@csrf_exempt  # token-authenticated, as DRF's views with TokenAuthentication are
def bare_next(request):
    """POST next with the minimal SQL that keeps the engine's promises and answers the same
    body: token + the annotator's row lock (1), their open lease (1), their open batches
    with the lease length (1), the engine's claim statement (1 per batch tried), the
    assignment row (1), the slot pointing at it (1), the item in progress (1), the item and
    project for the body (1), the likely next item for the prefetch (1)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    t = _tables()
    db = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        user_id = _token_user(cursor, request, t, lock=True)
        if user_id is None:
            return JsonResponse({"detail": "bad token"}, status=401)
        cursor.execute(
            f"SELECT id FROM {t['assignment']} WHERE annotator_id = %s AND status = 'leased' "
            "AND lease_expires_at > %s LIMIT 1",
            [user_id, db(now)],
        )
        if cursor.fetchone() is not None:
            return JsonResponse({"detail": "the bench loop never leaves a lease open"}, status=409)
        cursor.execute(
            f"""SELECT b.id, b.name, b.priority, b.due, p.lease_minutes,
                       (SELECT bt.team_id FROM {t["batch_teams"]} bt JOIN {t["members"]} m ON m.team_id = bt.team_id
                        WHERE bt.batch_id = b.id AND m.user_id = %s LIMIT 1)
                FROM {t["batch"]} b JOIN {t["project"]} p ON p.id = b.project_id
                WHERE b.status = 'open' AND p.status = 'active' AND (
                    EXISTS (SELECT 1 FROM {t["named"]} n WHERE n.batch_id = b.id AND n.user_id = %s)
                    OR EXISTS (SELECT 1 FROM {t["batch_teams"]} bt JOIN {t["members"]} m ON m.team_id = bt.team_id
                               WHERE bt.batch_id = b.id AND m.user_id = %s))
                ORDER BY b.priority DESC, b.due ASC NULLS LAST, b.created_at, b.id""",
            [user_id, user_id, user_id],
        )
        claimed = None
        for batch in cursor.fetchall():
            until = now + timedelta(minutes=batch[4])
            cursor.execute(claim_sql(), {"until": until, "batch": batch[0], "now": now, "me": user_id})
            claimed = cursor.fetchone()
            if claimed is not None:
                break
        if claimed is None:
            return HttpResponse(status=204)
        batch_id, batch_name, priority, due, _lease_minutes, team_id = batch
        task_id, item_id, slot, previous_id = claimed
        if previous_id is not None:
            cursor.execute(
                f"UPDATE {t['assignment']} SET status = 'expired', finished_at = %s WHERE id = %s AND status = 'leased'",
                [db(now), previous_id],
            )
        reason = {
            "batch": batch_id, "batch_name": batch_name, "priority": priority,
            "due": due.isoformat() if hasattr(due, "isoformat") else due, "rule": "priority, then due date, then age",
            "via": f"team {team_id}", "slot": slot, "took_over": previous_id,
        }  # fmt: skip
        cursor.execute(
            f"""INSERT INTO {t["assignment"]} (task_id, batch_id, item_id, annotator_id, status, reason, leased_at,
                    lease_expires_at, finished_at, skip_reason, draft, active_ms, last_seen_at)
                VALUES (%s, %s, %s, %s, 'leased', %s, %s, %s, NULL, '', NULL, 0, %s) RETURNING id""",
            [task_id, batch_id, item_id, user_id, json.dumps(reason), db(now), db(until), db(now)],
        )
        (assignment_id,) = cursor.fetchone()
        cursor.execute(
            f"UPDATE {t['task']} SET assignment_id = %s, taken = %s WHERE id = %s", [assignment_id, True, task_id]
        )
        cursor.execute(f"UPDATE {t['item']} SET status = 'in_progress' WHERE id = %s AND status = 'new'", [item_id])
        cursor.execute(
            f"""SELECT i.width, i.height, i.prefill, p.id, p.name, p.label_schema, p.instructions
                FROM {t["item"]} i JOIN {t["project"]} p ON p.id = i.project_id WHERE i.id = %s""",
            [item_id],
        )
        width, height, prefill, project_id, project_name, label_schema, instructions = cursor.fetchone()
        cursor.execute(
            f"""SELECT t.item_id FROM {t["task"]} t
                WHERE t.batch_id = %s AND NOT t.done AND t.free_at <= %s AND t.item_id > %s
                ORDER BY t.item_id, t.slot LIMIT 1""",
            [batch_id, db(timezone.now()), item_id],
        )
        prefetch = [row[0] for row in cursor.fetchall()]
    image_url = reverse("item-image", args=[0]).replace("/0/", "/{}/")
    body = {
        "id": assignment_id,
        "item": {"id": item_id, "image_url": image_url.format(item_id), "width": width, "height": height},
        "project": {
            "id": project_id,
            "name": project_name,
            "label_schema": _json(label_schema),
            "instructions": instructions,
        },
        "prefill": _json(prefill),
        "draft": None,
        "lease_expires_at": _iso(until),
        "batch": {"id": batch_id, "name": batch_name},
        "prefetch": [image_url.format(pk) for pk in prefetch],
        "rework": None,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")


@csrf_exempt
def bare_submit(request, assignment_id: int):
    """POST submit with the minimal SQL: token (1), the assignment with its slot locked
    (1), the item locked (1, PostgreSQL), the annotation row (1), the assignment submitted
    with its active time (1), the slot done (1), the item to review once no slot is open
    (1). The shapes are stored as
    sent, unchecked: the bench's annotation is what clean_annotation returns for it
    (measure() asserts that), so both store the same rows; the check is a few microseconds
    of Python for 6 shapes."""
    if request.method != "POST":
        return HttpResponse(status=405)
    t = _tables()
    db = connection.ops.adapt_datetimefield_value
    payload = json.loads(request.body)
    now = timezone.now()
    lock = " FOR UPDATE OF t" if connection.vendor == "postgresql" else ""
    with transaction.atomic(), connection.cursor() as cursor:
        user_id = _token_user(cursor, request, t, lock=False)
        if user_id is None:
            return JsonResponse({"detail": "bad token"}, status=401)
        cursor.execute(
            f"""SELECT a.status, a.item_id, a.last_seen_at, a.active_ms, t.id, t.assignment_id, t.done
                FROM {t["assignment"]} a JOIN {t["task"]} t ON t.id = a.task_id
                WHERE a.id = %s AND a.annotator_id = %s{lock}""",
            [assignment_id, user_id],
        )
        row = cursor.fetchone()
        if row is None:
            return JsonResponse({"detail": "no such assignment"}, status=404)
        status, item_id, last_seen_at, active_ms, task_id, holder, done = row
        if status != "leased" or holder != assignment_id or done:
            return JsonResponse({"detail": "not yours any more"}, status=409)
        if connection.vendor == "postgresql":
            # The item's annotators finishing at once take turns, so the last one sees the
            # others' slots done and sends the item to review (as the engine does).
            cursor.execute(f"SELECT 1 FROM {t['item']} WHERE id = %s FOR NO KEY UPDATE", [item_id])
        last_seen_at = _aware(last_seen_at)
        if last_seen_at is not None and now > last_seen_at:
            cutoff = timedelta(seconds=settings.WORKBENCH_IDLE_CUTOFF_SECONDS)
            active_ms += int(min(now - last_seen_at, cutoff).total_seconds() * 1000)
        shapes, image_class = payload.get("shapes", []), payload.get("class")
        client_ms = max(0, min(int(payload.get("time_spent_ms") or 0), 24 * 3600 * 1000))
        cursor.execute(
            f"""INSERT INTO {t["annotation"]} (assignment_id, item_id, annotator_id, shapes, image_class,
                    client_time_ms, created_at, revision, review, sampling, is_latest)
                VALUES (%s, %s, %s, %s, %s, %s, %s, 1, 'queued', '{{}}', %s) RETURNING id""",
            [assignment_id, item_id, user_id, json.dumps(shapes), image_class, client_ms, db(now), True],
        )
        (annotation_id,) = cursor.fetchone()
        cursor.execute(
            f"""UPDATE {t["assignment"]} SET status = 'submitted', finished_at = %s, draft = NULL, active_ms = %s,
                    last_seen_at = %s WHERE id = %s""",
            [db(now), active_ms, db(now), assignment_id],
        )
        cursor.execute(f"UPDATE {t['task']} SET done = %s WHERE id = %s", [True, task_id])
        cursor.execute(
            f"""UPDATE {t["item"]} SET status = 'review' WHERE id = %s
                AND NOT EXISTS (SELECT 1 FROM {t["task"]} WHERE item_id = %s AND done = %s)""",
            [item_id, item_id, False],
        )
    body = {
        "id": annotation_id,
        "assignment": assignment_id,
        "item": item_id,
        "shapes": shapes,
        "created_at": _iso(now),
        "class": image_class,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json", status=201)


def bare_image_page(request, item_id: int):
    """The browser row's bare limit: a page with nothing but the item's image."""
    src = reverse("item-image", args=[item_id])
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>bare</title></head><body>'
        f'<img src="{src}" alt="" onload="window.__aidouReadyAt = performance.now()"></body></html>'
    )
    return HttpResponse(html)


urlpatterns = [
    path("bench/bare/labelling/next/", bare_next, name="bench-bare-labelling-next"),
    path("bench/bare/labelling/<int:assignment_id>/submit/", bare_submit, name="bench-bare-labelling-submit"),
    path("bench/bare/labelling/image/<int:item_id>/", bare_image_page, name="bench-bare-labelling-image"),
]


# ---------------------------------------------------------------------------- load


@dataclass
class CycleResult:
    next_ms: list[float]
    elapsed_s: float

    @property
    def cycles(self) -> int:
        return len(self.next_ms)

    def load(self) -> LoadResult:
        return LoadResult(latencies_ms=self.next_ms, elapsed_s=self.elapsed_s)


def _post(conn: http.client.HTTPConnection, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", url, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


class _Pace:
    """Each annotator's time on an image between `next` and `submit`: uniform in
    THINK_S, from a random generator of their own (seeded, so runs compare)."""

    def __init__(self, annotators: int, think_s: tuple[float, float] | None):
        self.think_s = think_s
        self.rngs = [random.Random(20261122 + index) for index in range(annotators)]

    def pause(self, index: int) -> None:
        if self.think_s is not None:
            time.sleep(self.rngs[index].uniform(*self.think_s))


def _cycles(
    port: int, tokens: list[str], next_path: str, submit_path: str, *, seconds, limit, warmup,
    think_s: tuple[float, float] | None = None,
) -> CycleResult:  # fmt: skip
    """One annotator per client thread, each on its own connection: a pause on the previous
    image when `think_s` is given, next (timed), then submit of ANNOTATION (untimed, must
    be 201). Pausing first also spreads the annotators' first calls after the start."""
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in tokens]
    pace = _Pace(len(tokens), think_s)
    headers = [
        {"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"}
        for token in tokens
    ]

    def one(index: int) -> float:
        conn, head = connections[index], headers[index]
        pace.pause(index)
        began = time.perf_counter()
        status, body = _post(conn, next_path, b"", head)
        took = (time.perf_counter() - began) * 1000
        if status != 200:
            raise BenchError(f"POST {next_path}: HTTP {status}: {body[:300]!r}")
        url = submit_path.format(id=json.loads(body)["id"])
        status, body = _post(conn, url, SUBMISSION, head)
        if status != 201:
            raise BenchError(f"POST {url}: HTTP {status}: {body[:300]!r}")
        return took

    try:
        figures, elapsed = closed_loop(len(tokens), one, seconds=seconds, limit=limit, warmup=warmup)
    finally:
        for conn in connections:
            conn.close()
    return CycleResult(next_ms=figures, elapsed_s=elapsed)


def _claims(
    data: Data, threads: int, *, seconds, limit, warmup, think_s: tuple[float, float] | None = None
) -> LoadResult:
    """The bare limit of `next`: the engine's claim statement alone, in its own
    transaction, from `threads` threads with a database connection each (Django's
    connections are per thread). After each timed claim the slot is marked done, untimed,
    as the submit that follows a `next` does, so the scan meets the same table as ours
    (claimed slots leave the open-slot index instead of piling up in front of it)."""
    sql = claim_sql()
    lease = timedelta(minutes=data.project.lease_minutes)
    task_table = Task._meta.db_table
    pace = _Pace(threads, think_s)

    def one(index: int) -> float:
        pace.pause(index)
        now = timezone.now()
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql, {"until": now + lease, "batch": data.batch.pk, "now": now, "me": data.annotator_ids[index]}
            )
            row = cursor.fetchone()
        took = (time.perf_counter() - began) * 1000
        if row is None:
            raise BenchError("the bare claim found no free slot: the batch ran out of work")
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {task_table} SET done = %s WHERE id = %s", [True, row[0]])
        return took

    # `connection` is each thread's own: close it as the thread ends, not at process exit.
    figures, elapsed = closed_loop(
        threads, one, seconds=seconds, limit=limit, warmup=warmup, at_exit=lambda: connection.close()
    )
    return LoadResult(latencies_ms=figures, elapsed_s=elapsed)


# ---------------------------------------------------------------------------- measure: engine


def _queries(data: Data) -> list[Row]:
    """Queries one `next` and one `submit` run, in-process, ours and bare; also checks the
    bare views answer what ours answers."""
    reset(data)
    counts, bodies = {}, {}
    for kind, token, (next_url, submit_url) in (
        ("ours", data.tokens[0], (OURS_NEXT, OURS_SUBMIT)),
        ("bare", data.tokens[1], (BARE_NEXT, BARE_SUBMIT)),
    ):
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
        with CaptureQueriesContext(connection) as claimed:
            response = client.post(next_url)
        if response.status_code != 200:
            raise BenchError(f"in-process POST {next_url}: HTTP {response.status_code}: {response.content[:300]!r}")
        task = response.json()
        url = submit_url.format(id=task["id"])
        with CaptureQueriesContext(connection) as submitted:
            response = client.post(url, SUBMISSION, content_type="application/json")
        if response.status_code != 201:
            raise BenchError(f"in-process POST {url}: HTTP {response.status_code}: {response.content[:300]!r}")
        counts[kind] = (len(claimed.captured_queries), len(submitted.captured_queries))
        bodies[kind] = (task, response.json())
    # Both annotators got the first item (ours slot 0, bare slot 1): the same task body
    # but for the assignment id and lease end, the same annotation but for ids and time.
    for index, ignored in ((0, {"id", "lease_expires_at"}), (1, {"id", "assignment", "created_at"})):
        ours = {k: v for k, v in bodies["ours"][index].items() if k not in ignored}
        bare = {k: v for k, v in bodies["bare"][index].items() if k not in ignored}
        if ours != bare:
            raise BenchError(f"the bare view's answer differs from ours:\n  ours {ours}\n  bare {bare}")
    return [
        Row(f"{LABEL} next queries/call", counts["ours"][0], counts["bare"][0], decimals=0),
        Row(f"{LABEL} submit queries/call", counts["ours"][1], counts["bare"][1], decimals=0),
    ]


def _engine_rows(ctx: Context, data: Data) -> list[Row]:
    options = ctx.options
    port = ctx.server.port
    rows = _queries(data)

    # next under 50 annotators, beside the claim statement under 50 connections.
    reset(data)
    ours = _cycles(
        port, data.tokens, OURS_NEXT, OURS_SUBMIT,
        seconds=options.max_seconds, limit=options.max_requests, warmup=options.warmup_per_client,
    ).load()  # fmt: skip
    reset(data)
    bare = _claims(
        data, ANNOTATORS, seconds=options.max_seconds, limit=options.max_requests, warmup=options.warmup_per_client
    )
    label = f"{LABEL} next, {ANNOTATORS} annotators"
    rows += [
        Row(f"{label} p50 (ms)", ours.percentile(50), bare.percentile(50)),
        Row(f"{label} p95 (ms)", ours.percentile(95), bare.percentile(95)),
        Row(f"{label}: next calls/s", ours.per_second, bare.per_second),
    ]
    ctx.facts.append(f"{label}: {ours.requests} + {bare.requests} claims")

    # The same 50 annotators at a pace people keep, if far faster than anyone labels:
    # THINK_S on each image (a street frame's boxes take a person half a minute or more).
    # Every annotator still calls next + submit, so this is 50 people's traffic at once.
    paced_seconds = options.max_seconds * 2
    reset(data)
    ours = _cycles(
        port, data.tokens, OURS_NEXT, OURS_SUBMIT,
        seconds=paced_seconds, limit=options.max_requests, warmup=1, think_s=THINK_S,
    ).load()  # fmt: skip
    reset(data)
    bare = _claims(data, ANNOTATORS, seconds=paced_seconds, limit=options.max_requests, warmup=1, think_s=THINK_S)
    label = f"{LABEL} next, {ANNOTATORS} annotators at {THINK_S[0]:g}-{THINK_S[1]:g} s an image"
    rows += [
        Row(f"{label} p50 (ms)", ours.percentile(50), bare.percentile(50)),
        Row(f"{label} p95 (ms)", ours.percentile(95), bare.percentile(95)),
    ]
    ctx.facts.append(f"{label}: {ours.requests} + {bare.requests} claims")

    # One annotator: the service time of a next, without queueing behind 49 others, at the
    # start of the batch and late in it (75% of the items done).
    seconds = min(options.max_seconds, 4.0)
    # And one annotator far ahead of their team, past AHEAD items whose other slots are open.
    states = (
        (lambda: None, "fresh batch"),
        (lambda: _fill(data, LATE_DONE), f"batch {LATE_DONE * 100 // ITEMS}% done"),
        (lambda: _fill_ahead(data, AHEAD), f"{AHEAD:,} items ahead of the team"),
    )
    for fill, state in states:
        reset(data)
        fill()
        alone = _cycles(
            port, data.tokens[:1], OURS_NEXT, OURS_SUBMIT, seconds=seconds, limit=options.max_requests, warmup=5
        ).load()
        reset(data)
        fill()
        alone_bare = _claims(data, 1, seconds=seconds, limit=options.max_requests, warmup=5)
        rows += [
            Row(f"{LABEL} next, 1 annotator, {state} p50 (ms)", alone.percentile(50), alone_bare.percentile(50)),
            Row(f"{LABEL} next, 1 annotator, {state} p95 (ms)", alone.percentile(95), alone_bare.percentile(95)),
        ]

    # Submissions per second: 8 annotators doing next + submit, ours beside the bare views,
    # in SUBMIT_ROUNDS short rounds taking turns (ours, bare, ours, ...) and reported as
    # each side's median round: on a shared machine the same code's rate swings by a third
    # from one quarter-minute to the next, and taking turns gives both sides the same
    # weather. The rounds go on through the batch without a reset (each takes a few percent
    # of its slots), so both sides meet the same state.
    clients = data.tokens[: options.clients]
    round_seconds = max(1.0, options.max_seconds / 3)
    rates: dict[str, list[float]] = {"ours": [], "bare": []}
    cycles = {"ours": 0, "bare": 0}
    reset(data)
    for _round in range(SUBMIT_ROUNDS):
        for side, (next_path, submit_path) in (("ours", (OURS_NEXT, OURS_SUBMIT)), ("bare", (BARE_NEXT, BARE_SUBMIT))):
            result = _cycles(
                port, clients, next_path, submit_path,
                seconds=round_seconds, limit=options.max_requests, warmup=options.warmup_per_client,
            )  # fmt: skip
            rates[side].append(result.cycles / result.elapsed_s)
            cycles[side] += result.cycles
    rows.append(
        Row(
            f"{LABEL} submissions/s, {len(clients)} clients (next+submit), median of {SUBMIT_ROUNDS} rounds",
            statistics.median(rates["ours"]),
            statistics.median(rates["bare"]),
        )
    )
    spread = {side: f"{min(values):.0f}-{max(values):.0f}/s" for side, values in rates.items()}
    ctx.facts.append(
        f"{LABEL} submit: {cycles['ours']} + {cycles['bare']} submissions in {SUBMIT_ROUNDS} rounds of "
        f"{round_seconds:g} s a side (rounds ranged ours {spread['ours']}, bare {spread['bare']})"
    )
    reset(data)
    return rows


# ---------------------------------------------------------------------------- measure: workbench


class _Visitor:
    """A logged-in browser without a browser: keeps cookies by hand, because with DEBUG=0
    the session and CSRF cookies are Secure and http.cookiejar would not send them over
    http://127.0.0.1."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, url, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                self.cookies.update({key: morsel.value for key, morsel in jar.items()})
            return response.status, content
        finally:
            conn.close()

    def log_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise BenchError(f"GET /accounts/login/: HTTP {status}, no CSRF field")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
        ).encode()
        status, page = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302 or settings.SESSION_COOKIE_NAME not in self.cookies:
            raise BenchError(f"logging in as {username}: HTTP {status}: {page[:300]!r}")


def _page_weight(visitor: _Visitor) -> tuple[float, dict[str, int]]:
    """The workbench page and every script and stylesheet it links, gzipped (level 9, as
    whitenoise's precompressed files are); the image is not counted."""
    status, html = visitor.request("GET", "/work/label/")
    if status != 200:
        raise BenchError(f"GET /work/label/: HTTP {status}: {html[:300]!r}")
    if b'id="wb-stage"' not in html:
        raise BenchError("/work/label/ has no #wb-stage")
    assets = re.findall(rb'<script[^>]+src="([^"]+)"', html) + re.findall(
        rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html
    )
    sizes = {"/work/label/": len(gzip.compress(html))}
    for asset in (a.decode() for a in assets):
        status, body = visitor.request("GET", asset)
        if status != 200:
            raise BenchError(f"GET {asset}: HTTP {status}")
        sizes[asset] = len(gzip.compress(body))
    if not any("workbench" in name and name.endswith(".js") for name in sizes):
        raise BenchError(f"the workbench page links no workbench script: {sorted(sizes)}")
    return sum(sizes.values()) / 1024, sizes


_READY_OBSERVER = """
window.__aidouReadyAt = null;
new MutationObserver((records, observer) => {
  const stage = document.getElementById("wb-stage");
  if (stage && stage.dataset.ready === "1") { window.__aidouReadyAt = performance.now(); observer.disconnect(); }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
"""


def _first_image_ms(base: str, cookies: dict[str, str], item_id: int) -> tuple[float, float]:
    """Median ms from navigation start to the image drawn (ours) and to a plain <img>'s
    onload (bare), each load in a fresh context (cold cache), the two pages alternating."""
    from playwright.sync_api import sync_playwright

    pages = {"ours": f"{base}/work/label/", "bare": f"{base}/bench/bare/labelling/image/{item_id}/"}
    timings: dict[str, list[float]] = {"ours": [], "bare": []}
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in range(WARM_LOADS + LOADS):
                for kind, url in pages.items():
                    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
                    try:
                        context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
                        page = context.new_page()
                        page.on("pageerror", lambda exc: problems.append(str(exc)))
                        page.on(
                            "request",
                            lambda r: None if r.url.startswith((base, "data:")) else problems.append(r.url),
                        )
                        page.add_init_script(_READY_OBSERVER)
                        page.goto(url, wait_until="commit")
                        try:
                            page.wait_for_function("window.__aidouReadyAt !== null", timeout=30_000)
                        except Exception as exc:
                            raise BenchError(
                                f"{url}: no drawn image within 30 s (#wb-stage data-ready never 1); "
                                f"page errors: {problems[:3]}"
                            ) from exc
                        ms = page.evaluate("window.__aidouReadyAt")
                    finally:
                        context.close()
                    if n >= WARM_LOADS:
                        timings[kind].append(ms)
        finally:
            browser.close()
    if problems:
        raise BenchError(f"the pages had errors or reached outside hosts: {problems[:5]}")
    return statistics.median(timings["ours"]), statistics.median(timings["bare"])


def _workbench_rows(ctx: Context, data: Data) -> list[Row]:
    env = dict(ctx.server.env)
    var_dir = Path(env.get("AIDOU_VAR_DIR", ROOT / "var"))
    env["STATIC_ROOT"] = str(var_dir / "bench-static")
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if collected.returncode != 0:
        raise BenchError(f"collectstatic failed: {collected.stderr[-500:]}")
    # The browser's annotator holds one lease in the small batch: claim (or renew) it now,
    # so every load shows the same item and the bare page can show the same image.
    with Server(env, workers=ctx.server.workers, log_name="gunicorn-labelling.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            status, body = _post(conn, OURS_NEXT, b"", {"Authorization": f"Token {data.viewer_token}"})
        finally:
            conn.close()
        if status != 200:
            raise BenchError(f"the browser's annotator got no task: HTTP {status}: {body[:300]!r}")
        item_id = json.loads(body)["item"]["id"]
        visitor = _Visitor(server.port)
        visitor.log_in(VIEWER, PASSWORD)
        weight_kb, sizes = _page_weight(visitor)
        ours_ms, bare_ms = _first_image_ms(f"http://127.0.0.1:{server.port}", visitor.cookies, item_id)
    ctx.facts.append(
        f"workbench: {', '.join(f'{Path(k).name or k} {v / 1024:.1f} KB' for k, v in sizes.items())} gzipped"
    )
    return [
        Row(f"workbench page gzip KB (bare = the {BUDGET_KB} KB budget)", weight_kb, BUDGET_KB),
        Row(f"workbench first image drawn, cold, median of {LOADS} (ms) (bare: <img> onload)", ours_ms, bare_ms),
    ]


def measure(ctx: Context) -> list[Row]:
    data = _data()
    clean = clean_annotation(ANNOTATION, SCHEMA, width=WIDTH, height=HEIGHT)
    if clean != ANNOTATION:
        raise BenchError("the bench annotation is not what the engine would store: fix ANNOTATION")
    rows = _engine_rows(ctx, data)
    rows += _workbench_rows(ctx, data)
    return rows
