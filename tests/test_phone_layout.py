"""At a phone's width (390 px) no page scrolls sideways: wide tables scroll inside their
own box, and the page itself fits the screen."""

from pathlib import Path

import pytest

from annotation.services.assignments import assignment_next, assignment_submit
from annotation.services.batches import Assignees, ItemChoice, batch_create
from tests import test_browser
from tests.annotation.factories import labelling_project
from tests.test_browser import CHROMIUM, log_in

browser = test_browser.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
]

OVERFLOW = "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_phone_without_sideways_scrolling(phone, live_server, supervisor, annotator):
    project = labelling_project(items=4)
    batch_create(
        actor=supervisor, project=project, choice=ItemChoice(size=4), assignees=Assignees(annotators=[annotator.pk])
    )
    offer = assignment_next(annotator=annotator)
    assignment_submit(
        annotator=annotator,
        assignment_id=offer.assignment_id,
        annotation={"shapes": [{"type": "bbox", "label": "car", "x": 1, "y": 1, "w": 5, "h": 5}], "class": None},
    )
    wide = {}  # page: how many pixels it scrolls sideways
    log_in(phone, live_server, supervisor.username)
    for path in [
        "/",
        "/batches/",
        "/quality/",
        f"/quality/projects/{project.pk}/",
        f"/review/projects/{project.pk}/gold/",
    ]:
        phone.goto(live_server.url + path)
        wide[path] = phone.evaluate(OVERFLOW)
        if path == "/batches/":
            test_browser.SCREENS.mkdir(parents=True, exist_ok=True)
            phone.screenshot(path=test_browser.SCREENS / "phone-batches.png", full_page=True)
    phone.context.clear_cookies()
    log_in(phone, live_server, annotator.mobile)
    for path in ["/", "/work/", "/pay/mine/"]:
        assert phone.goto(live_server.url + path).status == 200
        wide[path] = phone.evaluate(OVERFLOW)
    phone.screenshot(path=test_browser.SCREENS / "phone-pay.png", full_page=True)
    assert {path: px for path, px in wide.items() if px > 0} == {}


@pytest.mark.django_db(transaction=True)
def test_the_workbench_on_a_touch_phone_folds_its_toolbar_and_speaks_of_fingers(
    phone, live_server, supervisor, annotator
):
    project = labelling_project(items=2)
    batch_create(
        actor=supervisor, project=project, choice=ItemChoice(size=2), assignees=Assignees(annotators=[annotator.pk])
    )
    log_in(phone, live_server, annotator.mobile)
    phone.goto(f"{live_server.url}/work/label/")
    phone.wait_for_selector("#wb-stage[data-ready='1']")
    assert phone.evaluate("matchMedia('(pointer: coarse)').matches")
    bar = phone.locator(".wb-bar").bounding_box()
    phone.screenshot(path=test_browser.SCREENS / "phone-workbench.png")
    assert bar["height"] < 60  # one row, not a third of the screen
    assert phone.locator(".wb-bar kbd").first.is_hidden()
    submit = phone.locator(".wb-bar [data-act=submit]").bounding_box()
    assert submit["x"] + submit["width"] <= 390  # in reach while the tools scroll
    assert phone.locator("#wb-hint").inner_text() == "用手指在物体上拖过即可画框。"
    phone.screenshot(path=test_browser.SCREENS / "phone-workbench.png")
