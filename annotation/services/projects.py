from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, PermissionDenied
from annotation.models import Annotation, Item, Organisation, Project
from annotation.schema import clean_label_schema


def _labels_in_use(project: Project) -> set[str]:
    """Labels and classes that stored pre-annotations and annotations use."""
    used: set[str] = set()
    annotations = Annotation.objects.filter(item__project=project).values_list("shapes", "image_class")
    for shapes, image_class in annotations.iterator(chunk_size=2000):
        used.update(shape.get("label") for shape in shapes)
        if image_class:
            used.add(image_class)
    for prefill in Item.objects.filter(project=project, prefill__isnull=False).values_list("prefill", flat=True):
        if not prefill:
            continue
        used.update(shape.get("label") for shape in prefill.get("shapes", []))
        if prefill.get("class"):
            used.add(prefill["class"])
    return used


def project_item_count_refresh(*, project_id: int) -> int:
    """Recount a project's items into `Project.item_count` (one count, one update). New
    items mean the project is not done any more."""
    count = Item.objects.filter(project_id=project_id).count()
    Project.objects.filter(pk=project_id).update(item_count=count)
    Project.objects.filter(pk=project_id, done_at__isnull=False).filter(
        items__status__in=UNFINISHED_ITEM_STATES
    ).update(done_at=None)
    return count


UNFINISHED_ITEM_STATES = (Item.Status.NEW, Item.Status.IN_PROGRESS, Item.Status.REVIEW)


def project_done_check(*, project_id: int) -> bool:
    """Once every item of the project is done, mark it done, tell the client's webhooks
    (`project.done`), once, and start a quality recomputation (the final consensus,
    weighted by quality). Called after the commit that finished an item, so the last of
    several finishing at once sees all of them done. True when it marked it now."""
    from annotation.services.quality import quality_recompute_start
    from annotation.services.webhooks import webhook_event_emit

    if Item.objects.filter(project_id=project_id, status__in=UNFINISHED_ITEM_STATES).exists():
        return False
    now = timezone.now()
    with transaction.atomic():
        if not Project.objects.filter(pk=project_id, done_at__isnull=True, items__isnull=False).update(done_at=now):
            return False
        project = Project.objects.get(pk=project_id)
        webhook_event_emit(
            organisation_id=project.organisation_id,
            event="project.done",
            payload={"project": project.pk, "items": project.items.count(), "done_at": now.isoformat()},
        )
        quality_recompute_start(project=project)
    return True


@transaction.atomic
def project_create(
    *,
    organisation: Organisation | None,
    name: str,
    label_schema: dict,
    instructions: str = "",
    overlap: int = 1,
    lease_minutes: int = 30,
) -> Project:
    """A client's new project. Raises SchemaError for a bad schema."""
    if organisation is None:
        raise PermissionDenied(_("Only a client organisation can create projects."))
    return Project.objects.create(
        organisation=organisation,
        name=name.strip(),
        instructions=instructions,
        label_schema=clean_label_schema(label_schema),
        overlap=overlap,
        lease_minutes=lease_minutes,
    )


@transaction.atomic
def project_update(*, project: Project, **changes) -> Project:
    """Change name, instructions, overlap, status or schema. A schema may not drop a label
    or class that stored work uses (Conflict, 409)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if "label_schema" in changes:
        schema = clean_label_schema(changes.pop("label_schema"))
        kept = {label["name"] for label in schema.get("labels", [])} | set(schema.get("classes", []))
        dropped = sorted(_labels_in_use(project) - kept)
        if dropped:
            raise Conflict(
                _("These labels are in use and cannot be removed: %(labels)s.") % {"labels": ", ".join(dropped)},
                field="label_schema",
            )
        project.label_schema = schema
    for field in ("name", "instructions", "overlap", "lease_minutes", "status"):
        if field in changes:
            setattr(project, field, changes[field])
    project.save()
    return project
