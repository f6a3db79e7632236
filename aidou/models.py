import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """One row per read or change of protected data, and per security event (a refused
    login, a lockout, a role granted). Rows are never edited.

    `action` is a code from `Action`; the column carries no choices, so a new kind of event
    (every app adds its own) needs no migration of this table."""

    class Action(models.TextChoices):
        REVEAL_PII = "reveal_pii", _("revealed personal data")
        CHANGE_PII = "change_pii", _("changed personal data")
        BANK_FILE_DOWNLOAD = "bank_file_download", _("downloaded a bank transfer file")

    # Null for events with no signed-in actor (a refused login, a forged API key).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=48, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64)
    fields = models.JSONField(_("fields"), default=list)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.target_type}:{self.target_id}"

    @property
    def action_label(self) -> str:
        return str(dict(self.Action.choices).get(self.action, self.action))


# A running job that has not reported progress for this long has lost its worker
# (settings.JOB_STALE_AFTER_SECONDS; ten minutes unless the environment says otherwise).
STALE_AFTER = dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)


class Job(models.Model):
    """Base of every long operation: a row a page and an API client can watch and an
    operator can retry. Subclasses add their inputs and result counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    # Messages a worker writes into `errors` are in the language of whoever started the job.
    language = models.CharField(_("language"), max_length=16, default=settings.LANGUAGE_CODE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Written with every progress update: how claims tell a dead worker from a slow one.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # How many times a worker has started the job since it was created or last retried by
    # a person; the sweep of dead workers' jobs (aidou.jobs.jobs_sweep) gives up after
    # settings.JOB_MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def is_stale(self) -> bool:
        """Queued or running with no sign of life for STALE_AFTER: its worker probably died."""
        since = self.heartbeat_at or self.started_at or self.created_at
        return not self.is_finished and since is not None and timezone.now() - since > STALE_AFTER

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
