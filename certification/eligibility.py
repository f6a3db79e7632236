"""Eligibility: where each person stands against the requirements of their next level.

Everything comes from measured facts: the certificates they hold, their accepted work and
quality month by month (the annotation app's own figures, `annotation.history`, turned into
a score by `annotation.selectors.outcome_totals`), and their completed training. The facts
of any number of people are read in a handful of queries (`paths_for`), then judged in
Python by `evaluate`, which is pure, so hand-made histories test it directly.

A state is data (`code`, `have`, `need`, `met`, ...), never text: `state_text` words it in
the reader's language when a page shows it, so an application's frozen copy reads the same
in Chinese and English.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from annotation import history
from annotation.selectors import outcome_totals
from certification.models import Certificate, Completion, Level, Requirement, StandardVersion
from workforce.models import WorkUnit

EXAM_CODES = ("theory", "practical")
# All of a person's work counts toward volume and months; history begins here.
HISTORY_START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class Facts:
    """What is measured of one person (months are first days of calendar months)."""

    held_grade: int | None = None
    held_since: dt.date | None = None
    work: dict[dt.date, dict[str, int]] = field(default_factory=dict)
    quality: dict[dt.date, dict] = field(default_factory=dict)
    # Completed training hours per course level id (None: courses for any level).
    training: dict[int | None, Decimal] = field(default_factory=dict)
    theory: int | None = None  # exam scores, once taken for this level
    practical: int | None = None


@dataclass
class Path:
    held: Level | None
    target: Level | None
    requirement: Requirement | None
    states: list[dict]

    @property
    def eligible(self) -> bool:
        """May apply now: every requirement met except the exams, which come after applying."""
        return self.target is not None and all(s["met"] for s in self.states if s["code"] not in EXAM_CODES)

    @property
    def complete(self) -> bool:
        """Every requirement met, exams too: a certificate may be issued."""
        return self.target is not None and all(s["met"] for s in self.states)

    def as_data(self) -> dict:
        return {
            "held": self.held.grade if self.held else None,
            "target": self.target.grade if self.target else None,
            "eligible": self.eligible,
            "states": self.states,
        }


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (2026-01-31 to 2026-02-28 is 0, to 03-01 is 1)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _progress(have, need) -> int:
    if not need:
        return 100
    return max(0, min(100, int(Decimal(str(have)) * 100 / Decimal(str(need)))))


def evaluate(requirement: Requirement, facts: Facts, *, today: dt.date) -> list[dict]:
    """Each requirement of `requirement`'s level judged against `facts` on `today`, in the
    order a person reads them. Parts a requirement leaves at zero are not listed."""
    states: list[dict] = []
    prerequisite = requirement.prerequisite_level
    if prerequisite is not None:
        holds = facts.held_grade is not None and facts.held_grade <= prerequisite.grade
        held_months = months_between(facts.held_since, today) if holds and facts.held_since else 0
        states.append(
            {
                "code": "prerequisite",
                "level": prerequisite.name,
                "holds": holds,
                "have": held_months,
                "need": requirement.prerequisite_months,
                "met": holds and held_months >= requirement.prerequisite_months,
                "progress": _progress(held_months, requirement.prerequisite_months) if holds else 0,
            }
        )
    if requirement.work_months:
        worked = sum(1 for counts in facts.work.values() if counts.get("item") or counts.get("review"))
        states.append(
            {
                "code": "work_months",
                "have": worked,
                "need": requirement.work_months,
                "met": worked >= requirement.work_months,
                "progress": _progress(worked, requirement.work_months),
            }
        )
    if requirement.volume_min:
        unit = requirement.volume_unit
        done = sum(counts.get(unit, 0) for counts in facts.work.values())
        states.append(
            {
                "code": "volume",
                "unit": unit,
                "have": done,
                "need": requirement.volume_min,
                "quality": str(requirement.quality_min) if requirement.quality_min else None,
                "met": done >= requirement.volume_min,
                "progress": _progress(done, requirement.volume_min),
            }
        )
    if requirement.quality_min:
        first = _month_start(today, requirement.quality_months - 1)
        window: dict = defaultdict(float)
        for month, row in facts.quality.items():
            if month >= first:
                for key, value in row.items():
                    window[key] += value or 0
        good, n = outcome_totals(dict(window))
        n = int(n)
        score = round(good / n, 4) if n else None
        need = float(requirement.quality_min)
        states.append(
            {
                "code": "quality",
                "have": score,
                "need": str(requirement.quality_min),
                "months": requirement.quality_months,
                "observations": n,
                "min_observations": requirement.quality_min_observations,
                "met": score is not None and n >= requirement.quality_min_observations and score >= need,
                "progress": _progress(score or 0, need) if n >= requirement.quality_min_observations else 0,
            }
        )
    if requirement.training_hours:
        hours = Decimal(facts.training.get(None, 0)) + Decimal(facts.training.get(requirement.level_id, 0))
        hours = hours.quantize(Decimal("0.1"))
        states.append(
            {
                "code": "training",
                "have": str(hours),
                "need": str(requirement.training_hours),
                "met": hours >= requirement.training_hours,
                "progress": _progress(hours, requirement.training_hours),
            }
        )
    for code, score, pass_mark in (
        ("theory", facts.theory, requirement.theory_pass),
        ("practical", facts.practical, requirement.practical_pass),
    ):
        if pass_mark:
            states.append(
                {
                    "code": code,
                    "have": score,
                    "need": pass_mark,
                    "met": score is not None and score >= pass_mark,
                    "progress": _progress(score or 0, pass_mark),
                }
            )
    return states


# Certification's own words for the units (workforce's labels say what a piece rate pays for).
UNIT_NAMES = {
    WorkUnit.ITEM: pgettext_lazy("certification unit", "images"),
    WorkUnit.BOX: pgettext_lazy("certification unit", "boxes"),
    WorkUnit.POLYGON: pgettext_lazy("certification unit", "polygons"),
    WorkUnit.KEYPOINTS: pgettext_lazy("certification unit", "key-point sets"),
    WorkUnit.CLASS: pgettext_lazy("certification unit", "image classes"),
    WorkUnit.REVIEW: pgettext_lazy("certification unit", "reviews"),
}

UNIT_WORDS = {
    WorkUnit.ITEM: lambda n: ngettext("%(n)s more accepted image", "%(n)s more accepted images", n),
    WorkUnit.BOX: lambda n: ngettext("%(n)s more accepted box", "%(n)s more accepted boxes", n),
    WorkUnit.POLYGON: lambda n: ngettext("%(n)s more accepted polygon", "%(n)s more accepted polygons", n),
    WorkUnit.KEYPOINTS: lambda n: ngettext(
        "%(n)s more accepted key-point set", "%(n)s more accepted key-point sets", n
    ),
    WorkUnit.CLASS: lambda n: ngettext("%(n)s more accepted image class", "%(n)s more accepted image classes", n),
    WorkUnit.REVIEW: lambda n: ngettext("%(n)s more review", "%(n)s more reviews", n),
}


def _int(n) -> str:
    return number_format(n, force_grouping=True)


def state_title(state: dict) -> str:
    """What the requirement is, in the reader's language."""
    code = state["code"]
    if code == "prerequisite":
        return _("Hold level %(level)s for %(months)s months") % {"level": state["level"], "months": state["need"]}
    if code == "work_months":
        return _("%(n)s months of relevant work") % {"n": state["need"]}
    if code == "volume":
        unit = UNIT_NAMES.get(state["unit"], state["unit"])
        return _("%(n)s accepted %(unit)s") % {"n": _int(state["need"]), "unit": unit}
    if code == "quality":
        return _("Quality at least %(q)s over the last %(m)s months") % {"q": state["need"], "m": state["months"]}
    if code == "training":
        return _("%(n)s training hours") % {"n": state["need"]}
    if code == "theory":
        return _("Theory exam: %(n)s of 100 to pass") % {"n": state["need"]}
    return _("Practical exam: %(n)s of 100 to pass") % {"n": state["need"]}


def state_text(state: dict) -> str:
    """Where the person stands on it, with the gap in plain words."""
    code = state["code"]
    have: Any = state.get("have")
    need: Any = state.get("need")
    if state["met"]:
        return _("Met")
    if code == "prerequisite":
        if not state["holds"]:
            return _("First hold level %(level)s") % {"level": state["level"]}
        gap = need - have
        return ngettext("%(n)s more month at level %(level)s", "%(n)s more months at level %(level)s", gap) % {
            "n": gap,
            "level": state["level"],
        }
    if code == "work_months":
        gap = need - have
        return ngettext("%(n)s more month of work", "%(n)s more months of work", gap) % {"n": gap}
    if code == "volume":
        gap = need - have
        text = UNIT_WORDS[state["unit"]](gap) % {"n": _int(gap)}
        if state.get("quality"):
            text = _("%(work)s at quality ≥ %(q)s") % {"work": text, "q": state["quality"]}
        return text
    if code == "quality":
        if state["observations"] < state["min_observations"]:
            gap = state["min_observations"] - state["observations"]
            return ngettext(
                "%(n)s more piece of checked work in the last %(m)s months",
                "%(n)s more pieces of checked work in the last %(m)s months",
                gap,
            ) % {"n": gap, "m": state["months"]}
        return _("Quality %(have)s over the last %(m)s months: %(need)s needed") % {
            "have": f"{have:.2f}",
            "m": state["months"],
            "need": need,
        }
    if code == "training":
        gap = Decimal(need) - Decimal(have)
        shown = f"{gap.normalize():f}"
        return ngettext("%(n)s more training hour", "%(n)s more training hours", int(gap.to_integral_value())) % {
            "n": shown
        }
    if have is None:
        return _("Taken after you apply")
    return _("Scored %(have)s, %(need)s needed") % {"have": have, "need": need}


def version_in_force() -> StandardVersion:
    """The newest version of the standard (the seeded one at least)."""
    version = StandardVersion.objects.order_by("-number").first()
    if version is None:
        raise StandardVersion.DoesNotExist("no version of the standard")
    return version


def requirements_of(version: StandardVersion) -> dict[int, Requirement]:
    """The version's requirements by level grade (one query)."""
    return {
        r.level.grade: r
        for r in Requirement.objects.filter(version=version).select_related("level", "prerequisite_level")
    }


def facts_for(worker_ids: list[int] | None, *, centre_id: int | None = None) -> dict[int, Facts]:
    """The measured facts of these people (None: everyone, or everyone of `centre_id`), in
    six queries whatever their number."""
    facts: dict[int, Facts] = defaultdict(Facts)
    held = Certificate.objects.filter(status=Certificate.Status.VALID).select_related("level")
    completions = Completion.objects.all()
    if worker_ids is not None:
        held = held.filter(holder_id__in=worker_ids)
        completions = completions.filter(worker_id__in=worker_ids)
    if centre_id is not None:
        held = held.filter(holder__centre_id=centre_id)
        completions = completions.filter(worker__centre_id=centre_id)
    for holder_id, grade, issued_on in held.values_list("holder_id", "level__grade", "issued_on"):
        person = facts[holder_id]
        if person.held_grade is None or grade < person.held_grade:
            person.held_grade, person.held_since = grade, issued_on
        elif grade == person.held_grade and person.held_since and issued_on < person.held_since:
            person.held_since = issued_on
    for row in completions.values("worker_id", "course__level_id").annotate(hours=Sum("hours")).order_by():
        facts[row["worker_id"]].training[row["course__level_id"]] = row["hours"]
    scope: dict[str, Any] = {"annotator_ids": worker_ids, "centre_id": centre_id}
    for person_id, months in history.accepted_work_by_month(since=HISTORY_START, **scope).items():
        facts[person_id].work = months
    for person_id, reviewed in history.reviews_done_by_month(since=HISTORY_START, **scope).items():
        for month, n in reviewed.items():
            facts[person_id].work.setdefault(month, {})["review"] = n
    quality_since = timezone.now() - dt.timedelta(days=31 * 24)  # the longest window a level may ask for
    for person_id, months in history.quality_outcomes_by_month(since=quality_since, **scope).items():
        facts[person_id].quality = months
    return facts


def path_of(facts: Facts, requirements: dict[int, Requirement], levels: dict[int, Level], *, today) -> Path:
    """One person's path: what they hold, the next level and each requirement's state."""
    held = levels.get(facts.held_grade) if facts.held_grade else None
    target_grade = 5 if facts.held_grade is None else facts.held_grade - 1
    target = levels.get(target_grade)
    requirement = requirements.get(target_grade)
    if target is None or requirement is None:
        return Path(held=held, target=None, requirement=None, states=[])
    return Path(held=held, target=target, requirement=requirement, states=evaluate(requirement, facts, today=today))


def paths_for(worker_ids: list[int], *, centre_id: int | None = None, network: bool = False) -> dict[int, Path]:
    """The listed people's paths under the version in force. Their facts are read for the
    listed ids, or (cheaper for many people) for all of `centre_id`, or for the whole
    `network`. Nine queries, whatever the number of people."""
    version = version_in_force()
    requirements = requirements_of(version)
    levels = {level.grade: level for level in Level.objects.all()}
    if network:
        facts = facts_for(None)
    elif centre_id is not None:
        facts = facts_for(None, centre_id=centre_id)
    else:
        facts = facts_for(list(worker_ids))
    today = timezone.localdate()
    return {pk: path_of(facts.get(pk) or Facts(), requirements, levels, today=today) for pk in worker_ids}
