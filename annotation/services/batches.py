"""Batches: cutting a project's items into work for teams and annotators, and running it."""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, PermissionDenied
from annotation import policies
from annotation.models import Batch, Item, Project, Task
from annotation.services.assignments import leases_release
from workforce.models import Role, Team, User

MAX_BATCH_ITEMS = 200_000


@dataclass
class ItemChoice:
    """Which items go into a batch: `size` unbatched items in order, or the exact `items`,
    optionally narrowed by `status` and a `file_name` substring first."""

    size: int | None = None
    items: list[int] | None = None
    status: str | None = None
    file_name: str | None = None


@dataclass
class Assignees:
    teams: list[int] = field(default_factory=list)
    annotators: list[int] = field(default_factory=list)


def require_manager(actor: User) -> None:
    if not policies.can_manage_batches(actor):
        raise PermissionDenied(_("Only supervisors change batches."))


def _check_assignees(actor: User, assignees: Assignees) -> tuple[list[Team], list[User]]:
    """Teams and annotators the actor may give work to: their own centre's, or any centre's
    for a network admin. Unknown or foreign ids are named in the error."""
    teams = Team.objects.filter(pk__in=assignees.teams)
    people = User.objects.filter(pk__in=assignees.annotators, is_active=True, role_grants__role=Role.ANNOTATOR)
    if not actor.is_network_admin:
        if actor.centre_id is None:
            teams, people = teams.none(), people.none()
        else:
            teams = teams.filter(centre_id=actor.centre_id)
            people = people.filter(centre_id=actor.centre_id)
    team_list, people_list = list(teams), list(people.distinct())
    missing_teams = sorted(set(assignees.teams) - {t.pk for t in team_list})
    if missing_teams:
        raise DomainError(_("Unknown teams: %(ids)s.") % {"ids": ", ".join(map(str, missing_teams))}, field="teams")
    missing_people = sorted(set(assignees.annotators) - {p.pk for p in people_list})
    if missing_people:
        raise DomainError(
            _("Not annotators you can assign: %(ids)s.") % {"ids": ", ".join(map(str, missing_people))},
            field="annotators",
        )
    return team_list, people_list


def _chosen_item_ids(project: Project, choice: ItemChoice) -> list[int]:
    in_a_batch = Task.objects.filter(item_id=OuterRef("pk"))
    # Gold items are mixed into streams at the gold rate, never batched as ordinary work.
    free = Item.objects.filter(project=project).exclude(Exists(in_a_batch)).exclude(gold__isnull=False)
    if choice.status:
        free = free.filter(status=choice.status)
    if choice.file_name:
        free = free.filter(file_name__icontains=choice.file_name)
    if choice.items is not None:
        wanted = list(dict.fromkeys(choice.items))
        if not wanted:
            raise DomainError(_("Choose at least one item."), field="items")
        if len(wanted) > MAX_BATCH_ITEMS:
            raise DomainError(_("At most %(n)d items in a batch.") % {"n": MAX_BATCH_ITEMS}, field="items")
        found = set(free.filter(pk__in=wanted).values_list("pk", flat=True))
        unavailable = [pk for pk in wanted if pk not in found]
        if unavailable:
            shown = ", ".join(map(str, unavailable[:20])) + (" …" if len(unavailable) > 20 else "")
            raise DomainError(
                _("Not free items of this project (unknown, or already in a batch): %(ids)s.") % {"ids": shown},
                field="items",
            )
        return wanted
    if choice.size is None:
        raise DomainError(_("Give a size or a list of items."), field="size")
    if not 1 <= choice.size <= MAX_BATCH_ITEMS:
        raise DomainError(_("The size is 1 to %(n)d.") % {"n": MAX_BATCH_ITEMS}, field="size")
    ids = list(free.order_by("id").values_list("pk", flat=True)[: choice.size])
    if not ids:
        raise DomainError(_("Every item of this project is already in a batch."), field="size")
    return ids


@transaction.atomic
def batch_create(
    *,
    actor: User,
    project: Project,
    choice: ItemChoice,
    assignees: Assignees,
    name: str = "",
    priority: int = 0,
    due: date | None = None,
    centre_id: int | None = None,
) -> Batch:
    """Cut a batch: each chosen item gets `overlap` slots for the engine to lease out."""
    if not policies.can_manage_batches(actor):
        raise PermissionDenied(_("Only supervisors cut batches."))
    if project.status != Project.Status.ACTIVE:
        raise DomainError(_("The project is not active."), field="project")
    centre_id = centre_id if actor.is_network_admin and centre_id else actor.centre_id
    if centre_id is None:
        raise DomainError(_("Say which centre runs this batch."), field="centre")
    teams, people = _check_assignees(actor, assignees)
    item_ids = _chosen_item_ids(project, choice)
    batch = Batch.objects.create(
        project=project,
        centre_id=centre_id,
        name=(name or "").strip()[:200] or _("%(project)s · batch") % {"project": project.name},
        priority=priority,
        due=due,
        item_count=len(item_ids),
        created_by=actor,
    )
    batch.teams.set(teams)
    batch.annotators.set(people)
    now = timezone.now()
    Task.objects.bulk_create(
        (
            Task(batch=batch, item_id=item_id, slot=slot, free_at=now)
            for item_id in item_ids
            for slot in range(project.overlap)
        ),
        batch_size=2000,
    )
    return batch


@transaction.atomic
def batch_update(
    *,
    actor: User,
    batch: Batch,
    assignees: Assignees | None = None,
    name: str | None = None,
    priority: int | None = None,
    due: date | None = None,
    clear_due: bool = False,
    release_leases: bool = False,
) -> Batch:
    """Change a batch's order or who works on it (reassign). With `release_leases`, the
    open leases of people no longer assigned end now and their slots return to the pool."""
    require_manager(actor)
    if name is not None:
        if not name.strip():
            raise DomainError(_("Give the batch a name."), field="name")
        batch.name = name.strip()[:200]
    if priority is not None:
        batch.priority = priority
    if due is not None or clear_due:
        batch.due = due
    batch.save()
    if assignees is not None:
        teams, people = _check_assignees(actor, assignees)
        batch.teams.set(teams)
        batch.annotators.set(people)
        if release_leases:
            still_assigned = set(User.objects.filter(teams__in=teams).values_list("pk", flat=True))
            still_assigned |= {p.pk for p in people}
            holders = set(batch.assignments.filter(status="leased").values_list("annotator_id", flat=True).distinct())
            for annotator_id in holders - still_assigned:
                leases_release(batch=batch, annotator_id=annotator_id)
    return batch


_TRANSITIONS = {
    "pause": ({Batch.Status.OPEN}, Batch.Status.PAUSED),
    "resume": ({Batch.Status.PAUSED}, Batch.Status.OPEN),
    "close": ({Batch.Status.OPEN, Batch.Status.PAUSED}, Batch.Status.CLOSED),
}


@transaction.atomic
def batch_set_status(*, actor: User, batch: Batch, action: str) -> Batch:
    """Pause (no new leases; open ones may finish), resume, or close for good."""
    require_manager(actor)
    allowed_from, target = _TRANSITIONS[action]
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in allowed_from:
        raise Conflict(
            _("The batch is %(status)s; it cannot change that way.") % {"status": locked.get_status_display()}
        )
    locked.status = target
    locked.save(update_fields=["status"])
    return locked
