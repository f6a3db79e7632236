"""The supervisor's gold pages: a project's gold items with how annotators scored on them,
Retire, and the items that may become gold (from the consensus of their accepted work, or
with an answer drawn in the editor). Supervisors, centre managers and network admins of a
centre with a batch of the project; everyone else gets 404."""

import json

import pytest
from django.urls import reverse

from annotation.models import GoldAnswer, GoldResult
from annotation.services import assignments as engine
from annotation.services.assignments import assignment_next, assignment_submit
from annotation.services.reviews import review_decide
from tests import factories
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import open_batch
from tests.annotation.test_reviews import BOX, labelled
from workforce.models import Role

pytestmark = pytest.mark.django_db

ANSWER = {"shapes": [{"type": "bbox", "label": "person", "x": 5.5, "y": 6.25, "w": 30.0, "h": 20.0}], "class": "night"}


@pytest.fixture
def done(supervisor, annotator, team, reviewer, monkeypatch):
    """Five items, four in a batch: the first accepted (done), the second waiting for
    review, two still free; the fifth never batched."""
    monkeypatch.setattr(engine, "gold_draw", lambda: 1.0)  # no gold unless a test says so
    project = labelling_project(items=5, name="街景")
    batch = open_batch(supervisor, project, teams=[team], size=4, name="第一批")
    accepted, queued = labelled(annotator), labelled(annotator)
    review_decide(reviewer=reviewer, annotation_id=accepted.pk, decision="accept")
    return project, batch, accepted, queued


def gold_url(project) -> str:
    return reverse("gold-list", args=[project.pk])


def draw_url(project, item_id) -> str:
    return reverse("gold-draw", args=[project.pk, item_id])


def test_the_page_lists_the_items_that_can_become_gold(client, supervisor, done):
    project, _batch, accepted, queued = done
    client.force_login(supervisor)
    response = client.get(gold_url(project), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This project has no gold items yet" in html
    listed = [item.pk for item in response.context["candidates"]]
    # Done items only: not the one waiting for review, nor the two free ones still waiting
    # in the batch, nor the fifth, never batched.
    assert listed == [accepted.item_id] and response.context["candidates"][0].accepted == 1
    row = html[html.index(f'id="candidate-{accepted.item_id}"') :]
    assert 'value="mark">Make gold from accepted work</button>' in row[: row.index("</tr>")]
    assert f'href="{draw_url(project, accepted.item_id)}"' in row
    assert f'id="candidate-{queued.item_id}"' not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_marking_gold_from_accepted_work_then_retiring_it(client, supervisor, done):
    project, _batch, accepted, _queued = done
    client.force_login(supervisor)
    response = client.post(gold_url(project), {"action": "mark", "item": accepted.item_id}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == gold_url(project)
    gold = GoldAnswer.objects.get()
    assert gold.item_id == accepted.item_id and gold.source == GoldAnswer.Source.CONSENSUS
    assert gold.shapes == BOX["shapes"] and gold.image_class == "day" and gold.is_active
    assert gold.created_by == supervisor
    page = client.get(gold_url(project), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "is gold now, with the answer of its accepted work." in html
    assert [row["gold"].item_id for row in page.context["golds"]] == [accepted.item_id]
    assert accepted.item_id not in [item.pk for item in page.context["candidates"]]
    row = html[html.index(f'id="gold-{accepted.item_id}"') :]
    row = row[: row.index("</tr>")]
    assert "taken from accepted work" in row and "in use" in row and 'value="retire"' in row
    assert f'href="{reverse("item-thumbnail", args=[accepted.item_id])}"' in row  # the answer over the thumbnail
    assert "<rect " in row

    response = client.post(gold_url(project), {"action": "retire", "item": accepted.item_id})
    assert response.status_code == 302
    gold.refresh_from_db()
    assert not gold.is_active
    html = client.get(gold_url(project), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = html[html.index(f'id="gold-{accepted.item_id}"') :]
    assert "retired" in row[: row.index("</tr>")] and 'value="retire"' not in row[: row.index("</tr>")]


def test_refusals_name_the_item_and_the_reason_and_write_nothing(client, supervisor, done):
    project, _batch, accepted, queued = done
    free = project.items.filter(tasks__done=False).first()  # still waiting in the batch
    client.force_login(supervisor)
    response = client.post(gold_url(project), {"action": "mark", "item": queued.item_id}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{queued.item.file_name}: This item has no accepted work to take the answer from: draw it." in html
    body = {"answer": json.dumps(ANSWER)}
    response = client.post(draw_url(project, free.pk), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "still waiting in a batch" in response.content.decode()
    response = client.post(gold_url(project), {"action": "retire", "item": accepted.item_id}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and "This item is not gold." in response.content.decode()
    assert client.post(gold_url(project), {"action": "dance", "item": accepted.item_id}).status_code == 400
    assert not GoldAnswer.objects.exists()


def test_an_item_of_another_project_is_404_here(client, supervisor, team, done):
    project, *_rest = done
    other = labelling_project(items=1)
    open_batch(supervisor, other, teams=[team])
    item = other.items.get()
    client.force_login(supervisor)
    assert client.post(gold_url(project), {"action": "mark", "item": item.pk}).status_code == 404
    assert client.post(gold_url(project), {"action": "mark", "item": "x"}).status_code == 404
    assert client.get(draw_url(project, item.pk)).status_code == 404
    assert not GoldAnswer.objects.exists()


def test_outsiders_reviewers_and_annotators_get_404(client, done, other_centre, reviewer, annotator):
    project, _batch, accepted, _queued = done
    other_supervisor = factories.UserFactory(username="other_sup", centre=other_centre, roles=[Role.SUPERVISOR])
    for person in (other_supervisor, reviewer, annotator):
        client.force_login(person)
        assert client.get(gold_url(project)).status_code == 404, person
        assert client.post(gold_url(project), {"action": "mark", "item": accepted.item_id}).status_code == 404
        assert client.get(draw_url(project, accepted.item_id)).status_code == 404
        body = {"answer": json.dumps(ANSWER)}
        assert client.post(draw_url(project, accepted.item_id), body).status_code == 404
    assert not GoldAnswer.objects.exists()
    client.logout()
    assert client.get(gold_url(project)).status_code == 302  # to the login page


def test_centre_managers_and_network_admins_may(client, manager, network_admin, done):
    project, *_rest = done
    for person in (manager, network_admin):
        client.force_login(person)
        assert client.get(gold_url(project)).status_code == 200


def test_an_answer_drawn_in_the_editor_makes_the_item_gold(client, supervisor, done):
    project, _batch, accepted, queued = done
    client.force_login(supervisor)
    response = client.get(draw_url(project, accepted.item_id), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    edit = response.context["config"]["edit"]
    assert edit["prefill"] == BOX  # the consensus of its accepted work, to start from
    assert edit["open"] is True and edit["form"] == "gold-form" and edit["field"] == "answer"
    assert edit["leave"] == gold_url(project)
    html = response.content.decode()
    assert 'id="gold-form"' in html and "Save the gold answer" in html and "js/workbench.js" in html

    assert client.get(draw_url(project, queued.item_id)).context["config"]["edit"]["prefill"] == {
        "shapes": [],
        "class": None,
    }  # nothing accepted: a blank start
    response = client.post(draw_url(project, queued.item_id), {"answer": json.dumps(ANSWER)})
    assert response.status_code == 302 and response["Location"] == gold_url(project)
    gold = GoldAnswer.objects.get()
    assert gold.source == GoldAnswer.Source.DRAWN and gold.shapes == ANSWER["shapes"] and gold.image_class == "night"
    # Redrawing starts from the gold answer.
    assert client.get(draw_url(project, queued.item_id)).context["config"]["edit"]["prefill"] == ANSWER


def test_a_drawn_answer_that_does_not_fit_is_refused_by_shape(client, supervisor, done):
    project, _batch, accepted, _queued = done
    bad = {"shapes": [ANSWER["shapes"][0], {"type": "bbox", "label": "truck", "x": 1, "y": 1, "w": 5, "h": 5}]}
    client.force_login(supervisor)
    response = client.post(draw_url(project, accepted.item_id), {"answer": json.dumps(bad)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Shape 2: " in response.content.decode()
    edit = response.context["config"]["edit"]
    assert edit["prefill"] == bad and list(edit["errors"]) == ["shapes[1]"]
    response = client.post(draw_url(project, accepted.item_id), {"answer": "[" * 50_000}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert not GoldAnswer.objects.exists()


def test_the_page_says_how_the_annotators_scored(client, supervisor, centre, hr, team, done, monkeypatch):
    project, _batch, accepted, _queued = done
    client.force_login(supervisor)
    client.post(gold_url(project), {"action": "mark", "item": accepted.item_id})
    colleagues = [factories.worker(actor=hr, centre=centre, name=f"同事{n}") for n in range(2)]
    team.members.add(*colleagues)
    monkeypatch.setattr(engine, "gold_draw", lambda: 0.0)  # the gold item comes first
    for person, answer in zip(colleagues, [BOX, {"shapes": [], "class": "day"}], strict=True):
        offer = assignment_next(annotator=person)
        assert offer.item_id == accepted.item_id
        assignment_submit(annotator=person, assignment_id=offer.assignment_id, annotation=answer)
    assert sorted(GoldResult.objects.values_list("score", flat=True)) == [0.5, 1.0]
    (row,) = client.get(gold_url(project)).context["golds"]
    gold = row["gold"]
    assert gold.scored == 2 and gold.mean_score == pytest.approx(0.75)


def test_the_page_uses_a_constant_number_of_queries(
    client, supervisor, annotator, reviewer, team, done, django_assert_max_num_queries
):
    project, batch, accepted, _queued = done
    client.force_login(supervisor)
    client.post(gold_url(project), {"action": "mark", "item": accepted.item_id})
    # More work done and made gold: the page still reads the same number of times.
    for _ in range(2):
        work = labelled(annotator)
        review_decide(reviewer=reviewer, annotation_id=work.pk, decision="accept")
        client.post(gold_url(project), {"action": "mark", "item": work.item_id})
    assert GoldAnswer.objects.count() == 3
    # Session, user, roles, the project, the gold items (with scores), the candidates'
    # count and page, the nav.
    with django_assert_max_num_queries(8):
        response = client.get(gold_url(project))
    assert len(response.context["golds"]) == 3


def test_the_review_home_and_the_batch_page_lead_to_the_gold_page(client, supervisor, reviewer, done):
    project, batch, *_rest = done
    client.force_login(supervisor)
    html = client.get(reverse("review-home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{gold_url(project)}"' in html and "Gold items of 街景" in html
    assert f'href="{gold_url(project)}"' in client.get(reverse("batch-detail", args=[batch.pk])).content.decode()
    client.force_login(reviewer)  # reviewers review; gold is the supervisors'
    assert f'href="{gold_url(project)}"' not in client.get(reverse("review-home")).content.decode()
