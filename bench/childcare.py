"""childcare: a month's caregiver roster, and booking the last places under load.

Data (made once): one centre with 4 rooms (infants, toddlers, two-year-olds, school age),
3 sessions every weekday of next month (08:00-12:00, 13:00-17:00, 17:30-21:00: 252
sessions for 21 weekdays), 300 children, each booked into 12 sessions of their room (waitlisted until
caregivers are rostered), 25 caregivers available 07:30-21:30 on weekdays, 8 h a day and
40 h a week at most. For the race: 20 guardians with a school-age child each, and 2 x 20
sessions of 5 places.

- Roster: `roster_solve_run` of the month (inputs read, CP-SAT solved, plan checked and
  published, waitlists promoted). Bare limit: a greedy first-fit by least load on the same
  inputs, in memory, nothing written. Beside it, the independent checker's count of ratio
  violations on what was published (must be 0).
- Booking: 20 guardians at once POST /api/v1/childcare/bookings/ for every race session
  (20 x 20 calls, 5 places each). Bare: a plain view doing the token look-up, the same
  conditional UPDATE and the INSERT in raw SQL. Afterwards no session holds more
  confirmed bookings than places (checked, or the bench stops).
"""

import datetime as dt
import http.client
import json
import random
import time

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bench.common import BenchError, Context, Row, closed_loop

NAME = "childcare"
CENTRE = "基准托育中心"
PREFIX = "bench-care-"
GUARDIANS = 20
RACE_SESSIONS = 20
RACE_PLACES = 5


def _centre():
    from workforce.models import Centre

    return Centre.objects.get_or_create(name=CENTRE, defaults={"county": "基准县", "province": "陕西省"})[0]


def _month() -> tuple[dt.date, dt.date]:
    first = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    last = (first + dt.timedelta(days=40)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def setup() -> list[str]:
    from django.contrib.auth.hashers import make_password

    from childcare import services
    from childcare.models import Booking, Caregiver, CaregiverAvailability, Child, Room, Session, SessionTemplate
    from workforce.models import Role, RoleGrant, User

    centre = _centre()
    start, end = _month()
    if Child.objects.filter(centre=centre).count() >= 300 + GUARDIANS:
        return [f"{Session.objects.filter(room__centre=centre).count()} sessions", "300 children", "25 caregivers"]
    rng = random.Random(17)
    password = make_password("bench")
    lead = User.objects.create(username=f"{PREFIX}lead", centre=centre, password=password, name="基准老师")
    RoleGrant.objects.create(user=lead, role=Role.CHILDCARE_STAFF)
    rooms = []
    for name, band, capacity in (("乳儿班", "infant", 10), ("托小班", "toddler", 15), ("托大班", "twos", 20),
                                 ("课后班", "school_age", 20)):  # fmt: skip
        room = Room.objects.create(centre=centre, name=name, band=band, capacity=capacity)
        rooms.append(room)
        for weekday in range(5):
            for starts, ends in ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17)), (dt.time(17, 30), dt.time(21))):
                SessionTemplate.objects.create(room=room, kind="day", weekday=weekday, starts=starts, ends=ends)
    services.sessions_generate(centre_id=centre.pk, start=start, weeks=6)
    Session.objects.filter(room__centre=centre, date__gt=end).delete()
    staff = User.objects.bulk_create(
        [User(username=f"{PREFIX}cg{i}", centre=centre, password=password, name=f"老师{i}") for i in range(25)]
    )
    caregivers = Caregiver.objects.bulk_create(
        [Caregiver(user=u, centre=centre, health_certificate_expires=end + dt.timedelta(days=365)) for u in staff]
    )
    CaregiverAvailability.objects.bulk_create(
        [CaregiverAvailability(caregiver=c, weekday=d, starts=dt.time(7, 30), ends=dt.time(21, 30))
         for c in caregivers for d in range(5)]
    )  # fmt: skip
    months = {"infant": 8, "toddler": 18, "twos": 30, "school_age": 100}
    parents = User.objects.bulk_create(
        [User(username=f"{PREFIX}p{i}", centre=centre, password=password, name=f"家长{i}") for i in range(150)]
    )
    today = timezone.localdate()
    children, tickets = [], {}
    for i in range(300):
        room = rooms[i % 4]
        birth = today - dt.timedelta(days=int(months[room.band] * 30.4))
        children.append(
            Child(
                centre=centre,
                name=f"孩子{i}",
                birth_date=birth,
                consent_by=parents[i // 2],
                consent_at=timezone.now(),
                consent_version="bench",
            )  # fmt: skip
        )
    children = Child.objects.bulk_create(children)
    Child.guardians.through.objects.bulk_create(
        [Child.guardians.through(child_id=c.pk, user_id=parents[i // 2].pk) for i, c in enumerate(children)]
    )
    by_room = {room.pk: list(Session.objects.filter(room=room).order_by("starts_at")) for room in rooms}
    bookings = []
    for i, child in enumerate(children):
        room_sessions = by_room[rooms[i % 4].pk]
        for session in rng.sample(room_sessions, 12):
            if tickets.get(session.pk, 0) >= session.capacity:
                continue
            tickets[session.pk] = tickets.get(session.pk, 0) + 1
            bookings.append(Booking(session=session, child=child, booked_by=parents[i // 2], status="waitlisted",
                                    waitlist_ticket=tickets[session.pk]))  # fmt: skip
    Booking.objects.bulk_create(bookings)
    for session_id, count in tickets.items():
        Session.objects.filter(pk=session_id).update(waitlist_tickets=count)
    _race_setup(centre, password)
    return [f"{sum(len(v) for v in by_room.values())} sessions", "300 children", f"{len(bookings)} bookings",
            "25 caregivers"]  # fmt: skip


def _race_setup(centre, password) -> None:
    from rest_framework.authtoken.models import Token

    from childcare.models import Caregiver, CaregiverAssignment, Child, Room, Session
    from workforce.models import User

    room = Room.objects.create(centre=centre, name="抢位班", band="school_age", capacity=RACE_PLACES)
    helper = Caregiver.objects.filter(centre=centre).first()
    day = timezone.localdate() + dt.timedelta(days=3)
    sessions = []
    for i in range(2 * RACE_SESSIONS):
        starts = timezone.make_aware(dt.datetime.combine(day, dt.time(6))) + dt.timedelta(minutes=20 * i)
        sessions.append(Session(room=room, kind="day", date=day, starts_at=starts, ends_at=starts + dt.timedelta(minutes=15),
                                capacity=RACE_PLACES, children_per_caregiver=10, caregivers_counted=1,
                                places=RACE_PLACES))  # fmt: skip
    sessions = Session.objects.bulk_create(sessions)
    CaregiverAssignment.objects.bulk_create([CaregiverAssignment(session=s, caregiver=helper) for s in sessions])
    guardians = User.objects.bulk_create(
        [
            User(username=f"{PREFIX}g{i}", centre=centre, password=password, name=f"抢位家长{i}")
            for i in range(GUARDIANS)
        ]
    )
    Token.objects.bulk_create([Token(user=g, key=Token.generate_key()) for g in guardians])
    birth = timezone.localdate() - dt.timedelta(days=3000)
    kids = Child.objects.bulk_create(
        [Child(centre=centre, name=f"抢位孩子{i}", birth_date=birth, consent_by=g, consent_at=timezone.now(),
               consent_version="bench") for i, g in enumerate(guardians)]
    )  # fmt: skip
    Child.guardians.through.objects.bulk_create(
        [Child.guardians.through(child_id=k.pk, user_id=g.pk) for k, g in zip(kids, guardians, strict=True)]
    )


def _roster_rows(ctx: Context) -> list[Row]:
    from childcare import services
    from childcare.models import Booking, CaregiverAssignment, RosterSolve, Session
    from childcare.rostering import ratio_violations, roster_greedy
    from workforce.models import User

    centre = _centre()
    start, end = _month()
    month = Session.objects.filter(room__centre=centre, date__gte=start, date__lte=end)
    # From the start each time: nobody rostered, every booking waiting.
    CaregiverAssignment.objects.filter(session__in=month).delete()
    Booking.objects.filter(session__in=month).update(status="waitlisted", confirmed_at=None)
    month.update(places=0, confirmed_count=0, caregivers_counted=0)
    lead = User.objects.get(username=f"{PREFIX}lead")
    job = services.roster_solve_start(actor=lead, centre_id=centre.pk, start=start, end=end, enqueue=False)
    began = time.perf_counter()
    services.roster_solve_run(job_id=job.pk)
    ours = time.perf_counter() - began
    job = RosterSolve.objects.get(pk=job.pk)
    if job.status != "succeeded":
        raise BenchError(f"roster job {job.status}: {job.failure}")
    _sessions, needs, offers = services._roster_inputs(job)
    began = time.perf_counter()
    greedy = roster_greedy(needs, offers)
    bare = time.perf_counter() - began
    published: dict[int, list[int]] = {}
    for session_id, caregiver_id in CaregiverAssignment.objects.filter(session__in=month).values_list(
        "session_id", "caregiver_id"
    ):
        published.setdefault(session_id, []).append(caregiver_id)
    # Recount from the database: confirmed children against the published caregivers.
    confirmed = dict(month.values_list("pk", "confirmed_count"))
    check = [type(n)(n.id, n.starts_at, n.ends_at, confirmed[n.id], n.children_per_caregiver) for n in needs]
    violations = ratio_violations(check, offers, published)
    greedy_violations = ratio_violations(needs, offers, greedy)
    overbooked = sum(1 for s in month if s.confirmed_count > s.places)
    if violations or overbooked:
        raise BenchError(f"published roster breaks ratios: {violations[:3]} overbooked={overbooked}")
    ctx.facts.append(f"roster shortfalls {sum(s['missing'] for s in job.errors)}")
    return [
        Row(f"roster a month, {len(needs)} sessions (s)", ours, bare, 2),
        Row("ratio violations after publishing", len(violations), len(greedy_violations), 0),
    ]


def _reset_race(sessions) -> None:
    from childcare.models import Booking, Session

    Booking.objects.filter(session_id__in=sessions).delete()
    Session.objects.filter(pk__in=sessions).update(confirmed_count=0, waitlist_tickets=0)


def _race(port: int, url: str, sessions: list[int], tokens: list[str], children: list[int]) -> list[float]:
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in tokens]
    cursor = [0] * len(tokens)

    def one(index: int) -> float:
        session = sessions[cursor[index] % len(sessions)]
        cursor[index] += 1
        body = json.dumps({"child": children[index], "session": session})
        headers = {"Authorization": f"Token {tokens[index]}", "Content-Type": "application/json"}
        for attempt in (1, 2):
            began = time.perf_counter()
            try:
                conns[index].request("POST", url, body=body, headers=headers)
                response = conns[index].getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conns[index].close()
                if attempt == 2:
                    raise
                continue
            took = (time.perf_counter() - began) * 1000
            if response.status != 201:
                raise BenchError(f"POST {url}: HTTP {response.status}: {data[:200]!r}")
            return took
        raise AssertionError("unreachable")

    try:
        latencies, _elapsed = closed_loop(len(tokens), one, seconds=120, limit=len(tokens) * len(sessions), warmup=0,
                                          what=f"POST {url}")  # fmt: skip
    finally:
        for conn in conns:
            conn.close()
    return latencies


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def measure(ctx: Context) -> list[Row]:
    from rest_framework.authtoken.models import Token

    from childcare.models import Booking, Child, Session

    rows = _roster_rows(ctx)
    race = list(Session.objects.filter(room__name="抢位班", room__centre=_centre()).order_by("starts_at")
                .values_list("pk", flat=True))  # fmt: skip
    ours_sessions, bare_sessions = race[:RACE_SESSIONS], race[RACE_SESSIONS:]
    tokens = dict(Token.objects.filter(user__username__startswith=f"{PREFIX}g").values_list("user__username", "key"))
    names = sorted(tokens)
    children = [Child.objects.get(guardians__username=name).pk for name in names]
    keys = [tokens[n] for n in names]
    results = {}
    for label, sessions, url in (("ours", ours_sessions, "/api/v1/childcare/bookings/"),
                                 ("bare", bare_sessions, "/bench/childcare/book/")):  # fmt: skip
        _reset_race(sessions)
        results[label] = _race(ctx.server.port, url, sessions, keys, children)
        for session in Session.objects.filter(pk__in=sessions):
            confirmed = Booking.objects.filter(session=session, status="confirmed").count()
            if confirmed != RACE_PLACES or session.confirmed_count != RACE_PLACES:
                raise BenchError(f"{label}: session {session.pk} has {confirmed} confirmed of {RACE_PLACES} places")
    ctx.facts.append(f"{GUARDIANS} guardians x {RACE_SESSIONS} sessions of {RACE_PLACES} places: none overbooked")
    rows += [
        Row(
            "booking, 20 guardians racing, p50 (ms)",
            sorted(results["ours"])[len(results["ours"]) // 2],
            sorted(results["bare"])[len(results["bare"]) // 2],
        ),  # fmt: skip
        Row("booking, 20 guardians racing, p95 (ms)", _p95(results["ours"]), _p95(results["bare"])),
    ]
    return rows


@csrf_exempt
def bare_book(request):
    """The least a correct booking does: token -> user, the child is theirs, the conditional
    UPDATE for a place (or the next waitlist ticket), the INSERT."""
    from rest_framework.authtoken.models import Token

    from childcare.models import Booking, Child, Session

    body = json.loads(request.body)
    key = request.headers.get("Authorization", "")[6:]
    guardians = Child.guardians.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT user_id FROM {Token._meta.db_table} WHERE key = %s", [key])
        user_id = cursor.fetchone()[0]
        cursor.execute(f"SELECT 1 FROM {guardians} WHERE child_id = %s AND user_id = %s", [body["child"], user_id])
        if cursor.fetchone() is None:
            return JsonResponse({"detail": "not found"}, status=404)
        table = Session._meta.db_table
        cursor.execute(
            f"UPDATE {table} SET confirmed_count = confirmed_count + 1 WHERE id = %s AND confirmed_count < places",
            [body["session"]],
        )
        ticket = None
        if cursor.rowcount:
            status = "confirmed"
        else:
            status = "waitlisted"
            cursor.execute(
                f"UPDATE {table} SET waitlist_tickets = waitlist_tickets + 1 WHERE id = %s", [body["session"]]
            )
            cursor.execute(f"SELECT waitlist_tickets FROM {table} WHERE id = %s", [body["session"]])
            ticket = cursor.fetchone()[0]
        now = timezone.now()
        cursor.execute(
            f"INSERT INTO {Booking._meta.db_table} (session_id, child_id, booked_by_id, status, waitlist_ticket, "
            "follow_up, created_at, confirmed_at) VALUES (%s, %s, %s, %s, %s, '', %s, %s)",
            [body["session"], body["child"], user_id, status, ticket, now, now if status == "confirmed" else None],
        )
    return JsonResponse({"status": status, "waitlist_position": ticket}, status=201)


urlpatterns = [path("bench/childcare/book/", bare_book)]
