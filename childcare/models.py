"""The centre's care space (木兰成长空间): children and who may collect them, rooms and the
ratio rules they follow, care sessions, caregivers and the bookings guardians make.

Children under 14 are sensitive personal data (PIPL): a child row exists only with the
guardian's recorded consent, health notes are Fernet tokens (aidou.crypto, decision 0002)
read through one audited service, and a guardian may delete the record."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aidou.fields import NameField
from aidou.models import Job
from workforce.models import Centre


class AgeBand(models.TextChoices):
    INFANT = "infant", _("Infants (6–12 months)")
    TODDLER = "toddler", _("Toddlers (12–24 months)")
    TWOS = "twos", _("Two-year-olds (24–36 months)")
    SCHOOL_AGE = "school_age", _("School-age children (after school)")


class RatioRule(models.Model):
    """How many children one caregiver may look after in a band, and the largest group, from
    a date on. `centre` null: the network's default (the national standard); a centre's own
    row, newer than the default, replaces it there. Rules are added, never edited, so the
    rule a past session ran under stays readable."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("centre")
    )
    band = models.CharField(_("age band"), max_length=16, choices=AgeBand.choices)
    min_months = models.PositiveSmallIntegerField(_("from age (months)"))
    max_months = models.PositiveSmallIntegerField(_("below age (months)"))
    children_per_caregiver = models.PositiveSmallIntegerField(_("children per caregiver"))
    max_group_size = models.PositiveSmallIntegerField(_("largest group"))
    effective_from = models.DateField(_("in force from"))
    source_note = models.CharField(_("source"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["band", "-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(children_per_caregiver__gt=0), name="ratio_rule_ratio_positive"),
            models.CheckConstraint(condition=Q(max_group_size__gt=0), name="ratio_rule_group_positive"),
            models.CheckConstraint(condition=Q(max_months__gt=F("min_months")), name="ratio_rule_ages_ordered"),
        ]
        verbose_name = _("ratio rule")
        verbose_name_plural = _("ratio rules")

    def __str__(self) -> str:
        return f"{self.get_band_display()} 1:{self.children_per_caregiver} ≤{self.max_group_size}"


class Room(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="care_rooms", verbose_name=_("centre"))
    name = NameField(_("name"), max_length=100)
    band = models.CharField(_("age band"), max_length=16, choices=AgeBand.choices)
    # The room's own limit (floor space, beds); the band's largest group may be lower.
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["centre", "name"]
        constraints = [models.UniqueConstraint(fields=["centre", "name"], name="care_room_name_unique_in_centre")]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.name


class SessionKind(models.TextChoices):
    AFTER_SCHOOL = "after_school", _("After school")
    EVENING = "evening", _("Evening care")
    DAY = "day", _("Day care")
    HOLIDAY_CAMP = "holiday_camp", _("Holiday day camp")


class SessionTemplate(models.Model):
    """A weekly session of a room (Monday 16:30–19:00 after school), from which dated
    sessions are generated for the coming weeks."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="templates", verbose_name=_("room"))
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 Monday .. 6 Sunday
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["room", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="session_template_weekday"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="session_template_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.weekday} {self.starts:%H:%M}"


class Session(models.Model):
    """One dated care session of a room. `places` is how many children may be confirmed now:
    the room's capacity, the band's largest group and caregivers x ratio, whichever is least
    (session_places_refresh keeps it). `confirmed_count` is the confirmed bookings, moved only
    by a conditional UPDATE (`confirmed_count < places`), which is what makes the last place
    go to exactly one guardian on SQLite and PostgreSQL alike."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("room"))
    template = models.ForeignKey(SessionTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))  # room and group limit, from the rule
    children_per_caregiver = models.PositiveSmallIntegerField(_("children per caregiver"))
    caregivers_counted = models.PositiveSmallIntegerField(_("caregivers counted"), default=0)
    places = models.PositiveSmallIntegerField(_("places"), default=0)
    confirmed_count = models.PositiveSmallIntegerField(_("confirmed"), default=0)
    # A ticket counter for the waitlist: each waitlisted booking takes the next number.
    waitlist_tickets = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "room"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="care_session_ends_after_start"),
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("places")), name="care_session_not_overbooked"),
            models.UniqueConstraint(fields=["room", "starts_at"], name="care_session_one_per_room_and_start"),
        ]
        indexes = [models.Index(fields=["date", "room"], name="care_session_date")]
        verbose_name = _("care session")
        verbose_name_plural = _("care sessions")

    def __str__(self) -> str:
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free_places(self) -> int:
        return max(self.places - self.confirmed_count, 0)


class Caregiver(models.Model):
    """A childcare staff member's record: qualification and health certificate with expiry.
    Someone whose health certificate has expired on a session's date counts toward no ratio."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caregiver", verbose_name=_("person")
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="caregivers", verbose_name=_("centre"))
    qualification = models.CharField(_("qualification"), max_length=200, blank=True)
    qualification_expires = models.DateField(_("qualification expires"), null=True, blank=True)
    health_certificate_expires = models.DateField(_("health certificate expires"), null=True, blank=True)
    max_hours_per_day = models.PositiveSmallIntegerField(_("most hours a day"), default=8)
    max_hours_per_week = models.PositiveSmallIntegerField(_("most hours a week"), default=40)

    class Meta:
        ordering = ["centre", "user"]
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")

    def __str__(self) -> str:
        return str(self.user)

    def counts_on(self, day) -> bool:
        return self.health_certificate_expires is not None and self.health_certificate_expires >= day


class CaregiverAvailability(models.Model):
    """When a caregiver can work, week by week: a weekday and a stretch of it."""

    caregiver = models.ForeignKey(Caregiver, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 Monday .. 6 Sunday
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["caregiver", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="caregiver_availability_weekday"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="caregiver_availability_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.caregiver_id} {self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class RosterSolve(Job):
    """A run of the caregiver solver over a centre's sessions in [start, end]; on success its
    plan is published (assignments replaced, places recounted). `errors` lists the sessions
    that lack caregivers: {"session", "room", "starts_at", "missing"}."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    start = models.DateField()
    end = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"roster {self.centre_id} {self.start}–{self.end} {self.status}"


class CaregiverAssignment(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    caregiver = models.ForeignKey(Caregiver, on_delete=models.PROTECT, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "caregiver"], name="caregiver_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.caregiver_id} @ {self.session_id}"


class Child(models.Model):
    """A staff member's child. Only what care needs; health notes encrypted; no row without
    the consent of a guardian, recorded on the row."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="children", verbose_name=_("centre"))
    name = NameField(_("name"), max_length=50)
    birth_date = models.DateField(_("birth date"))
    guardians = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="children", verbose_name=_("guardians"))
    allergies_encrypted = models.TextField(blank=True, editable=False)
    medical_notes_encrypted = models.TextField(blank=True, editable=False)
    # Whether there is anything in the two notes, so lists can say so without decrypting.
    has_health_notes = models.BooleanField(_("has health notes"), default=False, editable=False)
    photo_consent = models.BooleanField(_("photos allowed"), default=False)
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("consent given by")
    )
    consent_at = models.DateTimeField(_("consent given at"))
    consent_version = models.CharField(_("consent text version"), max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return self.name


class PickupPerson(models.Model):
    """Someone who may collect a child: a guardian (`user` set) or another person the
    guardian named. Check-out needs their PIN, stored as a Django password hash; five
    wrong PINs lock them for 15 minutes."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="pickup_people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    name = NameField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=30)
    mobile = models.CharField(_("mobile"), max_length=11)
    pin_hash = models.CharField(max_length=128, editable=False)
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["child", "id"]
        verbose_name = _("pick-up person")
        verbose_name_plural = _("pick-up people")

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class EmergencyContact(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = NameField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=30)
    mobile = models.CharField(_("mobile"), max_length=11)

    class Meta:
        ordering = ["child", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class Booking(models.Model):
    """A child's place in a session: confirmed, or waitlisted with a ticket (first come,
    first served), or cancelled. Bookings made from a guardian's shift remember it, so that
    when the shift moves or is cancelled the booking follows (`follow_up`, confirmed by
    the guardian)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITLISTED = "waitlisted", _("waitlisted")
        CANCELLED = "cancelled", _("cancelled")

    class FollowUp(models.TextChoices):
        NONE = "", _("nothing to do")
        SHIFT_MOVED = "shift_moved", _("the shift moved")
        SHIFT_CANCELLED = "shift_cancelled", _("the shift was cancelled")

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    waitlist_ticket = models.PositiveIntegerField(null=True, blank=True)
    shift_id = models.BigIntegerField(null=True, blank=True)  # workforce Shift this care covers
    follow_up = models.CharField(max_length=16, choices=FollowUp.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "child"],
                condition=~Q(status="cancelled"),
                name="booking_one_live_per_child_and_session",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlist_ticket__isnull=False),
                name="booking_waitlisted_has_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "waitlist_ticket"], name="booking_queue"),
            models.Index(fields=["shift_id"], name="booking_shift"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} @ {self.session_id} {self.status}"


class Attendance(models.Model):
    """A child's check-in and check-out of a session: by which caregiver, to whom."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="attendance")
    checked_in_at = models.DateTimeField(_("checked in"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    collected_by = models.ForeignKey(PickupPerson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    late_pickup = models.BooleanField(_("picked up late"), default=False)

    class Meta:
        ordering = ["-checked_in_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=F("checked_in_at")),
                name="care_attendance_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} in {self.checked_in_at:%H:%M}"


class Notice(models.Model):
    """What a guardian is told (promoted from the waitlist, a shift moved or was cancelled),
    stored as a kind so it reads in the guardian's language."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", _("A place came free: the booking is confirmed.")
        SHIFT_MOVED = "shift_moved", _("Your shift moved: please check this booking.")
        SHIFT_CANCELLED = "shift_cancelled", _("Your shift was cancelled: please check this booking.")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_notices")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class ShiftFollower(models.Model):
    """The last workforce ShiftEvent id childcare has acted on (one row), so a missed
    signal is caught up on the next one."""

    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"after {self.last_event_id}"
