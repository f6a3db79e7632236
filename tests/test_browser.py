"""The pages people live in, driven in headless Chromium (Debian's package) with
Playwright. Skipped where /usr/bin/chromium is missing; CI installs it."""

import os
import re
from pathlib import Path

import pytest

from tests import factories
from workforce.models import Role

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
]
SCREENS = Path(os.environ.get("AIDOU_VAR_DIR", "var")) / "screens"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page steps are ordinary blocking calls, which Django then refuses unless told.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _launch(sync_playwright)
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _launch(sync_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:")) else outside.append(r.url))
    violations = watch_csp(page)
    yield page
    context.close()
    assert outside == [], f"pages reached outside hosts: {outside}"
    assert violations == [], f"pages broke the Content-Security-Policy (aidou.csp): {violations}"


# Reported to the test from every page the context opens, whatever navigation happens.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber, location.pathname].join(" "));
});
"""


def watch_csp(page) -> list[str]:
    """The Content-Security-Policy violations of every page `page` shows, as they happen:
    the `securitypolicyviolation` events, and Chromium's console lines for them."""
    violations: list[str] = []
    page.expose_function("reportCspViolation", lambda text: violations.append(text))
    page.add_init_script(_REPORT_VIOLATIONS)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def log_in(page, live_server, login: str):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_focused()  # autofocus: no click needed
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db(transaction=True)
def test_hr_finds_a_person_and_reveals_their_id_number(page, live_server, centre, hr, annotator, supervisor):
    SCREENS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, hr.username)
    page.get_by_role("link", name="人员").first.click()
    page.get_by_label("姓名、用户名或手机号").fill("王秀")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    page.screenshot(path=str(SCREENS / "people.png"))
    page.get_by_role("link", name=annotator.name).click()
    masked = page.locator("#id-number").inner_text()
    assert "*" in masked
    page.get_by_role("button", name=re.compile("显示完整号码")).click()
    full = page.locator("#id-number").inner_text()
    assert "*" not in full and len(full) == 18
    page.screenshot(path=str(SCREENS / "reveal.png"))


@pytest.mark.django_db(transaction=True)
def test_annotator_logs_in_with_mobile_and_switches_to_english(page, live_server, annotator):
    log_in(page, live_server, annotator.mobile)
    assert page.get_by_role("button", name="退出").is_visible()
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")  # browsing the options must not switch by itself
    assert page.get_by_role("button", name="退出").is_visible()
    page.select_option("#lang-select", "en")
    with page.expect_navigation():
        page.get_by_role("button", name="切换").click()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert page.get_by_role("link", name="People").count() == 0  # annotators have no people list


@pytest.mark.django_db(transaction=True)
def test_hr_uploads_a_roster_and_watches_it_finish(page, live_server, centre, hr, tmp_path):
    roster = tmp_path / "花名册.csv"
    roster.write_text(
        "姓名,手机号,身份证号,中心,角色\n"
        f"网页导入,13788889999,{factories.make_id_number()},{centre.name},标注员\n"
        f"坏行,1,{factories.make_id_number()},{centre.name},标注员\n",
        encoding="utf-8",
    )
    log_in(page, live_server, hr.username)
    page.goto(f"{live_server.url}/workers/import/")
    page.set_input_files("input[type=file]", str(roster))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url(re.compile(r".*/workers/import/\d+/$"))
    page.wait_for_selector("text=已完成", timeout=15_000)
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    assert page.locator("table tbody tr").count() == 1  # the one bad row, with its reason
    assert "手机号" in page.locator("table").inner_text()
    page.screenshot(path=str(SCREENS / "roster-import.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_supervisor_home_and_centre_chart(page, live_server, centre, hr):
    supervisor = factories.UserFactory(centre=centre, roles=[Role.SUPERVISOR])
    factories.worker(actor=hr, centre=centre)
    log_in(page, live_server, supervisor.username)
    page.get_by_role("link", name="团队").first.click()
    page.get_by_role("link", name=centre.name).click()
    assert page.get_by_role("img", name="各角色人数").is_visible()
    page.screenshot(path=str(SCREENS / "centre.png"))
