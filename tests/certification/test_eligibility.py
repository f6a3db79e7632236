"""Requirement evaluation on hand-made histories, read through annotation's selectors."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aidou.errors import Conflict, DomainError
from certification import eligibility, services
from certification.models import Application, Certificate, Level, Requirement, StandardVersion
from tests import factories
from tests.certification.factories import months_ago

pytestmark = pytest.mark.django_db


def _state(path, code):
    return next(s for s in path.states if s["code"] == code)


def test_the_seeded_standard_has_five_levels_and_a_source_note():
    version = eligibility.version_in_force()
    assert version.number == 1 and version.occupation_code == "4-04-05-05"
    assert "国家职业技能标准" in version.source_note
    names = list(Level.objects.order_by("-grade").values_list("name", "title"))
    assert names == [("五级", "初级工"), ("四级", "中级工"), ("三级", "高级工"), ("二级", "技师"), ("一级", "高级技师")]
    requirements = eligibility.requirements_of(version)
    assert {r.theory_pass for r in requirements.values()} == {60}
    assert requirements[4].prerequisite_level.grade == 5 and requirements[5].prerequisite_level is None


def test_a_newcomer_with_no_work_sees_every_gap(annotator):
    path = eligibility.paths_for([annotator.pk])[annotator.pk]
    assert path.held is None and path.target.grade == 5 and not path.eligible
    with translation.override("en"):
        texts = {s["code"]: eligibility.state_text(s) for s in path.states}
    assert texts["work_months"] == "3 more months of work"
    assert texts["volume"] == "2,000 more accepted images at quality ≥ 0.850"
    assert texts["training"] == "40 more training hours"
    assert texts["theory"] == "Taken after you apply"


def test_work_volume_quality_and_training_are_counted_from_real_history(small_standard, annotator, history, hr):
    # Two months with work; 4 accepted + 1 fixed at 0.5 + 1 sent back = 4.5 of 6 checks = 0.75.
    history.many(annotator, at=months_ago(2), n=3, decision="accept")
    history.many(annotator, at=months_ago(0), n=1, decision="accept")
    history.work(annotator, at=months_ago(0), review="fixed", decision="fix", score=0.5)
    history.work(annotator, at=months_ago(0), review="rejected", decision="reject")
    history.many(annotator, at=months_ago(0), n=1)  # accepted without review: volume, not quality
    course = services.course_create(actor=hr, title="数据标注基础", hours="6")
    services.completion_record(actor=hr, course_id=course.pk, worker_id=annotator.pk, completed_on=timezone.localdate())
    path = eligibility.paths_for([annotator.pk])[annotator.pk]
    assert _state(path, "work_months")["have"] == 2 and _state(path, "work_months")["met"]
    volume = _state(path, "volume")
    assert volume["have"] == 6 and volume["met"]  # 3 + 1 + fixed + not sampled; the rejected one is not accepted
    quality = _state(path, "quality")
    assert quality["observations"] == 6 and quality["have"] == 0.75 and not quality["met"]
    training = _state(path, "training")
    assert training["have"] == "6.0" and not training["met"]
    with translation.override("en"):
        assert eligibility.state_text(quality) == "Quality 0.75 over the last 3 months: 0.800 needed"
        assert eligibility.state_text(training) == "2 more training hours"
    assert not path.eligible
    # A gold item scored 1.0 makes 5.5 of 7 = 0.786; two more make 7.5 / 9 = 0.833.
    for _ in range(3):
        history.gold(annotator, at=months_ago(1), score=1.0)
    second = services.course_create(actor=hr, title="质检规范", hours="2")
    services.completion_record(actor=hr, course_id=second.pk, worker_id=annotator.pk, completed_on=timezone.localdate())
    path = eligibility.paths_for([annotator.pk])[annotator.pk]
    assert _state(path, "quality")["have"] == pytest.approx(0.8333, abs=1e-4)
    assert path.eligible and not path.complete  # the exams come after applying


def test_quality_only_counts_the_window_and_the_engines_figures(small_standard, annotator, history):
    history.many(annotator, at=months_ago(5), n=10, decision="reject")  # outside the 3-month window
    history.many(annotator, at=months_ago(1), n=4, decision="accept")
    quality = _state(eligibility.paths_for([annotator.pk])[annotator.pk], "quality")
    assert quality["have"] == 1.0 and quality["observations"] == 4 and quality["met"]


def test_too_few_checks_say_how_many_more(small_standard, annotator, history):
    history.many(annotator, at=months_ago(0), n=1, decision="accept")
    quality = _state(eligibility.paths_for([annotator.pk])[annotator.pk], "quality")
    assert not quality["met"]
    with translation.override("en"):
        assert eligibility.state_text(quality) == "3 more pieces of checked work in the last 3 months"


def test_the_next_level_needs_the_prerequisite_held_long_enough(small_standard, annotator, history, hr):
    level5 = Level.objects.get(grade=5)
    Certificate.objects.create(number="T-5-1", verify_code="t1", holder=annotator, holder_name="王秀英", level=level5,
                               centre=annotator.centre, issuing_body="x", issued_on=timezone.localdate() - dt.timedelta(days=40),
                               status_index=0)  # fmt: skip
    history.many(annotator, at=months_ago(0), n=2, boxes=2, decision="accept")
    path = eligibility.paths_for([annotator.pk])[annotator.pk]
    assert path.held.grade == 5 and path.target.grade == 4
    prerequisite = _state(path, "prerequisite")
    assert prerequisite["have"] == 1 and not prerequisite["met"]
    volume = _state(path, "volume")
    assert volume["unit"] == "box" and volume["have"] == 4
    with translation.override("en"):
        assert eligibility.state_text(prerequisite) == "2 more months at level 五级"
        assert eligibility.state_text(volume) == "1 more accepted box at quality ≥ 0.900"
    with translation.override("zh-hans"):
        assert "五级" in eligibility.state_text(prerequisite)


def test_months_between_counts_whole_months():
    assert eligibility.months_between(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert eligibility.months_between(dt.date(2026, 1, 31), dt.date(2026, 3, 1)) == 1
    assert eligibility.months_between(dt.date(2025, 3, 10), dt.date(2026, 3, 10)) == 12


def test_many_people_take_a_fixed_number_of_queries(small_standard, centre, hr, history, django_assert_max_num_queries):
    people = [factories.worker(actor=hr, centre=centre) for _ in range(6)]
    for person in people:
        history.many(person, at=months_ago(1), n=2, decision="accept")
    with django_assert_max_num_queries(9):
        paths = eligibility.paths_for([p.pk for p in people], centre_id=centre.pk)
    assert all(_state(paths[p.pk], "volume")["have"] == 2 for p in people)


# --- Versioning -----------------------------------------------------------------------------


def test_a_revision_makes_a_new_version_and_leaves_the_old_one(hr):
    before = list(Requirement.objects.filter(version__number=1).values_list("level__grade", "volume_min"))
    version = services.standard_revise(actor=hr, changes={5: {"volume_min": "1500"}}, note="更少")
    assert version.number == 2 and version.created_by == hr
    assert list(Requirement.objects.filter(version__number=1).values_list("level__grade", "volume_min")) == before
    assert eligibility.requirements_of(version)[5].volume_min == 1500
    assert eligibility.requirements_of(version)[4].volume_min == dict(before)[4]


def test_bad_values_name_the_field_and_write_nothing(hr):
    for changes, field in [
        ({5: {"quality_min": "1.5"}}, "quality_min"),
        ({5: {"theory_pass": "101"}}, "theory_pass"),
        ({5: {"volume_min": "-1"}}, "volume_min"),
        ({5: {"volume_unit": "tree"}}, "volume_unit"),
        ({5: {"training_hours": "lots"}}, "training_hours"),
    ]:
        with pytest.raises(DomainError) as error:
            services.standard_revise(actor=hr, changes=changes)
        assert error.value.field == field
    assert StandardVersion.objects.count() == 1
    with pytest.raises(Conflict):
        services.standard_revise(actor=hr, changes={5: {"theory_pass": 60}})


def test_an_application_is_judged_by_the_version_in_force_when_it_was_made(small_standard, annotator, history, hr):
    history.many(annotator, at=months_ago(1), n=3, decision="accept")
    history.many(annotator, at=months_ago(0), n=3, decision="accept")
    course = services.course_create(actor=hr, title="基础", hours="8")
    services.completion_record(actor=hr, course_id=course.pk, worker_id=annotator.pk, completed_on=timezone.localdate())
    application = services.application_submit(actor=annotator)
    assert application.version == small_standard
    services.standard_revise(actor=hr, changes={5: {"theory_pass": 90, "volume_min": 999}})
    application.refresh_from_db()
    assert application.version == small_standard
    theory = next(s for s in services.application_states(application) if s["code"] == "theory")
    assert theory["need"] == 60  # the version it was made under, not the new 90
    assert Application.objects.get().eligibility["eligible"] is True


def test_others_cannot_revise(annotator):
    from aidou.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.standard_revise(actor=annotator, changes={5: {"volume_min": 1}})
    assert Decimal("0") == Decimal(0)
