"""The care space walked in headless Chromium, in Chinese: a guardian books care for next
week's shifts from the proposals in one click; a caregiver checks a child in and out on
the tablet page at 800x1280, a wrong PIN refused first."""

import re
from pathlib import Path

import pytest
from django.utils import timezone

from childcare import services
from childcare.models import Attendance, Booking
from tests import test_browser
from tests.childcare import factories as care
from tests.test_browser import CHROMIUM, SCREENS, log_in

browser, page = test_browser.browser, test_browser.page
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
    pytest.mark.django_db(transaction=True),
]


def test_guardian_books_next_weeks_shifts(page, live_server, centre, hr, lead, guardian, after_school):
    SCREENS.mkdir(parents=True, exist_ok=True)
    helper = care.caregiver(centre, hr=hr)
    tuesday, thursday = care.next_weekday(1), care.next_weekday(3)
    for day in (tuesday, thursday):
        care.staffed(care.session(after_school, day=day, start=(17, 0), end=(21, 0)), lead, helper)
        care.published_shift(guardian, starts_at=care.at(day, 18), ends_at=care.at(day, 22))
    care.child_of(guardian, name="小明")
    log_in(page, live_server, guardian.username)
    page.get_by_role("link", name="托育").first.click()
    page.wait_for_url(re.compile(r".*/childcare/$"))
    assert page.locator("input[name=proposal]").count() == 2
    page.screenshot(path=str(SCREENS / "childcare-proposals.png"), full_page=True)
    page.get_by_role("button", name=re.compile("预订这 2 个场次")).click()
    page.wait_for_selector("text=2 个已预订，0 个在候补。")
    assert Booking.objects.filter(child__guardians=guardian, status="confirmed").count() == 2
    assert page.locator("td.status-confirmed").count() == 2
    page.screenshot(path=str(SCREENS / "childcare-booked.png"), full_page=True)


def test_caregiver_checks_a_child_in_and_out_on_the_tablet(browser, live_server, centre, hr, lead, guardian):
    SCREENS.mkdir(parents=True, exist_ok=True)
    session = care.staffed(care.session(care.room(centre, name="课后一班"), day=timezone.localdate(), start=(0, 0),
                                        end=(23, 59)), lead, care.caregiver(centre, hr=hr))  # fmt: skip
    child = care.child_of(guardian, name="小宝")
    booking = services.booking_create(actor=guardian, child=child, session=session)
    services.pickup_person_add(actor=guardian, child=child, name="妈妈", relation="母亲", mobile="1", pin="1357",
                               user=guardian)  # fmt: skip
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="zh-CN", has_touch=True)
    tablet = context.new_page()
    try:
        log_in(tablet, live_server, lead.username)
        tablet.goto(f"{live_server.url}/childcare/tablet/")
        tablet.get_by_role("button", name="签到").click()
        tablet.wait_for_selector("text=小宝 已签到。")
        tablet.screenshot(path=str(SCREENS / "childcare-tablet-in.png"))
        tablet.get_by_label("接送人的 PIN").fill("0000")
        tablet.get_by_role("button", name="签退").click()
        tablet.wait_for_selector("text=PIN 错误。")
        assert Attendance.objects.get(booking=booking).checked_out_at is None
        tablet.get_by_label("接送人的 PIN").fill("1357")
        tablet.get_by_role("button", name="签退").click()
        tablet.wait_for_selector("text=小宝 已由 妈妈 接走。")
        tablet.screenshot(path=str(SCREENS / "childcare-tablet-out.png"))
        assert Attendance.objects.get(booking=booking).checked_out_at is not None
    finally:
        context.close()
