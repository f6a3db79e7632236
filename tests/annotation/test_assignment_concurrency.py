"""The engine under load: many annotators (some in two tabs) calling next/submit/skip at
once against gunicorn with several processes. On PostgreSQL (CI) this is 50 threads x
100 calls; on SQLite a smaller run of the same test. Afterwards no item holds more live
or finished turns than its overlap, nobody has any item twice, and nothing failed."""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from rest_framework.authtoken.models import Token

from annotation.models import Annotation, Assignment, Item, Task
from annotation.services.batches import Assignees, ItemChoice, batch_create
from tests import factories
from tests.annotation.factories import labelling_project
from tests.servers import gunicorn_server

BOX = {"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 2, "w": 30, "h": 20}], "class": None}


@pytest.mark.django_db(transaction=True)
def test_no_item_is_over_assigned_and_nobody_gets_an_item_twice(centre, hr, supervisor):
    postgres = connection.vendor == "postgresql"
    threads, calls, annotators, items, overlap = (50, 100, 40, 1200, 3) if postgres else (10, 30, 8, 60, 2)
    project = labelling_project(items=items, overlap=overlap, width=64, height=48)
    team = factories.TeamFactory(centre=centre)
    people = [factories.worker(actor=hr, centre=centre, team=team) for _ in range(annotators)]
    tokens = [Token.objects.create(user=person).key for person in people]
    batch_create(actor=supervisor, project=project, choice=ItemChoice(size=items), assignees=Assignees(teams=[team.pk]))

    def work(thread: int) -> Counter:
        # Threads beyond the number of annotators are a second tab of the same person.
        session = requests.Session()
        session.headers["Authorization"] = f"Token {tokens[thread % annotators]}"
        rng, seen = random.Random(thread), Counter()
        for _ in range(calls):
            task = session.post(f"{base}/api/v1/assignments/next/", timeout=30)
            seen[f"next {task.status_code}"] += 1
            if task.status_code != 200:
                continue
            assignment = task.json()["id"]
            if rng.random() < 0.1:
                done = session.post(
                    f"{base}/api/v1/assignments/{assignment}/skip/", json={"reason": "blurry"}, timeout=30
                )
                seen[f"skip {done.status_code}"] += 1
            else:
                done = session.post(f"{base}/api/v1/assignments/{assignment}/submit/", json=BOX, timeout=30)
                seen[f"submit {done.status_code}"] += 1
        return seen

    with gunicorn_server(workers=4, threads=8 if postgres else 4) as base:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = sum(pool.map(work, range(threads)), Counter())

    assert not [key for key in outcomes if key.endswith(("500", "502", "503"))], outcomes
    assert outcomes["next 200"] > 0
    # Two tabs of one person may both submit the same assignment: one 201, one 200. A skip
    # raced by the other tab's submit is a 409; nothing else.
    assert set(outcomes) <= {"next 200", "next 204", "submit 201", "submit 200", "skip 200", "skip 409",
                             "submit 409"}, outcomes  # fmt: skip
    live = Assignment.objects.filter(status__in=[Assignment.Status.LEASED, Assignment.Status.SUBMITTED])
    busiest = live.values("item_id").annotate(n=Count("id")).order_by("-n").first()
    assert busiest["n"] <= overlap
    most_annotations = Annotation.objects.values("item_id").annotate(n=Count("id")).order_by("-n").first()
    assert most_annotations["n"] <= overlap
    twice = Assignment.objects.values("item_id", "annotator_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    assert Annotation.objects.count() == outcomes["submit 201"]
    # Each annotator holds at most one open lease at any time.
    open_leases = Assignment.objects.filter(status=Assignment.Status.LEASED)
    assert not open_leases.values("annotator_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    # An item goes to review exactly when its last slot is done, even when its annotators
    # finish at the same moment (each item's slots are handed out one after the other).
    open_slots = Task.objects.filter(item=OuterRef("pk"), done=False)
    finished = Item.objects.filter(project=project).exclude(Exists(open_slots))
    assert finished.exists()
    assert set(finished.values_list("status", flat=True)) == {Item.Status.REVIEW}
    assert not Item.objects.filter(project=project, status=Item.Status.REVIEW).filter(Exists(open_slots)).exists()
