"""The assignment engine: who labels what next, leases, submissions, skips and heartbeats.

Correctness rests on the database, not on luck:
- `Task (item, slot)` is unique and an item has `overlap` slots, so an item can never be
  handed to more than `overlap` annotators at once;
- `Assignment (item, annotator)` is unique, so nobody gets the same item twice;
- a slot is claimed by one conditional UPDATE on a row picked with
  `FOR UPDATE SKIP LOCKED` (PostgreSQL), or under SQLite's single writer lock;
- each annotator's calls are serialised by a lock on their own user row, so two tabs
  cannot both claim;
- every path that touches a slot locks the Task row before the Assignment row (one
  order, so no deadlocks between a submit and a take-over).
"""

import functools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from aidou.parsers import unstorable_message
from aidou.text import json_unstorable
from annotation.earnings import annotation_earned
from annotation.models import Annotation, Assignment, Batch, Item, Project, Review, Task
from annotation.quality.sampling import SamplingDecision, SamplingPolicy, decide
from annotation.schema import SchemaError, clean_annotation
from annotation.selectors import OPEN_BATCH_COLUMNS, open_batches_for, open_batches_sql
from annotation.services.gold import gold_score
from annotation.services.projects import project_done_check
from workforce.models import Role, User

ORDER_RULE = "priority, then due date, then age"

# The claim takes the first free slot of the batch, in item order, whose item the
# annotator never had. Walking all the free slots would pass, one index probe each, every
# slot left open behind an annotator who is ahead of the others (alone on an overlap-3
# batch: two for each item they did). So it looks in two places. Behind their reach (the
# furthest item they have had a slot of) only at slots that came back to the pool: a slot
# there that nobody ever took was free when they went past it, and they would have taken
# it then. Past their reach every free slot is new to them. (A slot whose first claim
# rolled back after locking it is passed by whoever skipped over it then; others still get
# it.) The unique (item, annotator) index stays the guard in both places.
# `NOT t.done` and `t.taken` are written out, not bound: a bound value hides from the
# planner that the partial indexes apply (SQLite then sorts the whole batch).
# The reach is read as the last entry at or before (me, batch, any item) in the index
# assignment_slot_reach, kept only if it is theirs in this batch. Asked as MAX(item_id)
# for one annotator and batch, a prepared statement's generic plan may walk the item_id
# index backwards instead, filtering every later assignment of every batch; the order
# by all three columns, none of them fixed, has no other index to come from.
_REACH_CTE = """reach AS (
    SELECT COALESCE((
        SELECT CASE WHEN a.annotator_id = %(me)s AND a.batch_id = %(batch)s THEN a.item_id END
        FROM annotation_assignment a
        WHERE a.task_id IS NOT NULL AND (a.annotator_id, a.batch_id) <= (%(me)s, %(batch)s)
        ORDER BY a.annotator_id DESC, a.batch_id DESC, a.item_id DESC
        LIMIT 1
    ), 0) AS item_id
)"""
_FREE_SLOT = """COALESCE(
    (SELECT t.id FROM annotation_task t
     WHERE t.batch_id = %(batch)s AND NOT t.done AND t.taken AND t.item_id <= (SELECT item_id FROM reach)
       AND t.free_at <= %(now)s AND NOT EXISTS ({had})
     ORDER BY t.item_id, t.slot
     LIMIT 1{lock}),
    (SELECT t.id FROM annotation_task t
     WHERE t.batch_id = %(batch)s AND NOT t.done AND t.item_id > (SELECT item_id FROM reach)
       AND t.free_at <= %(now)s AND NOT EXISTS ({had})
     ORDER BY t.item_id, t.slot
     LIMIT 1{lock})
)"""
_CLAIM_SQL = f"""
WITH {_REACH_CTE}
UPDATE annotation_task SET free_at = %(until)s
WHERE id = {_FREE_SLOT}
RETURNING id, item_id, slot, assignment_id
"""  # noqa: S608 - constant SQL pieces; values are bound
_HAD_ITEM_SQL = "SELECT 1 FROM annotation_assignment a WHERE a.item_id = t.item_id AND a.annotator_id = %(me)s"


# PostgreSQL's pieces of the slot search. OFFSET 0 keeps it from turning NOT EXISTS into
# an anti-join that reads every earlier assignment (5 ms at 75 % of a batch); as written it
# probes the unique (item, annotator) index once per candidate slot (0.1 ms).
_PG_SLOT_SEARCH = {"had": _HAD_ITEM_SQL + " OFFSET 0", "lock": " FOR UPDATE SKIP LOCKED"}


def claim_sql() -> str:
    """The one statement that claims a free slot of a batch for an annotator. Parameters,
    by name: until (the lease's end), batch, now and me (the annotator's id). Exposed for
    the benchmark's bare row."""
    if connection.vendor == "postgresql":
        return _CLAIM_SQL.format(**_PG_SLOT_SEARCH)
    return _CLAIM_SQL.format(had=_HAD_ITEM_SQL, lock="")


class SubmissionError(DomainError):
    """A submitted annotation does not fit the project; `errors` is {field: [message]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("The annotation does not fit the project."))
        self.errors = errors

    def as_data(self) -> dict:
        return self.errors


@dataclass
class Offer:
    """What `next` hands the annotator: their assignment and what the workbench shows."""

    assignment_id: int
    created: bool
    status: str
    lease_expires_at: datetime
    draft: dict | None
    batch_id: int
    batch_name: str
    item_id: int
    width: int
    height: int
    prefill: dict | None
    project_id: int
    project_name: str
    label_schema: dict
    instructions: str
    likely_next_item_ids: list[int]
    # Work sent back by a reviewer: {"reasons", "comment", "reviewed_at"}; None otherwise.
    rework: dict | None = None


def _lease_length(project: Project) -> timedelta:
    return timedelta(minutes=project.lease_minutes)


def _credit_active_time(assignment: Assignment, now) -> None:
    assignment.active_ms = _active_ms_after(assignment.active_ms, assignment.last_seen_at, now)
    assignment.last_seen_at = now


def _hold(assignment: Assignment) -> bool:
    """Lock what the assignment holds and say whether it still holds it, with the
    assignment's current state copied in. Every write to an assignment's status, time or
    draft happens under its slot's lock (a gold item has no slot: its assignment row is
    the lock), so what is read here cannot change under us."""
    if assignment.task_id is None:
        current = Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    else:
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("assignment")
            .filter(pk=assignment.task_id)
            .first()
        )
        current = task.assignment if task is not None and task.assignment_id == assignment.pk else None
    if current is None:
        return False
    for name in ("status", "active_ms", "last_seen_at", "lease_expires_at"):
        setattr(assignment, name, getattr(current, name))
    return True


def _own_assignment(annotator: User, assignment_id) -> Assignment:
    if not str(assignment_id).isdigit():
        raise NotFound(_("No such assignment."))
    assignment = (
        Assignment.objects.select_related("item", "batch__project")
        .filter(pk=int(assignment_id), annotator=annotator)
        .first()
    )
    if assignment is None:
        raise NotFound(_("No such assignment."))
    return assignment


# `next` and `submit` run for every image of every annotator all day, so they are written
# as a few plain statements (no ORM query building; each saves ~0.5 ms of Python) and
# answer without re-reading what they just wrote.

# The annotator's row locked (two tabs are served one after the other), whether they may
# label, and what they already hold: their newest open lease, else the oldest work a
# reviewer sent back to them.
# On PostgreSQL the open batches they may draw from come in the same statement (one round
# trip, not two), as JSON.
# This statement and the PostgreSQL claim name their statuses and role as literals, not
# parameters: a prepared statement's generic plan then estimates what a custom plan does
# ("leased" is rare), so PostgreSQL keeps it instead of planning this statement again on
# every run (0.8 ms each time). The submit's statements kept their generic plans as they were.
_ANNOTATOR_SQL = """
SELECT EXISTS (SELECT 1 FROM workforce_rolegrant g WHERE g.user_id = u.id AND g.role = '{annotator}'),
       (SELECT a.id FROM annotation_assignment a WHERE a.annotator_id = u.id AND a.status IN ('{leased}', '{rework}')
         ORDER BY a.status = '{leased}' DESC, CASE WHEN a.status = '{leased}' THEN a.leased_at END DESC, a.id
         LIMIT 1){batches}
FROM workforce_user u WHERE u.id = %(me)s{lock}
"""


@functools.cache
def _annotator_sql(vendor: str) -> str:
    statuses = {"annotator": Role.ANNOTATOR, "leased": Assignment.Status.LEASED, "rework": Assignment.Status.REWORK}
    if vendor == "postgresql":
        # The claim that follows in this transaction keeps its generic plan: its parameters
        # (the batch, the time) leave the generic estimate above the custom one, so
        # PostgreSQL would plan the 7-part statement again on every run (0.9 ms, more than
        # running it). The generic plan reads the same indexes (the reach's test forces it).
        # set_config(..., true) lasts until the transaction ends.
        batches = f""",\n({open_batches_sql(as_json=True)}),
set_config('plan_cache_mode', 'force_generic_plan', true)"""
        return _ANNOTATOR_SQL.format(batches=batches, lock=" FOR NO KEY UPDATE OF u", **statuses)
    return _ANNOTATOR_SQL.format(batches="", lock="", **statuses)


# One assignment with everything the workbench shows for it, and the item the annotator
# will probably get next from the same batch, so the workbench can fetch its image early: a
# guess (nothing is reserved); the engine goes through a batch in item order, so the next
# free slot after this item is what comes next, and items after it are new to them.
_OFFER_SELECT = """
SELECT a.id, a.status, a.lease_expires_at, a.draft, b.id, b.name,
       i.id, i.width, i.height, i.prefill, p.id, p.name, p.label_schema, p.instructions,
       (SELECT t.item_id FROM annotation_task t
         WHERE t.batch_id = a.batch_id AND NOT t.done AND t.free_at <= {now} AND t.item_id > a.item_id
         ORDER BY t.item_id, t.slot LIMIT 1)
FROM {assignments} a
JOIN annotation_batch b ON b.id = a.batch_id
JOIN annotation_project p ON p.id = b.project_id
JOIN annotation_item i ON i.id = a.item_id
"""
_OFFER_SQL = _OFFER_SELECT.format(assignments="annotation_assignment", now="%s") + "WHERE a.id = %s"

_INSERT_ASSIGNMENT_SQL = """
INSERT INTO annotation_assignment (task_id, batch_id, item_id, annotator_id, status, reason, leased_at,
    lease_expires_at, finished_at, skip_reason, draft, active_ms, last_seen_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, '', NULL, 0, %s)
RETURNING id, status, lease_expires_at, draft, batch_id, item_id
"""
_HOLD_SLOT_SQL = "UPDATE annotation_task SET assignment_id = %s, taken = TRUE WHERE id = %s"
_ITEM_IN_PROGRESS_SQL = "UPDATE annotation_item SET status = %s WHERE id = %s AND status = %s"

# On PostgreSQL the claim, its writes and the read of what it hands out go as one
# statement (one round trip, not three): the slot is pointed at the assignment's id drawn
# ahead from its sequence (the foreign key is checked at commit), the slot's last holder
# whose lease ran out is expired (their turn is over; under the slot's lock no other lease
# on it can appear or change), the assignment is written with its audit reason, and the
# item is marked in progress. No row: no free slot in this batch.
_CLAIM_AND_RECORD_PG_SQL = f"""
WITH {_REACH_CTE},
slot AS (
    UPDATE annotation_task SET free_at = %(until)s, taken = TRUE,
        assignment_id = nextval(pg_get_serial_sequence('annotation_assignment', 'id'))
    WHERE id = {_FREE_SLOT}
    RETURNING id, item_id, slot, assignment_id
),
previous AS (
    UPDATE annotation_assignment SET status = '{{expired}}', finished_at = %(now)s
    WHERE task_id = (SELECT id FROM slot) AND status = '{{leased}}'
    RETURNING id
),
new AS (
    INSERT INTO annotation_assignment (id, task_id, batch_id, item_id, annotator_id, status, reason, leased_at,
        lease_expires_at, finished_at, skip_reason, draft, active_ms, last_seen_at)
    SELECT s.assignment_id, s.id, %(batch)s, s.item_id, %(me)s, '{{leased}}',
           %(reason)s::jsonb || jsonb_build_object('slot', s.slot, 'took_over', (SELECT max(id) FROM previous)),
           %(now)s, %(until)s, NULL, '', NULL, 0, %(now)s
    FROM slot s
    RETURNING id, status, lease_expires_at, draft, batch_id, item_id
),
item AS (
    UPDATE annotation_item SET status = '{{in_progress}}' WHERE id = (SELECT item_id FROM slot) AND status = '{{new}}'
)
{_OFFER_SELECT.format(assignments="new", now="%(now)s")}
""".format(  # noqa: S608 - constant SQL pieces and statuses
    **_PG_SLOT_SEARCH,
    leased=Assignment.Status.LEASED,
    expired=Assignment.Status.EXPIRED,
    in_progress=Item.Status.IN_PROGRESS,
    new=Item.Status.NEW,
)


def _claim_and_record_pg(cursor, *, batch: dict, annotator: User, reason: dict, now, until) -> Offer | None:
    """PostgreSQL: claim a free slot of the batch and hand it out, in one statement."""
    cursor.execute(
        _CLAIM_AND_RECORD_PG_SQL,
        {"until": until, "batch": batch["id"], "now": now, "me": annotator.pk,
         "reason": json.dumps(reason, ensure_ascii=False)},
    )  # fmt: skip
    row = cursor.fetchone()
    return None if row is None else _offer_from_row(row, created=True)


def _record_assignment(cursor, *, task_id: int, item_id: int, values: list, now: datetime) -> Offer:
    """SQLite: write a claimed slot's assignment (values: _INSERT_ASSIGNMENT_SQL's), point
    the slot at it and mark the item in progress. Returns what to hand the annotator."""
    cursor.execute(_INSERT_ASSIGNMENT_SQL, values)
    assignment_id = cursor.fetchone()[0]
    cursor.execute(_HOLD_SLOT_SQL, [assignment_id, task_id])
    cursor.execute(_ITEM_IN_PROGRESS_SQL, [str(Item.Status.IN_PROGRESS), item_id, str(Item.Status.NEW)])
    return _offer(cursor, assignment_id, created=True, now=now)


def _json(value):
    # Raw cursors give JSON columns as text on both databases (Django reads jsonb as text).
    return json.loads(value) if isinstance(value, str | bytes) else value


def _aware(value) -> datetime:
    # SQLite keeps datetimes naive (in UTC); PostgreSQL returns them aware.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _offer(cursor, assignment_id: int, *, created: bool, now: datetime) -> Offer:
    cursor.execute(_OFFER_SQL, [connection.ops.adapt_datetimefield_value(now), assignment_id])
    return _offer_from_row(cursor.fetchone(), created=created)


def _offer_from_row(row, *, created: bool) -> Offer:
    (assignment_id, status, lease_expires_at, draft, batch_id, batch_name, item_id, width, height, prefill,
     project_id, project_name, label_schema, instructions, likely_next_item_id) = row  # fmt: skip
    return Offer(
        assignment_id=assignment_id,
        created=created,
        status=status,
        lease_expires_at=_aware(lease_expires_at),
        draft=_json(draft),
        batch_id=batch_id,
        batch_name=batch_name,
        item_id=item_id,
        width=width,
        height=height,
        prefill=_json(prefill),
        project_id=project_id,
        project_name=project_name,
        label_schema=_json(label_schema),
        instructions=instructions,
        likely_next_item_ids=[likely_next_item_id] if likely_next_item_id is not None else [],
    )


def assignment_next(*, annotator: User) -> Offer | None:
    """The annotator's open lease if they have one, otherwise a newly claimed slot from
    the open batches they belong to, or None when there is no work for them."""
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        rework = str(Assignment.Status.REWORK)
        cursor.execute(
            _annotator_sql(connection.vendor),
            {"me": annotator.pk},
        )
        mine = cursor.fetchone()
        may_label, current_id = mine[0], mine[1]
        if not may_label:
            raise PermissionDenied(_("Only annotators take tasks."))
        if current_id is not None:
            current = _offer(cursor, current_id, created=False, now=now)
            if current.status == rework:
                return _rework_offer(current, now)
            if current.lease_expires_at > now:
                return current
            # The lease ran out but nobody took the slot: give it back to them, draft and all.
            if _renew_lapsed_lease(current, now):
                return current

        if len(mine) > 2:  # PostgreSQL: the open batches came with the row, as JSON (null for none)
            batches = [dict(zip(OPEN_BATCH_COLUMNS, values, strict=True)) for values in _json(mine[2]) or []]
        else:
            batches = open_batches_for(annotator)
        for batch in batches:
            until = now + timedelta(minutes=batch["lease_minutes"])
            db_until = connection.ops.adapt_datetimefield_value(until)
            if batch["gold_rate"] and gold_draw() < batch["gold_rate"]:
                gold = _gold_offer(cursor, batch, annotator, now=now, until=until)
                if gold is not None:
                    return gold
            reason = {
                "batch": batch["id"],
                "batch_name": batch["name"],
                "priority": batch["priority"],
                "due": str(batch["due"]) if batch["due"] else None,  # a date, or its ISO text
                "rule": ORDER_RULE,
                "via": "named" if batch["named"] else f"team {batch['team']}",
            }
            if connection.vendor == "postgresql":
                offer = _claim_and_record_pg(cursor, batch=batch, annotator=annotator, reason=reason, now=db_now,
                                             until=db_until)  # fmt: skip
                if offer is None:
                    continue
                return offer
            cursor.execute(claim_sql(), {"until": db_until, "batch": batch["id"], "now": db_now, "me": annotator.pk})
            row = cursor.fetchone()
            if row is None:
                continue
            task_id, item_id, slot, previous_id = row
            if previous_id is not None:
                # The slot's last holder let the lease run out: their turn is over.
                Assignment.objects.filter(pk=previous_id, status=Assignment.Status.LEASED).update(
                    status=Assignment.Status.EXPIRED, finished_at=now
                )
            reason.update(slot=slot, took_over=previous_id)
            return _record_assignment(
                cursor,
                task_id=task_id,
                item_id=item_id,
                values=[task_id, batch["id"], item_id, annotator.pk, str(Assignment.Status.LEASED),
                        json.dumps(reason, ensure_ascii=False), db_now, db_until, db_now],
                now=now,
            )  # fmt: skip
    return None


def gold_draw() -> float:
    """A uniform number in [0, 1): whether this `next` hands out a gold item. Random, so
    nothing about the stream's order tells a gold item from the others."""
    return _gold_random.random()


_gold_random = random.SystemRandom()

# A gold item of the batch's project the annotator has not had and whose answer they did
# not set (nobody is scored against their own answer: policies.is_own_work), oldest first.
_GOLD_PICK_SQL = """
SELECT g.item_id FROM annotation_goldanswer g JOIN annotation_item i ON i.id = g.item_id
WHERE i.project_id = %s AND g.is_active AND g.created_by_id <> %s
  AND NOT EXISTS (SELECT 1 FROM annotation_assignment a WHERE a.item_id = g.item_id AND a.annotator_id = %s)
ORDER BY g.id LIMIT 1
"""


def _gold_offer(cursor, batch: dict, annotator: User, *, now: datetime, until: datetime) -> Offer | None:
    """Hand out a gold item through this batch: an assignment like any other (same
    answer, same URLs), but outside the slots, so it takes no one's work and its item's
    status does not change. Its audit reason says it was gold; the annotator never sees it."""
    cursor.execute(_GOLD_PICK_SQL, [batch["project_id"], annotator.pk, annotator.pk])
    row = cursor.fetchone()
    if row is None:
        return None
    db = connection.ops.adapt_datetimefield_value
    reason = {"batch": batch["id"], "batch_name": batch["name"], "rule": "gold item, at the project's gold rate",
              "gold": True, "gold_rate": batch["gold_rate"]}  # fmt: skip
    cursor.execute(
        _INSERT_ASSIGNMENT_SQL,
        [None, batch["id"], row[0], annotator.pk, str(Assignment.Status.LEASED), json.dumps(reason), db(now),
         db(until), db(now)],
    )  # fmt: skip
    return _offer(cursor, cursor.fetchone()[0], created=True, now=now)


def _rework_offer(offer: Offer, now: datetime) -> Offer:
    """Work sent back by a reviewer: theirs until they submit it again (its slot stays
    theirs, so no lease can run out); the reviewer's reasons go with it."""
    assignment = Assignment.objects.select_related("batch__project").get(pk=offer.assignment_id)
    offer.lease_expires_at = now + _lease_length(assignment.batch.project)
    Assignment.objects.filter(pk=assignment.pk).update(lease_expires_at=offer.lease_expires_at, last_seen_at=now)
    review = (
        Review.objects.filter(annotation__assignment_id=assignment.pk, decision=Review.Decision.REJECT)
        .order_by("-created_at", "-id")
        .first()
    )
    offer.rework = {
        "reasons": review.reasons if review else [],
        "comment": review.comment if review else "",
        "reviewed_at": review.created_at if review else None,
    }
    return offer


def _renew_lapsed_lease(current: Offer, now: datetime) -> bool:
    """Extend a lapsed lease whose slot nobody took; if someone took it, the turn ends."""
    assignment = Assignment.objects.select_related("batch__project").get(pk=current.assignment_id)
    until = now + _lease_length(assignment.batch.project)
    if assignment.task_id is None:
        renewed = 1  # a gold item: no slot anyone else could have taken
    else:
        renewed = Task.objects.filter(pk=assignment.task_id, assignment=assignment, done=False).update(free_at=until)
    if not renewed:
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.EXPIRED, finished_at=now)
        return False
    Assignment.objects.filter(pk=assignment.pk).update(lease_expires_at=until)
    current.lease_expires_at = until
    return True


# What a submission is judged against, with the slot the assignment was given, the
# assignment and the item locked, in that order (the engine's one lock order: PostgreSQL
# locks a row's tables in the order the FOR clauses name them). Every write to an
# assignment's status, time or draft happens under its slot's lock, so what is read here
# cannot change under us; locked rows are read as they are once the lock is ours, not as
# the statement's snapshot saw them. Annotators finishing an item's last slots at once are
# served one after the other, so the last of them sees the others' slots done and sends the
# item to review. No row: not their assignment, or a gold item (no slot).
_SUBMISSION_SQL = """
SELECT t.assignment_id, t.done, a.status, a.item_id, a.last_seen_at, a.active_ms, a.task_id, i.width, i.height,
       p.label_schema, p.id, p.review_floor, q.recent, p.name, i.file_name
FROM annotation_assignment a
JOIN annotation_task t ON t.id = a.task_id
JOIN annotation_item i ON i.id = a.item_id
JOIN annotation_batch b ON b.id = a.batch_id
JOIN annotation_project p ON p.id = b.project_id
LEFT JOIN annotation_annotatorquality q ON q.project_id = p.id AND q.annotator_id = a.annotator_id
WHERE a.id = %s AND a.annotator_id = %s{lock}
"""

_INSERT_ANNOTATION_SQL = """
INSERT INTO annotation_annotation (assignment_id, item_id, annotator_id, shapes, image_class, client_time_ms,
    created_at, revision, review, sampling, is_latest)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
_FINISH_TURN_SQL = """
UPDATE annotation_assignment SET status = %s, finished_at = %s, draft = NULL, active_ms = %s, last_seen_at = %s
WHERE id = %s
"""
_SLOT_DONE_SQL = "UPDATE annotation_task SET done = %s WHERE id = %s"
# Once none of the item's slots is open, the item waits for review, or is done when no
# work on it waits for review or rework (this submission included: the first parameter
# says whether it was sampled). This submission's own slot and earlier revisions are
# named because on PostgreSQL this runs in the same statement as the writes above, which
# it cannot see.
_ITEM_AFTER_SUBMIT_SQL = """
UPDATE annotation_item SET status = CASE
    WHEN %s OR EXISTS (SELECT 1 FROM annotation_annotation x WHERE x.item_id = %s AND x.is_latest
                       AND x.review IN ('queued', 'rejected') AND x.assignment_id <> %s)
            OR EXISTS (SELECT 1 FROM annotation_assignment r WHERE r.item_id = %s AND r.status = 'rework'
                       AND r.id <> %s)
    THEN %s ELSE %s END
WHERE id = %s AND NOT EXISTS (SELECT 1 FROM annotation_task WHERE item_id = %s AND NOT done AND id <> %s)
"""
# On PostgreSQL a submission's four writes go as one statement (one round trip, not four).
_RECORD_SUBMISSION_PG_SQL = f"""
WITH new AS ({_INSERT_ANNOTATION_SQL}),
     turn AS ({_FINISH_TURN_SQL}),
     slot AS ({_SLOT_DONE_SQL}),
     item AS ({_ITEM_AFTER_SUBMIT_SQL} RETURNING status)
SELECT id, (SELECT status FROM item) FROM new
"""  # noqa: S608 - constant SQL pieces; values are bound


def _record_submission(cursor, *, annotation: list, turn: list, slot: list, item: list) -> tuple[int, bool]:
    """Write the annotation (values: _INSERT_ANNOTATION_SQL's), end the turn, mark the slot
    done and, if it was the item's last, send the item to review (or to done). Returns the
    annotation's id and whether the item is now done."""
    done = str(Item.Status.DONE)
    if connection.vendor == "postgresql":
        cursor.execute(_RECORD_SUBMISSION_PG_SQL, [*annotation, *turn, *slot, *item])
        annotation_id, item_status = cursor.fetchone()
        return annotation_id, item_status == done
    cursor.execute(_INSERT_ANNOTATION_SQL, annotation)
    (annotation_id,) = cursor.fetchone()
    cursor.execute(_FINISH_TURN_SQL, turn)
    cursor.execute(_SLOT_DONE_SQL, slot)
    cursor.execute(_ITEM_AFTER_SUBMIT_SQL, item)
    sampled, item_id = item[0], item[1]
    if sampled:  # the item waits for its review: it cannot be done now
        return annotation_id, False
    cursor.execute("SELECT status FROM annotation_item WHERE id = %s", [item_id])
    return annotation_id, cursor.fetchone()[0] == done


def _active_ms_after(active_ms: int, last_seen_at, now: datetime) -> int:
    """Active time plus the gap since the last sign of work, up to the idle cut-off: a
    heartbeat or a submit says the annotator did something since the previous one, so the
    gap counts, but a long gap (a break, a closed lid) counts only as much as the cut-off."""
    if last_seen_at is not None and now > last_seen_at:
        cutoff = timedelta(seconds=settings.WORKBENCH_IDLE_CUTOFF_SECONDS)
        active_ms += int(min(now - last_seen_at, cutoff).total_seconds() * 1000)
    return active_ms


def assignment_submit(
    *, annotator: User, assignment_id, annotation: dict, client_time_ms: int = 0
) -> tuple[Annotation, bool]:
    """Store the annotation exactly as drawn. Returns (annotation, created); sending the
    same submission again (a retry after a dropped link) returns the stored one."""
    if not str(assignment_id).isdigit():
        raise NotFound(_("No such assignment."))
    assignment_id = int(assignment_id)
    postgres = connection.vendor == "postgresql"
    now = timezone.now()
    db_now = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        lock = " FOR UPDATE OF t FOR NO KEY UPDATE OF a, i" if postgres else ""
        cursor.execute(_SUBMISSION_SQL.format(lock=lock), [assignment_id, annotator.pk])
        row = cursor.fetchone()
        if row is None:
            return _submit_gold(annotator, assignment_id, annotation, client_time_ms, now)
        (holder_id, done, status, item_id, last_seen_at, active_ms, task_id, width, height, label_schema, project_id,
         review_floor, recent, project_name, file_name) = row  # fmt: skip
        if status == Assignment.Status.SUBMITTED:
            return Annotation.objects.filter(assignment_id=assignment_id).order_by("-revision")[0], False
        rework = status == Assignment.Status.REWORK and holder_id == assignment_id
        if not rework and (holder_id != assignment_id or status != Assignment.Status.LEASED or done):
            raise Conflict(_("This image is no longer yours: your time ran out or your supervisor took it back."))
        try:
            cleaned = clean_annotation(annotation, _json(label_schema), width=width, height=height)
        except SchemaError as exc:
            raise SubmissionError(exc.errors) from exc
        revision = 1
        if rework:
            # Done again after review: the earlier revision stays as it was, superseded.
            revision += Annotation.objects.filter(assignment_id=assignment_id).count()
            Annotation.objects.filter(assignment_id=assignment_id, is_latest=True).update(is_latest=False)
        sampling = decide(
            _json(recent) or [], SamplingPolicy(floor=review_floor), key=f"assignment:{assignment_id}:{revision}"
        )
        stored = Annotation(
            assignment_id=assignment_id,
            item_id=item_id,
            annotator_id=annotator.pk,
            shapes=cleaned["shapes"],
            image_class=cleaned["class"],
            client_time_ms=max(0, min(int(client_time_ms or 0), 24 * 3600 * 1000)),
            created_at=now,
            revision=revision,
            review=Annotation.Review.QUEUED if sampling.sampled else Annotation.Review.NOT_SAMPLED,
            sampling=sampling_record(sampling),
        )
        active_ms = _active_ms_after(active_ms, last_seen_at and _aware(last_seen_at), now)
        stored.pk, item_done = _record_submission(
            cursor,
            annotation=[assignment_id, item_id, annotator.pk, json.dumps(stored.shapes, ensure_ascii=False),
                        stored.image_class, stored.client_time_ms, db_now, revision, str(stored.review),
                        json.dumps(stored.sampling), True],
            turn=[str(Assignment.Status.SUBMITTED), db_now, active_ms, db_now, assignment_id],
            slot=[True, task_id],
            item=[sampling.sampled, item_id, assignment_id, item_id, assignment_id, str(Item.Status.REVIEW),
                  str(Item.Status.DONE), item_id, item_id, task_id],
        )  # fmt: skip
        if not sampling.sampled:
            # Let through unreviewed: accepted now, so paid now, in this transaction.
            annotation_earned(
                annotation_id=stored.pk, annotator_id=annotator.pk, centre_id=annotator.centre_id,
                project_id=project_id, project_name=project_name, item_id=item_id, file_name=file_name,
                shapes=stored.shapes, image_class=stored.image_class, done_at=now, how="not_sampled",
            )  # fmt: skip
        if item_done:
            transaction.on_commit(lambda: project_done_check(project_id=project_id), robust=True)
    return stored, True


def _submit_gold(annotator: User, assignment_id: int, annotation: dict, client_time_ms, now) -> tuple[Annotation, bool]:
    """A gold item's submission (inside the caller's transaction): judged like any other,
    stored, and scored against the true answer at once; it never goes to review."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("item", "batch__project")
        .filter(pk=assignment_id, annotator=annotator, task__isnull=True)
        .first()
    )
    if assignment is None:
        raise NotFound(_("No such assignment."))
    if assignment.status == Assignment.Status.SUBMITTED:
        return Annotation.objects.filter(assignment=assignment).order_by("-revision")[0], False
    if assignment.status != Assignment.Status.LEASED:
        raise Conflict(_("This image is no longer yours: your time ran out or your supervisor took it back."))
    project, item = assignment.batch.project, assignment.item
    try:
        cleaned = clean_annotation(annotation, project.label_schema, width=item.width, height=item.height)
    except SchemaError as exc:
        raise SubmissionError(exc.errors) from exc
    stored = Annotation.objects.create(
        assignment=assignment,
        item=item,
        annotator=annotator,
        shapes=cleaned["shapes"],
        image_class=cleaned["class"],
        client_time_ms=max(0, min(int(client_time_ms or 0), 24 * 3600 * 1000)),
        review=Annotation.Review.GOLD,
    )
    _credit_active_time(assignment, now)
    assignment.status = Assignment.Status.SUBMITTED
    assignment.finished_at = now
    assignment.draft = None
    assignment.save(update_fields=["status", "finished_at", "draft", "active_ms", "last_seen_at"])
    gold_score(stored, item.gold, project)
    # Paid like accepted work at its submit: not paying it would be unfair, and a tell.
    annotation_earned(
        annotation_id=stored.pk, annotator_id=annotator.pk, centre_id=annotator.centre_id, project_id=project.pk,
        project_name=project.name, item_id=item.pk, file_name=item.file_name, shapes=stored.shapes,
        image_class=stored.image_class, done_at=now, how="gold",
    )  # fmt: skip
    return stored, True


def sampling_record(decision: SamplingDecision) -> dict:
    """What is kept of a sampling decision, to show the reviewer why work was picked."""
    estimate = decision.estimate
    return {
        "sampled": decision.sampled,
        "rate": round(decision.rate, 4),
        "reason": decision.reason,
        "score": None if estimate.score is None else round(estimate.score, 4),
        "low": round(estimate.low, 4),
        "high": round(estimate.high, 4),
        "observations": estimate.observations,
    }


def assignment_skip(*, annotator: User, assignment_id, reason: str) -> Assignment:
    """Hand the item back to the pool with the annotator's reason. They will not get it again."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why you skip this image."), field="reason")
    if len(reason) > 500:
        raise DomainError(_("At most 500 characters."), field="reason")
    assignment = _own_assignment(annotator, assignment_id)
    now = timezone.now()
    with transaction.atomic():
        held = _hold(assignment)
        if assignment.status == Assignment.Status.REWORK:
            raise Conflict(_("Work sent back by a reviewer cannot be skipped: do it again, or ask your supervisor."))
        if not held or assignment.status != Assignment.Status.LEASED:
            raise Conflict(_("This image is no longer yours to skip."))
        _credit_active_time(assignment, now)
        assignment.status = Assignment.Status.SKIPPED
        assignment.skip_reason = reason
        assignment.finished_at = now
        assignment.save(update_fields=["status", "skip_reason", "finished_at", "active_ms", "last_seen_at"])
        if assignment.task_id is None:  # a gold item: no slot to give back
            return assignment
        Task.objects.filter(pk=assignment.task_id).update(assignment=None, free_at=now)
        live = Assignment.objects.filter(
            item_id=assignment.item_id, status__in=[Assignment.Status.LEASED, Assignment.Status.SUBMITTED]
        )
        Item.objects.filter(pk=assignment.item_id, status=Item.Status.IN_PROGRESS).exclude(Exists(live)).update(
            status=Item.Status.NEW
        )
    return assignment


def assignment_heartbeat(*, annotator: User, assignment_id, active: bool, draft=None) -> Assignment:
    """The workbench says the annotator is (or is not) working on this image, and sends
    the unsubmitted shapes. Active time is credited on the server; an active annotator's
    lease is extended so slow, careful work is never taken away mid-drawing."""
    if draft is not None and not isinstance(draft, dict):
        raise DomainError(_('A draft is {"shapes": [...], "class": ...}.'), field="draft")
    if draft is not None and json_unstorable(draft):
        # The parsers refuse such text already; a draft is sent back with every `next`, so
        # one that cannot be would lock the annotator out of their workbench.
        raise DomainError(unstorable_message(), field="draft")
    assignment = _own_assignment(annotator, assignment_id)
    now = timezone.now()
    with transaction.atomic():
        if not _hold(assignment) or assignment.status not in (Assignment.Status.LEASED, Assignment.Status.REWORK):
            raise Conflict(_("This image is no longer yours: it went to someone else."))
        fields = ["last_seen_at", "active_ms"]
        if active:
            _credit_active_time(assignment, now)
            until = now + _lease_length(assignment.batch.project)
            if until > assignment.lease_expires_at:
                assignment.lease_expires_at = until
                fields.append("lease_expires_at")
                if assignment.task_id is not None:
                    Task.objects.filter(pk=assignment.task_id).update(free_at=until)
        else:
            assignment.last_seen_at = now
        if draft is not None:
            assignment.draft = draft
            fields.append("draft")
        assignment.save(update_fields=fields)
    return assignment


def leases_release(*, batch: Batch, annotator_id: int | None = None) -> int:
    """End open leases in a batch (all, or one annotator's) so the slots go back to the
    pool at once; a late submit from the old holder then gets 409. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        tasks = Task.objects.select_for_update(of=("self",)).filter(
            batch=batch, done=False, assignment__status=Assignment.Status.LEASED
        )
        if annotator_id is not None:
            tasks = tasks.filter(assignment__annotator_id=annotator_id)
        held = list(tasks.values_list("pk", "assignment_id"))
        Assignment.objects.filter(pk__in=[assignment_id for _task, assignment_id in held]).update(
            status=Assignment.Status.EXPIRED, finished_at=now
        )
        Task.objects.filter(pk__in=[task_id for task_id, _assignment in held]).update(assignment=None, free_at=now)
    return len(held)
