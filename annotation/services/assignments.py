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

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation.models import Annotation, Assignment, Batch, Item, Project, Task
from annotation.schema import SchemaError, clean_annotation
from annotation.selectors import open_batches_for
from workforce.models import Role, User

ORDER_RULE = "priority, then due date, then age"

# `NOT t.done` is written out, not bound: a bound value hides from the planner that the
# partial index task_open_in_batch applies (SQLite then sorts the whole batch).
_CLAIM_SQL = """
UPDATE annotation_task SET free_at = %s
WHERE id = (
    SELECT t.id FROM annotation_task t
    WHERE t.batch_id = %s AND NOT t.done AND t.free_at <= %s
      AND NOT EXISTS (
          SELECT 1 FROM annotation_assignment a WHERE a.item_id = t.item_id AND a.annotator_id = %s{fence}
      )
    ORDER BY t.item_id, t.slot
    LIMIT 1{lock}
)
RETURNING id, item_id, slot, assignment_id
"""


def claim_sql() -> str:
    """The one statement that claims a free slot of a batch for an annotator. Parameters:
    lease end, batch id, now, annotator id. Exposed for the benchmark's bare row."""
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps PostgreSQL from turning NOT EXISTS into an anti-join that reads
        # every earlier assignment (5 ms at 75 % of a batch); as written it probes the
        # unique (item, annotator) index once per candidate slot (0.1 ms).
        return _CLAIM_SQL.format(fence=" OFFSET 0", lock=" FOR UPDATE SKIP LOCKED")
    return _CLAIM_SQL.format(fence="", lock="")


class SubmissionError(DomainError):
    """A submitted annotation does not fit the project; `errors` is {field: [message]}."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("The annotation does not fit the project."))
        self.errors = errors

    def as_data(self) -> dict:
        return self.errors


@dataclass
class Claim:
    assignment: Assignment
    created: bool


def _lease_length(project: Project) -> timedelta:
    return timedelta(minutes=project.lease_minutes)


def _credit_active_time(assignment: Assignment, now) -> None:
    """Add the time since the last sign of work, up to the idle cut-off: a heartbeat says
    the annotator did something since the previous one, so the gap counts, but a long gap
    (a break, a closed lid) counts only as much as the cut-off."""
    if assignment.last_seen_at is not None and now > assignment.last_seen_at:
        gap = now - assignment.last_seen_at
        cutoff = timedelta(seconds=settings.WORKBENCH_IDLE_CUTOFF_SECONDS)
        assignment.active_ms += int(min(gap, cutoff).total_seconds() * 1000)
    assignment.last_seen_at = now


def _lock_annotator(annotator: User) -> None:
    # Serialises one annotator's claims (two tabs, a double click); others are not blocked.
    User.objects.select_for_update(no_key=True).filter(pk=annotator.pk).values_list("pk").first()


def _held_task(assignment: Assignment) -> Task | None:
    """Lock the assignment's slot and return it if this assignment still holds it, with
    the assignment's current state copied in. Every write to an assignment's status, time
    or draft happens under its slot's lock, so what is read here cannot change under us."""
    task = (
        Task.objects.select_for_update(of=("self",)).select_related("assignment").filter(pk=assignment.task_id).first()
    )
    if task is None or task.assignment_id != assignment.pk or task.assignment is None:
        return None
    for name in ("status", "active_ms", "last_seen_at", "lease_expires_at"):
        setattr(assignment, name, getattr(task.assignment, name))
    return task


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


def assignment_next(*, annotator: User) -> Claim | None:
    """The annotator's open lease if they have one, otherwise a newly claimed slot from
    the open batches they belong to, or None when there is no work for them."""
    if not annotator.has_role(Role.ANNOTATOR):
        raise PermissionDenied(_("Only annotators take tasks."))
    now = timezone.now()
    with transaction.atomic():
        _lock_annotator(annotator)
        current = (
            Assignment.objects.select_related("item", "batch__project")
            .filter(annotator=annotator, status=Assignment.Status.LEASED)
            .order_by("-leased_at")
            .first()
        )
        if current is not None:
            if current.lease_expires_at > now:
                return Claim(current, created=False)
            # The lease ran out but nobody took the slot: give it back to them, draft and all.
            until = now + _lease_length(current.batch.project)
            renewed = Task.objects.filter(pk=current.task_id, assignment=current, done=False).update(free_at=until)
            if renewed:
                current.lease_expires_at = until
                current.save(update_fields=["lease_expires_at"])
                return Claim(current, created=False)
            Assignment.objects.filter(pk=current.pk).update(status=Assignment.Status.EXPIRED, finished_at=now)

        for batch in open_batches_for(annotator):
            until = now + timedelta(minutes=batch["lease_minutes"])
            with connection.cursor() as cursor:
                cursor.execute(claim_sql(), [until, batch["id"], now, annotator.pk])
                row = cursor.fetchone()
            if row is None:
                continue
            task_id, item_id, slot, previous_id = row
            if previous_id is not None:
                # The slot's last holder let the lease run out: their turn is over.
                Assignment.objects.filter(pk=previous_id, status=Assignment.Status.LEASED).update(
                    status=Assignment.Status.EXPIRED, finished_at=now
                )
            assignment = Assignment.objects.create(
                task_id=task_id,
                batch_id=batch["id"],
                item_id=item_id,
                annotator=annotator,
                leased_at=now,
                lease_expires_at=until,
                last_seen_at=now,
                reason={
                    "batch": batch["id"],
                    "batch_name": batch["name"],
                    "priority": batch["priority"],
                    "due": str(batch["due"]) if batch["due"] else None,  # a date, or its ISO text
                    "rule": ORDER_RULE,
                    "via": "named" if batch["named"] else f"team {batch['team']}",
                    "slot": slot,
                    "took_over": previous_id,
                },
            )
            Task.objects.filter(pk=task_id).update(assignment=assignment)
            Item.objects.filter(pk=item_id, status=Item.Status.NEW).update(status=Item.Status.IN_PROGRESS)
            assignment = Assignment.objects.select_related("item", "batch__project").get(pk=assignment.pk)
            return Claim(assignment, created=True)
    return None


def assignment_submit(
    *, annotator: User, assignment_id, annotation: dict, client_time_ms: int = 0
) -> tuple[Annotation, bool]:
    """Store the annotation exactly as drawn. Returns (annotation, created); sending the
    same submission again (a retry after a dropped link) returns the stored one."""
    assignment = _own_assignment(annotator, assignment_id)
    if assignment.status == Assignment.Status.SUBMITTED:
        return assignment.annotation, False
    item = assignment.item
    try:
        cleaned = clean_annotation(
            annotation, assignment.batch.project.label_schema, width=item.width, height=item.height
        )
    except SchemaError as exc:
        raise SubmissionError(exc.errors) from exc
    now = timezone.now()
    with transaction.atomic():
        task = _held_task(assignment)
        if task is not None and assignment.status == Assignment.Status.SUBMITTED:
            return Annotation.objects.get(assignment=assignment), False  # a concurrent retry won
        if task is None or assignment.status != Assignment.Status.LEASED or task.done:
            raise Conflict(_("This image is no longer yours: your time ran out or your supervisor took it back."))
        stored = Annotation.objects.create(
            assignment=assignment,
            item=item,
            annotator=annotator,
            shapes=cleaned["shapes"],
            image_class=cleaned["class"],
            client_time_ms=max(0, min(int(client_time_ms or 0), 24 * 3600 * 1000)),
        )
        _credit_active_time(assignment, now)
        assignment.status = Assignment.Status.SUBMITTED
        assignment.finished_at = now
        assignment.draft = None
        assignment.save(update_fields=["status", "finished_at", "draft", "active_ms", "last_seen_at"])
        Task.objects.filter(pk=task.pk).update(done=True)
        open_slots = Task.objects.filter(item_id=item.pk, done=False)
        Item.objects.filter(pk=item.pk).exclude(Exists(open_slots)).update(status=Item.Status.REVIEW)
    return stored, True


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
        task = _held_task(assignment)
        if task is None or assignment.status != Assignment.Status.LEASED:
            raise Conflict(_("This image is no longer yours to skip."))
        _credit_active_time(assignment, now)
        assignment.status = Assignment.Status.SKIPPED
        assignment.skip_reason = reason
        assignment.finished_at = now
        assignment.save(update_fields=["status", "skip_reason", "finished_at", "active_ms", "last_seen_at"])
        Task.objects.filter(pk=task.pk).update(assignment=None, free_at=now)
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
    assignment = _own_assignment(annotator, assignment_id)
    now = timezone.now()
    with transaction.atomic():
        task = _held_task(assignment)
        if task is None or assignment.status != Assignment.Status.LEASED:
            raise Conflict(_("This image is no longer yours: it went to someone else."))
        fields = ["last_seen_at", "active_ms"]
        if active:
            _credit_active_time(assignment, now)
            until = now + _lease_length(assignment.batch.project)
            if until > assignment.lease_expires_at:
                assignment.lease_expires_at = until
                fields.append("lease_expires_at")
                Task.objects.filter(pk=task.pk).update(free_at=until)
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
