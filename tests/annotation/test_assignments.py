"""The assignment engine and the workbench API: leases, overlap, expiry, skips, pauses,
reassignment, validation and scoping (API.md, Workbench)."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotation.models import Annotation, Assignment, Batch, Item, Task
from annotation.services import assignments as engine
from annotation.services.assignments import assignment_heartbeat, assignment_next
from annotation.services.batches import Assignees, ItemChoice, batch_create, batch_set_status
from tests import factories
from tests.annotation.factories import labelling_project
from tests.openapi import assert_matches_schema

NEXT = "/api/v1/assignments/next/"


def submit_url(assignment_id) -> str:
    return f"/api/v1/assignments/{assignment_id}/submit/"


BOX = {"shapes": [{"type": "bbox", "label": "car", "x": 10.123, "y": 20.5, "w": 100, "h": 50.456}], "class": "day"}


@pytest.fixture
def colleague(centre, hr, team):
    person = factories.worker(actor=hr, centre=centre, name="李红")
    team.members.add(person)
    return person


def open_batch(supervisor, project, *, teams=(), annotators=(), size=None, **fields) -> Batch:
    return batch_create(
        actor=supervisor,
        project=project,
        choice=ItemChoice(size=size or project.items.count()),
        assignees=Assignees(teams=[t.pk for t in teams], annotators=[a.pk for a in annotators]),
        **fields,
    )


def expire(assignment_id: int) -> None:
    """Move a lease's end into the past, as if the annotator had walked away."""
    past = timezone.now() - timedelta(seconds=1)
    Assignment.objects.filter(pk=assignment_id).update(lease_expires_at=past)
    Task.objects.filter(assignment_id=assignment_id).update(free_at=past)


@pytest.mark.django_db
def test_next_hands_out_a_task_and_the_same_one_again_while_the_lease_is_open(api, supervisor, annotator, team):
    project = labelling_project(items=3, instructions="Box every car.")
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    first = client.post(NEXT)
    assert first.status_code == 200, first.content
    assert_matches_schema(first, "post")
    body = first.json()
    item = Item.objects.get(pk=body["item"]["id"])
    assert body["item"] == {"id": item.pk, "image_url": f"/api/v1/items/{item.pk}/image/", "width": 640, "height": 480}
    assert body["project"]["instructions"] == "Box every car."
    assert body["project"]["label_schema"]["labels"][0]["name"] == "car"
    assert item.pk == project.items.order_by("id").first().pk  # oldest first
    assert client.post(NEXT).json()["id"] == body["id"]
    assert Assignment.objects.count() == 1
    assignment = Assignment.objects.get()
    assert assignment.reason["batch"] == assignment.batch_id
    assert assignment.reason["via"] == f"team {team.pk}"
    assert assignment.reason["rule"] == "priority, then due date, then age"
    item.refresh_from_db()
    assert item.status == Item.Status.IN_PROGRESS
    # The annotator may now see the image; the prefetch hint names the next one.
    assert client.get(body["item"]["image_url"]).status_code == 200
    assert body["prefetch"] == [f"/api/v1/items/{project.items.order_by('id')[1].pk}/image/"]
    assert client.get(body["prefetch"][0]).status_code == 200  # fetched early, before its lease


@pytest.mark.django_db
def test_overlap_gives_an_item_to_k_different_annotators_and_never_twice_to_one(api, supervisor, hr, centre, team):
    project = labelling_project(items=2, overlap=2)
    people = [factories.worker(actor=hr, centre=centre, team=team) for _ in range(4)]
    open_batch(supervisor, project, teams=[team])
    got = {}
    for person in people:
        response = api(person).post(NEXT)
        got[person.pk] = response.json()["item"]["id"] if response.status_code == 200 else None
    first, second = project.items.order_by("id")
    assert [got[p.pk] for p in people] == [first.pk, first.pk, second.pk, second.pk]
    # The first annotator submits and asks again: the only item left open to her is none.
    assignment = Assignment.objects.get(annotator=people[0])
    assert api(people[0]).post(submit_url(assignment.pk), BOX, format="json").status_code == 201
    assert api(people[0]).post(NEXT).status_code == 204
    assert Task.objects.filter(item=first, done=True).count() == 1


@pytest.mark.django_db
def test_priority_then_due_date_decide_which_batch_goes_first(api, supervisor, annotator, team):
    low = labelling_project(items=1)
    urgent = labelling_project(items=1)
    later = labelling_project(items=1)
    open_batch(supervisor, low, teams=[team], priority=0)
    open_batch(supervisor, later, teams=[team], priority=5, due=timezone.localdate() + timedelta(days=9))
    open_batch(supervisor, urgent, teams=[team], priority=5, due=timezone.localdate() + timedelta(days=1))
    order = []
    client = api(annotator)
    for _ in range(3):
        body = client.post(NEXT).json()
        order.append(body["project"]["id"])
        client.post(submit_url(body["id"]), {"shapes": []}, format="json")
    assert order == [urgent.pk, later.pk, low.pk]


@pytest.mark.django_db
def test_submit_stores_exactly_what_was_drawn_and_counts_toward_the_item(api, supervisor, annotator, team):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    task = client.post(NEXT).json()
    shapes = [
        {"type": "bbox", "label": "car", "x": 10.123, "y": 20.5, "w": 100, "h": 50.456},
        {"type": "polygon", "label": "person", "points": [[1.005, 2], [600.25, 3.333], [300, 479.999]]},
        {"type": "keypoints", "label": "person", "points": {"head": [30, 12, 2], "left_hand": [5.5, 6.25, 1]}},
    ]
    response = client.post(
        submit_url(task["id"]), {"shapes": shapes, "class": "night", "time_spent_ms": 4200}, format="json"
    )
    assert response.status_code == 201, response.content
    assert_matches_schema(response, "post")
    stored = Annotation.objects.get()
    assert stored.image_class == "night"
    assert stored.client_time_ms == 4200
    box, polygon, points = stored.shapes
    assert (box["x"], box["y"], box["w"], box["h"]) == (10.12, 20.5, 100, 50.46)
    assert polygon["points"] == [[1.0, 2], [600.25, 3.33], [300, 480.0]]
    assert points["points"] == {"head": [30, 12, 2], "left_hand": [5.5, 6.25, 1], "right_hand": [0, 0, 0]}
    assert Item.objects.get().status == Item.Status.REVIEW
    # A retry of the same submission (a dropped link) is answered with the stored one.
    again = client.post(submit_url(task["id"]), {"shapes": [], "class": None}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == stored.pk
    assert Annotation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("shapes", "image_class", "field"),
    [
        ([{"type": "bbox", "label": "car", "x": 600, "y": 10, "w": 100, "h": 10}], None, "shapes[0]"),
        ([{"type": "bbox", "label": "tree", "x": 1, "y": 1, "w": 10, "h": 10}], None, "shapes[0]"),
        ([{"type": "polygon", "label": "car", "points": [[1, 1], [5, 5]]}], None, "shapes[0]"),
        ([{"type": "polygon", "label": "car", "points": [[1, 1], [5, 5], [1, 5, 0]]}], None, "shapes[0]"),
        ([{"type": "polygon", "label": "car", "points": [[1, 1], [5, 5], ["1", 5]]}], None, "shapes[0]"),
        ([{"type": "bbox", "label": "car", "x": True, "y": 1, "w": 10, "h": 10}], None, "shapes[0]"),
        # A 400-digit number (no float holds it) is a 400 like any bad coordinate, not a 500.
        ([{"type": "bbox", "label": "car", "x": 10**400, "y": 1, "w": 10, "h": 10}], None, "shapes[0]"),
        ([{"type": "polygon", "label": "car", "points": [[1, 1], [5, 5], [-(10**400), 5]]}], None, "shapes[0]"),
        ([{"type": "keypoints", "label": "person", "points": {"tail": [1, 1, 2]}}], None, "shapes[0]"),
        ([], "dusk", "class"),
        ("not a list", None, "shapes"),
    ],
)
def test_bad_submissions_get_400_naming_the_field_and_store_nothing(
    api, supervisor, annotator, team, shapes, image_class, field
):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    task = client.post(NEXT).json()
    response = client.post(submit_url(task["id"]), {"shapes": shapes, "class": image_class}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Annotation.objects.count() == 0
    assert Assignment.objects.get().status == Assignment.Status.LEASED  # still theirs to fix


@pytest.mark.django_db
def test_an_expired_lease_returns_to_the_pool_and_a_late_submit_gets_409(api, supervisor, annotator, colleague, team):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    mine = api(annotator).post(NEXT).json()
    assert api(colleague).post(NEXT).status_code == 204  # overlap 1: the only slot is leased
    expire(mine["id"])
    theirs = api(colleague).post(NEXT).json()
    assert theirs["item"]["id"] == mine["item"]["id"]
    assert Assignment.objects.get(pk=mine["id"]).status == Assignment.Status.EXPIRED
    late = api(annotator).post(submit_url(mine["id"]), BOX, format="json")
    assert late.status_code == 409
    assert Annotation.objects.count() == 0
    assert api(colleague).post(submit_url(theirs["id"]), BOX, format="json").status_code == 201


@pytest.mark.django_db
def test_a_late_submit_is_accepted_when_nobody_else_took_the_item(api, supervisor, annotator, team):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    mine = client.post(NEXT).json()
    expire(mine["id"])
    assert client.post(submit_url(mine["id"]), BOX, format="json").status_code == 201


@pytest.mark.django_db
def test_coming_back_after_the_lease_ran_out_resumes_the_same_image_with_its_draft(api, supervisor, annotator, team):
    project = labelling_project(items=2)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    mine = client.post(NEXT).json()
    draft = {"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 1, "w": 5, "h": 5}], "class": None}
    beat = client.post(f"/api/v1/assignments/{mine['id']}/heartbeat/", {"active": True, "draft": draft}, format="json")
    assert beat.status_code == 200
    expire(mine["id"])
    again = client.post(NEXT).json()
    assert again["id"] == mine["id"]
    assert again["draft"] == draft
    assert Assignment.objects.get(pk=mine["id"]).lease_expires_at > timezone.now()


@pytest.mark.django_db
def test_skip_needs_a_reason_and_the_item_never_comes_back_to_the_same_annotator(
    api, supervisor, annotator, colleague, team
):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    mine = client.post(NEXT).json()
    skip = f"/api/v1/assignments/{mine['id']}/skip/"
    assert client.post(skip, {"reason": "  "}, format="json").status_code == 400
    response = client.post(skip, {"reason": "Image too blurry"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "skipped"
    assert Item.objects.get().status == Item.Status.NEW
    assert client.post(NEXT).status_code == 204  # never the same item twice
    assert api(colleague).post(NEXT).json()["item"]["id"] == mine["item"]["id"]
    assert client.post(skip, {"reason": "again"}, format="json").status_code == 409


@pytest.mark.django_db
def test_slots_that_come_back_behind_an_annotator_reach_them_in_item_order(
    api, supervisor, annotator, colleague, hr, centre, team
):
    project = labelling_project(items=5)
    open_batch(supervisor, project, teams=[team])
    third = factories.worker(actor=hr, centre=centre, name="王芳", team=team)
    first, second, third_item, fourth, fifth = project.items.order_by("id").values_list("pk", flat=True)
    me = api(annotator)

    def take_and_submit(expected_item: int) -> int:
        task = me.post(NEXT).json()
        assert task["item"]["id"] == expected_item
        assert me.post(submit_url(task["id"]), BOX, format="json").status_code == 201
        return task["id"]

    held_by_colleague = api(colleague).post(NEXT).json()
    held_by_third = api(third).post(NEXT).json()
    take_and_submit(third_item)  # she goes past the two images the others hold
    # A skip behind her hands her that image before the ones ahead of her.
    skipped = api(colleague).post(f"/api/v1/assignments/{held_by_colleague['id']}/skip/", {"reason": "blurry"})
    assert skipped.status_code == 200
    take_and_submit(first)
    # So does a lease that ran out behind her; its holder's turn ends.
    expire(held_by_third["id"])
    took_over = take_and_submit(second)
    assert Assignment.objects.get(pk=held_by_third["id"]).status == Assignment.Status.EXPIRED
    reason = Assignment.objects.get(pk=took_over).reason
    assert (reason["slot"], reason["took_over"], reason["via"]) == (0, held_by_third["id"], f"team {team.pk}")
    # What she skipped herself stays behind her, free for the others but never hers again.
    mine = me.post(NEXT).json()
    assert mine["item"]["id"] == fourth
    assert me.post(f"/api/v1/assignments/{mine['id']}/skip/", {"reason": "no cars"}).status_code == 200
    take_and_submit(fifth)
    assert me.post(NEXT).status_code == 204
    assert api(colleague).post(NEXT).json()["item"]["id"] == fourth


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's EXPLAIN ANALYZE")
def test_a_claim_reads_a_few_assignments_however_far_ahead_the_annotator_is(supervisor, annotator, team, monkeypatch):
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)
    project = labelling_project(items=30, overlap=3)
    batch = open_batch(supervisor, project, teams=[team])
    for _ in range(25):  # alone on the batch: each image done leaves two open slots behind her
        offer = assignment_next(annotator=annotator)
        engine.assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=BOX)
    now = timezone.now()
    params = {"until": now + timedelta(minutes=30), "batch": batch.pk, "now": now, "me": annotator.pk}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + engine.claim_sql(), params)
        (explained,) = cursor.fetchone()
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    reads = sum(
        node.get("Actual Loops", 0)
        for node in plan_nodes(plan)
        if node.get("Relation Name") == "annotation_assignment" and node.get("Actual Loops")
    )
    # Her reach, and the one slot past it that is new to her; not the 50 open slots of
    # images she already did.
    assert reads <= 3
    assert Task.objects.filter(batch=batch, done=False, item__assignments__annotator=annotator).count() == 50


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's EXPLAIN ANALYZE")
def test_a_claims_generic_plan_finds_a_newcomers_reach_without_reading_others_work(
    supervisor, annotator, colleague, team, monkeypatch
):
    # A statement a connection keeps running is prepared, and PostgreSQL may then use one
    # plan for every annotator: it must not walk everyone's assignments to find that a
    # newcomer has none.
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)
    project = labelling_project(items=30, overlap=3)
    batch = open_batch(supervisor, project, teams=[team])
    for _ in range(25):
        offer = assignment_next(annotator=annotator)
        engine.assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=BOX)
    now = timezone.now()
    values = {"until": now + timedelta(minutes=30), "batch": batch.pk, "now": now, "me": colleague.pk}
    names: list[str] = []

    def numbered(match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((\w+)\)s", numbered, engine.claim_sql())
    types = {"until": "timestamptz", "now": "timestamptz", "batch": "bigint", "me": "bigint"}
    literals = ", ".join(f"'{values[name]}'::{types[name]}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotation_assignment")  # as autovacuum would: one annotator's work so far
        cursor.execute(f"PREPARE claim_probe ({', '.join(types[name] for name in names)}) AS {text}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_probe ({literals})")
        (explained,) = cursor.fetchone()
        cursor.execute("DEALLOCATE claim_probe")
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    (reach,) = [node for node in plan_nodes(plan) if node.get("Subplan Name") == "CTE reach"]
    looked_at = sum(
        (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * node.get("Actual Loops", 1)
        for node in plan_nodes(reach)
        if node.get("Relation Name") == "annotation_assignment"
    )
    assert looked_at <= 1  # the index entry before hers, not her colleague's 25 assignments


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's pg_prepared_statements")
def test_the_claim_keeps_one_plan_once_its_connection_prepared_it(supervisor, annotator, team, monkeypatch):
    # Left to choose, PostgreSQL planned the claim again on every run (0.9 ms, more than
    # running it): its first five runs as a prepared statement get custom plans.
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)
    project = labelling_project(items=15, overlap=1)
    open_batch(supervisor, project, teams=[team])
    for _ in range(12):
        offer = assignment_next(annotator=annotator)
        engine.assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=BOX)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%INSERT INTO annotation_assignment (id, task_id,%"],
        )
        ((generic, custom),) = cursor.fetchall()
    assert custom == 0
    assert generic >= 5


@pytest.mark.django_db
def test_pausing_stops_new_leases_but_open_ones_may_finish(api, supervisor, annotator, colleague, team):
    project = labelling_project(items=3)
    batch = open_batch(supervisor, project, teams=[team])
    mine = api(annotator).post(NEXT).json()
    batch_set_status(actor=supervisor, batch=batch, action="pause")
    assert api(colleague).post(NEXT).status_code == 204
    assert api(annotator).post(NEXT).json()["id"] == mine["id"]  # her open lease is still hers
    assert api(annotator).post(submit_url(mine["id"]), BOX, format="json").status_code == 201
    assert api(annotator).post(NEXT).status_code == 204
    batch_set_status(actor=supervisor, batch=batch, action="resume")
    assert api(colleague).post(NEXT).status_code == 200
    batch_set_status(actor=supervisor, batch=batch, action="close")
    assert api(annotator).post(NEXT).status_code == 204


@pytest.mark.django_db
def test_reassignment_takes_the_image_back_and_the_old_holder_gets_409(api, supervisor, annotator, centre, hr, team):
    project = labelling_project(items=1)
    batch = open_batch(supervisor, project, teams=[team])
    mine = api(annotator).post(NEXT).json()
    newcomer = factories.worker(actor=hr, centre=centre, name="新人")
    response = api(supervisor).patch(
        f"/api/v1/batches/{batch.pk}/",
        {"teams": [], "annotators": [newcomer.pk], "release_leases": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["annotators"] == [newcomer.pk]
    theirs = api(newcomer).post(NEXT).json()
    assert theirs["item"]["id"] == mine["item"]["id"]
    assert api(annotator).post(submit_url(mine["id"]), BOX, format="json").status_code == 409
    assert api(annotator).post(NEXT).status_code == 204


@pytest.mark.django_db
def test_annotators_reach_only_their_own_work(api, supervisor, annotator, team, other_centre, other_hr):
    project = labelling_project(items=2)
    open_batch(supervisor, project, teams=[team])
    stranger = factories.worker(actor=other_hr, centre=other_centre, name="外人")
    other_team = factories.TeamFactory(centre=other_centre)
    other_team.members.add(stranger)
    assert api(stranger).post(NEXT).status_code == 204  # another team's batch is not open to her
    mine = api(annotator).post(NEXT).json()
    client = api(stranger)
    for url in (
        submit_url(mine["id"]),
        f"/api/v1/assignments/{mine['id']}/skip/",
        f"/api/v1/assignments/{mine['id']}/heartbeat/",
    ):
        assert client.post(url, {"reason": "x", "shapes": []}, format="json").status_code == 404
    assert client.get(f"/api/v1/assignments/{mine['id']}/").status_code == 404
    assert client.get(mine["item"]["image_url"]).status_code == 404
    assert client.get("/api/v1/assignments/").json()["count"] == 0
    assert api(annotator).get("/api/v1/assignments/").json()["count"] == 1


@pytest.mark.django_db
def test_only_annotators_take_tasks(api, supervisor):
    assert api(supervisor).post(NEXT).status_code == 403
    assert api().post(NEXT).status_code in (401, 403)


@pytest.mark.django_db
def test_heartbeats_count_active_time_up_to_the_idle_cut_off(supervisor, annotator, team, settings):
    settings.WORKBENCH_IDLE_CUTOFF_SECONDS = 60
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    offer = assignment_next(annotator=annotator)
    assignment = Assignment.objects.get(pk=offer.assignment_id)
    start = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(last_seen_at=start - timedelta(seconds=15))
    assignment_heartbeat(annotator=annotator, assignment_id=assignment.pk, active=True)
    assignment.refresh_from_db()
    assert 15_000 <= assignment.active_ms < 16_000
    # Twenty minutes away from the desk count as the cut-off, not twenty minutes.
    Assignment.objects.filter(pk=assignment.pk).update(last_seen_at=timezone.now() - timedelta(minutes=20))
    assignment_heartbeat(annotator=annotator, assignment_id=assignment.pk, active=True)
    assignment.refresh_from_db()
    assert 75_000 <= assignment.active_ms < 76_000
    # An idle heartbeat adds nothing.
    Assignment.objects.filter(pk=assignment.pk).update(last_seen_at=timezone.now() - timedelta(seconds=30))
    assignment_heartbeat(annotator=annotator, assignment_id=assignment.pk, active=False)
    assignment.refresh_from_db()
    assert 75_000 <= assignment.active_ms < 76_000


@pytest.mark.django_db
def test_next_and_submit_take_a_constant_number_of_queries(
    api, supervisor, annotator, team, django_assert_max_num_queries, monkeypatch
):
    # A gold draw adds one query (looking for a gold item) on a share of calls; not here.
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)
    project = labelling_project(items=30, overlap=2)
    open_batch(supervisor, project, teams=[team])
    client = api(annotator)
    # Written-out SQL (annotation/services/assignments.py): on SQLite a claim's and a
    # submit's writes are separate statements; on PostgreSQL a claim and its writes are
    # one, a submit's writes another, and the annotator's open batches come with their
    # row. (The test's transaction adds a savepoint and its release around each.)
    postgres = connection.vendor == "postgresql"
    for _ in range(3):
        with django_assert_max_num_queries(5 if postgres else 9):
            task = client.post(NEXT).json()
        with django_assert_max_num_queries(5 if postgres else 8):
            assert client.post(submit_url(task["id"]), BOX, format="json").status_code == 201


@pytest.mark.django_db
def test_annotator_home_shows_counts_and_recent_work(client, supervisor, annotator, team):
    project = labelling_project(items=2)
    open_batch(supervisor, project, teams=[team])
    offer = assignment_next(annotator=annotator)
    from annotation.services.assignments import assignment_submit

    assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=BOX)
    client.force_login(annotator)
    page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["stats"]["today"] == 1
    assert page.context["open_batches"] == 1
    assert [work.pk for work in page.context["recent"]] == [offer.assignment_id]
    assert b'id="start-working"' in page.content


@pytest.mark.django_db
def test_workbench_page_is_for_annotators(client, supervisor, annotator):
    client.force_login(supervisor)
    assert client.get("/work/label/").status_code == 403
    client.force_login(annotator)
    assert client.get("/work/label/").status_code == 200
