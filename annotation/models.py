import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidou.fields import NameField
from aidou.models import Job


def _generated_name(folder: str, filename: str, allowed: set[str]) -> str:
    # Uploaded names never reach the file system: a random name, a known suffix or none.
    suffix = Path(filename).suffix.lower()
    return f"{folder}/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{suffix if suffix in allowed else ''}"


def item_image_upload_to(instance, filename: str) -> str:
    return _generated_name("items", filename, {".jpg", ".jpeg", ".png", ".webp"})


def item_thumbnail_upload_to(instance, filename: str) -> str:
    return _generated_name("thumbs", filename, {".webp"})


def export_upload_to(instance, filename: str) -> str:
    return _generated_name("exports", filename, {".json", ".zip"})


class Organisation(models.Model):
    """A client company that sends images and takes labels back."""

    name = NameField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client organisation")
        verbose_name_plural = _("client organisations")

    def __str__(self) -> str:
        return self.name


class ClientMember(models.Model):
    """A person who logs in to the client pages of one organisation."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")

    class Meta:
        verbose_name = _("client member")
        verbose_name_plural = _("client members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class ApiKey(models.Model):
    """A client's API key. Only a SHA-256 of the secret is kept; the key is shown once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = NameField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def default_reject_reasons() -> list[str]:
    # Stored as text in both languages: reviewers and annotators read them as written.
    return [
        "漏标 Missed objects",
        "标签错误 Wrong label",
        "框不贴合 Shapes not tight",
        "多标 Extra shapes",
        "不符合说明 Does not follow the instructions",
    ]


class Project(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        ARCHIVED = "archived", _("archived")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects")
    name = NameField(_("name"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    label_schema = models.JSONField(_("label schema"))
    overlap = models.PositiveSmallIntegerField(_("overlap"), default=1)
    # How long an annotator holds an item before it returns to the pool (renewed while they work).
    lease_minutes = models.PositiveSmallIntegerField(_("lease (minutes)"), default=30)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Review: the share of a proven annotator's work still reviewed (never 0), the reasons a
    # reviewer picks from when sending work back, and the IoU at which two shapes match.
    review_floor = models.FloatField(_("review floor"), default=0.10)
    reject_reasons = models.JSONField(_("reasons for rework"), default=default_reject_reasons, blank=True)
    iou_threshold = models.FloatField(_("IoU threshold"), default=0.5)
    # The share of each annotator's stream that is gold items (known answers), when the
    # project has gold items they have not had yet.
    gold_rate = models.FloatField(_("gold rate"), default=0.05)
    # When the last item was done (and `project.done` went to the client's webhooks);
    # cleared when new items arrive.
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    # How many items the project holds, refreshed by imports (see project_item_count_refresh),
    # so an unfiltered item list need not count 100,000 rows on every page.
    item_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(overlap__gte=1, overlap__lte=5), name="project_overlap_1_to_5"),
            models.CheckConstraint(
                condition=Q(lease_minutes__gte=1, lease_minutes__lte=24 * 60), name="project_lease_1min_to_1day"
            ),
            models.CheckConstraint(condition=Q(review_floor__gt=0, review_floor__lte=1), name="project_review_floor"),
            models.CheckConstraint(condition=Q(iou_threshold__gt=0, iou_threshold__lt=1), name="project_iou_0_to_1"),
            models.CheckConstraint(condition=Q(gold_rate__gte=0, gold_rate__lte=0.5), name="project_gold_rate"),
        ]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    @property
    def label_names(self) -> list[str]:
        return [label["name"] for label in self.label_schema.get("labels", [])]


class Item(models.Model):
    """One image of a client's dataset, stored as uploaded, with its displayed size."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        REVIEW = "review", _("in review")
        DONE = "done", _("done")

    # No index of its own (here and on the hot tables below): a composite index leads with
    # the column and serves its lookups, and every write would keep one more index.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    file_name = NameField(_("file name"), max_length=255)
    image = models.FileField(_("image"), upload_to=item_image_upload_to, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=item_thumbnail_upload_to, max_length=200)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    # Pre-annotations from the client's COCO file, in the API's shape: {"shapes": [...], "class": null}
    prefill = models.JSONField(null=True, blank=True)
    import_job = models.ForeignKey("ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "sha256"], name="item_unique_image_in_project")]
        indexes = [
            models.Index(fields=["project", "status", "id"], name="item_project_status"),
            models.Index(fields=["project", "file_name"], name="item_project_file_name"),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.file_name


class ImportJob(Job):
    """A client's upload: images and zips staged on disk, processed one file at a time."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staging_dir = models.CharField(max_length=255, editable=False)
    # [{"name": "a.jpg", "path": "<staged file>"}, ...] in upload order
    uploads = models.JSONField(default=list, editable=False)
    annotations_path = models.CharField(max_length=255, blank=True, editable=False)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"file", "code", "reason"}]: accepted images whose pre-annotations were partly left out.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class ExportJob(Job):
    class Format(models.TextChoices):
        COCO = "coco", "COCO"
        VOC = "voc", "Pascal VOC"
        YOLO = "yolo", "YOLO"
        JSON = "json", "JSON"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    only_accepted = models.BooleanField(_("only accepted work"), default=True)
    items = models.PositiveIntegerField(_("items"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"export {self.pk} {self.format} ({self.status})"


class Webhook(models.Model):
    class Event(models.TextChoices):
        IMPORT_FINISHED = "import.finished", "import.finished"
        EXPORT_FINISHED = "export.finished", "export.finished"
        PROJECT_DONE = "project.done", "project.done"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=32, choices=Webhook.Event.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"


class Batch(models.Model):
    """A set of a project's items given to teams and/or named annotators. Each item of a
    batch has `overlap` slots (Task rows); the assignment engine leases them out."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAUSED = "paused", _("paused")
        CLOSED = "closed", _("closed")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="batches", verbose_name=_("project"))
    # The centre whose supervisors run the batch; its annotators may come from other centres.
    centre = models.ForeignKey(
        "workforce.Centre", on_delete=models.PROTECT, related_name="batches", verbose_name=_("centre")
    )
    name = NameField(_("name"), max_length=200)
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Higher goes first."))
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    teams = models.ManyToManyField("workforce.Team", related_name="batches", blank=True, verbose_name=_("teams"))
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="batches", blank=True, verbose_name=_("annotators")
    )
    item_count = models.PositiveIntegerField(_("items"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-priority", "due", "created_at", "id"]
        indexes = [models.Index(fields=["status", "project"], name="batch_status_project")]
        verbose_name = _("batch")
        verbose_name_plural = _("batches")

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """One slot of one item: an item with overlap k has k tasks, numbered 0..k-1. A task is
    free when `free_at` has passed (a new task, or a lease that ran out) and it is not done.
    `(item, slot)` is unique, so an item can never be handed to more than `overlap` people.
    `taken` says someone has had the slot: a free taken slot came back to the pool (a skip,
    a lease that ran out or was released), and only those can be new to an annotator among
    the items they have gone past (see the engine's claim)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="tasks", db_index=False)
    slot = models.PositiveSmallIntegerField()
    free_at = models.DateTimeField()
    done = models.BooleanField(default=False)
    taken = models.BooleanField(default=False)
    # The assignment that holds or completed this slot, if any.
    assignment = models.OneToOneField(
        "Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="holding_task"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "slot"], name="task_one_per_item_slot")]
        indexes = [
            # The engine's scan: a batch's open slots in item order.
            models.Index(fields=["batch", "item", "slot"], condition=Q(done=False), name="task_open_in_batch"),
            # The engine's look behind an annotator: open slots that came back to the pool.
            models.Index(
                fields=["batch", "item", "slot"], condition=Q(done=False, taken=True), name="task_returned_in_batch"
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} slot {self.slot}"


class Assignment(models.Model):
    """One annotator's turn at one item, under a lease. `(item, annotator)` is unique: nobody
    is given the same item twice, even after a skip or an expired lease."""

    class Status(models.TextChoices):
        LEASED = "leased", _("in progress")
        SUBMITTED = "submitted", _("submitted")
        SKIPPED = "skipped", _("skipped")
        EXPIRED = "expired", _("expired")
        # A reviewer sent the work back: it waits for the same annotator, who keeps the slot.
        REWORK = "rework", _("rework")

    # The slot held; none for a gold item, which is mixed into the stream outside the slots.
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments", null=True, blank=True)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", db_index=False
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.LEASED)
    # Why the engine chose this item, for audit: {"batch", "priority", "due", "rule", "via"}.
    reason = models.JSONField(default=dict)
    leased_at = models.DateTimeField(_("leased at"))
    lease_expires_at = models.DateTimeField(_("lease expires"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    skip_reason = models.CharField(_("skip reason"), max_length=500, blank=True)
    # The workbench's unsent work, saved with each heartbeat so a closed browser loses nothing.
    draft = models.JSONField(null=True, blank=True)
    # Active time measured on the server from heartbeats, with an idle cut-off.
    active_ms = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-leased_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="assignment_once_per_annotator"),
        ]
        indexes = [
            models.Index(fields=["annotator", "status"], name="assignment_annotator_status"),
            models.Index(fields=["annotator", "finished_at"], name="assignment_annotator_finished"),
            models.Index(fields=["batch", "status"], name="assignment_batch_status"),
            # How far into a batch an annotator has gone: their furthest slot's item.
            models.Index(
                fields=["annotator", "batch", "item"], condition=Q(task__isnull=False), name="assignment_slot_reach"
            ),
        ]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.annotator_id} → item {self.item_id} ({self.status})"

    # The workbench's preset skip reasons are sent as codes so they can be counted.
    SKIP_REASONS = {
        "unreadable": _("The image is unreadable or blurry"),
        "nothing-to-label": _("Nothing to label"),
        "wrong-or-duplicate": _("Wrong or duplicate image"),
    }

    @property
    def skip_reason_display(self) -> str:
        return str(self.SKIP_REASONS.get(self.skip_reason, self.skip_reason))


class Annotation(models.Model):
    """What an annotator submitted for an assignment, exactly as drawn (to 0.01 px). Work
    sent back and done again is a new revision; earlier ones stay as they were."""

    class Review(models.TextChoices):
        QUEUED = "queued", _("waiting for review")
        NOT_SAMPLED = "not_sampled", _("accepted without review")
        ACCEPTED = "accepted", _("accepted")
        FIXED = "fixed", _("fixed by the reviewer")
        REJECTED = "rejected", _("sent back")
        # A gold item's answer: scored against the true answer at submit, never reviewed.
        GOLD = "gold", _("scored against the known answer")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="annotations", db_index=False)
    revision = models.PositiveSmallIntegerField(default=1)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    shapes = models.JSONField(default=list)
    image_class = models.CharField(max_length=100, null=True, blank=True)
    # What the browser measured, kept beside the server's own measure (Assignment.active_ms).
    client_time_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, default=Review.QUEUED)
    # False once the work was sent back and submitted again: the newer revision counts.
    is_latest = models.BooleanField(default=True)
    # Why it was (or was not) picked for review: the sampling rate, the rule and the
    # annotator's quality estimate then, so the reviewer and an audit can see it.
    sampling = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "revision"], name="annotation_one_per_revision"),
        ]
        indexes = [
            models.Index(fields=["item", "created_at"], name="annotation_item_created"),
            # The review queue: a batch's queued work, oldest first.
            models.Index(fields=["id"], condition=Q(review="queued"), name="annotation_review_queue"),
        ]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"annotation {self.pk} of item {self.item_id}"

    def as_api(self) -> dict:
        return {"shapes": self.shapes, "class": self.image_class}


class Review(models.Model):
    """A reviewer's decision on one annotation: accept, send back with reasons (rework by
    the same annotator), or fix (the fixed shapes are the reviewed version; the original
    stays as it was)."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("accept")
        REJECT = "reject", _("send back")
        FIX = "fix", _("fix")

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="reviews")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # A fix: what the reviewer made of it.
    shapes = models.JSONField(null=True, blank=True)
    image_class = models.CharField(max_length=100, null=True, blank=True)
    # How close the annotation was to the fix (shape F1), the quality observation it gave.
    score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["annotation"], name="review_one_per_annotation")]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.decision} of annotation {self.annotation_id}"


class AnnotatorQuality(models.Model):
    """An annotator's recent quality observations in one project (each in [0, 1]: a review
    outcome, a gold item's F1), newest last, at most the sampling window of them: what adaptive
    sampling reads on every submit, in the same query as the rest."""

    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quality")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotator_quality")
    recent = models.JSONField(default=list)
    observations = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["annotator", "project"], name="quality_one_per_project")]

    def __str__(self) -> str:
        return f"quality of {self.annotator_id} in project {self.project_id}"


class GoldAnswer(models.Model):
    """An item whose true answer is known, mixed into annotators' streams to measure their
    quality. It is never handed out as ordinary work."""

    class Source(models.TextChoices):
        DRAWN = "drawn", _("drawn by a supervisor")
        CONSENSUS = "consensus", _("taken from accepted work")

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="gold")
    shapes = models.JSONField(default=list)
    image_class = models.CharField(max_length=100, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gold answer")
        verbose_name_plural = _("gold answers")

    def __str__(self) -> str:
        return f"gold answer of item {self.item_id}"

    def as_api(self) -> dict:
        return {"shapes": self.shapes, "class": self.image_class}


class GoldResult(models.Model):
    """How one annotation of a gold item compared with the true answer, scored at submit."""

    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="gold_result")
    gold = models.ForeignKey(GoldAnswer, on_delete=models.CASCADE, related_name="results")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gold_results")
    score = models.FloatField()  # shape F1 and class, averaged, in [0, 1]
    details = models.JSONField(default=dict)  # precision, recall, matched, missed, extra, mean IoU
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["annotator", "created_at"], name="gold_result_annotator")]

    def __str__(self) -> str:
        return f"gold result {self.score:.2f} of annotation {self.annotation_id}"


class QualityJob(Job):
    """A recomputation of a whole project's quality: agreement between annotators, the
    consensus of every item, and each annotator's snapshot. `summary` holds the project's
    figures (per batch, per label, the confusion matrices) for the dashboard."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quality_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quality recomputation")
        verbose_name_plural = _("quality recomputations")

    def __str__(self) -> str:
        return f"quality job {self.pk} of project {self.project_id} ({self.status})"


class QualitySnapshot(models.Model):
    """An annotator's quality in a project as one recomputation found it. Kept, one per
    recomputation, so the dashboard can show the trend."""

    job = models.ForeignKey(QualityJob, on_delete=models.CASCADE, related_name="snapshots")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quality_snapshots")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField(_("taken at"))
    # Over every observation: reviews, gold items and agreement with colleagues, each in [0, 1].
    score = models.FloatField(null=True)
    observations = models.PositiveIntegerField(default=0)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)
    reviewed = models.PositiveIntegerField(default=0)
    acceptance_rate = models.FloatField(null=True)
    gold_n = models.PositiveIntegerField(default=0)
    gold_f1 = models.FloatField(null=True)
    agreement = models.FloatField(null=True)  # mean shape F1 with colleagues on shared items
    agreement_n = models.PositiveIntegerField(default=0)
    class_accuracy = models.FloatField(null=True)  # Dawid-Skene's estimate
    items = models.PositiveIntegerField(default=0)
    median_seconds = models.FloatField(null=True)  # active time per item
    flags = models.JSONField(default=list)  # "too_fast", "low_agreement", "falling"

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "annotator"], name="snapshot_one_per_job")]
        indexes = [models.Index(fields=["project", "annotator", "taken_at"], name="snapshot_trend")]

    def __str__(self) -> str:
        return f"quality of {self.annotator_id} in project {self.project_id} at {self.taken_at:%Y-%m-%d %H:%M}"


class ItemConsensus(models.Model):
    """The label an item ends with, as the last recomputation found it from its accepted
    work. `basis` lists the annotations it was computed from: an export uses it only while
    the item's accepted work is still exactly those, and computes afresh otherwise."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="consensus")
    job = models.ForeignKey(QualityJob, on_delete=models.SET_NULL, null=True, related_name="+")
    shapes = models.JSONField(default=list)
    image_class = models.CharField(max_length=100, null=True, blank=True)
    annotators = models.PositiveSmallIntegerField(default=0)
    agreement = models.FloatField(null=True)  # mean pairwise shape F1 of its annotators
    basis = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"consensus of item {self.item_id}"

    def as_api(self) -> dict:
        return {"shapes": self.shapes, "class": self.image_class}
