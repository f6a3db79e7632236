"""earnings: what the earnings ledger costs (decision 0015).

- The ledger line's added cost on an accept: the labelling bench's flow (an annotator's
  `assignment_next` + `assignment_submit` of 5 boxes and a 12-point polygon, then a
  reviewer's accept through `review_decide`), timed per image in-process on the bench
  database, with the ledger (the annotator's lines and the reviewer's, written in the
  same transactions) and without it (the two calls into `workforce.pay.services`
  replaced by nothing). The sides take turns in six rounds; each side's median image is
  reported, and the difference is the row that must stay under 1 ms. Every image of the
  project is reviewed (review floor 1), so both sides do the same work.
- The annotator's home earnings at 10,000,000 ledger lines: `earnings_of` (today's and
  the month's totals and lines, grouped) for 500 people of the payroll bench's centre
  (6,000 people, 10M lines in 2026-11; made by bench/payroll.py's setup), p95 beside the
  bare limit, one indexed SQL sum of a person's month.
"""

import datetime as dt
import hashlib
import random
import statistics
import sys
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.db import connection

from bench.common import BenchError, Context, Row

NAME = "earnings"
CENTRE = "bench-earnings 宜君"
ORGANISATION = "bench-earnings"
PREFIX = "bench-earn-"
ROUNDS = 6
PER_ROUND = 60  # images per side and round
HOME_PEOPLE = 500
HOME_NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # inside the payroll bench's month


def setup() -> list[str]:
    from bench import payroll
    from workforce.models import Centre, Role, RoleGrant, Team, User

    words = payroll.setup()  # the 10M-line month the home row reads (made once)
    if not Centre.objects.filter(name=CENTRE).exists():
        centre = Centre.objects.create(name=CENTRE, county="宜君县", province="陕西省", pay_region="CN-SN")
        team = Team.objects.create(centre=centre, name="收入基准组")
        people = {
            role: User.objects.create(username=f"{PREFIX}{role}", name=f"收入基准{role}", centre=centre)
            for role in (Role.ANNOTATOR, Role.REVIEWER, Role.SUPERVISOR)
        }
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=role) for role, user in people.items()])
        team.members.add(people[Role.ANNOTATOR])
    return words


def _people():
    from workforce.models import Centre, Role, Team, User

    centre = Centre.objects.get(name=CENTRE)
    found = {role: User.objects.get(username=f"{PREFIX}{role}") for role in (Role.ANNOTATOR, Role.REVIEWER,
                                                                                Role.SUPERVISOR)}  # fmt: skip
    return centre, Team.objects.get(centre=centre), found


def _fresh_project(count: int):
    """A new project of `count` images in one batch for the bench annotator, with rates."""
    from annotation.models import Item, Organisation, Project
    from annotation.services.batches import Assignees, ItemChoice, batch_create
    from bench.labelling import HEIGHT, IMAGE, SCHEMA, WIDTH
    from workforce.models import Role
    from workforce.pay.services import piece_rates_set

    centre, team, people = _people()
    organisation, _ = Organisation.objects.get_or_create(name=ORGANISATION)
    stamp = f"{time.time_ns()}"
    project = Project.objects.create(
        organisation=organisation, name=f"bench-earnings {stamp}", label_schema=SCHEMA, review_floor=1.0
    )
    Item.objects.bulk_create(
        Item(project=project, file_name=f"e/{n:05d}.jpg", image=IMAGE, thumbnail=IMAGE, content_type="image/jpeg",
             width=WIDTH, height=HEIGHT, sha256=hashlib.sha256(f"{stamp}-{n}".encode()).hexdigest())
        for n in range(count)
    )  # fmt: skip
    project.item_count = count
    project.save(update_fields=["item_count"])
    batch_create(actor=people[Role.SUPERVISOR], project=project, choice=ItemChoice(size=count),
                 assignees=Assignees(teams=[team.pk]), name="收入基准")  # fmt: skip
    piece_rates_set(actor=people[Role.SUPERVISOR], centre=centre, project_id=project.pk, project_name=project.name,
                    rates={"item": "0.1000", "box": "0.0800", "polygon": "0.2500", "review": "0.0500"})  # fmt: skip
    return project, people


@contextmanager
def _without_ledger():
    """The accept paths with their two calls into the ledger made to do nothing."""
    from annotation.services import assignments, reviews

    saved = (assignments.annotation_earned, reviews.annotation_earned, reviews.review_earned)
    assignments.annotation_earned = reviews.annotation_earned = reviews.review_earned = lambda **kwargs: None
    try:
        yield
    finally:
        assignments.annotation_earned, reviews.annotation_earned, reviews.review_earned = saved


def _label_and_accept(annotator, reviewer, annotation: dict) -> float:
    from annotation.services.assignments import assignment_next, assignment_submit
    from annotation.services.reviews import review_decide

    began = time.perf_counter()
    offer = assignment_next(annotator=annotator)
    if offer is None:
        raise BenchError("earnings: the bench batch ran out of images")
    stored, _created = assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=annotation)
    review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="accept")
    return time.perf_counter() - began


def _accept_cost(quick: bool) -> tuple[float, float, int]:
    from bench.labelling import ANNOTATION
    from workforce.models import LedgerLine, Role

    rounds, per_round = (2, 20) if quick else (ROUNDS, PER_ROUND)
    project, people = _fresh_project(rounds * per_round * 2 + 5)
    annotator, reviewer = people[Role.ANNOTATOR], people[Role.REVIEWER]
    for _ in range(5):  # warm-up: plans prepared, caches filled
        _label_and_accept(annotator, reviewer, ANNOTATION)
    with_ledger: list[float] = []
    without: list[float] = []
    for number in range(rounds):
        sides = [("with", with_ledger), ("without", without)]
        for side, times in sides if number % 2 == 0 else sides[::-1]:
            for _ in range(per_round):
                if side == "with":
                    times.append(_label_and_accept(annotator, reviewer, ANNOTATION))
                else:
                    with _without_ledger():
                        times.append(_label_and_accept(annotator, reviewer, ANNOTATION))
    lines = LedgerLine.objects.filter(project_id=project.pk, source__in=["annotation", "review"]).count()
    # Each accept with the ledger: item, 5 boxes, 1 polygon for the annotator; 1 review.
    expected = (5 + rounds * per_round) * 4
    if lines != expected:
        raise BenchError(f"earnings: {lines} ledger lines written, expected {expected}")
    return statistics.median(with_ledger) * 1000, statistics.median(without) * 1000, lines


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000


def _home(quick: bool) -> tuple[float, float, int]:
    from bench import payroll
    from workforce.models import LedgerLine, User
    from workforce.pay.selectors import earnings_of, month_bounds

    centre = payroll._centre()
    people = list(User.objects.filter(centre=centre).order_by("id"))
    rng = random.Random(15)
    chosen = rng.sample(people, min(len(people), 100 if quick else HOME_PEOPLE))
    start, end = month_bounds(HOME_NOW.date().replace(day=1))
    table = LedgerLine._meta.db_table
    ours, bare = [], []
    for worker in chosen[:20]:  # warm-up
        earnings_of(worker, now=HOME_NOW)
    for worker in chosen:
        began = time.perf_counter()
        earnings = earnings_of(worker, now=HOME_NOW)
        ours.append(time.perf_counter() - began)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT SUM(amount) FROM {table} WHERE worker_id = %s AND accepted_at >= %s AND accepted_at < %s",  # noqa: S608
                [worker.pk, start, end],
            )
            (total,) = cursor.fetchone()
        bare.append(time.perf_counter() - began)
        if earnings.month_total != total:
            raise BenchError(f"earnings: {worker.pk}'s month is {earnings.month_total} by ours, {total} bare")
    lines = LedgerLine.objects.filter(centre=centre).count()
    return _p95(ours), _p95(bare), lines


def measure(ctx: Context) -> list[Row]:
    quick = ctx.options.quick or "--quick" in sys.argv
    with_ms, without_ms, _lines = _accept_cost(quick)
    home_ours, home_bare, lines = _home(quick)
    ctx.facts.append(f"earnings: accept with ledger {with_ms:.2f} ms, without {without_ms:.2f} ms (median image)")
    return [
        Row("submit + review accept, median image (ms): with the ledger / without", with_ms, without_ms, decimals=2),
        Row("ledger's added cost per accept (ms) / 1 ms budget", with_ms - without_ms, 1.0, decimals=3),
        Row(
            f"home earnings p95 (ms), {lines / 1e6:g}M ledger lines / one indexed SQL sum",
            home_ours,
            home_bare,
            decimals=2,
        ),  # fmt: skip
    ]
