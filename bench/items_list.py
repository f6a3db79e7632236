"""items_list: GET /api/v1/projects/{id}/items/?page_size=100 with a client's API key,
in a project of 100,000 items.

Ours: the production endpoint (API-key auth, throttle, project scoping, filter set,
paginator, ItemSerializer). Bare limit: a plain view that checks the key with one query
and builds the same page from raw SQL. measure() checks both return the same rows.
"""

import hashlib
import json
import time

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path

from annotation.models import ApiKey, Item, Organisation, Project
from annotation.services.projects import project_item_count_refresh
from bench.common import BenchError, Context, Row, drive, load_rows, page_check

NAME = "items_list"
LABEL = "items list"
ITEMS = 100_000
PAGE_SIZE = 100
ORGANISATION = "Bench items client"
KEY = "aidou_benchitm_BenchOnlyKeyForTheItemsList0123456789"  # noqa: S105 - bench database only


def _project() -> Project | None:
    return Project.objects.filter(organisation__name=ORGANISATION).first()


def setup() -> list[str]:
    project = _project()
    if project is None:
        began = time.perf_counter()
        with transaction.atomic():
            organisation = Organisation.objects.create(name=ORGANISATION)
            ApiKey.objects.create(
                organisation=organisation,
                name="bench",
                prefix="benchitm",
                key_hash=hashlib.sha256(KEY.encode()).hexdigest(),
            )
            project = Project.objects.create(
                organisation=organisation,
                name="bench items",
                label_schema={"tools": ["bbox"], "labels": [{"name": "car", "color": "#e6194b"}]},
            )
            Item.objects.bulk_create(
                (
                    Item(
                        project=project,
                        file_name=f"frames/frame_{n:06d}.jpg",
                        image=f"items/bench/{n}.jpg",
                        thumbnail=f"thumbs/bench/{n}.webp",
                        content_type="image/jpeg",
                        width=1280,
                        height=720,
                        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                        status=("new", "in_progress", "done")[n % 3],
                    )  # fmt: skip
                    for n in range(ITEMS)
                ),
                batch_size=2000,
            )
            project_item_count_refresh(project_id=project.pk)  # as an import would
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"  {NAME}: created {ITEMS:,} items in {time.perf_counter() - began:.1f} s", flush=True)
    count = Item.objects.filter(project=project).count()
    if count != ITEMS:
        raise BenchError(f"the bench project has {count} items, expected {ITEMS}: delete the bench database")
    return [f"{ITEMS:,} items"]


def bare_items(request, project_id: int):
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organisation_id FROM annotation_apikey WHERE prefix = %s AND key_hash = %s AND revoked_at IS NULL",
            [key.split("_")[1] if key.count("_") >= 2 else "", hashlib.sha256(key.encode()).hexdigest()],
        )
        row = cursor.fetchone()
        if row is None:
            return HttpResponse(status=401)
        page = int(request.GET.get("page", "1"))
        page_size = min(int(request.GET.get("page_size", "50")), 1000)
        cursor.execute("SELECT COUNT(*) FROM annotation_item WHERE project_id = %s", [project_id])
        count = cursor.fetchone()[0]
        cursor.execute(
            "SELECT i.id, i.file_name, i.width, i.height, i.sha256, i.status, i.created_at FROM annotation_item i "
            "JOIN annotation_project p ON p.id = i.project_id "
            "WHERE i.project_id = %s AND p.organisation_id = %s ORDER BY i.id LIMIT %s OFFSET %s",
            [project_id, row[0], page_size, (page - 1) * page_size],
        )
        results = [
            {
                "id": r[0],
                "file_name": r[1],
                "width": r[2],
                "height": r[3],
                "sha256": r[4],
                "status": r[5],
                "created_at": r[6] if isinstance(r[6], str) else r[6].isoformat(),
            }  # fmt: skip
            for r in cursor.fetchall()
        ]
    body = {"count": count, "next": None, "previous": None, "results": results}
    return HttpResponse(json.dumps(body, separators=(",", ":")), content_type="application/json")


urlpatterns = [path("bench/bare/projects/<int:project_id>/items/", bare_items, name="bench-bare-items")]


def measure(ctx: Context) -> list[Row]:
    project = _project()
    ours_path = f"/api/v1/projects/{project.pk}/items/?page_size={PAGE_SIZE}&page=7"
    bare_path = f"/bench/bare/projects/{project.pk}/items/?page_size={PAGE_SIZE}&page=7"
    headers = {"Authorization": f"Token {KEY}", "Accept": "application/json"}
    for url in (ours_path, bare_path):
        status, body = ctx.server.get(url, headers)
        if status != 200:
            raise BenchError(f"GET {url}: HTTP {status}: {body[:300]!r}")
    ours_ids = [r["id"] for r in json.loads(ctx.server.get(ours_path, headers)[1])["results"]]
    bare_ids = [r["id"] for r in json.loads(ctx.server.get(bare_path, headers)[1])["results"]]
    if ours_ids != bare_ids:
        raise BenchError("the bare view's page differs from ours")
    check = page_check(PAGE_SIZE)
    ours = drive(ctx.server.port, ours_path, headers, check, ctx.options)
    bare = drive(ctx.server.port, bare_path, headers, check, ctx.options)
    ctx.facts.append(f"{LABEL}: {ours.requests} + {bare.requests} requests")
    return load_rows(LABEL, ours, bare)
