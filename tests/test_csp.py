"""A strict Content-Security-Policy on every answer (issue 18, item 7), pages that keep it
(no inline script, handler or style in any template), and browser tests that fail when a
page breaks it (tests/test_browser.py's `page` fixture watches every page)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from aidou.csp import DOCS_POLICY, STRICT_POLICY
from tests import test_browser
from tests.test_browser import CHROMIUM, log_in, watch_csp

browser, page = test_browser.browser, test_browser.page

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I)


def test_the_policy_is_self_only_with_nothing_inline():
    directives = dict(part.split(" ", 1) for part in STRICT_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in STRICT_POLICY
    # The third-party API docs may write <style> elements, and nothing more.
    assert (
        DOCS_POLICY.replace("style-src 'self' 'unsafe-inline'", "style-src 'self'").replace(
            "worker-src 'self' blob:", "worker-src 'self'"
        )
        == STRICT_POLICY
    )
    assert "script-src 'self';" in DOCS_POLICY


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/api/v1/projects/", "/api/v1/schema/", "/no-such-page/", "/admin/login/"]
)
def test_every_answer_carries_the_strict_policy(db, path):
    assert Client().get(path)["Content-Security-Policy"] == STRICT_POLICY


def test_signed_in_pages_and_the_docs_carry_theirs(db, centre, supervisor):
    client = Client()
    client.force_login(supervisor)
    assert client.get("/")["Content-Security-Policy"] == STRICT_POLICY
    assert client.get("/api/v1/docs/")["Content-Security-Policy"] == DOCS_POLICY
    assert client.get("/api/v1/redoc/")["Content-Security-Policy"] == DOCS_POLICY
    # Swagger UI's start-up code is a script file, not an inline script.
    docs = client.get("/api/v1/docs/").content.decode()
    assert not INLINE_SCRIPT.search(docs)
    assert "fonts.googleapis.com" not in client.get("/api/v1/redoc/").content.decode()


def test_no_template_holds_an_inline_script_handler_or_style():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE):
            found += [f"{template.relative_to(TEMPLATES)}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    assert found == []


def test_bars_are_sized_by_classes():
    from aidou.templatetags.aidou_tags import fraction_pct, pct

    assert [pct(v) for v in (0, 37.4, 37.5, 100, 140, -3, None, "x", float("nan"))] == [0, 37, 38, 100, 100, 0, 0, 0, 0]
    assert [fraction_pct(v) for v in (0, 0.256, 1, "0.5", None)] == [0, 26, 100, 50, 0]
    css = (Path(settings.BASE_DIR) / "static/css/aidou.css").read_text()
    for rule in (".pct-0{width:0%}", ".pct-100{width:100%}", ".ml-pct-57{margin-left:57%}", ".share-25{--share:0.25}"):
        assert rule in css


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")
@pytest.mark.django_db(transaction=True)
def test_a_page_that_breaks_the_policy_is_caught(browser, live_server, centre, supervisor):
    context = browser.new_context()
    page = context.new_page()
    violations = watch_csp(page)
    log_in(page, live_server, "supervisor")
    assert violations == []
    # What a template with an inline script or style would do, done to the live page.
    page.evaluate("""() => {
        const s = document.createElement("script"); s.textContent = "window.ran = 1"; document.body.append(s);
        document.body.insertAdjacentHTML("beforeend", '<div style="color: red">x</div>');
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    text = " ".join(violations)
    assert "script-src" in text and "style-src" in text
    context.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_still_guards_closing_a_batch(page, live_server, centre, supervisor, annotator):
    """The confirm() that was an inline onclick is static/js/page.js's now: dismissing it
    keeps the batch open, accepting it closes the batch."""
    from annotation.models import Batch
    from tests.annotation.factories import labelling_project
    from tests.annotation.test_assignments import open_batch

    batch = open_batch(supervisor, labelling_project(items=2), annotators=[annotator])
    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    close = page.locator("button[value=close]")
    page.once("dialog", lambda dialog: dialog.dismiss())
    close.click()
    page.wait_for_load_state("networkidle")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.OPEN
    page.once("dialog", lambda dialog: dialog.accept())
    close.click()
    page.wait_for_load_state("networkidle")
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CLOSED


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package")
@pytest.mark.django_db(transaction=True)
def test_revoking_an_api_key_asks_first_and_names_what_stops_working(page, live_server):
    """A slip cannot revoke the key a client's programs use: the confirmation names the key
    and says it cannot be restored; dismissing it keeps the key."""
    from annotation.models import ApiKey, ClientMember
    from annotation.services.api_keys import api_key_create
    from tests import factories
    from tests.annotation.factories import OrganisationFactory

    org = OrganisationFactory(name="Autodrive Ltd")
    user = factories.UserFactory(centre=None, username="client_user")
    ClientMember.objects.create(user=user, organisation=org)
    api_key_create(organisation=org, name="夜间同步")
    log_in(page, live_server, "client_user")
    page.goto(f"{live_server.url}/client/keys/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="撤销").click()
    page.wait_for_load_state("networkidle")
    assert "夜间同步" in asked[0] and "无法恢复" in asked[0]
    assert ApiKey.objects.get().is_active
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销").click()
    page.wait_for_load_state("networkidle")
    assert not ApiKey.objects.get().is_active
