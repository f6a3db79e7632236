"""Exams: the theory question bank (imported from a spreadsheet), papers assembled from a
level's blueprint, timed attempts whose limit is kept on the server, grading; and the
practical exam, a level's set of gold items drawn in the workbench and scored by the
quality engine (docs/decisions/0012-certification.md gives the 0-100 rule).

An attempt's deadline is fixed when it starts (the time allowed, cut at the window's
close). Every answer is saved as it is given, so a dropped link loses nothing; an answer
that arrives after the deadline is refused, and the attempt is graded as it stood. An
attempt past its deadline is finished by whoever reads it next (the candidate, HR).
"""

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.errors import Conflict, DomainError, NotFound, PermissionDenied
from annotation import practice
from certification import policies
from certification.models import (
    Application,
    ApplicationEvent,
    Attempt,
    Blueprint,
    ExamSitting,
    Level,
    PracticalAnswer,
    PracticalSet,
    Question,
)
from workforce.models import User

_random = random.SystemRandom()
KIND_WORDS = {
    "single": Question.Kind.SINGLE, "单选": Question.Kind.SINGLE, "单选题": Question.Kind.SINGLE,
    "multiple": Question.Kind.MULTIPLE, "多选": Question.Kind.MULTIPLE, "多选题": Question.Kind.MULTIPLE,
    "true_false": Question.Kind.TRUE_FALSE, "判断": Question.Kind.TRUE_FALSE, "判断题": Question.Kind.TRUE_FALSE,
}  # fmt: skip
TRUE_FALSE_OPTIONS = ["正确", "错误"]
LETTERS = "ABCDEFGH"
MAX_IMPORT_ROWS = 5000


def _require_manager(actor: User) -> None:
    if not policies.can_manage_certification(actor):
        raise PermissionDenied(_("Only HR manages exams."))


def _level(value) -> Level | None:
    text = str(value or "").strip()
    levels = {str(level.grade): level for level in Level.objects.all()}
    levels.update({level.name: level for level in levels.values()})
    return levels.get(text.removesuffix(".0"))


# --- The question bank ----------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row": n, "reason": "..."}


def _rows(upload) -> list[list[str]]:
    name = (getattr(upload, "name", "") or "").lower()
    data = upload.read()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise DomainError(_("This is not a readable Excel workbook."), field="file") from exc
        rows = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise DomainError(_("Send an .xlsx or .csv file."), field="file")
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise DomainError(_("At most %(n)s questions at a time.") % {"n": MAX_IMPORT_ROWS}, field="file")
    return rows


def _question_from_row(row: list[str]) -> Question:
    """Columns: level, topic, kind, question, answer, then the options (A, B, C, ...)."""
    cells = [cell.strip() for cell in row] + [""] * 5
    level, topic, kind_word, text, answer_text = cells[:5]
    options = [cell for cell in cells[5:] if cell]
    found = _level(level)
    if found is None:
        raise ValueError(_("unknown level %(level)r") % {"level": level})
    kind = KIND_WORDS.get(kind_word.lower())
    if kind is None:
        raise ValueError(_("unknown kind %(kind)r (single, multiple or true_false)") % {"kind": kind_word})
    if not topic or not text:
        raise ValueError(_("a question needs a topic and its text"))
    answer_text = answer_text.upper().replace(",", "").replace(" ", "").replace("，", "")
    if kind == Question.Kind.TRUE_FALSE:
        options = TRUE_FALSE_OPTIONS
        truth = {"对": 0, "正确": 0, "TRUE": 0, "T": 0, "√": 0, "A": 0, "错": 1, "错误": 1, "FALSE": 1, "F": 1, "×": 1,
                 "B": 1}  # fmt: skip
        if answer_text not in truth:
            raise ValueError(_("a true/false answer is 对 or 错"))
        answer = [truth[answer_text]]
    else:
        if len(options) < 2:
            raise ValueError(_("a choice question needs at least two options"))
        if len(options) > len(LETTERS):
            raise ValueError(_("at most %(n)s options") % {"n": len(LETTERS)})
        if not answer_text or any(letter not in LETTERS[: len(options)] for letter in answer_text):
            raise ValueError(_("the answer names options by letter (A, B, ...)"))
        answer = sorted({LETTERS.index(letter) for letter in answer_text})
        if kind == Question.Kind.SINGLE and len(answer) != 1:
            raise ValueError(_("a single-choice question has one right option"))
        if kind == Question.Kind.MULTIPLE and len(answer) < 2:
            raise ValueError(_("a multiple-choice question has at least two right options"))
    return Question(level=found, topic=topic[:100], kind=kind, text=text, options=options, answer=answer)


def question_import(*, actor: User, upload) -> ImportResult:
    """Add the questions of a spreadsheet (first row: headings). Each row is judged alone:
    a bad row is listed with its reason, the good ones are added."""
    _require_manager(actor)
    rows = _rows(upload)
    result = ImportResult()
    good = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            good.append(_question_from_row(row))
        except ValueError as exc:
            result.errors.append({"row": number, "reason": str(exc)})
    with transaction.atomic():
        Question.objects.bulk_create(good)
    result.created = len(good)
    return result


@transaction.atomic
def blueprint_set(*, actor: User, grade: int, topics: dict[str, int], duration_minutes: int) -> Blueprint:
    """A level's paper: `topics` {topic: how many questions}; each topic must have that
    many questions in the bank."""
    _require_manager(actor)
    level = _level(grade)
    if level is None:
        raise DomainError(_("Unknown level."), field="level")
    if not topics or any(int(n) < 1 for n in topics.values()):
        raise DomainError(_("Name at least one topic, each with one question or more."), field="topics")
    if not 1 <= int(duration_minutes) <= 600:
        raise DomainError(_("Between 1 and 600 minutes."), field="duration_minutes")
    for topic, n in topics.items():
        have = Question.objects.filter(level=level, topic=topic, is_active=True).count()
        if have < int(n):
            raise DomainError(
                _("The bank has %(have)s questions of %(topic)s at this level, %(n)s asked.")
                % {"have": have, "topic": topic, "n": n},
                field="topics",
            )
    blueprint, _created = Blueprint.objects.update_or_create(
        level=level, defaults={"topics": {t: int(n) for t, n in topics.items()}, "duration_minutes": duration_minutes}
    )
    return blueprint


@transaction.atomic
def practical_set_save(
    *, actor: User, grade: int, name: str, item_ids: list[int], duration_minutes: int = 60
) -> PracticalSet:
    """A level's practical exam: gold items (in use) drawn in the workbench."""
    _require_manager(actor)
    level = _level(grade)
    if level is None:
        raise DomainError(_("Unknown level."), field="level")
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        raise DomainError(_("Choose at least one gold item."), field="items")
    found = practice.gold_items(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(_("Not gold items in use: %(ids)s") % {"ids": ", ".join(map(str, missing))}, field="items")
    practical, _created = PracticalSet.objects.update_or_create(
        level=level,
        defaults={"name": name.strip()[:200] or level.name, "items": ids, "duration_minutes": duration_minutes},
    )
    return practical


# --- Attempts -------------------------------------------------------------------------------


def _event(application: Application, kind: str, actor: User | None, note: str = "") -> None:
    ApplicationEvent.objects.create(application=application, kind=kind, actor=actor, note=note[:500])


def _paper_for(level: Level) -> tuple[list[dict], int]:
    blueprint = Blueprint.objects.filter(level=level).first()
    if blueprint is None:
        raise Conflict(_("This level's theory paper has not been set up."))
    paper = []
    for topic, n in blueprint.topics.items():
        ids = list(Question.objects.filter(level=level, topic=topic, is_active=True).values_list("pk", "options"))
        if len(ids) < n:
            raise Conflict(_("The question bank has too few questions of %(topic)s.") % {"topic": topic})
        for pk, options in _random.sample(ids, n):
            order = list(range(len(options)))
            _random.shuffle(order)
            paper.append({"q": pk, "order": order})
    _random.shuffle(paper)
    return paper, blueprint.duration_minutes


def _practical_paper(level: Level, candidate: User) -> tuple[list[dict], int]:
    """The level's practical items, shuffled, less those whose answer is the candidate's
    own (they drew it or labelled the item): nobody is scored against their own work."""
    practical = PracticalSet.objects.filter(level=level).first()
    if practical is None or not practical.items:
        raise Conflict(_("This level's practical exam has not been set up."))
    own = practice.gold_items_judged_by(candidate, practical.items)
    items = [item_id for item_id in practical.items if item_id not in own]
    if not items:
        raise Conflict(
            _("Every image of this practical exam has an answer you drew or labelled: ask HR for another set.")
        )
    _random.shuffle(items)
    return [{"item": item_id} for item_id in items], practical.duration_minutes


def _own_sitting(actor: User, sitting_id) -> ExamSitting:
    sitting = (
        ExamSitting.objects.select_for_update()
        .select_related("application__level")
        .filter(pk=sitting_id, application__worker=actor)
        .first()
        if str(sitting_id).isdigit()
        else None
    )
    if sitting is None:
        raise NotFound(_("No such exam."))
    return sitting


def attempt_start(*, actor: User, sitting_id) -> Attempt:
    """Start (or come back to) the actor's exam. Only inside its window, only while the
    application is open, and one open attempt at a time across all exams. The deadline is
    set now: the time allowed, cut at the window's close."""
    # Attempts past their deadline are graded first, each in its own transaction, so a
    # refusal below does not undo their grading.
    for due in Attempt.objects.filter(candidate=actor, finished_at__isnull=True):
        attempt_finish_if_due(due)
    return _attempt_start(actor, sitting_id)


@transaction.atomic
def _attempt_start(actor: User, sitting_id) -> Attempt:
    sitting = _own_sitting(actor, sitting_id)
    existing = Attempt.objects.filter(sitting=sitting).first()
    if existing is not None:
        if existing.finished_at is not None:
            raise Conflict(_("You have taken this exam."))
        return existing
    now = timezone.now()
    if sitting.application.status not in Application.OPEN:
        raise Conflict(_("This application is closed."))
    if now < sitting.opens_at:
        raise Conflict(
            _("This exam opens at %(time)s.") % {"time": f"{timezone.localtime(sitting.opens_at):%Y-%m-%d %H:%M}"}
        )
    if now >= sitting.closes_at:
        raise Conflict(_("This exam's window has closed."))
    level = sitting.application.level
    if sitting.kind == ExamSitting.Kind.THEORY:
        paper, minutes = _paper_for(level)
    else:
        paper, minutes = _practical_paper(level, actor)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                sitting=sitting,
                candidate=actor,
                started_at=now,
                deadline=min(now + dt.timedelta(minutes=minutes), sitting.closes_at),
                paper=paper,
            )
    except IntegrityError:
        raise Conflict(_("Finish your other exam first.")) from None
    _event(sitting.application, ApplicationEvent.Kind.EXAM_STARTED, actor, sitting.get_kind_display())
    return attempt


def _own_open_attempt(actor: User, attempt_id, kind: str) -> Attempt:
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("sitting__application")
        .filter(pk=attempt_id, candidate=actor, sitting__kind=kind)
        .first()
        if str(attempt_id).isdigit()
        else None
    )
    if attempt is None:
        raise NotFound(_("No such exam."))
    if attempt.finished_at is not None:
        raise Conflict(_("This exam is finished."))
    return attempt


class TooLate(Conflict):
    """An answer that came after the deadline: refused (the attempt is graded as it stood)."""


def _refuse_if_late(attempt: Attempt) -> None:
    if timezone.now() < attempt.deadline:
        return
    raise TooLate(_("Time is up: this answer came after the end of the exam, and was not saved."))


def _in_time(attempt_id, call):
    """Run `call` (which locks and checks the attempt) in a transaction; when it was too
    late, the attempt is graded as it stood at its deadline (in a transaction of its own:
    the refused answer's is rolled back) and the refusal goes on to the caller."""
    try:
        with transaction.atomic():
            return call()
    except TooLate:
        attempt_finish_if_due(Attempt.objects.get(pk=attempt_id))
        raise


def attempt_answer(*, actor: User, attempt_id, question_id, choices: list[int]) -> Attempt:
    """Save one answer of a theory attempt as it is given (again: replaces it). `choices`
    are indexes of the options as shown to this candidate. Refused after the deadline
    (TooLate, a 409), when the attempt is graded as it stood."""
    return _in_time(attempt_id, lambda: _answer(actor, attempt_id, question_id, choices))


def _answer(actor: User, attempt_id, question_id, choices) -> Attempt:
    attempt = _own_open_attempt(actor, attempt_id, ExamSitting.Kind.THEORY)
    _refuse_if_late(attempt)
    entry = next((e for e in attempt.paper if str(e["q"]) == str(question_id)), None)
    if entry is None:
        raise DomainError(_("This question is not on your paper."), field="question")
    if not isinstance(choices, list) or any(
        not isinstance(c, int) or not 0 <= c < len(entry["order"]) for c in choices
    ):
        raise DomainError(_("Choose among the question's options."), field="choices")
    attempt.answers[str(entry["q"])] = sorted(set(choices))
    attempt.save(update_fields=["answers"])
    return attempt


def _grade_theory(attempt: Attempt) -> tuple[int, dict]:
    """One point per question answered exactly right (a multiple-choice question needs
    every right option and no wrong one); the score is the share of 100, half up."""
    ids = [entry["q"] for entry in attempt.paper]
    answers = dict(Question.objects.filter(pk__in=ids).values_list("pk", "answer"))
    right = 0
    for entry in attempt.paper:
        shown = attempt.answers.get(str(entry["q"]), [])
        chosen = sorted(entry["order"][i] for i in shown)
        right += chosen == sorted(answers.get(entry["q"], [None]))
    return _percent(Decimal(right), len(ids)), {"right": right, "questions": len(ids)}


def _percent(points: Decimal, total: int) -> int:
    if not total:
        return 0
    return int((points * 100 / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _grade_practical(attempt: Attempt) -> tuple[int, dict]:
    """The mean of the items' scores (0 for an item not done), as a share of 100, half up."""
    scores = dict(attempt.practical_answers.values_list("item_id", "score"))
    total = sum((Decimal(str(scores.get(entry["item"], 0.0))) for entry in attempt.paper), Decimal(0))
    return _percent(total, len(attempt.paper)), {"done": len(scores), "items": len(attempt.paper)}


def _finish(attempt: Attempt, *, now: dt.datetime) -> Attempt:
    if attempt.sitting.kind == ExamSitting.Kind.THEORY:
        attempt.score, attempt.details = _grade_theory(attempt)
    else:
        attempt.score, attempt.details = _grade_practical(attempt)
    attempt.finished_at = now
    attempt.save(update_fields=["score", "details", "finished_at"])
    _event(attempt.sitting.application, ApplicationEvent.Kind.EXAM_FINISHED, None,
           f"{attempt.sitting.get_kind_display()} {attempt.score}")  # fmt: skip
    return attempt


@transaction.atomic
def attempt_finish(*, actor: User, attempt_id) -> Attempt:
    """The candidate hands in: graded now (past the deadline: as it stood then)."""
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("sitting__application")
        .filter(pk=attempt_id, candidate=actor)
        .first()
        if str(attempt_id).isdigit()
        else None
    )
    if attempt is None:
        raise NotFound(_("No such exam."))
    if attempt.finished_at is not None:
        return attempt
    now = timezone.now()
    return _finish(attempt, now=min(now, attempt.deadline))


@transaction.atomic
def attempt_finish_if_due(attempt: Attempt) -> Attempt:
    """Grade an attempt whose deadline has passed (whoever reads it next calls this)."""
    if attempt.finished_at is not None or timezone.now() < attempt.deadline:
        return attempt
    locked = Attempt.objects.select_for_update().select_related("sitting__application").get(pk=attempt.pk)
    if locked.finished_at is None:
        _finish(locked, now=locked.deadline)
    attempt.refresh_from_db()
    return attempt


# --- The practical exam in the workbench ----------------------------------------------------


def _practical_call(actor: User, attempt_id, then):
    def call():
        attempt = _own_open_attempt(actor, attempt_id, ExamSitting.Kind.PRACTICAL)
        _refuse_if_late(attempt)
        return then(attempt)

    return _in_time(attempt_id, call)


def practical_next(*, actor: User, attempt_id) -> tuple[Attempt, int | None]:
    """The next gold item of the actor's practical attempt not done yet (None: all done).
    TooLate past the deadline."""
    attempt = _practical_call(actor, attempt_id, lambda attempt: attempt)
    done = set(attempt.practical_answers.values_list("item_id", flat=True))
    pending = [entry["item"] for entry in attempt.paper if entry["item"] not in done]
    return attempt, pending[0] if pending else None


def practical_submit(*, actor: User, attempt_id, item_id, answer: dict) -> tuple[PracticalAnswer, bool]:
    """Store and score the actor's drawing of one gold item of their practical attempt:
    judged as a workbench submission (SchemaError with field errors), scored against the
    gold answer by the quality engine. Sending it again returns the stored one. Refused
    after the deadline (TooLate). Nothing of it is work: no pay, no quality observation."""
    return _practical_call(actor, attempt_id, lambda attempt: _practical_store(attempt, item_id, answer))


def _practical_store(attempt: Attempt, item_id, answer: dict) -> tuple[PracticalAnswer, bool]:
    if not str(item_id).isdigit() or int(item_id) not in {entry["item"] for entry in attempt.paper}:
        raise NotFound(_("This image is not part of your exam."))
    stored = PracticalAnswer.objects.filter(attempt=attempt, item_id=int(item_id)).first()
    if stored is not None:
        return stored, False
    item = practice.gold_items([int(item_id)]).get(int(item_id))
    if item is None:
        raise Conflict(_("This image is no longer part of the exam."))
    cleaned, score, details = practice.drawing_judge(item, answer)
    return PracticalAnswer.objects.create(attempt=attempt, item_id=item.pk, shapes=cleaned["shapes"],
                                          image_class=cleaned["class"], score=score, details=details), True  # fmt: skip


def practical_skip(*, actor: User, attempt_id, item_id) -> PracticalAnswer:
    """Leave an item undone: it scores 0 and the next one comes. TooLate past the deadline."""
    return _practical_call(actor, attempt_id, lambda attempt: _practical_skip(attempt, item_id))


def _practical_skip(attempt: Attempt, item_id) -> PracticalAnswer:
    if not str(item_id).isdigit() or int(item_id) not in {entry["item"] for entry in attempt.paper}:
        raise NotFound(_("This image is not part of your exam."))
    answer, _created = PracticalAnswer.objects.get_or_create(
        attempt=attempt, item_id=int(item_id), defaults={"score": 0.0, "details": {"skipped": True}}
    )
    return answer
