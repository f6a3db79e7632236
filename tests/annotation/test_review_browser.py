"""The review screen in headless Chromium, driven by the keyboard alone: a reviewer opens
the queue, reaches a batch, accepts with A, sends back with 1 then R, passes with N."""

from pathlib import Path

import pytest

from annotation.models import Annotation, Assignment, Review
from tests import factories, test_browser
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import open_batch
from tests.annotation.test_reviews import labelled
from tests.test_browser import CHROMIUM, SCREENS, log_in
from workforce.models import Role

# The headless Chromium and its page (which fails a test that reaches an outside host).
browser, page = test_browser.browser, test_browser.page

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")


def shown(page) -> int:
    return int(page.locator("#review").get_attribute("data-annotation"))


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_reviewer_works_the_queue_with_the_keyboard_alone(page, live_server, centre, supervisor, annotator):
    team = factories.TeamFactory(centre=centre, name="一组")
    team.members.add(annotator)
    reviewer = factories.UserFactory(username="reviewer", centre=centre, roles=[Role.REVIEWER])
    project = labelling_project(items=4, width=800, height=600, name="街景")
    batch = open_batch(supervisor, project, teams=[team], name="第一批")
    first, second, third, fourth = (labelled(annotator) for _ in range(4))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, live_server, reviewer.username)
    page.goto(f"{live_server.url}/review/")
    # The skip link, then the first link of the page: the batch's review screen.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == batch.name
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/review/batches/{batch.pk}/")
    assert shown(page) == first.pk
    assert page.locator("svg.rv-svg rect").count() == 1
    assert page.evaluate("document.querySelector('svg.rv-svg image').getBBox().width") == 800

    press_and_wait(page, "a")
    assert shown(page) == second.pk

    page.keyboard.press("1")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "review.png"))
    assert page.locator("input[name=reasons][data-key='1']").is_checked()
    # Keys typed in the comment box are text, not commands; Esc leaves the box.
    page.focus("#rv-comment")
    page.keyboard.type("左边的车 an")
    page.keyboard.press("Escape")
    assert page.locator("input[name=reasons][data-key='1']").is_checked()
    assert shown(page) == second.pk
    press_and_wait(page, "r")
    assert shown(page) == third.pk

    press_and_wait(page, "n")
    assert shown(page) == fourth.pk

    page.keyboard.press("?")
    assert page.locator("#review-keys").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#review-keys").is_visible()

    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.review == Annotation.Review.ACCEPTED
    assert second.review == Annotation.Review.REJECTED
    review = Review.objects.get(annotation=second)
    assert review.reasons == [project.reject_reasons[0]]
    assert review.comment == "左边的车 an"
    assert Assignment.objects.get(pk=second.assignment_id).status == Assignment.Status.REWORK
    assert third.review == Annotation.Review.QUEUED
    assert not Review.objects.filter(annotation__in=[third, fourth]).exists()
    assert errors == []


def editor_ready(page) -> None:
    page.wait_for_selector("#wb-stage[data-ready='1']")


def to_screen(page, x, y):
    point = page.evaluate("([x, y]) => aidouWorkbench.toScreen(x, y)", [x, y])
    return point["x"], point["y"]


def mouse_drag(page, start, end):
    page.mouse.move(*to_screen(page, *start))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *end), steps=6)
    page.mouse.up()


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_reviewer_fixes_a_box_with_the_mouse_and_saves_with_enter(page, live_server, centre, supervisor, annotator):
    team = factories.TeamFactory(centre=centre, name="一组")
    team.members.add(annotator)
    reviewer = factories.UserFactory(username="reviewer", centre=centre, roles=[Role.REVIEWER])
    project = labelling_project(items=2, width=800, height=600, name="街景")
    batch = open_batch(supervisor, project, teams=[team], name="第一批")
    drawn = {
        "shapes": [{"type": "bbox", "label": "car", "x": 100.0, "y": 100.0, "w": 200.0, "h": 120.0}],
        "class": "day",
    }
    first, second = (labelled(annotator, annotation=drawn) for _ in range(2))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, live_server, reviewer.username)
    page.goto(f"{live_server.url}/review/")
    with page.expect_navigation():
        page.get_by_role("link", name=batch.name).click()
    assert shown(page) == first.pk
    assert not page.locator("#wb").is_visible()

    page.keyboard.press("f")  # the editor, over the whole window, with the annotator's box
    editor_ready(page)
    assert page.locator("#wb").is_visible()
    state = page.evaluate("aidouWorkbench.state()")
    assert state["tool"] == "select" and state["shapes"] == drawn["shapes"]
    assert page.evaluate("aidouWorkbench.scale()") > 0.5  # a CSS px is at most 2 image px

    mouse_drag(page, (200, 160), (250, 190))  # the box's body: moved by (50, 30)
    mouse_drag(page, (350, 250), (420, 310))  # its bottom-right handle: bigger
    page.keyboard.press("2")  # the selected box becomes a person
    (box,) = page.evaluate("aidouWorkbench.state()")["shapes"]
    assert box["label"] == "person"
    # The mouse lands on whole CSS pixels: about a pixel of the image either way.
    for got, wanted in zip([box["x"], box["y"], box["w"], box["h"]], [150, 130, 270, 180], strict=True):
        assert abs(got - wanted) <= 1.0, box
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "review-fix.png"))

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert shown(page) == second.pk
    review = Review.objects.get(annotation=first)
    assert review.decision == "fix" and review.image_class == "day"
    (stored,) = review.shapes
    assert stored["type"] == "bbox" and stored["label"] == "person"
    for key in ("x", "y", "w", "h"):
        assert abs(stored[key] - box[key]) <= 0.01, (stored, box)  # what was drawn, to 0.01 px
    first.refresh_from_db()
    assert first.shapes == drawn["shapes"] and first.review == Annotation.Review.FIXED

    # Esc leaves the editor without saving; the keys are the page's again.
    page.keyboard.press("f")
    editor_ready(page)
    mouse_drag(page, (200, 160), (260, 200))
    page.keyboard.press("Escape")
    assert not page.locator("#wb").is_visible()
    assert page.evaluate("document.activeElement.id") == "review-fix"
    assert not Review.objects.filter(annotation=second).exists()
    page.keyboard.press("?")
    assert page.locator("#review-keys").is_visible()
    page.keyboard.press("Escape")
    assert errors == []
