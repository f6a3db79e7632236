"""Caregiver rostering: which caregivers look after which sessions.

Pure functions on plain data (no ORM), so the solver and the checker can be tested and
benchmarked alone. `roster_solve` builds an OR-Tools CP-SAT model: every session needs
ceil(children / ratio) caregivers whose health certificate is valid on its date and who
declared themselves available for its whole time; nobody works two sessions that overlap
or sit closer than the rest between them, nor more than their hours a day and a week;
hours are spread fairly (the model minimises shortfalls first, then the spread between
the busiest and the least busy caregiver). When the need cannot be met, the shortfall
per session is the answer: which sessions lack how many caregivers.

`ratio_violations` checks a plan independently of the solver: it recounts from the raw
inputs and never reads the solver's own bookkeeping.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

# Sessions of one day may follow each other; from one day to the next, a night's rest.
NIGHT_REST = dt.timedelta(hours=11)
SOLVER_SECONDS = 8.0


@dataclass(frozen=True)
class SessionNeed:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    children: int
    children_per_caregiver: int

    @property
    def day(self) -> dt.date:
        return self.starts_at.date()

    @property
    def needed(self) -> int:
        return math.ceil(self.children / self.children_per_caregiver) if self.children else 0

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass(frozen=True)
class CaregiverOffer:
    id: int
    health_certificate_expires: dt.date | None
    # (start, end) stretches the caregiver is available in; a session must fit in one.
    available: tuple[tuple[dt.datetime, dt.datetime], ...]
    max_hours_per_day: int = 8
    max_hours_per_week: int = 40

    def counts_on(self, day: dt.date) -> bool:
        return self.health_certificate_expires is not None and self.health_certificate_expires >= day

    def can_take(self, session: SessionNeed) -> bool:
        return self.counts_on(session.day) and any(
            start <= session.starts_at and session.ends_at <= end for start, end in self.available
        )


@dataclass
class Plan:
    assignments: dict[int, list[int]] = field(default_factory=dict)  # session id -> caregiver ids
    shortfalls: dict[int, int] = field(default_factory=dict)  # session id -> caregivers missing
    status: str = ""

    @property
    def feasible(self) -> bool:
        return not self.shortfalls


def _week(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso[0], iso[1]


def _clash(a: SessionNeed, b: SessionNeed) -> bool:
    """Overlapping, or on different days with less than a night's rest between them."""
    if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
        return True
    if a.day == b.day:
        return False
    first, second = (a, b) if a.starts_at <= b.starts_at else (b, a)
    return second.starts_at - first.ends_at < NIGHT_REST


def roster_greedy(needs: list[SessionNeed], offers: list[CaregiverOffer]) -> dict[int, list[int]]:
    """First fit by least load, session by session in time order: the solver's starting
    hint and its fallback. Respects certificates, availability, hours and rest (the same
    `_clash`), not fairness beyond the least-loaded-first order."""
    load: dict[int, int] = {o.id: 0 for o in offers}
    days: dict[tuple[int, dt.date], int] = {}
    taken: dict[int, list[SessionNeed]] = {o.id: [] for o in offers}
    plan: dict[int, list[int]] = {}
    for need in needs:
        chosen: list[int] = []
        for offer in sorted(offers, key=lambda o: load[o.id]):
            if len(chosen) >= need.needed:
                break
            if (
                not offer.can_take(need)
                or days.get((offer.id, need.day), 0) + need.minutes > offer.max_hours_per_day * 60
            ):
                continue
            week = sum(s.minutes for s in taken[offer.id] if _week(s.day) == _week(need.day))
            if week + need.minutes > offer.max_hours_per_week * 60:
                continue
            if any(_clash(s, need) for s in taken[offer.id]):
                continue
            chosen.append(offer.id)
            load[offer.id] += need.minutes
            days[offer.id, need.day] = days.get((offer.id, need.day), 0) + need.minutes
            taken[offer.id].append(need)
        plan[need.id] = chosen
    return plan


def roster_solve(
    sessions: list[SessionNeed], caregivers: list[CaregiverOffer], *, seconds: float = SOLVER_SECONDS
) -> Plan:
    # OR-Tools (with pandas and protobuf) is loaded by the rostering job only, not by every
    # web and worker process at start-up (docs/decisions/0018).
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x: dict[tuple[int, int], Any] = {}
    for s in sessions:
        for c in caregivers:
            if s.needed and c.can_take(s):
                x[c.id, s.id] = model.new_bool_var(f"x{c.id}_{s.id}")
    short = {}
    for s in sessions:
        if not s.needed:
            continue
        short[s.id] = model.new_int_var(0, s.needed, f"short{s.id}")
        model.add(sum(x[c.id, s.id] for c in caregivers if (c.id, s.id) in x) + short[s.id] >= s.needed)
        # Nobody beyond the need: it would only take hours from the fair spread.
        model.add(sum(x[c.id, s.id] for c in caregivers if (c.id, s.id) in x) <= s.needed)
    by_day: dict[dt.date, list[SessionNeed]] = defaultdict(list)
    for s in sessions:
        by_day[s.day].append(s)
    loads = []
    for c in caregivers:
        mine = [s for s in sessions if (c.id, s.id) in x]
        # Overlaps and too little rest, checked only among sessions of nearby days.
        ordered = sorted(mine, key=lambda s: s.starts_at)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if b.starts_at >= a.ends_at + NIGHT_REST:
                    break
                if _clash(a, b):
                    model.add(x[c.id, a.id] + x[c.id, b.id] <= 1)
        days: dict[dt.date, list[SessionNeed]] = defaultdict(list)
        weeks: dict[tuple[int, int], list[SessionNeed]] = defaultdict(list)
        for s in mine:
            days[s.day].append(s)
            weeks[_week(s.day)].append(s)
        for day_sessions in days.values():
            model.add(sum(s.minutes * x[c.id, s.id] for s in day_sessions) <= c.max_hours_per_day * 60)
        for week_sessions in weeks.values():
            model.add(sum(s.minutes * x[c.id, s.id] for s in week_sessions) <= c.max_hours_per_week * 60)
        total = sum(s.minutes for s in mine)
        load = model.new_int_var(0, max(total, 0), f"load{c.id}")
        model.add(load == sum(s.minutes * x[c.id, s.id] for s in mine))
        loads.append(load)
    horizon = sum(s.minutes for s in sessions) or 1
    busiest = model.new_int_var(0, horizon, "busiest")
    quietest = model.new_int_var(0, horizon, "quietest")
    if loads:
        model.add_max_equality(busiest, loads)
        model.add_min_equality(quietest, loads)
    # Start from the greedy plan: CP-SAT then has a solution at once and improves on it.
    greedy = roster_greedy(sessions, caregivers)
    chosen_first = {(cid, sid) for sid, ids in greedy.items() for cid in ids}
    for key, var in x.items():  # a complete hint, or CP-SAT may drop it
        model.add_hint(var, 1 if key in chosen_first else 0)
    # A missing caregiver weighs more than any spread of hours could.
    model.minimize(sum(short.values()) * (horizon + 1) + busiest - quietest)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    plan = Plan(status=solver.status_name(status))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No solution within the time (a loaded machine): the greedy plan, which keeps
        # every hard rule, rather than nothing.
        plan.status += " (greedy)"
        plan.assignments = greedy
        for s in sessions:
            missing = s.needed - len(plan.assignments.get(s.id, []))
            if missing > 0:
                plan.shortfalls[s.id] = missing
        return plan
    for s in sessions:
        chosen = [c.id for c in caregivers if (c.id, s.id) in x and solver.value(x[c.id, s.id])]
        plan.assignments[s.id] = chosen
        missing = s.needed - len(chosen)
        if missing > 0:
            plan.shortfalls[s.id] = missing
    greedy_short = sum(max(s.needed - len(greedy.get(s.id, [])), 0) for s in sessions)
    if greedy_short < sum(plan.shortfalls.values()):  # stopped by the time limit before the hint's quality
        plan.status += " (greedy)"
        plan.assignments = greedy
        plan.shortfalls = {s.id: s.needed - len(greedy.get(s.id, [])) for s in sessions
                           if s.needed > len(greedy.get(s.id, []))}  # fmt: skip
    return plan


def ratio_violations(
    sessions: list[SessionNeed], caregivers: list[CaregiverOffer], assignments: dict[int, list[int]]
) -> list[str]:
    """Everything wrong with a plan, recounted from the inputs: a session whose counted
    caregivers (valid certificate, available) times the ratio is below its children, a
    caregiver in two clashing sessions, or over their hours a day or a week."""
    offers = {c.id: c for c in caregivers}
    found = []
    worked: dict[int, list[SessionNeed]] = defaultdict(list)
    for s in sessions:
        counted = 0
        for caregiver_id in assignments.get(s.id, []):
            offer = offers.get(caregiver_id)
            if offer is None or not offer.can_take(s):
                found.append(f"session {s.id}: caregiver {caregiver_id} may not work it")
                continue
            counted += 1
            worked[caregiver_id].append(s)
        if counted * s.children_per_caregiver < s.children:
            found.append(f"session {s.id}: {s.children} children, {counted} caregivers at 1:{s.children_per_caregiver}")
    for caregiver_id, mine in worked.items():
        offer = offers[caregiver_id]
        mine.sort(key=lambda s: s.starts_at)
        for i, a in enumerate(mine):
            for b in mine[i + 1 :]:
                if b.starts_at >= a.ends_at + NIGHT_REST:
                    break
                if _clash(a, b):
                    found.append(f"caregiver {caregiver_id}: sessions {a.id} and {b.id} clash")
        per_day: dict[dt.date, int] = defaultdict(int)
        per_week: dict[tuple[int, int], int] = defaultdict(int)
        for s in mine:
            per_day[s.day] += s.minutes
            per_week[_week(s.day)] += s.minutes
        found += [f"caregiver {caregiver_id}: {m} min on {d}" for d, m in per_day.items()
                  if m > offer.max_hours_per_day * 60]  # fmt: skip
        found += [f"caregiver {caregiver_id}: {m} min in week {w}" for w, m in per_week.items()
                  if m > offer.max_hours_per_week * 60]  # fmt: skip
    return found
