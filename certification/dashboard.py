"""HR's certification dashboard: holders per level and centre, pass rates per exam,
upcoming exams and who may apply now, with small server-drawn SVG bar charts (no script,
no outside host). A fixed number of queries for a centre or the network."""

from collections import defaultdict

from django.utils import timezone

from certification import selectors
from certification.models import Attempt, ExamSitting, Level, Requirement

BAR_WIDTH = 260


def bars(rows: list[dict], *, value: str, label: str, maximum: float | None = None) -> dict:
    """Rows as horizontal bars: each gets `y`, `width` (pixels) and `text`."""
    top = maximum if maximum is not None else max((row[value] for row in rows), default=0)
    drawn = []
    for i, row in enumerate(rows):
        width = round(BAR_WIDTH * row[value] / top) if top else 0
        text = f"{row[value]}%" if maximum == 100 else str(row[value])
        drawn.append({**row, "y": i * 26, "width": max(width, 1 if row[value] else 0), "label": row[label],
                      "value_text": text})  # fmt: skip
    return {"rows": drawn, "height": max(26 * len(rows), 26), "bar_x": 130, "width": 130 + BAR_WIDTH + 50}


def pass_rates(actor) -> list[dict]:
    """Per exam (kind and level): finished attempts and how many passed by the pass mark of
    the version their application was made under. Two queries."""
    attempts = Attempt.objects.filter(finished_at__isnull=False)
    if not actor.is_network_admin:
        attempts = attempts.filter(sitting__application__centre_id=actor.centre_id)
    rows = attempts.values_list("sitting__kind", "sitting__application__level_id",
                                "sitting__application__version_id", "score")  # fmt: skip
    marks = {
        (r["version_id"], r["level_id"]): r
        for r in Requirement.objects.values("version_id", "level_id", "theory_pass", "practical_pass")
    }
    levels = {level.pk: level for level in Level.objects.all()}
    counts: dict = defaultdict(lambda: {"taken": 0, "passed": 0})
    for kind, level_id, version_id, score in rows:
        mark = marks.get((version_id, level_id), {}).get(f"{kind}_pass", 60)
        entry = counts[(kind, level_id)]
        entry["taken"] += 1
        entry["passed"] += score is not None and score >= mark
    result = []
    for (kind, level_id), entry in sorted(counts.items(), key=lambda kv: (-levels[kv[0][1]].grade, kv[0][0])):
        result.append({"exam": f"{levels[level_id].name} · {ExamSitting.Kind(kind).label}",
                       "rate": round(100 * entry["passed"] / entry["taken"]), **entry})  # fmt: skip
    return result


def upcoming(actor, *, limit: int = 20) -> list[ExamSitting]:
    """Exams scheduled and not yet taken whose window has not closed, soonest first."""
    qs = ExamSitting.objects.filter(closes_at__gt=timezone.now(), attempt__isnull=True)
    if not actor.is_network_admin:
        qs = qs.filter(application__centre_id=actor.centre_id)
    return list(qs.select_related("application__worker", "application__level").order_by("opens_at")[:limit])


def dashboard_for(actor) -> dict:
    holders = selectors.holders_per_level(actor)
    by_level: dict = defaultdict(int)
    for row in holders:
        by_level[(row["level__grade"], row["level__name"])] += row["valid"]
    level_rows = [{"name": name, "n": by_level.get((grade, name), 0)}
                  for grade, name in Level.objects.values_list("grade", "name")]  # fmt: skip
    eligible: dict = defaultdict(lambda: {"people": 0, "eligible": 0})
    for person, path in selectors.people_paths(actor):
        entry = eligible[person.centre.name if person.centre else "—"]
        entry["people"] += 1
        entry["eligible"] += path.eligible
    eligible_rows = [{"centre": centre, **counts} for centre, counts in sorted(eligible.items())]
    rates = pass_rates(actor)
    return {
        "holders": holders,
        "level_chart": bars(level_rows, value="n", label="name"),
        "rates": rates,
        "rate_chart": bars(rates, value="rate", label="exam", maximum=100),
        "upcoming": upcoming(actor),
        "eligible": eligible_rows,
        "eligible_chart": bars(eligible_rows, value="eligible", label="centre"),
        "eligible_total": sum(row["eligible"] for row in eligible_rows),
    }
