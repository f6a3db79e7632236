"""Reads behind a period's summary and its fairness view (docs/decisions/0016).

Both start from the same per-person figures of one pay period, gathered in a fixed number
of queries whatever the number of people: the period's payslips and their earning lines
(pay), team memberships, the ledger (accepted items), attendance (hours clocked) and the
work-figures port (work given, which the annotation app measures). The rest is arithmetic
on those figures, with no further queries.

The fairness view never shows a group of fewer than `MIN_GROUP` people apart: such groups
are merged into "other", and when "other" would still be smaller than that, the smallest
shown group joins it too, so no group can be worked out by subtracting the shown ones from
the total.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from aidou.money import money
from workforce.models import AttendanceRecord, Gender, LedgerLine, PayPeriod, Payslip, PayslipLine, Team
from workforce.pay.selectors import month_bounds, month_end
from workforce.work_figures import work_figures

ZERO = Decimal("0")
HOURS = Decimal("0.01")
MIN_GROUP = 5  # groups smaller than this are not shown apart
ACCEPTED_WORK_SOURCE = "annotation"  # ledger lines of annotators' accepted items (reviews are "review")
NO_TEAM = 0  # the key of people in no team

# Age bands, by age on the period's last day: (code, lowest age, highest age or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_30", 0, 29),
    ("30_39", 30, 39),
    ("40_49", 40, 49),
    ("50_over", 50, None),
)
NOT_RECORDED = "not_recorded"
OTHER = "other"


@dataclasses.dataclass
class Person:
    """One person paid in the period, with what the summary and the fairness view need."""

    worker_id: int
    gender: str  # female, male or "" when not recorded
    age_band: str
    team_ids: list[int]
    gross: Decimal = ZERO
    net: Decimal = ZERO
    deductions: Decimal = ZERO
    earnings: dict[str, Decimal] = dataclasses.field(default_factory=dict)  # payslip line code -> sum
    accepted: int = 0
    given: int | None = None  # None: the port reported nothing for this person
    hours: Decimal = ZERO


def age_band_of(birth_date: dt.date | None, on: dt.date) -> str:
    if birth_date is None:
        return NOT_RECORDED
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    for code, lowest, highest in AGE_BANDS:
        if age >= lowest and (highest is None or age <= highest):
            return code
    return NOT_RECORDED


def period_people(period: PayPeriod) -> tuple[list[Person], list[Team]]:
    """Everyone with a payslip in the period and the centre's teams. Six queries (and what
    the work-figures port spends), whatever the number of people."""
    start, end = month_bounds(period.month)
    last_day = month_end(period.month)
    people: dict[int, Person] = {}
    rows = (
        Payslip.objects.filter(period=period)
        .order_by("worker_id")
        .values_list(
            "worker_id", "gross", "net", "total_deductions", "worker__profile__gender", "worker__profile__birth_date"
        )
    )
    for worker_id, gross, net, deductions, gender, birth_date in rows:
        people[worker_id] = Person(
            worker_id=worker_id,
            gender=gender or "",
            age_band=age_band_of(birth_date, last_day),
            team_ids=[],
            gross=gross,
            net=net,
            deductions=deductions,
        )

    for worker_id, code, total in (
        PayslipLine.objects.filter(payslip__period=period, kind=PayslipLine.Kind.EARNING)
        .values_list("payslip__worker_id", "code")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        if worker_id in people:
            people[worker_id].earnings[code] = total

    teams = list(Team.objects.filter(centre_id=period.centre_id).order_by("name", "id"))
    for team_id, user_id in (
        Team.members.through.objects.filter(team__centre_id=period.centre_id)
        .order_by("team__name", "team_id")
        .values_list("team_id", "user_id")
    ):
        if user_id in people:
            people[user_id].team_ids.append(team_id)

    # An item counts as accepted while one of its earning lines stands (is not reversed).
    for worker_id, items in (
        LedgerLine.objects.filter(
            centre_id=period.centre_id,
            accepted_at__gte=start,
            accepted_at__lt=end,
            kind=LedgerLine.Kind.EARNING,
            source=ACCEPTED_WORK_SOURCE,
            reversal__isnull=True,
        )
        .values_list("worker_id")
        .annotate(items=Count("source_id", distinct=True))
        .order_by()
    ):
        if worker_id in people:
            people[worker_id].accepted = items

    seconds: dict[int, float] = defaultdict(float)
    for worker_id, clock_in, clock_out in AttendanceRecord.objects.filter(
        centre_id=period.centre_id, clock_in_at__gte=start, clock_in_at__lt=end, clock_out_at__isnull=False
    ).values_list("worker_id", "clock_in_at", "clock_out_at"):
        seconds[worker_id] += max(0.0, (clock_out - clock_in).total_seconds())
    for worker_id, total in seconds.items():
        if worker_id in people:
            people[worker_id].hours = (Decimal(str(total)) / Decimal(3600)).quantize(HOURS, rounding=ROUND_HALF_UP)

    counts = work_figures().work_counts_by_worker(
        centre_id=period.centre_id, worker_ids=list(people), start=start, end=end
    )
    for worker_id, figures in counts.items():
        if worker_id in people and "given" in figures:
            people[worker_id].given = figures["given"]
    return list(people.values()), teams


def scopes_of(people: list[Person], teams: list[Team]) -> list[tuple[str, Team | None, list[Person]]]:
    """The centre as a whole, then each team with anyone paid, then people in no team.
    A person in two teams counts in both."""
    by_team: dict[int, list[Person]] = defaultdict(list)
    for person in people:
        for team_id in person.team_ids or [NO_TEAM]:
            by_team[team_id].append(person)
    scopes: list[tuple[str, Team | None, list[Person]]] = [("centre", None, people)]
    scopes += [("team", team, by_team[team.pk]) for team in teams if by_team.get(team.pk)]
    if by_team.get(NO_TEAM):
        scopes.append(("no_team", None, by_team[NO_TEAM]))
    return scopes


def scope_name(kind: str, team: Team | None, centre_name: str) -> str:
    if kind == "team" and team is not None:
        return _("team %(team)s") % {"team": team.name}
    if kind == "no_team":
        return _("people in no team")
    return _("the whole centre (%(centre)s)") % {"centre": centre_name}


def percent_change(value: Decimal, reference: Decimal) -> int | None:
    """How much `value` is above (+) or below (−) `reference`, in whole percent; None
    when the reference is zero."""
    if not reference:
        return None
    return int(((value / reference - 1) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- The period summary ------------------------------------------------------------------

SEGMENTS = ("piece", "base", "min_wage_topup", "other")  # how gross pay is split in the stacked bars


@dataclasses.dataclass
class SummaryRow:
    kind: str  # centre, team, no_team
    name: str
    people: int
    gross: Decimal
    deductions: Decimal
    net: Decimal
    piece: Decimal
    base: Decimal
    topup_count: int
    topup_sum: Decimal
    other: Decimal  # overtime, allowances, adjustments
    accepted: int
    cost_per_item: Decimal | None  # gross pay / accepted items
    net_values: list[Decimal]

    @property
    def segments(self) -> dict[str, Decimal]:
        return {"piece": self.piece, "base": self.base, "min_wage_topup": self.topup_sum, "other": self.other}


def _summary_row(kind: str, name: str, people: list[Person]) -> SummaryRow:
    def earned(code: str) -> Decimal:
        return sum((p.earnings.get(code, ZERO) for p in people), ZERO)

    gross = sum((p.gross for p in people), ZERO)
    piece, base, topup = earned("piece"), earned("base"), earned("min_wage_topup")
    accepted = sum(p.accepted for p in people)
    return SummaryRow(
        kind=kind,
        name=name,
        people=len(people),
        gross=gross,
        deductions=sum((p.deductions for p in people), ZERO),
        net=sum((p.net for p in people), ZERO),
        piece=piece,
        base=base,
        topup_count=sum(1 for p in people if p.earnings.get("min_wage_topup")),
        topup_sum=topup,
        other=gross - piece - base - topup,
        accepted=accepted,
        cost_per_item=money(gross / accepted) if accepted else None,
        net_values=sorted(p.net for p in people),
    )


def period_summary(period: PayPeriod) -> list[SummaryRow]:
    """The period's totals for the centre, each team and people in no team."""
    people, teams = period_people(period)
    return [
        _summary_row(kind, team.name if team is not None else "", members)
        for kind, team, members in scopes_of(people, teams)
    ]


# Histogram bins: the smallest of these widths that needs no more than MAX_BINS bins.
_BIN_WIDTHS = tuple(Decimal(w) for w in (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000))
MAX_BINS = 10


@dataclasses.dataclass(frozen=True)
class Bin:
    low: Decimal  # from (inclusive)
    high: Decimal  # to (exclusive)
    count: int


def histogram_bins(values: list[Decimal]) -> list[Bin]:
    """Equal bins of a round width covering `values`, low end inclusive."""
    if not values:
        return []
    low, high = min(values), max(values)
    width = _BIN_WIDTHS[-1]
    for candidate in _BIN_WIDTHS:
        first = (low / candidate).to_integral_value(rounding="ROUND_FLOOR") * candidate
        if (high - first) / candidate < MAX_BINS:
            width = candidate
            break
    first = (low / width).to_integral_value(rounding="ROUND_FLOOR") * width
    n = int(((high - first) / width).to_integral_value(rounding="ROUND_FLOOR")) + 1
    counts = [0] * n
    for value in values:
        counts[min(n - 1, int(((value - first) / width).to_integral_value(rounding="ROUND_FLOOR")))] += 1
    return [Bin(low=first + i * width, high=first + (i + 1) * width, count=c) for i, c in enumerate(counts)]


# --- The fairness view -------------------------------------------------------------------


@dataclasses.dataclass
class Group:
    key: str  # female, male, not_recorded, an age band, or other
    label: str
    people: int
    given: int | None  # None when the port reported work given for nobody in the group
    accepted: int
    hours: Decimal
    pay: Decimal  # gross
    pay_clocked: Decimal = ZERO  # gross of those who clocked any hours: what pay per hour is of
    merged: str = ""  # "other": the groups merged into it, in words

    def per_person(self, value) -> Decimal | None:
        if value is None or not self.people:
            return None
        return Decimal(value) / self.people

    @property
    def given_each(self) -> Decimal | None:
        return self.per_person(self.given)

    @property
    def accepted_each(self) -> Decimal:
        return Decimal(self.accepted) / self.people if self.people else ZERO

    @property
    def hours_each(self) -> Decimal:
        return self.hours / self.people if self.people else ZERO

    @property
    def pay_each(self) -> Decimal:
        return money(self.pay / self.people) if self.people else ZERO

    @property
    def pay_per_hour(self) -> Decimal | None:
        """Pay of the people who clocked hours over those hours (someone paid without
        clocking would otherwise raise the figure)."""
        return money(self.pay_clocked / self.hours) if self.hours else None


def _group_of(key: str, label: str, people: list[Person]) -> Group:
    given = [p.given for p in people if p.given is not None]
    return Group(
        key=key,
        label=label,
        people=len(people),
        given=sum(given) if given else None,
        accepted=sum(p.accepted for p in people),
        hours=sum((p.hours for p in people), ZERO),
        pay=sum((p.gross for p in people), ZERO),
        pay_clocked=sum((p.gross for p in people if p.hours), ZERO),
    )


def gender_label(key: str) -> str:
    if key == NOT_RECORDED:
        return _("gender not recorded")
    return {Gender.FEMALE: _("women"), Gender.MALE: _("men")}.get(key, key)


def age_label(key: str) -> str:
    return {
        "under_30": _("under 30"),
        "30_39": _("aged 30–39"),
        "40_49": _("aged 40–49"),
        "50_over": _("aged 50 and over"),
        NOT_RECORDED: _("age not recorded"),
    }[key]


@dataclasses.dataclass
class Breakdown:
    """One dimension (gender or age band) of one scope, after small groups are merged."""

    dimension: str  # gender, age
    groups: list[Group]  # shown apart, "other" last
    suppressed: bool  # every group was too small to show apart
    merged_any: bool
    sentences: list[str]
    # Some group big enough on its own was held back because the teams' figures would
    # reveal a small one from it (the centre only).
    held_for_teams: bool = False


def groups_shown(
    sizes: dict[str, int], minimum: int = MIN_GROUP, *, hidden: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """Split group keys into those shown apart and those merged into "other": every group
    under `minimum` is merged, and so is every key in `hidden`; while "other" holds fewer
    than `minimum` people the smallest shown group joins it, so that no small group is the
    difference of the others."""
    shown = [key for key, size in sizes.items() if size >= minimum and key not in hidden]
    merged = [key for key, size in sizes.items() if size > 0 and key not in shown]
    while merged and sum(sizes[k] for k in merged) < minimum and shown:
        smallest = min(shown, key=lambda key: (sizes[key], key))
        shown.remove(smallest)
        merged.append(smallest)
    return shown, merged


DIMENSIONS = ("gender", "age")


def _keyed(dimension: str, people: list[Person]) -> dict[str, list[Person]]:
    """The people of each group of `dimension`, every group present, in display order."""
    if dimension == "gender":
        keyed: dict[str, list[Person]] = {key: [] for key in (Gender.FEMALE.value, Gender.MALE.value, NOT_RECORDED)}
        for p in people:
            keyed[p.gender if p.gender in keyed else NOT_RECORDED].append(p)
    else:
        keyed = {key: [] for key in [code for code, _low, _high in AGE_BANDS] + [NOT_RECORDED]}
        for p in people:
            keyed[p.age_band].append(p)
    return keyed


def _breakdown(dimension: str, scope: str, people: list[Person], *, hidden: Collection[str] = ()) -> Breakdown:
    keyed = _keyed(dimension, people)
    order = list(keyed)
    label = gender_label if dimension == "gender" else age_label
    sizes = {key: len(members) for key, members in keyed.items() if members}
    shown, merged = groups_shown(sizes, hidden=hidden)
    groups = [_group_of(key, label(key), keyed[key]) for key in order if key in shown]
    suppressed = not shown and bool(people)
    if merged and shown:
        other = _group_of(OTHER, _("other (smaller groups merged)"), [p for key in merged for p in keyed[key]])
        other.merged = _(", ").join(label(key) for key in order if key in merged)
        groups.append(other)
    return Breakdown(
        dimension=dimension,
        groups=groups,
        suppressed=suppressed,
        merged_any=bool(merged),
        sentences=gap_sentences(dimension, scope, groups),
        held_for_teams=any(sizes.get(key, 0) >= MIN_GROUP for key in hidden),
    )


def _more_or_less(change: int, more: str, less: str, same: str) -> str:
    if change > 0:
        return more % {"pct": change}
    if change < 0:
        return less % {"pct": -change}
    return same


def gap_sentence(group: Group, reference: Group, scope: str) -> str:
    """One group beside the reference in words: "In team A, women earned 4 % less per hour
    than men (…); they worked 12 % fewer hours each, were given 3 % more work each, had 5 %
    more items accepted each." Parts whose figure is missing on either side are left out."""
    names = {"group": group.label, "reference": reference.label, "scope": scope}
    parts: list[str] = []
    if group.pay_per_hour is not None and reference.pay_per_hour is not None:
        change = percent_change(group.pay_per_hour, reference.pay_per_hour)
        assert change is not None
        figures = {**names, "a": f"{group.pay_per_hour:.2f}", "b": f"{reference.pay_per_hour:.2f}"}
        if change > 0:
            head = _(
                "In %(scope)s, %(group)s earned %(pct)s %% more per hour than %(reference)s "
                "(%(a)s against %(b)s yuan an hour)"
            )
        elif change < 0:
            head = _(
                "In %(scope)s, %(group)s earned %(pct)s %% less per hour than %(reference)s "
                "(%(a)s against %(b)s yuan an hour)"
            )
        else:
            head = _(
                "In %(scope)s, %(group)s earned the same per hour as %(reference)s (%(a)s against %(b)s yuan an hour)"
            )
        parts.append(head % {**figures, "pct": abs(change)})
    else:
        change = percent_change(group.pay_each, reference.pay_each)
        if change is None:
            return ""
        figures = {**names, "a": f"{group.pay_each:.2f}", "b": f"{reference.pay_each:.2f}"}
        if change > 0:
            head = _(
                "In %(scope)s, %(group)s earned %(pct)s %% more each than %(reference)s "
                "(%(a)s against %(b)s yuan; no hours were clocked, so pay per hour cannot be compared)"
            )
        elif change < 0:
            head = _(
                "In %(scope)s, %(group)s earned %(pct)s %% less each than %(reference)s "
                "(%(a)s against %(b)s yuan; no hours were clocked, so pay per hour cannot be compared)"
            )
        else:
            head = _(
                "In %(scope)s, %(group)s earned the same each as %(reference)s "
                "(%(a)s against %(b)s yuan; no hours were clocked, so pay per hour cannot be compared)"
            )
        parts.append(head % {**figures, "pct": abs(change)})
    hours = percent_change(group.hours_each, reference.hours_each)
    if hours is not None:
        parts.append(
            _more_or_less(
                hours,
                _("they worked %(pct)s %% more hours each"),
                _("they worked %(pct)s %% fewer hours each"),
                _("they worked the same hours each"),
            )
        )
    if group.given_each is not None and reference.given_each is not None:
        given = percent_change(group.given_each, reference.given_each)
        if given is not None:
            parts.append(
                _more_or_less(
                    given,
                    _("were given %(pct)s %% more work each"),
                    _("were given %(pct)s %% less work each"),
                    _("were given the same work each"),
                )
            )
    accepted = percent_change(group.accepted_each, reference.accepted_each)
    if accepted is not None:
        parts.append(
            _more_or_less(
                accepted,
                _("had %(pct)s %% more items accepted each"),
                _("had %(pct)s %% fewer items accepted each"),
                _("had the same number of items accepted each"),
            )
        )
    head, tail = parts[0], parts[1:]
    if not tail:
        return head + _(".")
    return _("%(head)s; %(tail)s.") % {"head": head, "tail": pgettext("joining clauses", ", ").join(tail)}


def gap_sentences(dimension: str, scope: str, groups: list[Group]) -> list[str]:
    """Each named group beside the reference group: men for gender (so the sentence says how
    women fare against men), the largest band for age. "other" is shown, not compared."""
    named = [g for g in groups if g.key not in (OTHER, NOT_RECORDED)]
    if len(named) < 2:
        return []
    if dimension == "gender":
        reference = next((g for g in named if g.key == Gender.MALE), None)
        if reference is None:
            return []
    else:
        reference = max(named, key=lambda g: (g.people, g.key))
    sentences = [gap_sentence(g, reference, scope) for g in named if g is not reference]
    return [s for s in sentences if s]


@dataclasses.dataclass
class FairnessScope:
    kind: str
    name: str
    everyone: Group
    breakdowns: list[Breakdown]


def period_fairness(period: PayPeriod) -> list[FairnessScope]:
    """Work given, accepted, hours and pay by gender and age band for the centre and each
    team, with the gaps between groups in words; groups under MIN_GROUP merged."""
    people, teams = period_people(period)
    scopes = scopes_of(people, teams)
    result: list[FairnessScope] = []
    # Teams first: what they show decides what the centre may show.
    for kind, team, members in scopes[1:]:
        name = scope_name(kind, team, period.centre.name)
        result.append(
            FairnessScope(
                kind=kind,
                name=name,
                everyone=_group_of("all", _("everyone"), members),
                breakdowns=[_breakdown(dimension, name, members) for dimension in DIMENSIONS],
            )
        )
    centre_name = scope_name("centre", None, period.centre.name)
    breakdowns = []
    for n, dimension in enumerate(DIMENSIONS):
        shown_in_teams: list[tuple[str, list[Person]]] = []
        for (_kind, _team, members), scope in zip(scopes[1:], result, strict=True):
            shown_keys = {g.key for g in scope.breakdowns[n].groups}
            shown_in_teams += [(key, group) for key, group in _keyed(dimension, members).items() if key in shown_keys]
        breakdowns.append(
            _breakdown(
                dimension, centre_name, people, hidden=hidden_by_teams(_keyed(dimension, people), shown_in_teams)
            )
        )
    centre = FairnessScope(
        kind="centre", name=centre_name, everyone=_group_of("all", _("everyone"), people), breakdowns=breakdowns
    )
    return [centre, *result]


def hidden_by_teams(keyed: dict[str, list[Person]], shown_in_teams: list[tuple[str, list[Person]]]) -> set[str]:
    """The centre's groups that would give away a team's hidden group: those whose people
    not shown apart in any team number between 1 and MIN_GROUP − 1 (the centre's figure
    less the teams' shown ones would be that small group's)."""
    covered: dict[str, set[int]] = defaultdict(set)
    for key, members in shown_in_teams:
        covered[key].update(p.worker_id for p in members)
    hidden = set()
    for key, members in keyed.items():
        rest = sum(1 for p in members if p.worker_id not in covered[key])
        if 0 < rest < MIN_GROUP:
            hidden.add(key)
    return hidden
