"""The reviewer's pages: the queue of batches with work waiting, and a batch's review
screen (the work drawn over the image, accept / send back, scoping: 404 for outsiders)."""

import pytest
from django.urls import reverse

from annotation.models import Annotation, Assignment, ClientMember, Review
from tests import factories
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import open_batch
from tests.annotation.test_reviews import BOX, labelled

pytestmark = pytest.mark.django_db

POLYGON_AND_POINTS = {
    "shapes": [
        {"type": "polygon", "label": "person", "points": [[10, 10], [60, 12], [40, 70]]},
        {"type": "keypoints", "label": "person", "points": {"head": [30, 20, 2], "left_hand": [20, 40, 1]}},
    ],
    "class": None,
}


@pytest.fixture
def queued(supervisor, annotator, team):
    """A batch with three pieces of work waiting for review, oldest first."""
    project = labelling_project(items=3, name="街景")
    batch = open_batch(supervisor, project, teams=[team], name="第一批")
    return batch, [labelled(annotator) for _ in range(3)]


def screen_url(batch, **query) -> str:
    url = reverse("review-batch", args=[batch.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def test_reviewer_sees_batches_with_work_waiting(client, reviewer, queued):
    batch, _work = queued
    client.force_login(reviewer)
    response = client.get("/review/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "街景" in html and "第一批" in html
    assert f'href="{screen_url(batch)}"' in html
    assert response.context["batches"][0]["queued"] == 3
    assert f'href="{reverse("review-home")}"' in html  # the nav link


def test_the_queue_page_has_an_empty_state(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/review/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Nothing waits for review" in response.content.decode()


def test_the_review_screen_draws_the_oldest_work_over_its_image(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    response = client.get(screen_url(batch), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-annotation="{work[0].pk}"' in html
    item = work[0].item
    assert f'viewBox="0 0 {item.width} {item.height}"' in html
    assert f'href="{reverse("item-image", args=[item.pk])}"' in html
    box = BOX["shapes"][0]
    assert f'<rect x="{box["x"]}" y="{box["y"]}" width="{box["w"]}" height="{box["h"]}"/>' in html
    assert 'stroke="#e6194b"' in html  # the label's colour from the schema
    assert "3 waiting in this batch" in html
    assert "new annotator: 0 of 20 reviews so far, all work is reviewed" in html
    assert "王秀英" in html and "day" in html  # annotator and image class
    assert f"?after={work[0].pk}" in html  # N: the next one
    assert 'name="csrfmiddlewaretoken"' in html
    for key, reason in enumerate(batch.project.reject_reasons, start=1):
        assert f'value="{reason}" data-key="{key}"' in html


def test_polygons_and_key_points_are_drawn_too(client, reviewer, supervisor, annotator, team):
    batch = open_batch(supervisor, labelling_project(items=1), teams=[team])
    work = labelled(annotator, annotation=POLYGON_AND_POINTS)
    client.force_login(reviewer)
    html = client.get(screen_url(batch, annotation=work.pk)).content.decode()
    assert '<polygon points="10.0,10.0 60.0,12.0 40.0,70.0"/>' in html
    assert html.count("<circle ") == 2 and 'class="rv-hidden"' in html  # the hidden hand
    assert 'stroke="#3cb44b"' in html


def test_why_sampled_in_words_for_each_rule(client, reviewer, queued):
    batch, work = queued
    Annotation.objects.filter(pk=work[0].pk).update(
        sampling={
            "sampled": True,
            "rate": 0.55,
            "reason": "quality_below_target",
            "score": 0.82,
            "low": 0.74,
            "high": 0.88,
            "observations": 30,
        }  # fmt: skip
    )
    Annotation.objects.filter(pk=work[1].pk).update(
        sampling={
            "sampled": True,
            "rate": 0.1,
            "reason": "proven",
            "score": 0.97,
            "low": 0.92,
            "high": 0.99,
            "observations": 50,
        },  # fmt: skip
        revision=2,
    )
    client.force_login(reviewer)
    first = client.get(screen_url(batch), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "quality 0.82 (0.74–0.88) is below the 0.90 target: 55% of work is reviewed" in first
    second = client.get(screen_url(batch, annotation=work[1].pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "routine sample: 10% of a proven annotator’s work is reviewed" in second
    assert "done again after review" in second


def test_accept_moves_on_to_the_next_and_marks_the_work_accepted(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    # The message is written in the language of the request that made it.
    response = client.post(
        screen_url(batch), {"annotation": work[0].pk, "decision": "accept"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    work[0].refresh_from_db()
    assert work[0].review == Annotation.Review.ACCEPTED
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f'data-annotation="{work[1].pk}"' in html
    assert "2 waiting in this batch" in html
    assert "Accepted." in html  # the message


def test_send_back_with_a_reason_puts_the_work_in_rework(client, reviewer, queued):
    batch, work = queued
    reason = batch.project.reject_reasons[1]
    client.force_login(reviewer)
    response = client.post(
        screen_url(batch), {"annotation": work[1].pk, "decision": "reject", "reasons": [reason], "comment": "再看看"}
    )
    assert response.status_code == 302
    review = Review.objects.get(annotation=work[1])
    assert review.decision == "reject" and review.reasons == [reason] and review.comment == "再看看"
    assert Assignment.objects.get(pk=work[1].assignment_id).status == Assignment.Status.REWORK
    # After work[1], the next is work[2], though work[0] is older: it was passed over.
    html = client.get(response["Location"]).content.decode()
    assert f'data-annotation="{work[2].pk}"' in html


def test_send_back_without_a_reason_shows_the_error_and_writes_nothing(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    response = client.post(
        screen_url(batch), {"annotation": work[0].pk, "decision": "reject"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Say why: pick a reason or write a comment." in html
    assert f'data-annotation="{work[0].pk}"' in html
    assert not Review.objects.exists()
    work[0].refresh_from_db()
    assert work[0].review == Annotation.Review.QUEUED


def test_a_decision_on_reviewed_work_says_so_and_moves_on(client, reviewer, supervisor, queued):
    batch, work = queued
    client.force_login(reviewer)
    client.post(screen_url(batch), {"annotation": work[0].pk, "decision": "accept"})
    response = client.post(
        screen_url(batch), {"annotation": work[0].pk, "decision": "reject", "comment": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert Review.objects.get().decision == "accept"
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "already reviewed" in html and f'data-annotation="{work[1].pk}"' in html


def test_a_fix_without_shapes_is_refused(client, reviewer, queued):
    # The fix itself is drawn in the editor: tests/annotation/test_review_fix.py.
    batch, work = queued
    client.force_login(reviewer)
    response = client.post(screen_url(batch), {"annotation": work[0].pk, "decision": "fix"})
    assert response.status_code == 400 and not Review.objects.exists()


def test_an_empty_queue_says_so(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    for annotation in work:
        client.post(screen_url(batch), {"annotation": annotation.pk, "decision": "accept"})
    html = client.get(screen_url(batch), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing waits for review" in html and 'id="review-empty"' in html
    assert f'href="{reverse("review-home")}"' in html
    assert client.get(screen_url(batch, annotation=work[0].pk)).status_code == 404  # no longer queued


def test_another_centres_reviewer_gets_404(client, other_reviewer, queued):
    batch, work = queued
    client.force_login(other_reviewer)
    assert client.get(screen_url(batch)).status_code == 404
    assert client.get(screen_url(batch, annotation=work[0].pk)).status_code == 404
    assert client.post(screen_url(batch), {"annotation": work[0].pk, "decision": "accept"}).status_code == 404
    assert "第一批" not in client.get("/review/").content.decode()
    assert not Review.objects.exists()


def test_annotation_of_another_batch_or_centre_is_404_in_this_batch(
    client, reviewer, supervisor, annotator, team, queued, other_centre
):
    batch, _work = queued
    other = open_batch(supervisor, labelling_project(items=1), teams=[team])
    elsewhere = labelled(annotator)
    assert elsewhere.assignment.batch_id == other.pk
    client.force_login(reviewer)
    assert client.get(screen_url(batch, annotation=elsewhere.pk)).status_code == 404
    assert client.get(screen_url(batch, annotation="abc")).status_code == 404
    assert client.get(screen_url(other, annotation=elsewhere.pk)).status_code == 200
    # Deciding it through this batch's screen is refused too, and decides nothing.
    assert client.post(screen_url(batch), {"annotation": elsewhere.pk, "decision": "accept"}).status_code == 404
    assert not Review.objects.filter(annotation=elsewhere).exists()


def test_annotators_get_404_and_no_nav_link(client, annotator, queued):
    batch, _work = queued
    client.force_login(annotator)
    assert client.get("/review/").status_code == 404
    assert client.get(screen_url(batch)).status_code == 404
    assert f'href="{reverse("review-home")}"' not in client.get("/work/").content.decode()


def test_client_members_get_404(client, queued):
    batch, _work = queued
    member = factories.UserFactory(centre=None, username="client_user")
    ClientMember.objects.create(user=member, organisation=batch.project.organisation)
    client.force_login(member)
    assert client.get("/review/").status_code == 404
    assert client.get(screen_url(batch)).status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, queued):
    batch, _work = queued
    response = client.get(screen_url(batch))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_queue_page_uses_a_constant_number_of_queries(
    client, reviewer, supervisor, annotator, team, django_assert_max_num_queries
):
    for n in range(4):
        open_batch(supervisor, labelling_project(items=2, name=f"项目{n}"), teams=[team], name=f"批次{n}")
    for _ in range(8):
        labelled(annotator)
    client.force_login(reviewer)
    # Session, user, roles, one query for every batch's count, the nav's client check.
    with django_assert_max_num_queries(5):
        response = client.get("/review/")
    assert len(response.context["batches"]) == 4


def test_the_review_screen_uses_a_constant_number_of_queries(client, reviewer, queued, django_assert_max_num_queries):
    batch, _work = queued
    client.force_login(reviewer)
    # Session, user, roles, the batch, the work (with item, annotator, project), the count, the nav.
    with django_assert_max_num_queries(7):
        assert client.get(screen_url(batch)).status_code == 200
