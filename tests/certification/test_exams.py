"""Theory exams (bank import, blueprint papers shuffled per candidate, a time limit kept on
the server, grading) and the practical exam on gold items scored by the quality engine."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from aidou.errors import Conflict, DomainError
from annotation.models import GoldAnswer, GoldResult
from certification import exams, services
from certification.models import Attempt, Level, Question
from tests.annotation.factories import ItemFactory, ProjectFactory
from tests.certification.factories import box

pytestmark = pytest.mark.django_db

CSV = """级别,知识点,题型,题目,答案,A,B,C,D
五级,数据标注,单选,矩形框标注应当?,B,宽松,紧贴目标边缘,随意,留白
五级,数据标注,多选,哪些属于标注工具?,AC,矩形框,锤子,多边形,扳手
五级,职业道德,判断,可以把客户数据带回家。,错
五级,职业道德,判断,发现数据质量问题应及时上报。,对
六级,数据标注,单选,没有这个级别,A,是,否
五级,数据标注,单选,只有一个选项,A,是
五级,数据标注,单选,答案写错,E,是,否
"""


def _upload(text=CSV, name="bank.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def bank(hr):
    result = exams.question_import(actor=hr, upload=_upload())
    assert result.created == 4
    exams.blueprint_set(actor=hr, grade=5, topics={"数据标注": 2, "职业道德": 2}, duration_minutes=30)
    return result


@pytest.fixture
def application(ready_candidate):
    return services.application_submit(actor=ready_candidate)


def _sitting(application, hr, kind="theory", opens=-1, closes=2):
    now = timezone.now()
    return services.exam_schedule(actor=hr, application_id=application.pk, kind=kind,
                                  opens_at=now + dt.timedelta(hours=opens), closes_at=now + dt.timedelta(hours=closes))  # fmt: skip


def _right_choices(attempt, question_id):
    """The indexes, as this candidate sees them, of the right options."""
    entry = next(e for e in attempt.paper if e["q"] == question_id)
    answer = Question.objects.get(pk=question_id).answer
    return [shown for shown, original in enumerate(entry["order"]) if original in answer]


def test_import_takes_good_rows_and_names_each_bad_one(bank):
    assert [e["row"] for e in bank.errors] == [6, 7, 8]
    assert "unknown level" in bank.errors[0]["reason"]
    multiple = Question.objects.get(kind="multiple")
    assert multiple.options == ["矩形框", "锤子", "多边形", "扳手"] and multiple.answer == [0, 2]
    assert Question.objects.get(text__startswith="可以").answer == [1]


def test_import_reads_an_excel_workbook_and_refuses_other_files(hr):
    from openpyxl import Workbook

    book = Workbook()
    for row in [
        ["级别", "知识点", "题型", "题目", "答案", "A", "B"],
        [5, "安全", "单选", "哪个对?", "A", "这个", "那个"],
    ]:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("bank.xlsx", data.getvalue())
    assert exams.question_import(actor=hr, upload=upload).created == 1
    with pytest.raises(DomainError) as error:
        exams.question_import(actor=hr, upload=SimpleUploadedFile("bank.txt", b"x"))
    assert error.value.field == "file"
    with pytest.raises(DomainError):
        exams.question_import(actor=hr, upload=SimpleUploadedFile("bank.xlsx", b"not a workbook"))


def test_a_blueprint_needs_enough_questions(bank, hr):
    with pytest.raises(DomainError) as error:
        exams.blueprint_set(actor=hr, grade=5, topics={"数据标注": 5}, duration_minutes=30)
    assert error.value.field == "topics"


def test_a_paper_follows_the_blueprint_and_grading_counts_exact_answers(bank, application, hr):
    sitting = _sitting(application, hr)
    attempt = exams.attempt_start(actor=application.worker, sitting_id=sitting.pk)
    assert len(attempt.paper) == 4 and attempt.deadline <= timezone.now() + dt.timedelta(minutes=30)
    ids = [entry["q"] for entry in attempt.paper]
    right, wrong = ids[:3], ids[3]
    for question_id in right:
        exams.attempt_answer(actor=application.worker, attempt_id=attempt.pk, question_id=question_id,
                             choices=_right_choices(attempt, question_id))  # fmt: skip
    # The last one: a wrong answer first, then changed (saved as given, the last one counts)...
    correct = _right_choices(attempt, wrong)
    other = [i for i in range(len(next(e for e in attempt.paper if e["q"] == wrong)["order"])) if i not in correct]
    exams.attempt_answer(actor=application.worker, attempt_id=attempt.pk, question_id=wrong, choices=other[:1])
    assert Attempt.objects.get(pk=attempt.pk).answers[str(wrong)] == other[:1]  # saved at once
    finished = exams.attempt_finish(actor=application.worker, attempt_id=attempt.pk)
    assert finished.score == 75 and finished.details == {"right": 3, "questions": 4}
    assert services.exam_scores(application)["theory"] == 75
    with pytest.raises(Conflict):
        exams.attempt_start(actor=application.worker, sitting_id=sitting.pk)  # taken


def test_a_multiple_choice_question_needs_every_right_option_and_no_other(bank, application, hr):
    sitting = _sitting(application, hr)
    attempt = exams.attempt_start(actor=application.worker, sitting_id=sitting.pk)
    multiple = Question.objects.get(kind="multiple").pk
    exams.attempt_answer(actor=application.worker, attempt_id=attempt.pk, question_id=multiple,
                         choices=_right_choices(attempt, multiple)[:1])  # fmt: skip
    assert exams.attempt_finish(actor=application.worker, attempt_id=attempt.pk).details["right"] == 0


def test_options_are_shuffled_per_candidate(bank, hr, monkeypatch):
    orders = set()
    for _ in range(20):
        paper, _minutes = exams._paper_for(Level.objects.get(grade=5))
        orders.add(tuple((entry["q"], tuple(entry["order"])) for entry in paper))
    assert len(orders) > 1


def test_the_time_limit_is_kept_on_the_server_a_late_answer_is_refused(bank, application, hr):
    sitting = _sitting(application, hr)
    attempt = exams.attempt_start(actor=application.worker, sitting_id=sitting.pk)
    first = attempt.paper[0]["q"]
    exams.attempt_answer(actor=application.worker, attempt_id=attempt.pk, question_id=first,
                         choices=_right_choices(attempt, first))  # fmt: skip
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    second = attempt.paper[1]["q"]
    with pytest.raises(exams.TooLate):
        exams.attempt_answer(actor=application.worker, attempt_id=attempt.pk, question_id=second,
                             choices=_right_choices(attempt, second))  # fmt: skip
    stored = Attempt.objects.get(pk=attempt.pk)
    assert str(second) not in stored.answers  # refused, not saved
    assert stored.finished_at is not None and stored.score == 25  # graded as it stood at the deadline
    assert application.events.filter(kind="exam_finished").count() == 1


def test_the_window_and_one_open_attempt_at_a_time(bank, application, hr):
    later = _sitting(application, hr, opens=1, closes=3)
    with pytest.raises(Conflict):
        exams.attempt_start(actor=application.worker, sitting_id=later.pk)  # not open yet
    theory = _sitting(application, hr)
    exams.attempt_start(actor=application.worker, sitting_id=theory.pk)
    practical = _sitting(application, hr, kind="practical")
    with pytest.raises(Conflict):
        exams.attempt_start(actor=application.worker, sitting_id=practical.pk)


def test_someone_elses_attempt_is_not_found(bank, application, hr, other_hr):
    from aidou.errors import NotFound
    from tests import factories

    attempt = exams.attempt_start(actor=application.worker, sitting_id=_sitting(application, hr).pk)
    stranger = factories.worker(actor=hr, centre=application.worker.centre)
    with pytest.raises(NotFound):
        exams.attempt_answer(actor=stranger, attempt_id=attempt.pk, question_id=attempt.paper[0]["q"], choices=[0])
    with pytest.raises(NotFound):
        exams.attempt_start(actor=stranger, sitting_id=attempt.sitting_id)


# --- The practical exam ---------------------------------------------------------------------


@pytest.fixture
def gold_set(hr, supervisor):
    project = ProjectFactory(iou_threshold=0.5)
    items = [ItemFactory(project=project, width=640, height=480) for _ in range(3)]
    truths = [
        {"shapes": [box("car", 10, 10, 100, 100), box("person", 300, 200, 50, 100)], "class": "day"},
        {"shapes": [box("car", 50, 50, 200, 100)], "class": "night"},
        {"shapes": [{"type": "polygon", "label": "person", "points": [[0, 0], [100, 0], [100, 100], [0, 100]]}],
         "class": None},
    ]  # fmt: skip
    for item, truth in zip(items, truths, strict=True):
        GoldAnswer.objects.create(item=item, shapes=truth["shapes"], image_class=truth["class"], source="drawn",
                                  created_by=supervisor)  # fmt: skip
    return exams.practical_set_save(actor=hr, grade=5, name="五级实操", item_ids=[i.pk for i in items]), items


def test_a_practical_set_takes_only_gold_items(hr, gold_set):
    _set, items = gold_set
    plain = ItemFactory(project=items[0].project)
    with pytest.raises(DomainError) as error:
        exams.practical_set_save(actor=hr, grade=5, name="x", item_ids=[items[0].pk, plain.pk])
    assert str(plain.pk) in error.value.message


def test_the_practical_exam_is_scored_by_the_quality_engine(application, hr, gold_set):
    _set, items = gold_set
    sitting = _sitting(application, hr, kind="practical")
    candidate = application.worker
    attempt = exams.attempt_start(actor=candidate, sitting_id=sitting.pk)
    answers = {
        # Both boxes right (IoU 1) and the class right: 1.0.
        items[0].pk: {"shapes": [box("car", 10, 10, 100, 100), box("person", 300, 200, 50, 100)], "class": "day"},
        # The box shifted by 25 px: IoU 175/225 = 0.78, still a match at 0.5, the class wrong: (1 + 0) / 2 = 0.5.
        items[1].pk: {"shapes": [box("car", 75, 50, 200, 100)], "class": "day"},
    }
    seen = []
    while True:
        _attempt, item_id = exams.practical_next(actor=candidate, attempt_id=attempt.pk)
        if item_id is None:
            break
        seen.append(item_id)
        if item_id in answers:
            stored, created = exams.practical_submit(actor=candidate, attempt_id=attempt.pk, item_id=item_id,
                                                     answer=answers[item_id])  # fmt: skip
            assert created
        else:
            exams.practical_skip(actor=candidate, attempt_id=attempt.pk, item_id=item_id)  # the polygon: 0
    assert sorted(seen) == sorted(i.pk for i in items)
    scores = dict(attempt.practical_answers.values_list("item_id", "score"))
    assert scores[items[0].pk] == 1.0 and scores[items[1].pk] == pytest.approx(0.5)
    detail = attempt.practical_answers.get(item_id=items[1].pk).details
    assert detail["matched"] == 1 and detail["class_correct"] is False and detail["mean_iou"] == pytest.approx(0.7778)
    finished = exams.attempt_finish(actor=candidate, attempt_id=attempt.pk)
    assert finished.score == 50  # 100 x (1.0 + 0.5 + 0) / 3, half up
    assert not GoldResult.objects.exists()  # an exam is not work: no quality observation


def test_a_practical_drawing_is_judged_as_a_submission(application, hr, gold_set):
    from annotation.schema import SchemaError

    _set, items = gold_set
    attempt = exams.attempt_start(actor=application.worker, sitting_id=_sitting(application, hr, kind="practical").pk)
    with pytest.raises(SchemaError) as error:
        exams.practical_submit(actor=application.worker, attempt_id=attempt.pk, item_id=items[0].pk,
                               answer={"shapes": [box("tree", 1, 1, 5, 5)], "class": None})  # fmt: skip
    assert any(field.startswith("shapes") for field in error.value.errors)
    assert not attempt.practical_answers.exists()


def test_a_candidate_is_never_examined_on_an_answer_of_their_own(application, hr, gold_set, supervisor):
    """Issue 18's rule for gold, in the exam: items whose gold answer the candidate drew,
    or which they labelled (the consensus may be theirs), leave their paper."""
    from annotation.models import Annotation, Assignment, Batch

    _set, items = gold_set
    candidate = application.worker
    GoldAnswer.objects.filter(item=items[0]).update(created_by=candidate)  # they drew this answer
    batch = Batch.objects.create(project=items[1].project, centre=candidate.centre, name="b")
    now = timezone.now()
    turn = Assignment.objects.create(batch=batch, item=items[1], annotator=candidate, status="submitted",
                                     leased_at=now, lease_expires_at=now, finished_at=now)  # fmt: skip
    Annotation.objects.create(assignment=turn, item=items[1], annotator=candidate, shapes=[], review="accepted")
    sitting = _sitting(application, hr, kind="practical")
    attempt = exams.attempt_start(actor=candidate, sitting_id=sitting.pk)
    assert [entry["item"] for entry in attempt.paper] == [items[2].pk]
    # With every item their own, there is no exam to take, and it says why.
    GoldAnswer.objects.filter(item=items[2]).update(created_by=candidate)
    Attempt.objects.filter(pk=attempt.pk).delete()
    with pytest.raises(Conflict) as refused:
        exams.attempt_start(actor=candidate, sitting_id=sitting.pk)
    assert "answer you drew or labelled" in refused.value.message
