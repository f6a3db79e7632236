import uuid
from pathlib import Path

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aidou.models import Job


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

    name = models.CharField(_("name"), max_length=100, unique=True)
    county = models.CharField(_("county"), max_length=100)
    province = models.CharField(_("province"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
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

    name = models.CharField(_("name"), max_length=100, blank=True)
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
        indexes = [models.Index(fields=["centre", "name", "id"], name="user_centre_name")]
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
    name = models.CharField(_("name"), max_length=100)
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
        ordering = ["centre__name", "name"]
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
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
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
    original_name = models.CharField(_("file name"), max_length=255)
    initial_password_hash = models.CharField(max_length=128, blank=True, editable=False)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def rejected(self) -> int:
        return len({error["row"] for error in self.errors if "row" in error})
