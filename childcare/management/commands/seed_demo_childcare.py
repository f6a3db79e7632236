"""Demo of the care space at 宜君: four rooms, weekly sessions for two weeks, six caregivers
rostered by the solver, children of several guardians (yijun_annotator among them) with
pick-up people, and a session with one place left and a waitlist.

Idempotent: rooms, templates, children and caregivers are matched by name; bookings are
made only once. Run after seed_demo.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from childcare import services
from childcare.models import Booking, Caregiver, CaregiverAvailability, Child, Room, Session, SessionTemplate
from workforce import services as workforce_services
from workforce.models import Role
from workforce.validators import id_number_check_char

DEMO_PIN = "1234"
ROOMS = [
    # name, band, capacity, weekday sessions (kind, start, end)
    ("乳儿班", "infant", 10, [("day", dt.time(8, 30), dt.time(12)), ("day", dt.time(14), dt.time(17, 30))]),
    ("托小班", "toddler", 15, [("day", dt.time(8, 30), dt.time(12)), ("day", dt.time(14), dt.time(17, 30))]),
    ("托大班", "twos", 20, [("day", dt.time(8, 30), dt.time(12)), ("day", dt.time(14), dt.time(17, 30))]),
    ("课后班", "school_age", 20, [("after_school", dt.time(16, 30), dt.time(19, 30)),
                                   ("evening", dt.time(19, 30), dt.time(21, 30))]),
]  # fmt: skip
# (guardian username or None for a new demo guardian, child name, age in months, allergies)
CHILDREN = [
    ("yijun_annotator", "小雨", 96, "花生过敏"),
    ("yijun_annotator", "小石头", 30, ""),
    ("yijun_reviewer", "乐乐", 110, ""),
    ("yijun_supervisor", "豆豆", 18, "牛奶蛋白过敏"),
    ("yijun_hr", "甜甜", 9, ""),
]


def _id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


class Command(BaseCommand):
    help = "Demo data of the childcare space (宜君). Run after seed_demo."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        lead = User.objects.filter(username="yijun_childcare").first()
        admin = User.objects.filter(username="admin").first()
        if lead is None or admin is None:
            self.stdout.write("Childcare demo skipped: run seed_demo first.")
            return
        centre = lead.centre
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        for name, band, capacity, sessions in ROOMS:
            room, _ = Room.objects.get_or_create(
                centre=centre, name=name, defaults={"band": band, "capacity": capacity}
            )
            for weekday in range(5):
                for kind, starts, ends in sessions:
                    SessionTemplate.objects.get_or_create(room=room, weekday=weekday, starts=starts, ends=ends,
                                                          defaults={"kind": kind})  # fmt: skip
        services.sessions_generate(centre_id=centre.pk, start=monday, weeks=2)
        self._caregivers(admin, lead, centre)
        first_booking = not Booking.objects.filter(session__room__centre=centre).exists()
        children = self._children(User, centre)
        if first_booking:
            self._bookings(centre, children, today)
        job = services.roster_solve_start(actor=lead, centre_id=centre.pk, start=today, end=monday + dt.timedelta(days=13),
                                          enqueue=False)  # fmt: skip
        services.roster_solve_run(job_id=job.pk)
        if first_booking:
            self._one_place_left(User, centre, today)
        self.stdout.write(
            f"Childcare demo: {Session.objects.filter(room__centre=centre).count()} sessions, "
            f"{Child.objects.filter(centre=centre).count()} children; the lead is yijun_childcare, "
            f"pick-up PIN {DEMO_PIN}."
        )

    def _caregivers(self, admin, lead, centre):
        User = get_user_model()
        people = list(User.objects.filter(centre=centre, role_grants__role=Role.CHILDCARE_STAFF))
        password = make_password("aidou-demo-2026")
        for n in range(1, 5):
            username = f"yijun_care{n}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = workforce_services.worker_save(
                    actor=admin, worker=None, password_hash=password,
                    data=workforce_services.WorkerData(username=username, name=f"保育老师{n}",
                                                       mobile=f"1370919000{n}", centre=centre,
                                                       roles=(Role.CHILDCARE_STAFF,),
                                                       id_number=_id_number(f"61022219880{n}0{n}9{n}2")),
                )  # fmt: skip
            people.append(user)
        today = timezone.localdate()
        for i, person in enumerate(dict.fromkeys(people)):
            # One certificate runs out in three weeks, so the lead sees the warning.
            expires = today + dt.timedelta(days=21 if i == 1 else 300)
            caregiver = services.caregiver_save(actor=lead, user=person, qualification="保育师（四级）",
                                                health_certificate_expires=expires)  # fmt: skip
            if not caregiver.availability.exists():
                CaregiverAvailability.objects.bulk_create(
                    [CaregiverAvailability(caregiver=caregiver, weekday=d, starts=dt.time(8), ends=dt.time(22))
                     for d in range(5)]
                )  # fmt: skip
        return Caregiver.objects.filter(centre=centre)

    def _children(self, User, centre):
        children = []
        today = timezone.localdate()
        for username, name, months, allergies in CHILDREN:
            guardian = User.objects.filter(username=username).first()
            if guardian is None:
                continue
            child = Child.objects.filter(centre=centre, name=name, guardians=guardian).first()
            if child is None:
                child = services.child_register(
                    guardian=guardian, name=name, birth_date=today - dt.timedelta(days=int(months * 30.4)),
                    consent=True, allergies=allergies, photo_consent=True,
                )  # fmt: skip
                services.pickup_person_add(actor=guardian, child=child, name=guardian.name or username,
                                           relation="家长", mobile=guardian.mobile or "", pin=DEMO_PIN,
                                           user=guardian)  # fmt: skip
                services.pickup_person_add(actor=guardian, child=child, name="外婆", relation="外婆",
                                           mobile="13709190100", pin=DEMO_PIN)  # fmt: skip
            children.append((guardian, child))
        return children

    def _bookings(self, centre, children, today):
        """Each child booked into the fitting sessions of the next few weekdays."""
        for guardian, child in children:
            for session in Session.objects.filter(room__centre=centre, date__gte=today,
                                                  date__lte=today + dt.timedelta(days=6)).select_related("room"):  # fmt: skip
                if session.ends_at <= timezone.now():
                    continue
                try:
                    services.booking_create(actor=guardian, child=child, session=session)
                except Exception:  # noqa: BLE001, S112 - a room not for this child's age
                    continue

    def _one_place_left(self, User, centre, today):
        """The next weekday's after-school session with one place left, and its evening
        session full with two children waiting (booked through the service like anyone)."""
        day = today + dt.timedelta(days=1)
        while day.weekday() > 4:
            day += dt.timedelta(days=1)
        room_sessions = Session.objects.filter(room__centre=centre, room__name="课后班", date=day)
        after_school = room_sessions.filter(kind="after_school").first()
        evening = room_sessions.filter(kind="evening").first()
        if after_school is None or evening is None:
            return
        guardians = iter(User.objects.filter(centre=centre, role_grants__role=Role.ANNOTATOR)
                         .exclude(username="yijun_annotator").order_by("id"))  # fmt: skip
        for session, extra in ((after_school, -1), (evening, 2)):
            session.refresh_from_db()
            wanted = session.places - session.confirmed_count + extra
            for _ in range(max(wanted, 0)):
                guardian = next(guardians, None)
                if guardian is None:
                    return
                child = Child.objects.filter(guardians=guardian).first() or services.child_register(
                    guardian=guardian, name=f"学童{guardian.pk}", birth_date=today - dt.timedelta(days=3000),
                    consent=True,
                )  # fmt: skip
                services.booking_create(actor=guardian, child=child, session=session)
