"""The workbench in headless Chromium: an annotator draws, submits with the keyboard and
gets the next image without a reload; a reload keeps the draft; the page stays light."""

import gzip
import re
from pathlib import Path

import pytest
import requests
from django.conf import settings

from annotation.models import Annotation
from annotation.services.batches import Assignees, ItemChoice, batch_create
from tests import test_browser
from tests.annotation.factories import STREET_SCHEMA, labelling_project
from tests.test_browser import CHROMIUM, log_in

# The headless Chromium and its page (which fails a test that reaches an outside host).
browser, page = test_browser.browser, test_browser.page

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")
READY = "#wb-stage[data-ready='1']"
# Zoom-to-fit shows an 800x600 image at about 0.9 CSS px per image px in a 1366x768
# window. The mouse lands on CSS pixels, so a point can be off by up to half a CSS pixel,
# about 0.6 image px, and the server rounds to 0.01 px: 1 px covers both.
TOLERANCE = 1.0


@pytest.fixture
def work(supervisor, annotator):
    project = labelling_project(items=3, width=800, height=600)
    batch_create(
        actor=supervisor, project=project, choice=ItemChoice(size=3), assignees=Assignees(annotators=[annotator.pk])
    )
    return project


def open_workbench(page, live_server, annotator) -> list[str]:
    """Log in, open the workbench, wait for the first image; returns the page's script
    errors, which the test checks at its end."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, annotator.mobile)
    page.goto(f"{live_server.url}/work/label/")
    page.wait_for_selector(READY)
    assert page.evaluate("aidouWorkbench.scale()") > 0.5  # else TOLERANCE is too tight
    return errors


def screen(page, x, y):
    point = page.evaluate("([x, y]) => aidouWorkbench.toScreen(x, y)", [x, y])
    return point["x"], point["y"]


def drag(page, start, end):
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=6)
    page.mouse.up()


def state(page):
    return page.evaluate("aidouWorkbench.state()")


def close(actual, expected):
    return all(abs(a - e) <= TOLERANCE for a, e in zip(actual, expected, strict=True))


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_annotator_draws_a_box_and_a_polygon_and_submits_with_enter(page, live_server, annotator, work):
    errors = open_workbench(page, live_server, annotator)
    stage = page.locator("#wb-stage")
    first = state(page)["assignmentId"]
    assert stage.get_attribute("data-loaded-count") == "1"
    assert state(page)["tool"] == "bbox"

    page.keyboard.press("2")  # the label for what is drawn next
    second_label = STREET_SCHEMA["labels"][1]["name"]
    assert state(page)["label"] == second_label
    drag(page, (100, 80), (300, 240))
    # A label key after drawing picks the next shape's label; it never relabels the box
    # just drawn (the walk-through saw wrong labels saved that way).
    page.keyboard.press("1")
    assert state(page)["shapes"][0]["label"] == second_label
    page.keyboard.press("2")

    page.keyboard.press("p")
    corners = [(400, 100), (600, 120), (620, 400), (420, 380)]
    for corner in corners:
        page.mouse.click(*screen(page, *corner))
    page.mouse.click(*screen(page, *corners[0]))  # clicking the first point closes it
    drawn = state(page)
    assert [s["type"] for s in drawn["shapes"]] == ["bbox", "polygon"]
    assert drawn["tool"] == "polygon"

    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const s = document.querySelector('#wb-stage');"
        " return s.dataset.loadedCount === '2' && s.dataset.ready === '1'; }"
    )
    assert state(page)["assignmentId"] != first
    assert state(page)["shapes"] == []

    stored = Annotation.objects.get(assignment_id=first)
    box, polygon = stored.shapes
    assert box["type"] == "bbox" and polygon["type"] == "polygon"
    assert box["label"] == polygon["label"] == second_label
    assert close([box["x"], box["y"], box["w"], box["h"]], [100, 80, 200, 160]), box
    assert len(polygon["points"]) == 4
    for point, corner in zip(polygon["points"], corners, strict=True):
        assert close(point, corner), polygon
    assert stored.client_time_ms > 0
    assert errors == []


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_a_reload_mid_drawing_keeps_the_draft(page, live_server, annotator, work):
    errors = open_workbench(page, live_server, annotator)
    first = state(page)["assignmentId"]
    drag(page, (50, 60), (250, 200))
    assert len(state(page)["shapes"]) == 1

    page.reload()
    page.wait_for_selector(READY)
    after = state(page)
    assert after["assignmentId"] == first  # the lease is still open: the same image
    (box,) = after["shapes"]
    assert close([box["x"], box["y"], box["w"], box["h"]], [50, 60, 200, 140]), box
    assert not Annotation.objects.filter(assignment_id=first).exists()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_the_workbench_page_weighs_under_150_kb_gzipped(client, live_server, annotator):
    """What an annotator's browser downloads besides the image: the page, its scripts and
    stylesheets, each gzipped as the server would send them."""
    client.force_login(annotator)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    response = session.get(f"{live_server.url}/work/label/", timeout=10)
    assert response.status_code == 200
    html = response.content
    assets = re.findall(rb'<script[^>]+src="([^"]+)"', html) + re.findall(
        rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html
    )
    names = {asset.decode().rsplit("/", 1)[-1] for asset in assets}
    assert {"workbench.js", "workbench.css", "aidou.css"} <= names
    sizes = {"page": len(gzip.compress(html))}
    for asset in assets:
        body = session.get(f"{live_server.url}{asset.decode()}", timeout=10)
        assert body.status_code == 200, asset
        sizes[asset.decode()] = len(gzip.compress(body.content))
    assert sum(sizes.values()) < 150 * 1024, sizes
    script = next(size for name, size in sizes.items() if name.endswith("workbench.js"))
    assert script < 40 * 1024, sizes


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_skip_and_submit_with_the_keyboard_alone(page, live_server, annotator, work):
    from annotation.models import Assignment

    errors = open_workbench(page, live_server, annotator)
    first = state(page)["assignmentId"]
    page.keyboard.press("s")
    page.wait_for_selector("#wb-skip[open]")
    page.keyboard.press("ArrowDown")  # the second reason: nothing to label
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#wb-stage').dataset.loadedCount === '2'")
    page.wait_for_selector(READY)
    assert Assignment.objects.get(pk=first).skip_reason == "nothing-to-label"
    # The focus is back on the image: Enter submits this one, it does not skip again.
    second = state(page)["assignmentId"]
    page.wait_for_timeout(700)  # an Enter in the first 600 ms of a new image is a held key: ignored
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#wb-stage').dataset.loadedCount === '3'")
    assert Assignment.objects.get(pk=second).status == "submitted"
    assert errors == []


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_work_sent_back_opens_with_the_reviewers_reasons_and_the_old_shapes(page, live_server, annotator, work):
    from annotation.services.assignments import assignment_next, assignment_submit
    from annotation.services.reviews import review_decide
    from tests import factories
    from workforce.models import Role

    box = {"shapes": [{"type": "bbox", "label": "car", "x": 100.0, "y": 100.0, "w": 200.0, "h": 120.0}], "class": None}
    offer = assignment_next(annotator=annotator)
    stored, _created = assignment_submit(annotator=annotator, assignment_id=offer.assignment_id, annotation=box)
    reviewer = factories.UserFactory(username="reviewer", centre=annotator.centre, roles=[Role.REVIEWER])
    reason = work.reject_reasons[0]
    review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="reject", reasons=[reason], comment="左边漏了")
    errors = open_workbench(page, live_server, annotator)
    assert state(page)["assignmentId"] == offer.assignment_id
    assert page.locator("#wb-rework").is_visible()
    assert page.locator("#wb-rework-reasons li").all_inner_texts() == [reason]
    assert page.locator("#wb-rework-comment").inner_text() == "左边漏了"
    assert len(state(page)["shapes"]) == 1  # their own shapes to fix, not a blank image
    page.locator("#wb-stage").focus()
    page.wait_for_timeout(700)  # an Enter in the image's first 600 ms is taken for a double press
    page.keyboard.press("Enter")
    page.wait_for_function(f"[null, {offer.assignment_id}].indexOf(aidouWorkbench.state().assignmentId) < 0")
    assert not page.locator("#wb-rework").is_visible()
    assert Annotation.objects.filter(assignment_id=offer.assignment_id).count() == 2
    assert errors == []


@pytest.mark.browser
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_the_lease_deadline_is_shown_in_the_centres_zone_on_a_device_set_to_utc(browser, live_server, annotator, work):
    from zoneinfo import ZoneInfo

    from annotation.models import Assignment

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="UTC")
    try:
        page = context.new_page()
        open_workbench(page, live_server, annotator)
        lease = Assignment.objects.get(pk=state(page)["assignmentId"]).lease_expires_at
        shanghai = lease.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
        utc = lease.astimezone(ZoneInfo("UTC")).strftime("%H:%M")
        shown = page.locator("#wb-lease").inner_text()
        assert shanghai in shown and utc not in shown
    finally:
        context.close()
