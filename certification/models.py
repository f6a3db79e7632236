"""The occupational standard, its requirements (versioned), training, applications,
certificates, the centres' signing keys and their credentials.

The centre is an accredited body for the national occupational skill level of AI trainer
(人工智能训练师, 4-04-05-05). Level 5 (五级) is the first step, level 1 (一级) the top.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidou.fields import NameField
from workforce.models import WorkUnit

OCCUPATION_CODE = "4-04-05-05"


class Level(models.Model):
    """One of the five skill levels. `grade` 5 is the first level, 1 the highest."""

    grade = models.PositiveSmallIntegerField(_("grade"), unique=True)
    name = NameField(_("name"), max_length=20)  # 五级
    title = NameField(_("title"), max_length=20)  # 初级工

    class Meta:
        ordering = ["-grade"]
        constraints = [models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="level_grade_1_to_5")]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return f"{self.name}/{self.title}"


class StandardVersion(models.Model):
    """One version of the requirements of every level. HR's edits never change a version:
    each makes a new one, and an application keeps the version it was judged by."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    occupation_code = models.CharField(_("occupation code"), max_length=16, default=OCCUPATION_CODE)
    occupation_name = NameField(_("occupation"), max_length=50, default="人工智能训练师")
    source_note = models.TextField(_("source"), blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")

    def __str__(self) -> str:
        return f"{self.occupation_name} v{self.number}"


class Requirement(models.Model):
    """What a candidate for `level` must meet under one version of the standard. A zero
    (or no prerequisite level) means that part is not required."""

    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="requirements")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="requirements")
    prerequisite_level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("level held before")
    )
    prerequisite_months = models.PositiveSmallIntegerField(_("months holding it"), default=0)
    work_months = models.PositiveSmallIntegerField(_("months of relevant work"), default=0)
    volume_unit = models.CharField(_("unit of work"), max_length=16, choices=WorkUnit.choices, default=WorkUnit.ITEM)
    volume_min = models.PositiveIntegerField(_("accepted work"), default=0)
    quality_months = models.PositiveSmallIntegerField(_("quality over the last months"), default=6)
    quality_min = models.DecimalField(_("quality at least"), max_digits=4, decimal_places=3, default=0)
    # Fewer checked pieces of work than this say too little about a person's quality.
    quality_min_observations = models.PositiveIntegerField(_("checked work at least"), default=20)
    training_hours = models.DecimalField(_("training hours"), max_digits=6, decimal_places=1, default=0)
    theory_pass = models.PositiveSmallIntegerField(_("theory pass mark"), default=60)
    practical_pass = models.PositiveSmallIntegerField(_("practical pass mark"), default=60)

    class Meta:
        ordering = ["version", "-level__grade"]
        constraints = [
            models.UniqueConstraint(fields=["version", "level"], name="requirement_one_per_level"),
            models.CheckConstraint(condition=Q(quality_min__gte=0, quality_min__lte=1), name="requirement_quality_0_1"),
            models.CheckConstraint(condition=Q(theory_pass__lte=100, practical_pass__lte=100), name="requirement_pass"),
            models.CheckConstraint(condition=Q(training_hours__gte=0), name="requirement_hours_not_negative"),
        ]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return f"{self.level} (v{self.version.number})"


class SkillAllowance(models.Model):
    """Yuan a month a holder of `level` at `centre` is paid on top of their pay."""

    centre = models.ForeignKey("workforce.Centre", on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    monthly_amount = models.DecimalField(_("monthly allowance"), max_digits=10, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "level"], name="skill_allowance_one_per_level"),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="skill_allowance_not_negative"),
        ]
        verbose_name = _("skill allowance")
        verbose_name_plural = _("skill allowances")

    def __str__(self) -> str:
        return f"{self.centre_id}:{self.level_id} {self.monthly_amount}"


# --- Training -------------------------------------------------------------------------------


class Course(models.Model):
    """A training course a centre runs; its hours count toward `level` (or any level)."""

    centre = models.ForeignKey("workforce.Centre", on_delete=models.CASCADE, related_name="+")
    title = NameField(_("title"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="courses", verbose_name=_("for level")
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="course_hours_positive")]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class CourseSession(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    trainer = models.CharField(_("trainer"), max_length=100, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends")]
        verbose_name = _("course session")
        verbose_name_plural = _("course sessions")

    def __str__(self) -> str:
        return f"{self.course} {self.starts_at:%Y-%m-%d}"


class Attendance(models.Model):
    """One person at one session."""

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="attendance")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(_("present"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "worker"], name="attendance_once_per_session")]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.session_id}"


class Completion(models.Model):
    """A person completed a course: its hours count toward their requirements."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    completed_on = models.DateField(_("completed on"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "worker"], name="completion_once_per_course"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="completion_hours_positive"),
        ]
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")

    def __str__(self) -> str:
        return f"{self.worker_id} completed {self.course_id}"


# --- Applications and certificates ----------------------------------------------------------


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        EXAMS = "exams", _("exams scheduled")
        ISSUED = "issued", _("certificate issued")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    OPEN = (Status.SUBMITTED, Status.EXAMS)

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey("workforce.Centre", on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="applications")
    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The eligibility computed when it was made, frozen: what HR judges it by.
    eligibility = models.JSONField(default=dict)
    decline_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "level"], condition=Q(status__in=["submitted", "exams"]), name="application_one_open"
            )
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.worker} · {self.level}"


class ApplicationEvent(models.Model):
    """Every step of an application, with who took it and when."""

    class Kind(models.TextChoices):
        APPLIED = "applied", _("applied")
        NOMINATED = "nominated", _("nominated by HR")
        EXAM_SCHEDULED = "exam_scheduled", _("exam scheduled")
        EXAM_STARTED = "exam_started", _("exam started")
        EXAM_FINISHED = "exam_finished", _("exam finished")
        ISSUED = "issued", _("certificate issued")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")
        REVOKED = "revoked", _("certificate revoked")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class SigningKey(models.Model):
    """A centre's Ed25519 key. The private half is stored encrypted (aidou.crypto); a
    rotated key is retired, never deleted, so what it signed stays verifiable."""

    centre = models.ForeignKey("workforce.Centre", on_delete=models.PROTECT, related_name="+")
    kid = models.CharField(max_length=64, unique=True)
    public_key = models.CharField(max_length=64)  # raw 32 bytes, base64url
    private_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["centre", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre"], condition=Q(retired_at__isnull=True), name="signing_key_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.kid


class CertificateSequence(models.Model):
    """The last number a centre gave a level's certificates in a year (locked to count)."""

    centre = models.ForeignKey("workforce.Centre", on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField()
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "grade", "year"], name="certificate_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.centre_id}/{self.grade}/{self.year}: {self.last}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        REVOKED = "revoked", _("revoked")

    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    # What the QR code and /verify/<code>/ carry: random, so the pages cannot be walked.
    verify_code = models.CharField(max_length=24, unique=True)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    holder_name = NameField(_("holder"), max_length=100)  # as printed on the day
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="certificates")
    centre = models.ForeignKey("workforce.Centre", on_delete=models.PROTECT, related_name="+")
    issuing_body = models.CharField(_("issuing body"), max_length=200)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="certificate"
    )
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Its bit in the centre's status list (W3C Bitstring Status List), and the credential.
    status_index = models.PositiveIntegerField()
    credential = models.TextField(blank=True)
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["centre", "status_index"], name="certificate_status_index")]
        indexes = [models.Index(fields=["holder", "status"], name="certificate_holder_status")]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.number


# --- Exams ----------------------------------------------------------------------------------


class Question(models.Model):
    """One question of the theory bank. `options` are the choices as written; `answer`
    lists the indexes of the right ones (one for single choice and true/false)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        TRUE_FALSE = "true_false", _("true or false")

    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="questions")
    topic = models.CharField(_("topic"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("question"))
    options = models.JSONField(_("options"))
    answer = models.JSONField(_("answer"))
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["level", "topic", "id"]
        indexes = [models.Index(fields=["level", "topic", "is_active"], name="question_level_topic")]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text[:40]


class Blueprint(models.Model):
    """How a level's theory paper is put together: how many questions of each topic, and
    how long a candidate has."""

    level = models.OneToOneField(Level, on_delete=models.PROTECT, related_name="blueprint")
    topics = models.JSONField(_("questions per topic"))  # {"topic": n}
    duration_minutes = models.PositiveSmallIntegerField(_("time allowed (minutes)"), default=60)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(duration_minutes__gte=1), name="blueprint_duration")]

    def __str__(self) -> str:
        return f"blueprint of {self.level_id}"


class PracticalSet(models.Model):
    """The gold items a level's practical exam is done on (annotation's gold answers)."""

    level = models.OneToOneField(Level, on_delete=models.PROTECT, related_name="practical_set")
    name = NameField(_("name"), max_length=200)
    items = models.JSONField(_("gold items"), default=list)  # annotation Item ids with a gold answer
    duration_minutes = models.PositiveSmallIntegerField(_("time allowed (minutes)"), default=60)

    def __str__(self) -> str:
        return self.name


class ExamSitting(models.Model):
    """An exam HR scheduled for an application: the window it may be taken in."""

    class Kind(models.TextChoices):
        THEORY = "theory", _("theory exam")
        PRACTICAL = "practical", _("practical exam")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sittings")
    kind = models.CharField(_("exam"), max_length=16, choices=Kind.choices)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["opens_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="sitting_one_per_kind"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="sitting_closes_after"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class Attempt(models.Model):
    """A candidate taking a sitting. The deadline is set on the server when it starts;
    an answer that arrives after it is refused. One open attempt per person at a time."""

    sitting = models.OneToOneField(ExamSitting, on_delete=models.CASCADE, related_name="attempt")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The paper as this candidate sees it: [{"q": question id, "order": [option indexes]}].
    paper = models.JSONField(default=list)
    answers = models.JSONField(default=dict)  # {"question id": [option indexes as shown]}
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"], condition=Q(finished_at__isnull=True), name="attempt_one_open_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.sitting_id}"


class PracticalAnswer(models.Model):
    """What the candidate drew on one gold item of a practical attempt, and its score."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="practical_answers")
    item_id = models.PositiveIntegerField()
    shapes = models.JSONField(default=list)
    image_class = models.CharField(max_length=100, null=True, blank=True)
    score = models.FloatField()
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["attempt", "item_id"], name="practical_answer_once")]

    def __str__(self) -> str:
        return f"{self.attempt_id}: item {self.item_id}"
