"""Fix on the review screen: the reviewer redraws the work in the workbench's editor and the
page posts it (decision "fix", the shapes as JSON in `fixed`). The fix is judged as a
submission; the annotator's own work stays as it was; outsiders get 404."""

import json

import pytest
from django.urls import reverse

from annotation.models import Annotation, Review
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import open_batch
from tests.annotation.test_reviews import BOX, labelled

pytestmark = pytest.mark.django_db

FIXED = {
    "shapes": [
        {"type": "bbox", "label": "person", "x": 12.25, "y": 22.5, "w": 90.0, "h": 40.75},
        {"type": "polygon", "label": "car", "points": [[100, 100], [160, 104], [130, 170]]},
    ],
    "class": "night",
}


@pytest.fixture
def queued(supervisor, annotator, team):
    project = labelling_project(items=2, name="街景")
    batch = open_batch(supervisor, project, teams=[team], name="第一批")
    return batch, [labelled(annotator) for _ in range(2)]


def screen_url(batch) -> str:
    return reverse("review-batch", args=[batch.pk])


def post_fix(client, batch, annotation, fixed, **extra):
    body = {"annotation": annotation.pk, "decision": "fix", "fixed": json.dumps(fixed), **extra}
    return client.post(screen_url(batch), body, HTTP_ACCEPT_LANGUAGE="en")


def editor_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="workbench-config" type="application/json">') + len(
        '<script id="workbench-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])["edit"]


def test_the_screen_offers_fix_with_the_work_in_the_editor(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    response = client.get(screen_url(batch), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    # The button is shown by the script; without it, accept and send back remain.
    assert 'id="review-fix"' in html and 'aria-keyshortcuts="F" hidden' in html
    assert 'value="accept"' in html and 'value="reject"' in html
    assert "js/workbench.js" in html and "js/review.js" in html
    edit = editor_config(response)
    assert edit["prefill"] == {"shapes": BOX["shapes"], "class": "day"}
    assert edit["item"]["image_url"] == reverse("item-image", args=[work[0].item_id])
    assert edit["item"]["width"] == work[0].item.width
    assert edit["project"]["label_schema"] == batch.project.label_schema
    assert edit["form"] == "review-form" and edit["field"] == "fixed" and edit["fields"] == {"decision": "fix"}
    assert edit["open"] is False and edit["errors"] is None
    assert 'id="wb" class="wb wb-overlay" data-mode="loading" hidden' in html
    assert "Save the fix" in html and "Skip this image" not in html


def test_a_fix_through_the_page_is_stored_as_the_reviewed_version(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    response = post_fix(client, batch, work[0], FIXED, comment="左边是人")
    assert response.status_code == 302
    assert response["Location"] == f"{screen_url(batch)}?after={work[0].pk}"
    review = Review.objects.get()
    assert review.decision == "fix" and review.reviewer == reviewer
    assert review.shapes == FIXED["shapes"] and review.image_class == "night"
    assert review.comment == "左边是人"
    assert 0 <= review.score < 1
    # The annotator's work is not touched; it is marked fixed.
    work[0].refresh_from_db()
    assert work[0].shapes == BOX["shapes"] and work[0].image_class == "day"
    assert work[0].review == Annotation.Review.FIXED
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fixed." in html and f'data-annotation="{work[1].pk}"' in html


def test_an_empty_fix_removes_every_shape(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    assert post_fix(client, batch, work[0], {"shapes": [], "class": None}).status_code == 302
    review = Review.objects.get()
    assert review.shapes == [] and review.image_class is None


def test_shapes_that_do_not_fit_are_refused_by_shape_and_nothing_is_written(client, reviewer, queued):
    batch, work = queued
    bad = {
        "shapes": [
            FIXED["shapes"][0],
            {"type": "bbox", "label": "car", "x": 600, "y": 10, "w": 100, "h": 10},  # past the right edge
        ],
        "class": "night",
    }
    client.force_login(reviewer)
    response = post_fix(client, batch, work[0], bad, comment="看看")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="rv-error" role="alert">Shape 2: ' in html
    assert f'data-annotation="{work[0].pk}"' in html
    # The editor opens again with the refused fix, the bad shape marked, the comment kept.
    edit = editor_config(response)
    assert edit["open"] is True and edit["prefill"] == bad
    assert list(edit["errors"]) == ["shapes[1]"]
    assert "看看</textarea>" in html
    assert not Review.objects.exists()
    work[0].refresh_from_db()
    assert work[0].review == Annotation.Review.QUEUED


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '"shapes"', "[" * 100_000 + "]" * 100_000, json.dumps({"shapes": "a box"})],
    ids=["not-json", "a-list", "a-string", "too-deep", "shapes-not-a-list"],
)
def test_a_fix_that_is_not_an_annotation_is_a_page_error(client, reviewer, queued, text):
    batch, work = queued
    client.force_login(reviewer)
    response = client.post(
        screen_url(batch), {"annotation": work[0].pk, "decision": "fix", "fixed": text}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert 'class="rv-error" role="alert">' in response.content.decode()
    assert not Review.objects.exists()


def test_a_fix_of_work_already_decided_says_so_and_moves_on(client, reviewer, queued):
    batch, work = queued
    client.force_login(reviewer)
    client.post(screen_url(batch), {"annotation": work[0].pk, "decision": "accept"})
    response = post_fix(client, batch, work[0], FIXED)
    assert response.status_code == 302
    assert Review.objects.get().decision == "accept"
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "already reviewed" in html


def test_another_centres_reviewer_and_annotators_get_404(client, other_reviewer, annotator, queued):
    batch, work = queued
    for person in (other_reviewer, annotator):
        client.force_login(person)
        assert post_fix(client, batch, work[0], FIXED).status_code == 404
    assert not Review.objects.exists()


def test_the_review_screen_with_the_editor_keeps_its_query_count(
    client, reviewer, queued, django_assert_max_num_queries
):
    batch, _work = queued
    client.force_login(reviewer)
    with django_assert_max_num_queries(7):
        assert client.get(screen_url(batch)).status_code == 200
