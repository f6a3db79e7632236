"""Demo scheduling for 宜君: three shift types, each team's roster published for the past
ten weeks, this week and next, their clock records (a few late, one forgotten and
entered by the supervisor), and leave in every state. Run after `seed_demo`.

Idempotent: a published week is left as it is, and a day that has clock records gets no
more, so running it twice changes nothing. Rosters and leave go through the services the
pages use; past clock records are written in bulk (the clock-in service stamps "now")."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from aidou.errors import DomainError
from workforce.models import (
    Absence,
    AttendanceRecord,
    Centre,
    EmploymentType,
    Role,
    Shift,
    ShiftType,
    User,
)
from workforce.scheduling import services
from workforce.scheduling.selectors import day_kinds_between

CENTRE = "宜君数字就业中心"
SHIFT_TYPES = [("上午班", dt.time(8, 30), dt.time(12, 0), 0), ("下午班", dt.time(13, 30), dt.time(17, 30), 0),
               ("晚班", dt.time(18, 30), dt.time(21, 30), 0)]  # fmt: skip
# Ten weeks back: the demo pay periods (October and November, annotation/demo_pay.py) are
# computed from this attendance, so full-time staff are paid at least the minimum wage.
PAST_WEEKS = 10


class Command(BaseCommand):
    help = "Load 宜君's demo shift types, rosters, attendance and leave (idempotent)."

    def handle(self, *args, **options):
        centre = Centre.objects.filter(name=CENTRE).first()
        if centre is None:
            self.stdout.write("No 宜君 centre: run seed_demo first.")
            return
        supervisor = User.objects.filter(username="yijun_supervisor").first() or (
            User.objects.filter(centre=centre, role_grants__role=Role.SUPERVISOR).order_by("id").first()
        )
        if supervisor is None:
            self.stdout.write("No supervisor at 宜君: run seed_demo first.")
            return
        with transaction.atomic():
            types = self._shift_types(supervisor, centre)
            weeks = self._rosters(supervisor, centre, types)
            leave = self._leave(supervisor, centre)
            records = self._attendance(centre)
        self.stdout.write(
            f"Demo schedule ready: {weeks} weeks published, {records} clock records and {leave} leave requests added."
        )

    def _shift_types(self, supervisor: User, centre: Centre) -> dict[str, ShiftType]:
        found = {shift_type.name: shift_type for shift_type in ShiftType.objects.filter(centre=centre)}
        for name, starts, ends, break_minutes in SHIFT_TYPES:
            if name not in found:
                found[name] = services.shift_type_save(
                    actor=supervisor, centre=centre, shift_type=None,
                    data=services.ShiftTypeData(name=name, starts=starts, ends=ends, break_minutes=break_minutes),
                )  # fmt: skip
        return found

    def _rosters(self, supervisor: User, centre: Centre, types: dict[str, ShiftType]) -> int:
        """Full-time annotators work the morning and the afternoon of every workday; part-time
        ones (mothers, mostly) the morning, or the evening on alternate weeks."""
        this_monday = services.week_start_of(timezone.localdate())
        published = 0
        for team in centre.teams.order_by("name"):
            people = list(
                team.members.filter(is_active=True, role_grants__role=Role.ANNOTATOR)
                .select_related("profile")
                .order_by("id")
            )
            for offset in range(-PAST_WEEKS, 2):
                monday = this_monday + dt.timedelta(days=7 * offset)
                roster = services.roster_get_or_create(actor=supervisor, team=team, week_start=monday)
                if roster.version:
                    continue
                kinds = day_kinds_between(monday, monday + dt.timedelta(days=6), centre)
                cells = {}
                for index, person in enumerate(people):
                    part_time = getattr(person, "profile", None) and (
                        person.profile.employment_type == EmploymentType.PART_TIME
                    )
                    for day, kind in kinds.items():
                        if kind != "workday":
                            continue
                        if not part_time:
                            cells[(person.pk, day)] = {types["上午班"].pk, types["下午班"].pk}
                        elif (index + offset) % 2:
                            cells[(person.pk, day)] = {types["晚班"].pk}
                        else:
                            cells[(person.pk, day)] = {types["上午班"].pk}
                try:
                    services.roster_draft_set(actor=supervisor, roster=roster, cells=cells)
                    services.roster_publish(actor=supervisor, roster=roster)
                except DomainError:  # an empty team: nothing to publish
                    continue
                published += 1
        return published

    def _attendance(self, centre: Centre) -> int:
        """For the published shifts of the past PAST_WEEKS weeks: a clock-in a few minutes either
        side of the start (one in twelve more than five minutes late), out near the end."""
        zone = ZoneInfo(settings.TIME_ZONE)
        today = timezone.localdate()
        first = today - dt.timedelta(weeks=PAST_WEEKS)
        shifts = list(
            Shift.objects.filter(
                roster__team__centre=centre,
                date__range=(first, today - dt.timedelta(days=1)),
                published_starts_at__isnull=False,
                cancelled_at__isnull=True,
            ).order_by("worker_id", "published_starts_at")
        )
        clocked_days = set(
            (worker_id, clock_in.astimezone(zone).date())
            for worker_id, clock_in in AttendanceRecord.objects.filter(
                centre=centre, clock_in_at__gte=dt.datetime.combine(first, dt.time(), tzinfo=zone)
            ).values_list("worker_id", "clock_in_at")
        )
        away = set()  # approved leave: those days were not worked
        for worker_id, starts_on, ends_on in Absence.objects.filter(
            centre=centre, status=Absence.Status.APPROVED
        ).values_list("worker_id", "starts_on", "ends_on"):
            away |= {(worker_id, starts_on + dt.timedelta(days=n)) for n in range((ends_on - starts_on).days + 1)}
        records = []
        for shift in shifts:
            if (shift.worker_id, shift.date) in clocked_days or (shift.worker_id, shift.date) in away:
                continue
            # Drawn per shift, so a second run draws the same for the shifts it skips.
            draw = random.Random(shift.pk)  # noqa: S311 - demo data, not secrets
            if draw.random() < 0.03:  # a day off sick without asking: no record
                continue
            assert shift.published_starts_at is not None and shift.published_ends_at is not None
            early_or_late = draw.randint(-12, 4) if draw.random() > 1 / 12 else draw.randint(6, 25)
            records.append(
                AttendanceRecord(
                    worker_id=shift.worker_id,
                    centre=centre,
                    shift=shift,
                    clock_in_at=shift.published_starts_at + dt.timedelta(minutes=early_or_late),
                    clock_out_at=shift.published_ends_at + dt.timedelta(minutes=draw.randint(-3, 12)),
                )
            )
        AttendanceRecord.objects.bulk_create(records)
        return len(records)

    def _leave(self, supervisor: User, centre: Centre) -> int:
        """Leave in each state: approved (annual, sick), refused, and one waiting to be decided."""
        if Absence.objects.filter(centre=centre).exists():
            return 0
        people = list(
            User.objects.filter(centre=centre, role_grants__role=Role.ANNOTATOR, is_active=True).order_by("id")[:4]
        )
        if len(people) < 4:
            return 0
        today = timezone.localdate()
        monday = services.week_start_of(today)
        wishes = [
            (people[0], "annual", monday - dt.timedelta(days=14), monday - dt.timedelta(days=13), True, ""),
            (people[1], "sick", monday - dt.timedelta(days=7), monday - dt.timedelta(days=7), True, ""),
            (
                people[2],
                "personal",
                monday + dt.timedelta(days=3),
                monday + dt.timedelta(days=3),
                False,
                "本周交付紧张",
            ),
            (people[3], "marriage", monday + dt.timedelta(days=14), monday + dt.timedelta(days=18), None, ""),
        ]
        added = 0
        for person, kind, first, last, approve, note in wishes:
            try:
                absence = services.absence_request(worker=person, kind=kind, starts_on=first, ends_on=last)
            except DomainError:
                continue
            if approve is not None:
                services.absence_decide(actor=supervisor, absence=absence, approve=approve, note=note)
            added += 1
        return added
