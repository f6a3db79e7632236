"""Reads of the annotation app. Every function takes the actor (a person or an API-key
principal) and returns only what it may see: a client sees its own organisation's data,
a network admin everything, anyone else nothing. Foreign ids are "not found"."""

import functools
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, TruncWeek
from django.http import Http404
from django.utils import timezone

from annotation import policies
from annotation.models import (
    Annotation,
    AnnotatorQuality,
    ApiKey,
    Assignment,
    Batch,
    ExportJob,
    GoldAnswer,
    GoldResult,
    ImportJob,
    Item,
    ItemConsensus,
    Organisation,
    Project,
    QualityJob,
    QualitySnapshot,
    Review,
    Task,
    Webhook,
    WebhookDelivery,
)
from annotation.principals import client_organisation_id
from annotation.quality.fusion import fuse_shapes, weighted_class
from annotation.quality.sampling import SamplingPolicy, review_rate
from annotation.quality.scores import wilson_interval
from annotation.quality.shapes import DEFAULT_IOU_THRESHOLD
from workforce.models import User


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
    """Counts for `GET /projects/{id}/progress/`, per item, in two queries: `annotated`
    has current work, `reviewed` had a reviewer's decision, `accepted` has accepted work
    (by a reviewer, a fix, or not sampled), `rejected` waits for rework, `done` is finished
    (every slot done and all its work accepted). `quality`: the mean of the project's
    review outcomes (accept 1, send back 0, fix its score), None before any review."""
    # A gold item's answers measure annotators; they are not work on the client's item.
    current = Annotation.objects.filter(item=OuterRef("pk"), is_latest=True).exclude(review=Annotation.Review.GOLD)
    counts = Item.objects.filter(project=project).aggregate(
        items=Count("id"),
        annotated=Count("id", filter=Q(Exists(current))),
        reviewed=Count("id", filter=Q(Exists(Review.objects.filter(item=OuterRef("pk"))))),
        accepted=Count("id", filter=Q(Exists(current.filter(review__in=ACCEPTED_REVIEWS)))),
        rejected=Count("id", filter=Q(Exists(current.filter(review=Annotation.Review.REJECTED)))),
        done=Count("id", filter=Q(status=Item.Status.DONE)),
    )
    outcomes = Review.objects.filter(item__project=project).aggregate(
        reviews=Count("id"),
        accepted=Count("id", filter=Q(decision=Review.Decision.ACCEPT)),
        fixed_score=Sum("score", filter=Q(decision=Review.Decision.FIX), default=0.0),
    )
    quality = None
    if outcomes["reviews"]:
        quality = round((outcomes["accepted"] + outcomes["fixed_score"]) / outcomes["reviews"], 4)
    return {**counts, "quality": quality}


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


ACCEPTED_REVIEWS = (Annotation.Review.ACCEPTED, Annotation.Review.FIXED, Annotation.Review.NOT_SAMPLED)


def current_annotations_prefetch() -> Prefetch:
    """Each item's current work (the latest revision of each turn) with its reviews, as
    `item.current_annotations`: what exports read, two queries per chunk of items."""
    current = (
        Annotation.objects.filter(is_latest=True)
        .exclude(review=Annotation.Review.GOLD)  # answers to a gold item measure people, not the item
        .prefetch_related("reviews")
        .order_by("id")
    )
    return Prefetch("annotations", queryset=current, to_attr="current_annotations")


def gold_answer_prefetch() -> Prefetch:
    """Each item's gold answer, if any, as `item.gold_answer` (one query per chunk)."""
    return Prefetch("gold", queryset=GoldAnswer.objects.all(), to_attr="gold_answer")


def consensus_prefetch() -> Prefetch:
    """Each item's stored consensus, if any, as `item.stored_consensus` (one query per chunk)."""
    return Prefetch("consensus", queryset=ItemConsensus.objects.all(), to_attr="stored_consensus")


def annotation_labels(annotation: Annotation) -> dict:
    """The labels a piece of work stands for: the reviewer's version when they fixed it."""
    if annotation.review == Annotation.Review.FIXED:
        fix = next((review for review in annotation.reviews.all() if review.decision == Review.Decision.FIX), None)
        if fix is not None:
            return {"shapes": fix.shapes or [], "class": fix.image_class}
    return annotation.as_api()


def item_labels_for_export(item: Item, *, only_accepted: bool, project: Project | None = None) -> dict | None:
    """What an export says an item is labelled with: `{"shapes": [...], "class": ...}`, or
    None for an item with nothing to export (it is still listed, with no annotations).

    The consensus (annotation.quality.consensus) of the item's current work: with
    `only_accepted`, of the work accepted by a reviewer, fixed by one, or accepted without
    review; otherwise of all of it, and an item nobody labelled yet gives its
    pre-annotations (`item.prefill`, from the client's COCO import).

    A gold item (`item.gold_answer`, current_annotations_prefetch's companion
    gold_answer_prefetch) is labelled with its known answer.

    Reads `item.current_annotations` (current_annotations_prefetch) so an export stays at
    a constant number of queries; without it, it queries."""
    gold = getattr(item, "gold_answer", None)
    if gold is not None and gold.is_active:
        return gold.as_api()  # a gold item's known answer is its label
    current = getattr(item, "current_annotations", None)
    if current is None:
        current = list(
            Annotation.objects.filter(item=item, is_latest=True)
            .exclude(review=Annotation.Review.GOLD)
            .prefetch_related("reviews")
            .order_by("id")
        )
    if only_accepted:
        current = [annotation for annotation in current if annotation.review in ACCEPTED_REVIEWS]
    elif not current:
        return item.prefill
    if not current:
        return None
    stored = getattr(item, "stored_consensus", None)
    if stored is not None and stored.basis == [annotation.pk for annotation in current]:
        return stored.as_api()  # the last recomputation's, weighted by quality, still current
    schema = project.label_schema if project is not None else {}
    labels = [annotation_labels(annotation) for annotation in current]
    weights = [1.0] * len(labels)
    shapes, _clusters = fuse_shapes(
        [label.get("shapes") or [] for label in labels],
        weights,
        iou_threshold=project.iou_threshold if project is not None else DEFAULT_IOU_THRESHOLD,
        keypoint_names=schema.get("keypoints") or None,
    )
    return {"shapes": shapes, "class": weighted_class([label.get("class") for label in labels], weights)}


def webhooks_with_recent_deliveries(actor, *, per_webhook: int = 5) -> QuerySet[Webhook]:
    """The caller's webhooks, each with `recent`: its latest deliveries (two queries: the
    deliveries are ranked per webhook in SQL, so a busy webhook does not crowd others out)."""
    ranked = WebhookDelivery.objects.annotate(
        rank=Window(RowNumber(), partition_by=[F("webhook_id")], order_by=[F("created_at").desc(), F("id").desc()])
    ).filter(rank__lte=per_webhook)
    return webhooks_visible_to(actor).prefetch_related(Prefetch("deliveries", queryset=ranked, to_attr="recent"))


# Labelling work: batches, assignments, the annotator's own figures.


def projects_for_batching(actor) -> QuerySet[Project]:
    """Projects a supervisor may cut batches from: every active project of the network
    (the network does the clients' work; batches, not projects, belong to a centre)."""
    if not policies.can_manage_batches(actor):
        return Project.objects.none()
    return Project.objects.filter(status=Project.Status.ACTIVE).select_related("organisation").order_by("name")


def batches_visible_to(actor) -> QuerySet[Batch]:
    """Batches run by the actor's centre (network admins: all). Reviewers see them too."""
    if not policies.can_view_batches(actor):
        return Batch.objects.none()
    qs = Batch.objects.select_related("project", "centre")
    return qs if actor.is_network_admin else qs.filter(centre_id=actor.centre_id)


def batch_get(actor, batch_id) -> Batch:
    return _get(batches_visible_to(actor), batch_id)


def batch_list_with_progress(actor) -> QuerySet[Batch]:
    """Batches with their slot counts (one query for the page), teams and named annotators
    (two more), newest first."""
    now = timezone.now()
    return (
        batches_visible_to(actor)
        .annotate(
            slots=Count("tasks"),
            slots_done=Count("tasks", filter=Q(tasks__done=True)),
            slots_leased=Count("tasks", filter=Q(tasks__done=False, tasks__free_at__gt=now)),
        )
        .prefetch_related("teams", Prefetch("annotators", queryset=User.objects.only("id", "name", "username")))
        .order_by("-created_at", "-id")
    )


def batch_progress(batch: Batch) -> dict:
    """Slots and items of a batch: done, leased now, still free (two queries)."""
    now = timezone.now()
    slots = Task.objects.filter(batch=batch).aggregate(
        n_total=Count("id"),
        n_done=Count("id", filter=Q(done=True)),
        n_leased=Count("id", filter=Q(done=False, free_at__gt=now)),
    )
    items_done = (
        Task.objects.filter(batch=batch)
        .values("item_id")
        .annotate(open=Count("id", filter=Q(done=False)))
        .filter(open=0)
        .count()
    )
    total = slots["n_total"] or 0
    return {
        "items": batch.item_count,
        "items_done": items_done,
        "slots": total,
        "slots_done": slots["n_done"],
        "slots_leased": slots["n_leased"],
        "slots_free": total - slots["n_done"] - slots["n_leased"],
        "percent": round(100 * slots["n_done"] / total) if total else 0,
    }


def batch_annotator_counts(batch: Batch) -> list[dict]:
    """Per annotator: submitted, in progress, skipped, expired and active minutes (one query)."""
    rows = (
        Assignment.objects.filter(batch=batch)
        .values("annotator_id", "annotator__name", "annotator__username")
        .annotate(
            submitted=Count("id", filter=Q(status=Assignment.Status.SUBMITTED)),
            leased=Count("id", filter=Q(status=Assignment.Status.LEASED)),
            skipped=Count("id", filter=Q(status=Assignment.Status.SKIPPED)),
            expired=Count("id", filter=Q(status=Assignment.Status.EXPIRED)),
            active_ms=Sum("active_ms"),
        )
        .order_by("-submitted", "annotator__name")
    )
    return [
        {
            "annotator": row["annotator_id"],
            "name": row["annotator__name"] or row["annotator__username"],
            "submitted": row["submitted"],
            "leased": row["leased"],
            "skipped": row["skipped"],
            "expired": row["expired"],
            "active_minutes": round((row["active_ms"] or 0) / 60000),
        }
        for row in rows
    ]


def assignments_of(annotator) -> QuerySet[Assignment]:
    """An annotator's own assignments, newest first; nobody else's."""
    return Assignment.objects.filter(annotator_id=annotator.pk).order_by("-leased_at", "-id")


def annotator_stats(annotator) -> dict:
    """Today's and this week's submitted images and active time (one query)."""
    today = timezone.localdate()
    day_start = timezone.make_aware(datetime.combine(today, time.min))
    week_start = day_start - timedelta(days=today.weekday())
    week = Q(finished_at__gte=week_start)
    day = Q(finished_at__gte=day_start)
    submitted = Q(status=Assignment.Status.SUBMITTED)
    counts = assignments_of(annotator).aggregate(
        today=Count("id", filter=day & submitted),
        week=Count("id", filter=week & submitted),
        today_ms=Sum("active_ms", filter=day),
        week_ms=Sum("active_ms", filter=week),
        total=Count("id", filter=submitted),
    )
    return {
        "today": counts["today"],
        "week": counts["week"],
        "total": counts["total"],
        "today_minutes": round((counts["today_ms"] or 0) / 60000),
        "week_minutes": round((counts["week_ms"] or 0) / 60000),
    }


def annotator_recent_work(annotator, *, limit: int = 20) -> list[Assignment]:
    return list(
        assignments_of(annotator)
        .exclude(status=Assignment.Status.LEASED)
        .select_related("item", "batch__project")
        .only(
            "id", "status", "leased_at", "finished_at", "active_ms", "skip_reason",
            "item__id", "item__file_name", "batch__id", "batch__name", "batch__project__id", "batch__project__name",
        )[:limit]
    )  # fmt: skip


OPEN_BATCH_COLUMNS = ("id", "name", "priority", "due", "project_id", "lease_minutes", "gold_rate", "named", "team")


@functools.cache  # the statement depends on nothing but the models
def open_batches_sql(*, as_json: bool = False) -> str:
    """open_batches_for's statement; one parameter, the annotator's id, as `%(me)s`. With
    `as_json` (PostgreSQL) the batches come as one JSON array of arrays (OPEN_BATCH_COLUMNS,
    in order), for the engine to read inside a statement of its own."""
    batch, project = Batch._meta.db_table, Project._meta.db_table
    named, teams = Batch.annotators.through._meta.db_table, Batch.teams.through._meta.db_table
    members = User.teams.through._meta.db_table
    columns = f"""b.id, b.name, b.priority, b.due, b.project_id, p.lease_minutes, p.gold_rate,
        EXISTS (SELECT 1 FROM {named} n WHERE n.batch_id = b.id AND n.user_id = %(me)s),
        (SELECT bt.team_id FROM {teams} bt JOIN {members} m ON m.team_id = bt.team_id
          WHERE bt.batch_id = b.id AND m.user_id = %(me)s ORDER BY bt.team_id LIMIT 1)"""  # noqa: S608
    order = "b.priority DESC, b.due IS NULL, b.due, b.created_at, b.id"
    head = f"SELECT json_agg(json_build_array({columns}) ORDER BY {order})" if as_json else f"SELECT {columns}"
    return f"""{head}
        FROM {batch} b JOIN {project} p ON p.id = b.project_id
        WHERE b.status = '{Batch.Status.OPEN}' AND p.status = '{Project.Status.ACTIVE}' AND b.id IN (
            SELECT n.batch_id FROM {named} n WHERE n.user_id = %(me)s
            UNION
            SELECT bt.batch_id FROM {teams} bt JOIN {members} m ON m.team_id = bt.team_id WHERE m.user_id = %(me)s)
        {"" if as_json else f"ORDER BY {order}"}
    """  # noqa: S608 - table names and statuses come from the models, the id is bound


def open_batches_for(annotator: User) -> list[dict]:
    """The batches the annotator may draw work from now, in the order work is handed out
    (priority, then due date, then age), each with how it reaches them: `named` or
    through `team`. One statement: it runs on every `next`, so it is written out."""
    with connection.cursor() as cursor:
        cursor.execute(open_batches_sql(), {"me": annotator.pk})
        return [dict(zip(OPEN_BATCH_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def item_image_get(actor, item_id) -> Item:
    """An item whose image the actor may see: the client's organisation and network admins
    (as `item_get`), an annotator who was given the item, and the staff of a centre that
    runs a batch holding it."""
    if client_organisation_id(actor) is not None or getattr(actor, "is_network_admin", False):
        return item_get(actor, item_id)
    if not getattr(actor, "is_authenticated", False) or not str(item_id).isdigit():
        raise Http404
    rule = Q(assignments__annotator_id=actor.pk)
    if policies.can_label(actor):
        # Items of batches open to them: the workbench fetches the next image early.
        open_ids = [batch["id"] for batch in open_batches_for(actor)]
        rule |= Q(tasks__batch_id__in=open_ids)
    if policies.can_view_batches(actor) and actor.centre_id:
        rule |= Q(tasks__batch__centre_id=actor.centre_id)
    item = Item.objects.filter(pk=item_id).filter(rule).first()
    if item is None:
        raise Http404
    return item


def review_queue(actor, *, project_id=None, batch_id=None) -> QuerySet[Annotation]:
    """Work waiting for review in the batches the actor may see (their centre's; network
    admins: all), oldest first, optionally of one project or batch. Only the current
    revision of each piece of work, and never the actor's own (someone else reviews it);
    the rows carry what the review page draws."""
    if not policies.can_review(actor):
        return Annotation.objects.none()
    qs = Annotation.objects.filter(
        review=Annotation.Review.QUEUED, is_latest=True, assignment__batch__in=batches_visible_to(actor)
    ).exclude(annotator_id=actor.pk)  # never one's own work (policies.is_own_work)
    if project_id is not None:
        qs = qs.filter(assignment__batch__project_id=project_id)
    if batch_id is not None:
        qs = qs.filter(assignment__batch_id=batch_id)
    return qs.select_related("item", "annotator", "assignment__batch__project").order_by("id")


def batch_has_annotation(batch: Batch, annotation_id: int) -> bool:
    """Whether the annotation is work done in the batch (decided or not)."""
    return Annotation.objects.filter(pk=annotation_id, assignment__batch=batch).exists()


def review_queue_counts(actor) -> list[dict]:
    """Per batch the actor may see: how much work waits for review (one query)."""
    return list(
        review_queue(actor)
        .values("assignment__batch_id", "assignment__batch__name", "assignment__batch__project__name")
        .annotate(queued=Count("id"))
        .order_by("assignment__batch__project__name", "assignment__batch_id")
    )


def rejections_of(annotator) -> QuerySet[Review]:
    """Every time the annotator's work was sent back, newest first, with the reasons."""
    return (
        Review.objects.filter(annotation__annotator=annotator, decision=Review.Decision.REJECT)
        .select_related("annotation__item", "annotation__assignment__batch__project")
        .order_by("-created_at", "-id")
    )


def quality_project_get(actor, project_id) -> Project:
    """A project whose annotators' quality the actor may read: the client's own and, for
    network admins, any; for centre staff who review or run batches, one their centre has
    a batch of. Anything else is 404."""
    if policies.can_view_batches(actor) and not actor.is_network_admin:
        return _get(Project.objects.filter(batches__centre_id=actor.centre_id).distinct(), project_id)
    return project_get(actor, project_id)


def review_gold_outcomes(project: Project, *, centre_id: int | None = None) -> dict[int, dict]:
    """Per annotator: their review outcomes (`_REVIEW_OUTCOMES`) and gold scores (`gold_n`,
    `gold_sum`) in the project, optionally only of one centre's people. Two queries."""
    reviews = Review.objects.filter(item__project=project)
    golds = GoldResult.objects.filter(gold__item__project=project)
    if centre_id is not None:
        reviews = reviews.filter(annotation__annotator__centre_id=centre_id)
        golds = golds.filter(annotator__centre_id=centre_id)
    people: dict[int, dict] = {}
    for row in reviews.values("annotation__annotator_id").annotate(**_REVIEW_OUTCOMES):
        people[row["annotation__annotator_id"]] = row
    for row in golds.values("annotator_id").annotate(gold_n=Count("id"), gold_sum=Sum("score")):
        people.setdefault(row["annotator_id"], {}).update(row)
    return people


def annotator_quality(actor, project: Project) -> list[dict]:
    """Per annotator with reviewed or gold-scored work in the project (centre staff: their
    centre's people only): the score over every observation (a review: accept 1, send back
    0, a fix its score; a gold item: its score), how many it rests on, its Wilson interval,
    the mean gold score (`gold_f1`) and the acceptance rate of reviewed work. Names go to
    centre staff only; a client sees annotator ids. Two queries."""
    staff = policies.can_view_batches(actor)
    people = review_gold_outcomes(project, centre_id=actor.centre_id if staff and not actor.is_network_admin else None)
    names = dict(
        User.objects.filter(pk__in=people).values_list("pk", "name") if staff else []
    )  # a third query, for staff only
    result = []
    for annotator_id in sorted(people):
        entry = {"annotator": annotator_id, **_quality_from_outcomes(people[annotator_id])}
        if staff:
            entry["name"] = names.get(annotator_id) or ""
        result.append(entry)
    return result


# Review outcomes counted per group: accept 1, send back 0, a fix its score.
_REVIEW_OUTCOMES = {
    "observations": Count("id"),
    "accepted": Count("id", filter=Q(decision=Review.Decision.ACCEPT)),
    "fixed": Count("id", filter=Q(decision=Review.Decision.FIX)),
    "fix_score": Sum("score", filter=Q(decision=Review.Decision.FIX), default=0.0),
}


def outcome_totals(row: dict) -> tuple[float, int]:
    """(good, n) of a row of review outcomes and gold scores (`review_gold_outcomes`):
    accept 1, send back 0, a fix its score, a gold item its score."""
    good = row.get("accepted", 0) + (row.get("fix_score") or 0.0) + (row.get("gold_sum") or 0.0)
    return good, row.get("observations", 0) + row.get("gold_n", 0)


def outcome_rates(row: dict) -> dict:
    """The mean gold score (`gold_f1`) and the acceptance rate of reviewed work (a fix
    counts as accepted) of such a row; None where there is nothing to count."""
    reviewed, gold_n = row.get("observations", 0), row.get("gold_n", 0)
    accepted = row.get("accepted", 0) + row.get("fixed", 0)
    return {
        "gold_f1": round((row.get("gold_sum") or 0.0) / gold_n, 4) if gold_n else None,
        "acceptance_rate": round(accepted / reviewed, 4) if reviewed else None,
    }


def _quality_from_outcomes(row: dict) -> dict:
    """Score and interval over review outcomes and gold scores together."""
    good, n = outcome_totals(row)
    low, high = wilson_interval(good, n)
    return {
        "score": round(good / n, 4),
        "observations": n,
        "interval": [round(low, 4), round(high, 4)],
        **outcome_rates(row),
    }


def own_quality(annotator) -> list[dict]:
    """The annotator's own quality per project they have observations in (reviews of their
    work and gold items), with the share of their work adaptive sampling reviews now and
    their agreement with colleagues as the last recomputation found it. Four queries."""
    reviewed = {
        row["item__project_id"]: row
        for row in Review.objects.filter(annotation__annotator=annotator)
        .values("item__project_id")
        .annotate(**_REVIEW_OUTCOMES)
    }
    gold = {
        row["gold__item__project_id"]: row
        for row in GoldResult.objects.filter(annotator=annotator)
        .values("gold__item__project_id")
        .annotate(gold_n=Count("id"), gold_sum=Sum("score"))
    }
    agreement: dict[int, QualitySnapshot] = {}
    snapshots = QualitySnapshot.objects.filter(annotator=annotator, agreement__isnull=False)
    for snapshot in snapshots.order_by("project_id", "-taken_at", "-id").only("project_id", "agreement", "agreement_n"):
        agreement.setdefault(snapshot.project_id, snapshot)  # the latest recomputation's
    result = []
    for quality in AnnotatorQuality.objects.filter(annotator=annotator).select_related("project"):
        counts = {**reviewed.get(quality.project_id, {}), **gold.get(quality.project_id, {})}
        if not counts:
            continue
        latest = agreement.get(quality.project_id)
        result.append(
            {
                "project": quality.project_id,
                "project_name": quality.project.name,
                **_quality_from_outcomes(counts),
                "review_rate": review_rate(quality.recent, SamplingPolicy(floor=quality.project.review_floor))[0],
                "agreement": latest.agreement if latest else None,
                "agreement_n": latest.agreement_n if latest else 0,
            }
        )
    return sorted(result, key=lambda row: row["project_name"])


def quality_overall(rows: list[dict]) -> dict | None:
    """One score over several projects' rows of `own_quality`: every observation counts
    once, wherever it was made, with its Wilson interval. None for fewer than two rows."""
    if len(rows) < 2:
        return None
    n = sum(row["observations"] for row in rows)
    good = sum(row["score"] * row["observations"] for row in rows)
    low, high = wilson_interval(good, n)
    return {"score": round(good / n, 4), "observations": n, "interval": [round(low, 4), round(high, 4)]}


def missed_gold_of(annotator, *, limit: int = 10) -> QuerySet[GoldResult]:
    """The gold items the annotator did not get fully right, newest first, each with the
    true answer and theirs, so they can see the difference."""
    return (
        GoldResult.objects.filter(annotator=annotator, score__lt=1)
        .select_related("gold", "annotation__item__project")
        .order_by("-created_at", "-id")[:limit]
    )


# --- Quality dashboard (centre staff) -------------------------------------------------------


def quality_dashboard_project_get(actor, project_id) -> Project:
    """A project whose quality dashboard the actor may open: centre staff who review or
    run batches, for projects their centre has a batch of (network admins: any). 404 else."""
    if not policies.can_view_batches(actor):
        raise Http404
    return quality_project_get(actor, project_id)


def quality_projects_for(actor) -> QuerySet[Project]:
    """Projects with a quality dashboard for the actor, newest first."""
    if not policies.can_view_batches(actor):
        return Project.objects.none()
    projects = (
        Project.objects.all() if actor.is_network_admin else Project.objects.filter(batches__centre_id=actor.centre_id)
    )
    return projects.distinct().order_by("-created_at", "-id")


def quality_overall_by_annotator(actor) -> list[dict]:
    """Each annotator's quality over all their projects (reviews and gold results; every
    observation once), for centre staff: their centre's people (network admins: all).
    Worst first, with the number of projects behind it. Three queries."""
    if not policies.can_view_batches(actor):
        return []
    reviews = Review.objects.all()
    golds = GoldResult.objects.all()
    if not actor.is_network_admin:
        reviews = reviews.filter(annotation__annotator__centre_id=actor.centre_id)
        golds = golds.filter(annotator__centre_id=actor.centre_id)
    people: dict[int, dict] = {}
    rows = reviews.values("annotation__annotator_id").annotate(
        projects=Count("item__project_id", distinct=True), **_REVIEW_OUTCOMES
    )
    for row in rows:
        people[row["annotation__annotator_id"]] = row
    gold_rows = golds.values("annotator_id").annotate(
        gold_projects=Count("gold__item__project_id", distinct=True), gold_n=Count("id"), gold_sum=Sum("score")
    )
    for row in gold_rows:
        people.setdefault(row["annotator_id"], {}).update(row)
    names = dict(User.objects.filter(pk__in=people).values_list("pk", "name"))
    result = [
        {
            "annotator": annotator_id,
            "name": names.get(annotator_id) or "",
            "projects": max(row.get("projects", 0), row.get("gold_projects", 0)),
            **_quality_from_outcomes(row),
        }
        for annotator_id, row in people.items()
    ]
    return sorted(result, key=lambda row: (row["score"], row["annotator"]))


def quality_jobs_visible_to(actor) -> QuerySet[QualityJob]:
    if not policies.can_view_batches(actor):
        return QualityJob.objects.none()
    if actor.is_network_admin:
        return QualityJob.objects.all()
    return QualityJob.objects.filter(
        project__in=Project.objects.filter(batches__centre_id=actor.centre_id).values("pk")
    )


def quality_job_get(actor, job_id) -> QualityJob:
    return _get(quality_jobs_visible_to(actor), job_id)


def quality_last_job(project: Project) -> QualityJob | None:
    """The project's newest recomputation, finished or not."""
    return QualityJob.objects.filter(project=project).order_by("-created_at", "-id").first()


def quality_snapshots(actor, job: QualityJob) -> list[QualitySnapshot]:
    """The job's snapshot of each annotator (centre staff: their centre's people), worst
    score first, with the person. One query."""
    snapshots = QualitySnapshot.objects.filter(job=job).select_related("annotator")
    if not actor.is_network_admin:
        snapshots = snapshots.filter(annotator__centre_id=actor.centre_id)
    return sorted(snapshots, key=lambda s: (s.score is None, s.score if s.score is not None else 0, s.annotator_id))


def quality_trend(actor, project: Project, *, annotator_id: int | None = None) -> list[dict]:
    """Week by week, the score of the observations made that week (reviews and gold
    results; each in [0, 1]), for the project or one annotator: `{"week", "score", "n"}`,
    oldest first. Two queries."""
    reviews = Review.objects.filter(item__project=project)
    golds = GoldResult.objects.filter(gold__item__project=project)
    if not actor.is_network_admin:
        reviews = reviews.filter(annotation__annotator__centre_id=actor.centre_id)
        golds = golds.filter(annotator__centre_id=actor.centre_id)
    if annotator_id is not None:
        reviews = reviews.filter(annotation__annotator_id=annotator_id)
        golds = golds.filter(annotator_id=annotator_id)
    weeks: dict = {}
    for row in reviews.annotate(week=TruncWeek("created_at")).values("week").annotate(**_REVIEW_OUTCOMES):
        weeks[row["week"].date()] = row
    for row in (
        golds.annotate(week=TruncWeek("created_at")).values("week").annotate(gold_n=Count("id"), gold_sum=Sum("score"))
    ):
        weeks.setdefault(row["week"].date(), {}).update(row)
    trend = []
    for week in sorted(weeks):
        figures = _quality_from_outcomes(weeks[week])
        trend.append({"week": week, "score": figures["score"], "n": figures["observations"]})
    return trend


def quality_snapshot_history(project: Project, annotator_id: int) -> QuerySet[QualitySnapshot]:
    """One annotator's snapshots in a project, oldest first: how each recomputation saw them."""
    return QualitySnapshot.objects.filter(project=project, annotator_id=annotator_id).order_by("taken_at", "id")


# Gold items' pages (annotation/views/gold.py): supervisors, centre managers and network
# admins, for projects their centre has a batch of (quality_project_get).


def gold_projects_for(actor) -> QuerySet[Project]:
    """Projects whose gold items the actor may look after: those their centre has a batch
    of (network admins: every project with a batch), by name, each with `gold_active` (how
    many gold items are in use). One query."""
    from django.db.models import IntegerField, Subquery
    from django.db.models.functions import Coalesce

    if not policies.can_manage_batches(actor):
        return Project.objects.none()
    batches = Batch.objects.filter(project=OuterRef("pk"))
    if not actor.is_network_admin:
        batches = batches.filter(centre_id=actor.centre_id)
    in_use = (
        GoldAnswer.objects.filter(item__project=OuterRef("pk"), is_active=True)
        .values("item__project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Project.objects.filter(Exists(batches))
        .annotate(gold_active=Coalesce(Subquery(in_use, output_field=IntegerField()), 0))
        .order_by("name", "id")
    )


def gold_items_of(actor, project: Project) -> QuerySet[GoldAnswer]:
    """The project's gold items (the caller checked the project), in use first, newest
    first, with the item and who marked it, each with `scored` (how many annotators were
    scored on it) and `mean_score` (their mean; None before any). For centre staff both
    count their centre's people only, as annotator_quality does. One query."""
    from django.db.models import Avg

    mine = Q() if getattr(actor, "is_network_admin", False) else Q(results__annotator__centre_id=actor.centre_id)
    return (
        GoldAnswer.objects.filter(item__project=project)
        .select_related("item", "created_by")
        .annotate(
            scored=Count("results__annotator", filter=mine, distinct=True),
            mean_score=Avg("results__score", filter=mine),
        )
        .order_by("-is_active", "-created_at", "-id")
    )


def gold_candidates(actor, project: Project) -> QuerySet[Item]:
    """Items of the project that may become gold on the actor's pages: done (all their work
    accepted, none waiting for review or rework), labelled in a batch of the actor's centre
    (so its staff may see the image; network admins: any batch), with no turn still open
    in any batch, not gold already, and none of the actor's own work on it. Each has
    `accepted`: how much of its current work was accepted (the consensus of it is the
    answer the page offers). Oldest first."""
    turns = Task.objects.filter(item=OuterRef("pk"))
    here = turns if getattr(actor, "is_network_admin", False) else turns.filter(batch__centre_id=actor.centre_id)
    accepted = Q(annotations__is_latest=True, annotations__review__in=ACCEPTED_REVIEWS)
    return (
        Item.objects.filter(project=project, status=Item.Status.DONE)
        .filter(Exists(here))
        .exclude(Exists(turns.filter(done=False)))
        .exclude(Exists(GoldAnswer.objects.filter(item=OuterRef("pk"))))
        # Its consensus would be the actor's own work judged true (policies.is_own_work).
        .exclude(Exists(Annotation.objects.filter(item=OuterRef("pk"), annotator_id=actor.pk, is_latest=True)))
        .annotate(accepted=Count("annotations", filter=accepted))
        .order_by("id")
    )


def quality_last_finished_job(project: Project) -> QualityJob | None:
    """The project's newest successful recomputation: what the dashboard shows."""
    return (
        QualityJob.objects.filter(project=project, status=QualityJob.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )
