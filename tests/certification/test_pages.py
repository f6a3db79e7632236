"""The pages: the annotator's path on their home, HR's lists (eligible now), an application
taken through both exams to an issued certificate, the dashboard; another centre's ids 404."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from certification import exams, services
from certification.models import Application, Attempt, Certificate
from tests import factories
from tests.certification.conftest import record_exam
from tests.certification.test_exams import CSV, _right_choices, _upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Pages in English here (Chinese is walked in test_browser.py)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_the_annotator_sees_their_path_on_their_home(client, annotator):
    client.force_login(annotator)
    home = client.get(reverse("annotator-home")).content.decode()
    assert 'id="career-path"' in home and reverse("certification-path") in home
    page = client.get(reverse("certification-path")).content.decode()
    assert "3 more months of work" in page and "40 more training hours" in page
    assert "<progress" in page and "style=" not in page


def test_a_ready_annotator_applies_from_their_home(client, ready_candidate):
    client.force_login(ready_candidate)
    page = client.get(reverse("certification-path")).content.decode()
    assert 'id="apply-now"' in page
    client.post(reverse("certification-apply"))
    assert Application.objects.get().worker == ready_candidate
    mine = client.get(reverse("certification-mine")).content.decode()
    assert "submitted" in mine or "已提交" in mine


def test_hr_lists_people_with_their_paths_filtered_by_eligible_now(client, hr, ready_candidate, centre,
                                                                   django_assert_max_num_queries):  # fmt: skip
    waiting = factories.worker(actor=hr, centre=centre, name="李娟")
    client.force_login(hr)
    with django_assert_max_num_queries(20):
        everyone = client.get(reverse("certification-hr")).content.decode()
    assert "王秀英" in everyone and "李娟" in everyone
    eligible = client.get(reverse("certification-hr") + "?eligible=1").content.decode()
    assert "王秀英" in eligible and "李娟" not in eligible
    assert waiting.pk


def test_hr_takes_an_application_through_exams_to_a_certificate(client, hr, ready_candidate):
    exams.question_import(actor=hr, upload=_upload(CSV))
    exams.blueprint_set(actor=hr, grade=5, topics={"数据标注": 2, "职业道德": 2}, duration_minutes=30)
    application = services.application_submit(actor=ready_candidate)
    client.force_login(hr)
    url = reverse("certification-hr-application", args=[application.pk])
    now = timezone.localtime()
    window = {"opens_at": (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
              "closes_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    client.post(url, {"action": "schedule", "kind": "theory", **window})
    sitting = application.sittings.get()
    # The candidate sits the theory exam in their browser (the form, without script).
    from django.test import Client

    theirs = Client()
    theirs.force_login(ready_candidate)
    theirs.post(reverse("exam-take", args=[sitting.pk]), {"action": "start"})
    attempt = Attempt.objects.get(sitting=sitting)
    answers = {f"q{entry['q']}": [str(i) for i in _right_choices(attempt, entry["q"])] for entry in attempt.paper}
    theirs.post(reverse("exam-take", args=[sitting.pk]), {"action": "finish", **answers})
    assert Attempt.objects.get(pk=attempt.pk).score == 100
    result = theirs.get(reverse("exam-take", args=[sitting.pk])).content.decode()
    assert 'id="exam-score">100<' in result
    record_exam(application, hr, "practical", 80)
    page = client.get(url).content.decode()
    assert "100" in page and "80" in page
    client.post(url, {"action": "issue"})
    certificate = Certificate.objects.get()
    assert certificate.holder == ready_candidate
    page = client.get(url).content.decode()
    assert certificate.number in page
    pdf = client.get(reverse("certificate-pdf", args=[certificate.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_refusal_shows_as_a_message_and_changes_nothing(client, hr, ready_candidate):
    application = services.application_submit(actor=ready_candidate)
    client.force_login(hr)
    url = reverse("certification-hr-application", args=[application.pk])
    page = client.post(url, {"action": "issue"}, follow=True).content.decode()
    assert "The exams are not all passed yet." in page
    page = client.post(url, {"action": "decline", "reason": ""}, follow=True).content.decode()
    assert "Say why" in page
    assert Application.objects.get().status == "submitted"


def test_another_centres_hr_gets_404(client, other_hr, issued, hr):
    client.force_login(other_hr)
    assert client.get(reverse("certification-hr-application", args=[issued.application_id])).status_code == 404
    assert client.get(reverse("certificate-pdf", args=[issued.pk])).status_code == 404
    page = client.get(reverse("certification-hr-certificates")).content.decode()
    assert issued.number not in page


def test_annotators_cannot_open_hr_pages(client, annotator):
    client.force_login(annotator)
    assert client.get(reverse("certification-hr")).status_code == 403
    assert client.get(reverse("certification-hr-dashboard")).status_code == 403


def test_the_dashboard_counts_holders_pass_rates_upcoming_and_eligible(client, hr, issued, ready_candidate,
                                                                       django_assert_max_num_queries):  # fmt: skip
    client.force_login(hr)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("certification-hr-dashboard")).content.decode()
    assert "<svg" in page and 'id="pass-rates"' in page
    assert "五级" in page and "100%" in page  # both exams passed: 100 %


def test_hr_edits_the_standard_into_a_new_version(client, hr):
    client.force_login(hr)
    page = client.post(reverse("certification-hr-standard"), {"5-volume_min": "1800", "note": "试行"}, follow=True)
    assert "version 2" in page.content.decode() or "第 2 版" in page.content.decode()
    page = client.post(reverse("certification-hr-standard"), {"5-quality_min": "2"}, follow=True).content.decode()
    assert "Quality is a score from 0 to 1." in page


def test_the_hr_home_links_to_certification(client, hr):
    client.force_login(hr)
    assert 'id="certification-panel"' in client.get(reverse("home")).content.decode()


def test_the_practical_exam_runs_in_the_workbench(client, hr, ready_candidate, supervisor, api):
    from annotation.models import GoldAnswer
    from tests.annotation.factories import ItemFactory, ProjectFactory
    from tests.certification.factories import box

    project = ProjectFactory()
    item = ItemFactory(project=project, width=640, height=480)
    GoldAnswer.objects.create(item=item, shapes=[box("car", 10, 10, 100, 100)], source="drawn", created_by=supervisor)
    exams.practical_set_save(actor=hr, grade=5, name="五级实操", item_ids=[item.pk])
    application = services.application_submit(actor=ready_candidate)
    now = timezone.now()
    sitting = services.exam_schedule(actor=hr, application_id=application.pk, kind="practical",
                                     opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=2))  # fmt: skip
    client.force_login(ready_candidate)
    started = client.post(reverse("exam-take", args=[sitting.pk]), {"action": "start"})
    attempt = Attempt.objects.get(sitting=sitting)
    assert started.url == reverse("exam-practical", args=[attempt.pk])
    page = client.get(started.url).content.decode()
    assert 'id="workbench-config"' in page and f"exam{attempt.pk}" in page
    me = api(ready_candidate)
    task = me.post(f"/api/v1/exams/attempts/{attempt.pk}/next/").json()
    assert task["id"] == item.pk and task["item"]["width"] == 640
    image = client.get(task["item"]["image_url"])
    assert image.status_code == 200 and image["X-Content-Type-Options"] == "nosniff"
    other = factories.worker(actor=hr, centre=ready_candidate.centre)
    client.force_login(other)
    assert client.get(task["item"]["image_url"]).status_code == 404
    bad = me.post(f"/api/v1/exams/attempts/{attempt.pk}/items/{item.pk}/submit/",
                  {"shapes": [box("tree", 1, 1, 5, 5)], "class": None}, format="json")  # fmt: skip
    assert bad.status_code == 400
    done = me.post(f"/api/v1/exams/attempts/{attempt.pk}/items/{item.pk}/submit/",
                   {"shapes": [box("car", 10, 10, 100, 100)], "class": None, "time_spent_ms": 5000}, format="json")  # fmt: skip
    assert done.status_code == 201
    assert me.post(f"/api/v1/exams/attempts/{attempt.pk}/next/").status_code == 204  # all done: handed in
    assert Attempt.objects.get(pk=attempt.pk).score == 100
    assert api(other).post(f"/api/v1/exams/attempts/{attempt.pk}/next/").status_code == 404


def test_a_late_answer_through_the_api_is_a_409(client, hr, ready_candidate, api):
    exams.question_import(actor=hr, upload=_upload(CSV))
    exams.blueprint_set(actor=hr, grade=5, topics={"数据标注": 2}, duration_minutes=10)
    application = services.application_submit(actor=ready_candidate)
    now = timezone.now()
    sitting = services.exam_schedule(actor=hr, application_id=application.pk, kind="theory",
                                     opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(hours=2))  # fmt: skip
    attempt = exams.attempt_start(actor=ready_candidate, sitting_id=sitting.pk)
    me = api(ready_candidate)
    question = attempt.paper[0]["q"]
    url = f"/api/v1/exams/attempts/{attempt.pk}/answers/"
    assert me.post(url, {"question": question, "choices": [0]}, format="json").status_code == 200
    assert me.post(url, {"question": question, "choices": [9]}, format="json").status_code == 400
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    late = me.post(url, {"question": question, "choices": [1]}, format="json")
    assert late.status_code == 409 and "Time is up" in late.json()["detail"]
    assert Attempt.objects.get(pk=attempt.pk).answers[str(question)] == [0]
