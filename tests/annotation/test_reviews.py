"""Review: the queue, accept / send back / fix, rework by the same annotator, adaptive
sampling at submit, and scoping (another centre's reviewer gets 404)."""

import json

import pytest

from annotation.models import (
    Annotation,
    AnnotatorQuality,
    Assignment,
    Item,
    ItemConsensus,
    QualityJob,
    Review,
    WebhookDelivery,
)
from annotation.selectors import rejections_of
from annotation.services import exports
from annotation.services.assignments import assignment_next, assignment_submit
from annotation.services.projects import project_done_check, project_item_count_refresh
from tests import factories
from tests.annotation.factories import ItemFactory, WebhookFactory, api_key_for, labelling_project
from tests.annotation.test_assignments import NEXT, open_batch, submit_url

QUEUE = "/api/v1/review-queue/"
BOX = {"shapes": [{"type": "bbox", "label": "car", "x": 10.5, "y": 20.25, "w": 100.0, "h": 50.5}], "class": "day"}


def decide_url(annotation_id) -> str:
    return f"{QUEUE}{annotation_id}/decide/"


def labelled(annotator, *, annotation=BOX) -> Annotation:
    offer = assignment_next(annotator=annotator)
    stored, _created = assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=annotation)
    return Annotation.objects.get(pk=stored.pk)


@pytest.mark.django_db
def test_a_new_annotators_work_is_all_reviewed_and_says_why(supervisor, annotator, team, reviewer, api):
    project = labelling_project(items=3)
    open_batch(supervisor, project, teams=[team])
    work = [labelled(annotator) for _ in range(3)]
    assert {annotation.review for annotation in work} == {Annotation.Review.QUEUED}
    assert work[0].sampling["reason"] == "new" and work[0].sampling["rate"] == 1.0
    assert Item.objects.get(pk=work[0].item_id).status == Item.Status.REVIEW
    queue = api(reviewer).get(QUEUE, {"project": project.pk}).json()
    assert [row["id"] for row in queue["results"]] == [annotation.pk for annotation in work]
    assert queue["results"][0]["sampling"]["reason"] == "new"
    assert queue["results"][0]["shapes"] == BOX["shapes"]


@pytest.mark.django_db
def test_accept_finishes_the_item_and_counts_for_the_annotator(supervisor, annotator, team, reviewer, api):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator)
    response = api(reviewer).post(decide_url(work.pk), {"decision": "accept"}, format="json")
    assert response.status_code == 201, response.content
    work.refresh_from_db()
    assert work.review == Annotation.Review.ACCEPTED
    assert Item.objects.get(pk=work.item_id).status == Item.Status.DONE
    assert AnnotatorQuality.objects.get(annotator=annotator, project=project).recent == [1.0]
    assert api(reviewer).get(QUEUE).json()["results"] == []
    # Deciding twice is a conflict, and nothing changes.
    again = api(reviewer).post(decide_url(work.pk), {"decision": "reject", "comment": "no"}, format="json")
    assert again.status_code == 409
    assert Review.objects.count() == 1


@pytest.mark.django_db
def test_rejected_work_goes_back_to_the_same_annotator_with_the_reasons(
    supervisor, annotator, team, reviewer, api, centre, hr
):
    project = labelling_project(items=2)
    colleague = factories.worker(actor=hr, centre=centre, name="李红")
    team.members.add(colleague)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator)
    client = api(reviewer)
    assert client.post(decide_url(work.pk), {"decision": "reject"}, format="json").status_code == 400  # why?
    reason = project.reject_reasons[0]
    bad = client.post(decide_url(work.pk), {"decision": "reject", "reasons": ["made up"]}, format="json")
    assert bad.status_code == 400 and "reasons" in bad.json()
    response = client.post(
        decide_url(work.pk), {"decision": "reject", "reasons": [reason], "comment": "左边的车没框"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Item.objects.get(pk=work.item_id).status == Item.Status.IN_PROGRESS
    # The colleague never gets it; the annotator gets it before any new work.
    assert assignment_next(annotator=colleague).item_id != work.item_id
    task = api(annotator).post(NEXT).json()
    assert task["id"] == work.assignment_id and task["item"]["id"] == work.item_id
    assert task["rework"]["reasons"] == [reason] and task["rework"]["comment"] == "左边的车没框"
    assert task["draft"] == {"shapes": BOX["shapes"], "class": BOX["class"]}
    assert api(annotator).post(f"/api/v1/assignments/{work.assignment_id}/skip/", {"reason": "x"}).status_code == 409
    better = {"shapes": [*BOX["shapes"], {"type": "bbox", "label": "car", "x": 1, "y": 1, "w": 5, "h": 5}]}
    resubmitted = api(annotator).post(submit_url(work.assignment_id), better, format="json")
    assert resubmitted.status_code == 201, resubmitted.content
    revisions = list(Annotation.objects.filter(assignment_id=work.assignment_id).order_by("revision"))
    assert [(a.revision, a.review, a.is_latest) for a in revisions] == [
        (1, Annotation.Review.REJECTED, False),
        (2, Annotation.Review.QUEUED, True),
    ]
    assert revisions[0].shapes == BOX["shapes"]  # the original stays as it was
    assert Assignment.objects.get(pk=work.assignment_id).status == Assignment.Status.SUBMITTED
    assert [row["id"] for row in client.get(QUEUE).json()["results"]] == [revisions[1].pk]
    assert AnnotatorQuality.objects.get(annotator=annotator, project=project).recent == [0.0]


@pytest.mark.django_db
def test_a_fix_keeps_the_original_and_scores_it(supervisor, annotator, team, reviewer, api):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator)
    # The reviewer moves the box far off (no match) and keeps the class: F1 0, class right.
    fixed = {"shapes": [{"type": "bbox", "label": "car", "x": 300, "y": 200, "w": 40, "h": 30}], "class": BOX["class"]}
    response = api(reviewer).post(decide_url(work.pk), {"decision": "fix", "fixed": fixed}, format="json")
    assert response.status_code == 201, response.content
    review = Review.objects.get(annotation=work)
    assert review.shapes == fixed["shapes"] and review.score == pytest.approx(0.5)
    work.refresh_from_db()
    assert work.shapes == BOX["shapes"] and work.review == Annotation.Review.FIXED
    assert Item.objects.get(pk=work.item_id).status == Item.Status.DONE
    outside = {"shapes": [{"type": "bbox", "label": "car", "x": 9999, "y": 0, "w": 10, "h": 10}]}
    other = labelling_project(items=1)
    open_batch(supervisor, other, teams=[team])
    second = labelled(annotator)
    refused = api(reviewer).post(decide_url(second.pk), {"decision": "fix", "fixed": outside}, format="json")
    assert refused.status_code == 400 and "fixed" in refused.json()
    assert Annotation.objects.get(pk=second.pk).review == Annotation.Review.QUEUED


@pytest.mark.django_db
def test_other_centres_and_annotators_cannot_review(supervisor, annotator, team, other_reviewer, api):
    project = labelling_project(items=1)
    open_batch(supervisor, project, teams=[team])
    work = labelled(annotator)
    assert api(other_reviewer).get(QUEUE).json()["results"] == []
    assert api(other_reviewer).post(decide_url(work.pk), {"decision": "accept"}, format="json").status_code == 404
    assert api(annotator).post(decide_url(work.pk), {"decision": "accept"}, format="json").status_code == 404
    assert api(annotator).get(QUEUE).json()["results"] == []
    assert Annotation.objects.get(pk=work.pk).review == Annotation.Review.QUEUED


@pytest.mark.django_db
def test_a_proven_annotator_is_sampled_at_the_floor_and_unsampled_work_is_done(supervisor, annotator, team, reviewer):
    project = labelling_project(items=60)
    open_batch(supervisor, project, teams=[team])
    AnnotatorQuality.objects.create(annotator=annotator, project=project, recent=[1.0] * 50, observations=50)
    work = [labelled(annotator) for _ in range(60)]
    sampled = [annotation for annotation in work if annotation.review == Annotation.Review.QUEUED]
    assert 1 <= len(sampled) <= 15  # the 10% floor, never none
    assert {annotation.sampling["reason"] for annotation in work} == {"proven"}
    unsampled = [annotation for annotation in work if annotation.review == Annotation.Review.NOT_SAMPLED]
    assert {Item.objects.get(pk=a.item_id).status for a in unsampled} == {Item.Status.DONE}
    assert {Item.objects.get(pk=a.item_id).status for a in sampled} == {Item.Status.REVIEW}
    # Quality drops (20 of the last 50 sent back): every submission is reviewed again.
    AnnotatorQuality.objects.filter(annotator=annotator, project=project).update(recent=[1.0] * 30 + [0.0] * 20)
    more = labelling_project(items=5)
    open_batch(supervisor, more, teams=[team])
    AnnotatorQuality.objects.create(annotator=annotator, project=more, recent=[1.0] * 30 + [0.0] * 20)
    again = [labelled(annotator) for _ in range(5)]
    assert {annotation.review for annotation in again} == {Annotation.Review.QUEUED}
    assert {annotation.sampling["reason"] for annotation in again} == {"quality_below_target"}


@pytest.mark.django_db
def test_review_queue_lists_in_constant_queries(
    supervisor, annotator, team, reviewer, api, django_assert_max_num_queries
):
    project = labelling_project(items=12)
    open_batch(supervisor, project, teams=[team])
    for _ in range(12):
        labelled(annotator)
    with django_assert_max_num_queries(4):
        assert len(api(reviewer).get(QUEUE).json()["results"]) == 12


@pytest.mark.django_db
def test_progress_and_exports_follow_the_reviews(supervisor, annotator, team, reviewer, api, centre, hr):
    project = labelling_project(items=3, overlap=2)
    colleague = factories.worker(actor=hr, centre=centre, name="李红")
    team.members.add(colleague)
    open_batch(supervisor, project, teams=[team])
    other_box = {
        "shapes": [{"type": "bbox", "label": "car", "x": 11.0, "y": 21.0, "w": 99.0, "h": 50.0}],
        "class": "day",
    }
    mine = [labelled(annotator) for _ in range(3)]  # items 1-3, slot 0
    theirs = [labelled(colleague, annotation=other_box) for _ in range(2)]  # items 1-2, slot 1
    client = api(reviewer)
    for work in (mine[0], theirs[0]):  # item 1: both accepted -> done
        assert client.post(decide_url(work.pk), {"decision": "accept"}, format="json").status_code == 201
    fixed = {"shapes": [{"type": "bbox", "label": "car", "x": 12.0, "y": 22.0, "w": 98.0, "h": 49.0}], "class": "day"}
    assert client.post(decide_url(mine[1].pk), {"decision": "fix", "fixed": fixed}, format="json").status_code == 201
    reject = {"decision": "reject", "reasons": [project.reject_reasons[1]]}
    assert client.post(decide_url(theirs[1].pk), reject, format="json").status_code == 201  # item 2: rework
    as_client = api()
    as_client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(project.organisation)}")
    progress = as_client.get(f"/api/v1/projects/{project.pk}/progress/").json()
    assert progress == {
        "items": 3, "annotated": 3, "reviewed": 2, "accepted": 2, "rejected": 1, "done": 1,
        "quality": round((1 + 1 + Review.objects.get(decision="fix").score + 0) / 4, 4),
    }  # fmt: skip

    job = exports.export_run(job_id=exports.export_start(project=project, format="json", only_accepted=True).pk)
    with job.file.open("rb") as handle:
        rows = {row["id"]: row for row in json.load(handle)}
    first, second, third = (rows[work.item_id] for work in mine)
    # Item 1: two accepted annotations agree; the consensus is one of them, class by vote.
    assert first["consensus"]["class"] == "day" and len(first["consensus"]["shapes"]) == 1
    # Item 2: only the fix is accepted (the other waits for rework): the reviewer's version.
    assert second["consensus"] == fixed
    assert {a["review"] for a in second["annotations"]} == {"fixed", "rejected"}
    # Item 3: only queued work: nothing accepted yet.
    assert third["consensus"] is None and [a["review"] for a in third["annotations"]] == ["queued"]


@pytest.mark.django_db
def test_quality_api_gives_score_interval_and_acceptance_scoped(
    supervisor, annotator, team, reviewer, other_reviewer, api
):
    project = labelling_project(items=4)
    open_batch(supervisor, project, teams=[team])
    work = [labelled(annotator) for _ in range(4)]
    client = api(reviewer)
    for annotation in work[:3]:
        client.post(decide_url(annotation.pk), {"decision": "accept"}, format="json")
    client.post(decide_url(work[3].pk), {"decision": "reject", "comment": "再看看"}, format="json")
    url = f"/api/v1/quality/annotators/?project={project.pk}"
    [row] = api(supervisor).get(url).json()
    assert row["annotator"] == annotator.pk and row["name"] == annotator.name
    assert row["score"] == 0.75 and row["observations"] == 4 and row["acceptance_rate"] == 0.75
    low, high = row["interval"]
    assert 0.2 < low < 0.75 < high <= 1.0 and row["gold_f1"] is None
    # The client sees its project's annotators by id only.
    as_client = api()
    as_client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(project.organisation)}")
    [seen] = as_client.get(url).json()
    assert seen["annotator"] == annotator.pk and "name" not in seen
    # Another centre's reviewer, another organisation, an annotator: 404; no project: 400.
    assert api(other_reviewer).get(url).status_code == 404
    other = labelling_project(items=1)
    stranger = api()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(other.organisation)}")
    assert stranger.get(url).status_code == 404
    assert api(annotator).get(url).status_code == 404
    assert api(supervisor).get("/api/v1/quality/annotators/").status_code == 400


@pytest.mark.django_db
def test_annotators_see_their_quality_and_every_rejection_with_its_reasons(
    client, supervisor, annotator, team, reviewer, api, django_assert_max_num_queries
):
    project = labelling_project(items=3)
    open_batch(supervisor, project, teams=[team])
    work = [labelled(annotator) for _ in range(3)]
    reviewing = api(reviewer)
    reviewing.post(decide_url(work[0].pk), {"decision": "accept"}, format="json")
    reason = project.reject_reasons[2]
    reject = {"decision": "reject", "reasons": [reason], "comment": "框要贴紧车身"}
    reviewing.post(decide_url(work[1].pk), reject, format="json")
    client.force_login(annotator)
    # 17: the page's own, the clock panel's, the open batches' rates and the earnings panel's one.
    with django_assert_max_num_queries(17):
        page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    [row] = page.context["quality"]
    assert row["project"] == project.pk and row["score"] == 0.5 and row["observations"] == 2
    assert row["review_rate"] == 1.0  # still new: everything is reviewed
    [rejection] = page.context["rejections"]
    assert rejection.reasons == [reason] and rejection.comment == "框要贴紧车身"
    html = page.content.decode()
    assert reason in html and "框要贴紧车身" in html and "Waiting for you: fix it" in html
    # Someone else's rejections never show.
    assert list(rejections_of(supervisor)) == []
    assert page.context["quality_overall"] is None  # one project: its row says it all

    # Work accepted in a second project: a row each, and one score over all of it.
    other = labelling_project(items=1)
    open_batch(supervisor, other, teams=[team])
    redone = labelled(annotator)  # rework comes first: the image sent back, done again
    assert redone.item_id == work[1].item_id
    reviewing.post(decide_url(labelled(annotator).pk), {"decision": "accept"}, format="json")
    page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en")
    assert len(page.context["quality"]) == 2
    overall = page.context["quality_overall"]
    assert overall["score"] == round(2 / 3, 4) and overall["observations"] == 3
    assert 'id="my-quality-overall"' in page.content.decode()


@pytest.mark.django_db
def test_project_done_goes_to_the_clients_webhooks_once(
    supervisor, annotator, team, reviewer, api, django_capture_on_commit_callbacks
):
    project = labelling_project(items=3)
    WebhookFactory(organisation=project.organisation, events=["project.done"])
    open_batch(supervisor, project, teams=[team])
    with django_capture_on_commit_callbacks(execute=True):
        for annotation in [labelled(annotator) for _ in range(2)]:
            api(reviewer).post(decide_url(annotation.pk), {"decision": "accept"}, format="json")
    assert not WebhookDelivery.objects.filter(event="project.done").exists()  # one item to go
    # The annotator has proven themselves and the project samples almost nothing: the last
    # image is accepted without review, which finishes its item and the project at submit.
    AnnotatorQuality.objects.filter(annotator=annotator, project=project).update(recent=[1.0] * 50, observations=50)
    project.review_floor = 0.001
    project.save(update_fields=["review_floor"])
    with django_capture_on_commit_callbacks(execute=True):
        last = labelled(annotator)
    assert last.review == Annotation.Review.NOT_SAMPLED
    [delivery] = WebhookDelivery.objects.filter(event="project.done")
    assert delivery.payload["project"] == project.pk and delivery.payload["items"] == 3
    project.refresh_from_db()
    assert project.done_at is not None
    # The final consensus is computed, weighted by quality.
    [job] = QualityJob.objects.filter(project=project)
    assert (
        job.status == QualityJob.Status.SUCCEEDED and ItemConsensus.objects.filter(item__project=project).count() == 3
    )
    # Nothing finishes twice; new items make it not done again.
    assert project_done_check(project_id=project.pk) is False
    assert WebhookDelivery.objects.filter(event="project.done").count() == 1
    ItemFactory(project=project)
    project_item_count_refresh(project_id=project.pk)
    project.refresh_from_db()
    assert project.done_at is None
