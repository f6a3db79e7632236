"""The supervisors' quality dashboard: the last recomputation's figures per annotator,
batch and label, the confusion matrix, outliers flagged, the weekly trend, recompute
with a progress bar, the CSV; and who may see it."""

import csv
import io
from pathlib import Path

import pytest

from annotation.models import Batch, QualityJob
from annotation.services.quality import quality_recompute_start
from annotation.services.reviews import review_decide
from tests import factories, test_browser
from tests.annotation.factories import ItemFactory, accepted_work, labelling_project
from tests.test_browser import CHROMIUM, SCREENS, log_in
from workforce.models import Role

browser, page = test_browser.browser, test_browser.page


def recomputed(project, supervisor, capture):
    with capture(execute=True):
        return quality_recompute_start(project=project, created_by=supervisor)


@pytest.mark.django_db
def test_the_dashboard_shows_each_annotator_flags_the_outlier_and_shows_the_confusion(
    client,
    crowd,
    supervisor,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,  # noqa: F811
):
    project, batch, (li, wang), careless = crowd
    # A week of review outcomes for the trend: li's work accepted, zhao's sent back.
    reviewer = factories.UserFactory(username="rv", centre=supervisor.centre, roles=[Role.REVIEWER])
    for annotation in project.items.first().annotations.all():
        annotation.review = "queued"
        annotation.save()
        decision = "accept" if annotation.annotator_id == li.pk else "reject"
        review_decide(reviewer=reviewer, annotation_id=annotation.pk, decision=decision, reasons=["wrong label"])
    recomputed(project, supervisor, django_capture_on_commit_callbacks)
    client.force_login(supervisor)
    with django_assert_max_num_queries(20):
        page = client.get(f"/quality/projects/{project.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "zhao" in html and "too fast" in html and "low agreement" in html
    assert 'class="q-flagged"' in html and html.count('class="q-flagged"') == 1
    assert "第一批" in html  # the batch's agreement, and its reviews: 1 of 3 accepted
    assert '<td class="num">3</td><td class="num">33%</td>' in html
    assert "Confusion between shape labels" in html and '<svg class="q-chart"' in html
    # The worst first: zhao's row comes before li's.
    assert html.index(">zhao<") < html.index(">li<")

    chosen = client.get(f"/quality/projects/{project.pk}/?annotator={li.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert "Selected annotator" in chosen.content.decode() and "Each recomputation" in chosen.content.decode()

    listed = client.get(f"/quality/projects/{project.pk}/annotators.csv")
    assert listed["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    zhao = next(row for row in rows if int(row["annotator_id"]) == careless.pk)
    assert set(zhao["flags"].split()) == {"too_fast", "low_agreement"}

    # li sees their own agreement with colleagues on their home page.
    client.force_login(li)
    home = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Agreement with colleagues" in home and '50% <span class="muted">(11 shared images)' in home
    )  # item 1: the others were sent back


@pytest.mark.django_db
def test_recompute_from_the_page_and_who_may_see_it(
    client,
    crowd,
    supervisor,
    annotator,
    reviewer,
    other_centre,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    project = crowd[0]
    client.force_login(supervisor)
    before = client.get(f"/quality/projects/{project.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not recomputed yet" in before
    with django_capture_on_commit_callbacks(execute=False):
        started = client.post(f"/quality/projects/{project.pk}/recompute/", HTTP_ACCEPT_LANGUAGE="en")
    assert started.status_code == 302
    job = QualityJob.objects.get(project=project)
    assert job.status == QualityJob.Status.QUEUED
    running = client.get(f"/quality/projects/{project.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'role="progressbar"' in running and "job-progress.js" in running and "disabled" in running

    client.force_login(reviewer)  # a reviewer may look, not start one
    assert client.get(f"/quality/projects/{project.pk}/").status_code == 200
    assert client.post(f"/quality/projects/{project.pk}/recompute/").status_code == 404
    outsider = factories.UserFactory(username="far", centre=other_centre, roles=[Role.SUPERVISOR])
    for person in (annotator, outsider):
        client.force_login(person)
        assert client.get(f"/quality/projects/{project.pk}/").status_code == 404
        assert client.get(f"/quality/projects/{project.pk}/annotators.csv").status_code == 404
        assert client.post(f"/quality/projects/{project.pk}/recompute/").status_code == 404
    assert QualityJob.objects.count() == 1


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_recomputes_and_reads_the_dashboard_in_chromium(page, live_server, crowd, supervisor):  # noqa: F811
    project = crowd[0]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/quality/")
    page.get_by_role("link", name=project.name).click()
    # Tests run Celery eagerly: the job has finished when the page comes back.
    page.locator("#quality-job button[type=submit]").click()  # 立即重算 / Recompute now
    page.wait_for_selector("#quality-annotators")
    assert page.locator(".q-flagged").count() == 1
    assert page.locator(".q-confusion").first.is_visible()
    page.locator("#quality-annotators a", has_text="li").first.click()
    page.wait_for_selector("#quality-trend h3")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "quality.png"), full_page=True)
    assert errors == []


@pytest.mark.django_db
def test_the_quality_home_lists_each_annotator_over_all_projects_worst_first(
    client, crowd, supervisor, centre, other_centre, django_assert_max_num_queries
):
    project, batch, (li, wang), careless = crowd
    reviewer = factories.UserFactory(username="rv", centre=centre, roles=[Role.REVIEWER])
    second = labelling_project(items=1)
    second_batch = Batch.objects.create(project=second, centre=centre, name="第二批")
    extra = accepted_work(second_batch, second.items.get(), li, shapes=[], review="queued")
    for annotation in list(project.items.order_by("id")[0].annotations.all()) + [extra]:
        annotation.review = "queued"
        annotation.save()
        if annotation.annotator_id == careless.pk:
            review_decide(reviewer=reviewer, annotation_id=annotation.pk, decision="reject", reasons=["wrong label"])
        else:
            review_decide(reviewer=reviewer, annotation_id=annotation.pk, decision="accept")
    # Someone of another centre with reviewed work: never listed here.
    stranger = factories.UserFactory(username="far", name="far", centre=other_centre, roles=[Role.ANNOTATOR])
    elsewhere = Batch.objects.create(project=second, centre=other_centre, name="外地")
    theirs = accepted_work(elsewhere, ItemFactory(project=second), stranger, shapes=[], review="queued")
    outsider_reviewer = factories.UserFactory(username="rv2", centre=other_centre, roles=[Role.REVIEWER])
    review_decide(reviewer=outsider_reviewer, annotation_id=theirs.pk, decision="accept")

    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        page = client.get("/quality/", HTTP_ACCEPT_LANGUAGE="en")
    people = page.context["people"]
    assert [row["name"] for row in people] == ["zhao", "li", "wang"]  # worst first; ties by id
    li_row = people[1]
    assert li_row["observations"] == 2 and li_row["projects"] == 2 and li_row["score"] == 1.0
    assert people[0]["score"] == 0.0 and "far" not in page.content.decode()
