import uuid
from pathlib import Path

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from aidou.fields import NameField
from aidou.models import Job
from aidou.sorting import PinyinSortKeyField


class Role(models.TextChoices):
    ANNOTATOR = "annotator", _("Annotator")
    REVIEWER = "reviewer", _("Reviewer")
    SUPERVISOR = "supervisor", _("Supervisor")
    HR = "hr", _("HR")
    CHILDCARE_STAFF = "childcare_staff", _("Childcare staff")
    CENTRE_MANAGER = "centre_manager", _("Centre manager")
    NETWORK_ADMIN = "network_admin", _("Network admin")


class Centre(models.Model):
    """A county digital-employment centre."""

    name = NameField(_("name"), max_length=100, unique=True)
    county = models.CharField(_("county"), max_length=100)
    province = models.CharField(_("province"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # A short code for numbers the centre issues (certificates: code + level + year + sequence).
    code = models.CharField(_("code"), max_length=8, unique=True, null=True, blank=True)
    # Where the centre's legal figures come from (LegalFigure.region): the province, and
    # the province's minimum-wage class of its county (CN-SN and II make CN-SN:II).
    pay_region = models.CharField(_("pay region"), max_length=16, default="CN-SN")
    min_wage_class = models.CharField(_("minimum wage class"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Anyone who logs in. Roles are grants (a person may hold several); the home centre
    scopes what staff see. Chinese names are one string, so `name` replaces first/last."""

    name = NameField(_("name"), max_length=100, blank=True)
    name_sort = PinyinSortKeyField(source="name", person=True)  # lists sort people in pinyin order
    mobile = models.CharField(_("mobile"), max_length=11, unique=True, null=True, blank=True)
    centre = models.ForeignKey(
        Centre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("centre"),
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["centre", "name_sort", "id"], name="user_centre_name_sort")]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def roles(self) -> frozenset[str]:
        """Role codes, read once per object (prefetch `role_grants` for lists)."""
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            grants = getattr(self, "role_list", None)  # prefetched by the worker selectors
            if grants is None:
                grants = self.role_grants.all()
            cached = frozenset(grant.role for grant in grants)
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_network_admin(self) -> bool:
        return self.is_superuser or Role.NETWORK_ADMIN in self.roles


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Team(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="teams", verbose_name=_("centre"))
    name = NameField(_("name"), max_length=100)
    name_sort = PinyinSortKeyField(source="name")
    lead = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
        verbose_name=_("team lead"),
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True, verbose_name=_("members"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["centre__name", "name_sort", "name"]
        constraints = [models.UniqueConstraint(fields=["centre", "name"], name="team_name_unique_in_centre")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.centre.name} · {self.name}"


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior middle school")
    VOCATIONAL = "vocational", _("Vocational school")
    COLLEGE = "college", _("College (dazhuan)")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")


class WorkerProfile(models.Model):
    """A person's employment record. ID number and bank account are stored encrypted, with
    a masked copy for display and (for the ID) a keyed digest for finding the person."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    employment_type = models.CharField(
        _("employment type"),
        max_length=16,
        choices=EmploymentType.choices,
        default=EmploymentType.FULL_TIME,
    )
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    bank_name = NameField(_("bank"), max_length=100, blank=True)
    bank_account_encrypted = models.TextField(blank=True, editable=False)
    bank_account_masked = models.CharField(_("bank account"), max_length=20, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("worker profile")
        verbose_name_plural = _("worker profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number_digest__isnull=True) | ~Q(id_number_encrypted=""),
                name="profile_id_digest_has_ciphertext",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


def roster_upload_to(instance, filename: str) -> str:
    # Generated names: an uploaded name never reaches the file system.
    suffix = Path(filename).suffix.lower()
    return f"roster/{uuid.uuid4().hex}{suffix if suffix in {'.csv', '.xlsx'} else ''}"


class RosterImport(Job):
    """An HR upload of a roster file (CSV or XLSX), processed row by row by a worker."""

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), upload_to=roster_upload_to)
    original_name = NameField(_("file name"), max_length=255)
    initial_password_hash = models.CharField(max_length=128, blank=True, editable=False)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    # Rows naming someone already on file exactly as they are: nothing written.
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def rejected(self) -> int:
        return len({error["row"] for error in self.errors if "row" in error})


# ============================================================================================
# Scheduling: shift types, weekly rosters, shifts (draft and published), attendance, absences
# (docs/decisions/0008-scheduling-and-pay.md). Times are aware; a shift's day is in the
# centre's time zone (settings.TIME_ZONE).
# ============================================================================================


class ShiftType(models.Model):
    """A kind of shift a centre runs, e.g. 08:30–12:00. Same-day shifts only."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="shift_types", verbose_name=_("centre"))
    name = NameField(_("name"), max_length=100)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    # Unpaid break inside the shift (a lunch hour), not counted as rostered time.
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["centre", "starts", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="shift_type_name_unique_in_centre"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="shift_type_ends_after_start"),
        ]
        verbose_name = _("shift type")
        verbose_name_plural = _("shift types")

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Roster(models.Model):
    """A team's week of shifts (Monday to Sunday). Supervisors edit it as a draft and publish
    it; each publication is a new version and writes a ShiftEvent for every shift it adds,
    moves or cancels, which other modules follow (childcare books care around shifts)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="rosters", verbose_name=_("team"))
    week_start = models.DateField(_("week of"))  # a Monday
    version = models.PositiveIntegerField(_("version"), default=0)  # publications so far
    has_unpublished_changes = models.BooleanField(_("unpublished changes"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "team"]
        constraints = [models.UniqueConstraint(fields=["team", "week_start"], name="roster_one_per_team_week")]
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")

    def __str__(self) -> str:
        return f"{self.team} · {self.week_start:%Y-%m-%d}"


class Shift(models.Model):
    """One person's shift on one day of a roster. `starts_at`/`ends_at` are the draft; the
    `published_*` fields are what was last published (null: never published). A shift
    removed from the draft stays until the next publication cancels it (`cancelled_at`), so
    that cancellation reaches everyone who follows the roster."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("roster"))
    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("person"))
    shift_type = models.ForeignKey(
        ShiftType, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("shift type")
    )
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=0)
    removed = models.BooleanField(_("removed from the draft"), default=False)
    published_starts_at = models.DateTimeField(null=True, blank=True)
    published_ends_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["date", "starts_at", "worker"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"),
            # One live shift of a type per person and day; a cancelled one may be planned again.
            models.UniqueConstraint(
                fields=["worker", "date", "shift_type"],
                condition=Q(cancelled_at__isnull=True),
                name="shift_one_live_per_type_and_day",
            ),
        ]
        indexes = [
            # A person's published shifts in a time range (pay, attendance, childcare proposals).
            models.Index(fields=["worker", "published_starts_at"], name="shift_worker_published"),
        ]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    @property
    def is_published(self) -> bool:
        return self.published_starts_at is not None and self.cancelled_at is None


class ShiftEvent(models.Model):
    """What one publication did to one shift. Append-only; `id` orders the events, so a
    follower keeps the last id it has seen and asks for the ones after it."""

    class Kind(models.TextChoices):
        ADDED = "added", _("added")
        MOVED = "moved", _("moved")
        CANCELLED = "cancelled", _("cancelled")

    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="events")
    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="shift_events")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="shift_events")
    roster_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    previous_starts_at = models.DateTimeField(null=True, blank=True)
    previous_ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["centre", "id"], name="shift_event_centre"),
            models.Index(fields=["worker", "id"], name="shift_event_worker"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} shift {self.shift_id} v{self.roster_version}"


class AttendanceRecord(models.Model):
    """One stretch of work from clock-in to clock-out (open while working). A supervisor's
    correction changes the times and keeps what they were in AttendanceCorrection."""

    class Source(models.TextChoices):
        SELF = "self", _("clocked by the person")
        SUPERVISOR = "supervisor", _("entered by a supervisor")

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("person"))
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    shift = models.ForeignKey(
        Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendance", verbose_name=_("shift")
    )
    clock_in_at = models.DateTimeField(_("clocked in"))
    clock_out_at = models.DateTimeField(_("clocked out"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SELF)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-clock_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=Q(clock_out_at__isnull=True), name="attendance_one_open_per_person"
            ),
            models.CheckConstraint(
                condition=Q(clock_out_at__isnull=True) | Q(clock_out_at__gt=models.F("clock_in_at")),
                name="attendance_out_after_in",
            ),
        ]
        indexes = [models.Index(fields=["worker", "clock_in_at"], name="attendance_worker_time")]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.clock_in_at:%Y-%m-%d %H:%M}"


class AttendanceCorrection(models.Model):
    """Who changed an attendance record, why, and what it said before."""

    record = models.ForeignKey(AttendanceRecord, on_delete=models.CASCADE, related_name="corrections")
    corrected_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    before = models.JSONField()  # {"clock_in_at": iso, "clock_out_at": iso | null}
    after = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"correction of {self.record_id} by {self.corrected_by_id}"


class AbsenceKind(models.TextChoices):
    ANNUAL = "annual", _("Annual leave")
    SICK = "sick", _("Sick leave")
    MATERNITY = "maternity", _("Maternity leave")
    MARRIAGE = "marriage", _("Marriage leave")
    BEREAVEMENT = "bereavement", _("Bereavement leave")
    PERSONAL = "personal", _("Personal leave")


class Absence(models.Model):
    """Leave a person asks for and a supervisor approves or refuses. Whole or half days;
    how much of its pay leave keeps is a legal figure per kind (`LegalFigure`)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled")

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="absences", verbose_name=_("person"))
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    kind = models.CharField(_("kind"), max_length=16, choices=AbsenceKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    days = models.DecimalField(_("days"), max_digits=5, decimal_places=1)  # working days, in halves
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"),
            models.CheckConstraint(condition=Q(days__gt=0), name="absence_days_positive"),
        ]
        indexes = [models.Index(fields=["worker", "starts_on"], name="absence_worker_start")]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.kind} {self.starts_on}–{self.ends_on}"


# ============================================================================================
# Legal figures and the calendar: data with effective dates and a source, never constants.
# ============================================================================================


class CalendarDay(models.Model):
    """A date that is not what its weekday says (Monday–Friday work, Saturday–Sunday rest):
    a statutory holiday (法定节假日: 300 % for work), a rest day given in lieu (调休放假:
    200 %), or a weekend day worked in lieu (调休上班: an ordinary workday)."""

    class Kind(models.TextChoices):
        STATUTORY = "statutory", _("Statutory holiday")
        REST = "rest", _("Rest day in lieu")
        WORKDAY = "workday", _("Workday in lieu")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = NameField(_("name"), max_length=100)  # e.g. 春节 Spring Festival
    source = models.CharField(_("source"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class LegalFigure(models.Model):
    """A figure pay is computed from, in force from a date until the next row of the same
    code and place: a minimum wage, a contribution rate, a base floor or ceiling, the basic
    deduction, a leave kind's pay share, a centre's housing-fund rate. Looked up from the
    most specific place to the least: the centre, its minimum-wage area (`CN-SN:II`), its
    province (`CN-SN`), the nation (`CN`). Codes: `LegalFigure.Code`."""

    class Code(models.TextChoices):
        MIN_WAGE_MONTHLY = "min_wage_monthly", _("Minimum wage per month")
        MIN_WAGE_HOURLY = "min_wage_hourly", _("Minimum wage per hour")
        PENSION_RATE = "pension_rate", _("Pension, employee's rate")
        MEDICAL_RATE = "medical_rate", _("Medical insurance, employee's rate")
        UNEMPLOYMENT_RATE = "unemployment_rate", _("Unemployment insurance, employee's rate")
        HOUSING_FUND_RATE = "housing_fund_rate", _("Housing fund, employee's rate")
        CONTRIBUTION_BASE_FLOOR = "contribution_base_floor", _("Social insurance base, floor")
        CONTRIBUTION_BASE_CEILING = "contribution_base_ceiling", _("Social insurance base, ceiling")
        HOUSING_FUND_BASE_FLOOR = "housing_fund_base_floor", _("Housing fund base, floor")
        HOUSING_FUND_BASE_CEILING = "housing_fund_base_ceiling", _("Housing fund base, ceiling")
        BASIC_DEDUCTION = "basic_deduction", _("Income tax basic deduction per month")
        WORKDAYS_PER_MONTH = "workdays_per_month", _("Paid days per month (for hourly rates)")
        LEAVE_PAY_SHARE = "leave_pay_share", _("Share of pay kept on leave")  # `qualifier`: the AbsenceKind
        DEDUCTION_LIMIT = "deduction_limit", _("Special additional deduction, monthly limit")  # `qualifier`: kind
        # `qualifier`: the LedgerLine.TimeClass it pays for (overtime, rest_day, holiday): 1.5, 2, 3.
        OVERTIME_RATE = "overtime_rate", _("Overtime pay, multiple of the hourly rate")
        HOURS_PER_DAY = "hours_per_day", _("Normal working hours per day")

    code = models.CharField(_("figure"), max_length=48, db_index=True)
    qualifier = models.CharField(_("qualifier"), max_length=48, blank=True)
    region = models.CharField(_("region"), max_length=16, blank=True)  # CN, CN-SN, CN-SN:II
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, null=True, blank=True, related_name="legal_figures")
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=500)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "qualifier", "region", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "qualifier", "region", "centre", "effective_from"], name="legal_figure_unique"
            ),
            models.CheckConstraint(
                condition=(Q(centre__isnull=True) & ~Q(region="")) | (Q(centre__isnull=False) & Q(region="")),
                name="legal_figure_region_or_centre",
            ),
        ]
        verbose_name = _("legal figure")
        verbose_name_plural = _("legal figures")

    def __str__(self) -> str:
        place = self.region or f"centre {self.centre_id}"
        return f"{self.code}{':' + self.qualifier if self.qualifier else ''} {place} {self.value} from {self.effective_from}"


class TaxBracket(models.Model):
    """One bracket of the annual table individual income tax is withheld by (the cumulative
    method): over `lower` yuan of taxable income, `rate`, less `quick_deduction`."""

    lower = models.DecimalField(_("from (yuan a year)"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4)
    quick_deduction = models.DecimalField(_("quick deduction"), max_digits=14, decimal_places=2)
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=500)

    class Meta:
        ordering = ["-effective_from", "lower"]
        constraints = [models.UniqueConstraint(fields=["effective_from", "lower"], name="tax_bracket_unique")]
        verbose_name = _("tax bracket")
        verbose_name_plural = _("tax brackets")

    def __str__(self) -> str:
        return f"> {self.lower}: {self.rate} − {self.quick_deduction} (from {self.effective_from})"


# ============================================================================================
# Pay: terms, piece rates and quality tiers, the earnings ledger, allowances, deductions
# declared for tax, pay periods, payroll runs and payslips.
# ============================================================================================


class PayTerms(models.Model):
    """How a person is paid from a date: by the piece (annotators), a monthly salary or an
    hourly wage. `contribution_base`: the monthly base HR declared for social insurance and
    the housing fund (null: the month's gross), clamped to the region's floor and ceiling."""

    class Kind(models.TextChoices):
        PIECE = "piece", _("By the piece")
        MONTHLY = "monthly", _("Monthly salary")
        HOURLY = "hourly", _("Hourly wage")

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="pay_terms", verbose_name=_("person"))
    kind = models.CharField(_("pay"), max_length=16, choices=Kind.choices, default=Kind.PIECE)
    base_amount = models.DecimalField(_("salary or hourly wage"), max_digits=12, decimal_places=2, default=0)
    contribution_base = models.DecimalField(
        _("declared contribution base"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    effective_from = models.DateField(_("from"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["worker", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "effective_from"], name="pay_terms_one_per_day"),
            models.CheckConstraint(condition=Q(base_amount__gte=0), name="pay_terms_base_not_negative"),
        ]
        verbose_name = _("pay terms")
        verbose_name_plural = _("pay terms")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.kind} {self.base_amount} from {self.effective_from}"


class WorkUnit(models.TextChoices):
    """What a piece rate pays for. The annotation app counts them in accepted work."""

    ITEM = "item", _("accepted image")
    BOX = "box", _("box")
    POLYGON = "polygon", _("polygon")
    KEYPOINTS = "keypoints", _("key-point set")
    CLASS = "class", _("image class")
    REVIEW = "review", _("review done")


class PieceRate(models.Model):
    """Yuan per unit of accepted work in one project at one centre, from a moment on. Rows
    are never edited: a new rate is a new row. `project_id` is the annotation app's project
    (workforce holds no foreign key into it); `project_name` is kept for the pages."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="piece_rates")
    project_id = models.PositiveIntegerField(_("project"))
    project_name = NameField(_("project"), max_length=200)
    unit = models.CharField(_("unit"), max_length=16, choices=WorkUnit.choices)
    rate = models.DecimalField(_("yuan per unit"), max_digits=10, decimal_places=4)
    effective_from = models.DateTimeField(_("in force from"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["centre", "project_id", "unit", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "project_id", "unit", "effective_from"], name="piece_rate_unique"
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="piece_rate_not_negative"),
        ]
        indexes = [models.Index(fields=["centre", "project_id", "effective_from"], name="piece_rate_lookup")]
        verbose_name = _("piece rate")
        verbose_name_plural = _("piece rates")

    def __str__(self) -> str:
        return f"{self.project_name} {self.unit} {self.rate} from {self.effective_from:%Y-%m-%d}"


class QualityTier(models.Model):
    """A quality multiplier on piece pay: at or above `min_score` (the period's quality score),
    `multiplier`. A centre's own tiers replace the network's (centre null) from their date."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, null=True, blank=True, related_name="quality_tiers")
    min_score = models.DecimalField(_("from score"), max_digits=5, decimal_places=4)
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["centre", "-effective_from", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "effective_from", "min_score"], name="quality_tier_unique"),
            models.CheckConstraint(
                condition=Q(min_score__gte=0, min_score__lte=1, multiplier__gte=0), name="quality_tier_bounds"
            ),
        ]
        verbose_name = _("quality tier")
        verbose_name_plural = _("quality tiers")

    def __str__(self) -> str:
        return f"≥ {self.min_score} × {self.multiplier} from {self.effective_from}"


class LedgerLine(models.Model):
    """Money earned by one piece of accepted work (one line per unit it is paid by), written
    in the transaction that accepted it. Append-only: a reversal is a new negative line that
    names the line it reverses, with a reason. `amount` is exact (quantity × rate, 4
    decimals); payslip lines round to the fen.

    `source`/`source_id` name the work in the app that did it (an annotation, a review);
    `description` is a frozen account of it for the person paid. `time_class` says when the
    work was done relative to the person's published shifts and the calendar, which decides
    its overtime rate."""

    class Kind(models.TextChoices):
        EARNING = "earning", _("earning")
        REVERSAL = "reversal", _("reversal")

    class TimeClass(models.TextChoices):
        NORMAL = "normal", _("in normal hours")
        OVERTIME = "overtime", _("overtime on a workday")
        REST_DAY = "rest_day", _("on a rest day")
        HOLIDAY = "holiday", _("on a statutory holiday")

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="ledger_lines", db_index=False)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EARNING)
    source = models.CharField(max_length=32)  # "annotation", "review"
    source_id = models.BigIntegerField()
    project_id = models.PositiveIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=16, choices=WorkUnit.choices)
    quantity = models.IntegerField()
    rate = models.DecimalField(max_digits=10, decimal_places=4)
    amount = models.DecimalField(max_digits=14, decimal_places=4)
    description = models.JSONField(default=dict)
    work_done_at = models.DateTimeField()
    accepted_at = models.DateTimeField()  # the line's moment: decides its pay period
    time_class = models.CharField(max_length=16, choices=TimeClass.choices, default=TimeClass.NORMAL)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal")
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            # Accepting the same work twice writes one line per unit.
            models.UniqueConstraint(
                fields=["source", "source_id", "unit"],
                condition=Q(kind="earning"),
                name="ledger_one_earning_per_work_unit",
            ),
            models.CheckConstraint(
                condition=(Q(kind="earning") & Q(reverses__isnull=True))
                | (Q(kind="reversal") & Q(reverses__isnull=False) & ~Q(reason="")),
                name="ledger_reversal_names_line_and_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "accepted_at"], name="ledger_worker_time"),
            models.Index(fields=["centre", "accepted_at"], name="ledger_centre_time"),
        ]
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.unit} {self.quantity} × {self.rate} = {self.amount}"


class Allowance(models.Model):
    """A monthly allowance: fixed by a centre for everyone (or its full- or part-time staff),
    or granted to one person by another module through `workforce.services.allowance_grant`
    (a certified level's skill allowance: `source` names it, which makes granting it again
    change nothing). Paid in every month from `starts_on` to `ends_on`."""

    class AppliesTo(models.TextChoices):
        PERSON = "person", _("one person")
        ALL = "all", _("everyone")
        FULL_TIME = "full_time", _("full-time staff")
        PART_TIME = "part_time", _("part-time staff")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="allowances")
    worker = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="allowances")
    applies_to = models.CharField(_("for"), max_length=16, choices=AppliesTo.choices, default=AppliesTo.PERSON)
    code = models.CharField(_("code"), max_length=48)
    label = NameField(_("name"), max_length=200)
    amount = models.DecimalField(_("yuan a month"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)
    # The minimum wage excludes allowances for special conditions (shifts, heat...) and
    # benefits; an allowance that is part of ordinary pay counts toward it.
    counts_toward_minimum = models.BooleanField(_("counts toward the minimum wage"), default=False)
    taxable = models.BooleanField(_("taxable"), default=True)
    source = models.CharField(_("granted by"), max_length=100, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["centre", "code", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["source"], condition=~Q(source=""), name="allowance_one_per_source"),
            models.CheckConstraint(
                condition=(Q(applies_to="person") & Q(worker__isnull=False))
                | (~Q(applies_to="person") & Q(worker__isnull=True)),
                name="allowance_person_or_group",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="allowance_dates"
            ),
        ]
        verbose_name = _("allowance")
        verbose_name_plural = _("allowances")

    def __str__(self) -> str:
        return f"{self.label} {self.amount}"


class TaxDeduction(models.Model):
    """A special additional deduction (专项附加扣除) a person declared: so much a month, from
    one month to another, no more than the kind's legal limit."""

    class Kind(models.TextChoices):
        CHILDREN_EDUCATION = "children_education", _("Children's education")
        INFANT_CARE = "infant_care", _("Care of infants under three")
        ELDER_CARE = "elder_care", _("Care of elderly parents")
        CONTINUING_EDUCATION = "continuing_education", _("Continuing education")
        HOUSING_LOAN = "housing_loan", _("Housing loan interest")
        HOUSING_RENT = "housing_rent", _("Housing rent")

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="tax_deductions")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    monthly_amount = models.DecimalField(_("yuan a month"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("from month"))  # the first of a month
    ends_on = models.DateField(_("to month"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["worker", "kind", "-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(monthly_amount__gt=0), name="tax_deduction_positive")]
        verbose_name = _("special additional deduction")
        verbose_name_plural = _("special additional deductions")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.kind} {self.monthly_amount}"


class PayPeriod(models.Model):
    """A centre's pay month. Payslips of an open period can be computed again; closing it
    makes them final (a correction is then a PayAdjustment in a later open period)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="pay_periods")
    month = models.DateField(_("month"))  # the first day of the month
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "centre"]
        constraints = [models.UniqueConstraint(fields=["centre", "month"], name="pay_period_one_per_month")]
        verbose_name = _("pay period")
        verbose_name_plural = _("pay periods")

    def __str__(self) -> str:
        return f"{self.centre} {self.month:%Y-%m}"


class PayrollRun(Job):
    """HR's computation of a period's payslips, as a job with progress. At most one run of a
    period is queued or running at a time; each run replaces the period's draft payslips."""

    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="runs")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"], condition=Q(status__in=["queued", "running"]), name="payroll_run_one_active"
            )
        ]
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")

    def __str__(self) -> str:
        return f"payroll run {self.pk} of {self.period_id} ({self.status})"


class Payslip(models.Model):
    """One person's pay for one period: its lines, their sums, and the year-to-date figures
    income tax was withheld by. Exactly one per person and period; closed ones never change."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        CLOSED = "closed", _("final")

    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="payslips")
    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="payslips")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(PayrollRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="payslips")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    total_deductions = models.DecimalField(_("deductions"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    taxable_income_ytd = models.DecimalField(max_digits=14, decimal_places=2)
    tax_withheld_ytd = models.DecimalField(max_digits=14, decimal_places=2)
    # What the lines were computed from: hours, quality score and multiplier, bases, terms.
    facts = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-period__month", "worker"]
        constraints = [
            models.UniqueConstraint(fields=["period", "worker"], name="payslip_one_per_person_period"),
            # Rounded to the fen on both sides: SQLite keeps decimals as binary floats, where
            # 333.33 − 12.21 is not 321.12 (PostgreSQL's numeric is exact either way).
            models.CheckConstraint(
                condition=Q(net=Round(models.F("gross") - models.F("total_deductions"), 2)),
                name="payslip_net_is_gross_less_deductions",
            ),
        ]
        indexes = [models.Index(fields=["worker", "period"], name="payslip_worker_period")]
        verbose_name = _("payslip")
        verbose_name_plural = _("payslips")

    def __str__(self) -> str:
        return f"payslip {self.worker_id} {self.period_id}"


class PayslipLine(models.Model):
    """One line of a payslip with the sentence that explains it to the person paid."""

    class Kind(models.TextChoices):
        EARNING = "earning", _("earning")
        DEDUCTION = "deduction", _("deduction")

    class Code(models.TextChoices):
        PIECE = "piece", _("Piece work")
        BASE = "base", _("Base pay")
        OVERTIME = "overtime", _("Overtime")
        ALLOWANCE = "allowance", _("Allowance")
        MIN_WAGE_TOPUP = "min_wage_topup", _("Minimum wage top-up")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PENSION = "pension", _("Pension insurance")
        MEDICAL = "medical", _("Medical insurance")
        UNEMPLOYMENT = "unemployment", _("Unemployment insurance")
        HOUSING_FUND = "housing_fund", _("Housing fund")
        INCOME_TAX = "income_tax", _("Individual income tax")

    payslip = models.ForeignKey(Payslip, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=32, choices=Code.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    label = NameField(max_length=200)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    rate = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["payslip", "position"]
        constraints = [
            models.UniqueConstraint(fields=["payslip", "position"], name="payslip_line_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.amount}"


class PayAdjustment(models.Model):
    """A correction of pay with its reason, paid (positive) or taken back (negative) in an
    open period; it may name the closed payslip it corrects."""

    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="pay_adjustments")
    period = models.ForeignKey(PayPeriod, on_delete=models.PROTECT, related_name="adjustments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    corrects = models.ForeignKey(Payslip, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="pay_adjustment_not_zero")]
        verbose_name = _("pay adjustment")
        verbose_name_plural = _("pay adjustments")

    def __str__(self) -> str:
        return f"{self.worker_id} {self.amount} in {self.period_id}"
