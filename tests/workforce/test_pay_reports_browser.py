"""HR walks a period's summary and its fairness view in headless Chromium, in Chinese, on
a laptop and on a 390 px phone, by keyboard; screenshots in var/screens/."""

import datetime as dt
import importlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps

from tests.test_browser import CHROMIUM, SCREENS, browser, log_in, page  # noqa: F401 (fixtures)
from tests.workforce.test_pay_reports import fair_centre, given_work  # noqa: F401 (fixtures)
from workforce.pay import services

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs chromium")]


@pytest.fixture
def pay_centre(centre, hr):
    # A transactional test starts from an emptied database: put the seeded legal figures back.
    importlib.import_module("workforce.migrations.0005_pay_legal_figures_seed").seed(apps, None)
    centre.min_wage_class = "II"
    centre.save()
    services.legal_figure_add(
        actor=hr,
        code="housing_fund_rate",
        centre=centre,
        value=Decimal("0.08"),
        effective_from=dt.date(2020, 1, 1),
        source="中心住房公积金缴存比例 8%",
    )
    return centre


def _fits(tab, width: int) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True)
def test_hr_reads_the_summary_and_the_fairness_view(page, live_server, fair_centre, hr):  # noqa: F811
    from playwright.sync_api import expect

    SCREENS.mkdir(parents=True, exist_ok=True)
    period = fair_centre["period"]
    log_in(page, live_server, hr.username)
    page.goto(f"{live_server.url}/pay/periods/{period.pk}/")
    page.get_by_role("link", name="工资汇总").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("工资汇总")
    expect(page.get_by_role("heading", name="实发工资分布")).to_be_visible()
    assert page.locator("svg.pay-chart").count() >= 3
    # The totals table scrolls by keyboard where it is wider than the screen.
    region = page.get_by_role("region", name="合计")
    region.focus()
    expect(region).to_be_focused()
    page.screenshot(path=str(SCREENS / "pay-summary.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载数据（CSV）").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.get_by_role("link", name=re.compile("公平性")).first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("在团队“一组”中，女性每小时收入比男性高 12%"))).to_be_visible()
    expect(page.get_by_text(re.compile("少于 5 人")).first).to_be_visible()
    page.screenshot(path=str(SCREENS / "pay-fairness.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    assert _fits(page, 390)
    page.screenshot(path=str(SCREENS / "pay-fairness-390.png"), full_page=True)
    page.goto(f"{live_server.url}/pay/periods/{period.pk}/summary/")
    assert _fits(page, 390)
    page.screenshot(path=str(SCREENS / "pay-summary-390.png"), full_page=True)
