"""The supervisor's week grid and the annotator's clock panel, driven in headless Chromium
in Chinese, by keyboard where people would use it."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests import factories
from tests.test_browser import CHROMIUM, SCREENS, browser, log_in, page  # noqa: F401 - fixtures
from workforce.models import AttendanceRecord, Role, ShiftEvent, ShiftType
from workforce.scheduling.services import week_start_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
]


@pytest.mark.django_db(transaction=True)
def test_supervisor_publishes_a_week_and_the_annotator_clocks_in(page, live_server, browser, centre, hr):  # noqa: F811
    from playwright.sync_api import expect

    SCREENS.mkdir(parents=True, exist_ok=True)
    supervisor = factories.worker(actor=hr, centre=centre, roles=[Role.SUPERVISOR], name="黄组长")
    annotator = factories.worker(actor=hr, centre=centre, name="王秀英")
    team = factories.TeamFactory(centre=centre, name="标注一组")
    team.members.add(annotator)
    morning = ShiftType.objects.create(centre=centre, name="上午班", starts=dt.time(8, 30), ends=dt.time(12))
    log_in(page, live_server, supervisor.username)
    page.get_by_role("link", name="排班考勤").first.click()
    page.get_by_role("link", name="本周").first.click()
    monday = week_start_of(timezone.localdate())
    box = page.locator(f'input[name="cell-{annotator.pk}-{monday:%Y-%m-%d}"][value="{morning.pk}"]')
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".messages")).to_contain_text("已发布")
    expect(page.locator("#roster-status")).to_contain_text("第 1 版")
    page.screenshot(path=str(SCREENS / "roster-week.png"), full_page=True)
    assert ShiftEvent.objects.filter(worker=annotator, kind="added").count() == 1

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    other = context.new_page()
    log_in(other, live_server, annotator.username)
    other.goto(f"{live_server.url}/work/")
    other.get_by_role("button", name="上班打卡").click()
    expect(other.locator("#clocked-in")).to_contain_text(re.compile(r"\d\d:\d\d"))
    expect(other.get_by_role("button", name="下班打卡")).to_be_visible()
    other.screenshot(path=str(SCREENS / "clock-panel.png"))
    context.close()
    assert AttendanceRecord.objects.filter(worker=annotator, clock_out_at__isnull=True).count() == 1
