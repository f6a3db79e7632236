"""Reads of the annotation app. Every function takes the actor (a person or an API-key
principal) and returns only what it may see: a client sees its own organisation's data,
a network admin everything, anyone else nothing. Foreign ids are "not found"."""

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from annotation.models import ApiKey, ExportJob, ImportJob, Item, Organisation, Project, Webhook, WebhookDelivery
from annotation.principals import client_organisation_id


def _organisation_scope(actor, qs: QuerySet, lookup: str) -> QuerySet:
    organisation_id = client_organisation_id(actor)
    if organisation_id is not None:
        return qs.filter(**{lookup: organisation_id})
    if getattr(actor, "is_network_admin", False):
        return qs
    return qs.none()


def _get(qs: QuerySet, pk):
    obj = qs.filter(pk=pk).first() if str(pk).isdigit() else None
    if obj is None:
        raise Http404
    return obj


def organisation_of(actor) -> Organisation | None:
    organisation_id = client_organisation_id(actor)
    return Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None


def projects_visible_to(actor) -> QuerySet[Project]:
    return _organisation_scope(actor, Project.objects.all(), "organisation_id").order_by("-created_at", "-id")


def project_get(actor, project_id) -> Project:
    return _get(projects_visible_to(actor), project_id)


def project_list_with_progress(actor) -> QuerySet[Project]:
    return projects_visible_to(actor).annotate(done_count=Count("items", filter=Q(items__status=Item.Status.DONE)))


def project_progress(project: Project) -> dict:
    """Counts for `GET /projects/{id}/progress/`, in one query. Until annotations and
    reviews exist, `annotated` / `reviewed` / `accepted` follow the item status."""
    counts = Item.objects.filter(project=project).aggregate(
        items=Count("id"),
        in_progress=Count("id", filter=Q(status=Item.Status.IN_PROGRESS)),
        review=Count("id", filter=Q(status=Item.Status.REVIEW)),
        done=Count("id", filter=Q(status=Item.Status.DONE)),
    )
    return {
        "items": counts["items"],
        "annotated": counts["review"] + counts["done"],
        "reviewed": counts["done"],
        "accepted": counts["done"],
        "rejected": 0,
        "done": counts["done"],
        "quality": None,
    }


def items_of_project(project: Project) -> QuerySet[Item]:
    """A project's items, oldest first. The caller has already checked the project."""
    return Item.objects.filter(project=project).order_by("id")


def item_get(actor, item_id) -> Item:
    qs = _organisation_scope(actor, Item.objects.select_related("project"), "project__organisation_id")
    return _get(qs, item_id)


def imports_visible_to(actor) -> QuerySet[ImportJob]:
    return _organisation_scope(actor, ImportJob.objects.all(), "project__organisation_id").order_by("-created_at")


def import_get(actor, job_id) -> ImportJob:
    return _get(imports_visible_to(actor), job_id)


def exports_visible_to(actor) -> QuerySet[ExportJob]:
    return _organisation_scope(actor, ExportJob.objects.all(), "project__organisation_id").order_by("-created_at")


def export_get(actor, job_id) -> ExportJob:
    return _get(exports_visible_to(actor), job_id)


def api_keys_of(actor) -> QuerySet[ApiKey]:
    return _organisation_scope(actor, ApiKey.objects.all(), "organisation_id").order_by("-created_at")


def webhooks_visible_to(actor) -> QuerySet[Webhook]:
    return _organisation_scope(actor, Webhook.objects.all(), "organisation_id").order_by("-created_at")


def webhook_get(actor, webhook_id) -> Webhook:
    return _get(webhooks_visible_to(actor), webhook_id)


def deliveries_of(actor, webhook_id) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook=webhook_get(actor, webhook_id)).order_by("-created_at", "-id")


def item_labels_for_export(item: Item, *, only_accepted: bool) -> dict | None:
    """What an export says an item is labelled with: `{"shapes": [...], "class": ...}`, or
    None for an item with nothing to export (it is still listed, with no annotations).

    The caller has checked that the actor may see the item's project; this only reads the
    item it is given (no query), so an export stays at a constant number of queries.

    For now there is no labelling or review work: with `only_accepted=False` the labels
    are the item's pre-annotations (`item.prefill`, from the client's COCO import); with
    `only_accepted=True` nothing is accepted yet, so every item answers None. When
    annotations and reviews exist, this becomes the consensus of accepted annotations."""
    if only_accepted:
        return None
    return item.prefill


def webhooks_with_recent_deliveries(actor, *, per_webhook: int = 5) -> QuerySet[Webhook]:
    """The caller's webhooks, each with `recent`: its latest deliveries (two queries: the
    deliveries are ranked per webhook in SQL, so a busy webhook does not crowd others out)."""
    ranked = WebhookDelivery.objects.annotate(
        rank=Window(RowNumber(), partition_by=[F("webhook_id")], order_by=[F("created_at").desc(), F("id").desc()])
    ).filter(rank__lte=per_webhook)
    return webhooks_visible_to(actor).prefetch_related(Prefetch("deliveries", queryset=ranked, to_attr="recent"))
