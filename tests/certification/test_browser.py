"""Certification walked in headless Chromium, in Chinese: the annotator sees their path
and applies; HR schedules both exams; the candidate sits the theory exam (each answer
saved as clicked) and the practical exam in the workbench; HR issues the certificate; the
QR code on its PDF, decoded, opens the public verification page."""

import io
from pathlib import Path

import pytest

from annotation.models import GoldAnswer
from certification import exams
from certification.models import Application, Attempt, Certificate, ExamSitting, Question
from tests import test_browser
from tests.annotation.factories import labelling_project
from tests.annotation.test_workbench_browser import READY, drag, state
from tests.certification.factories import box
from tests.certification.test_exams import CSV, _upload
from tests.test_browser import CHROMIUM, SCREENS, log_in

browser, page = test_browser.browser, test_browser.page
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
    pytest.mark.django_db(transaction=True),
]


def log_out(page):
    page.locator("form[action$='/accounts/logout/'] button").click()
    page.wait_for_url("**/accounts/login/**")


def shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"certification-{name}.png"), full_page=True)


def test_from_path_to_a_verified_certificate(page, live_server, settings, small_standard, ready_candidate, hr,
                                             supervisor):  # fmt: skip
    settings.AIDOU_PUBLIC_URL = live_server.url
    exams.question_import(actor=hr, upload=_upload(CSV))
    exams.blueprint_set(actor=hr, grade=5, topics={"数据标注": 2, "职业道德": 2}, duration_minutes=30)
    project = labelling_project(items=1, width=800, height=600, name="实操")
    item = project.items.get()
    GoldAnswer.objects.create(item=item, shapes=[box("car", 100, 100, 300, 200)], source="drawn", created_by=supervisor)
    exams.practical_set_save(actor=hr, grade=5, name="五级实操", item_ids=[item.pk])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The annotator's home: their path, a progress bar per requirement, and the way to apply.
    log_in(page, live_server, ready_candidate.mobile)
    page.goto(f"{live_server.url}/work/")
    page.wait_for_selector("#career-path[data-loaded='1']")
    path = page.locator("#career-path")
    assert "我的晋级路径" in path.inner_text() and path.locator("progress").count() >= 4
    shot(page, "annotator-path")
    with page.expect_navigation():
        page.locator("#apply-now").click()
    application = Application.objects.get()
    log_out(page)

    # HR schedules both exams from the application's page.
    log_in(page, live_server, hr.mobile)
    page.goto(f"{live_server.url}/certification/hr/applications/")
    page.get_by_role("link", name=ready_candidate.name).click()
    for kind in ("theory", "practical"):
        page.locator("#schedule-form select[name=kind]").select_option(kind)
        with page.expect_navigation():
            page.locator("#schedule-form button[type=submit]").click()
    assert application.sittings.count() == 2
    shot(page, "hr-application")
    log_out(page)

    # The candidate sits the theory exam: every click is saved at once.
    log_in(page, live_server, ready_candidate.mobile)
    theory = application.sittings.get(kind=ExamSitting.Kind.THEORY)
    page.goto(f"{live_server.url}/certification/exams/{theory.pk}/")
    with page.expect_navigation():
        page.locator("#exam-start").click()
    attempt = Attempt.objects.get(sitting=theory)
    assert "剩余时间" in page.locator("#exam-timer").inner_text()
    for entry in attempt.paper:
        answer = Question.objects.get(pk=entry["q"]).answer
        for shown, original in enumerate(entry["order"]):
            if original in answer:
                page.evaluate("document.querySelector('#exam-save-state').textContent = ''")
                page.locator(f"input[name=q{entry['q']}][value='{shown}']").check()
                page.wait_for_function("() => document.querySelector('#exam-save-state').textContent === '已保存'")
    assert len(Attempt.objects.get(pk=attempt.pk).answers) == len(attempt.paper)  # saved before handing in
    shot(page, "theory-exam")
    with page.expect_navigation():
        page.locator("#exam-finish").click()
    assert page.locator("#exam-score").inner_text() == "100"

    # The practical exam in the workbench: one box on the gold item, Enter.
    practical = application.sittings.get(kind=ExamSitting.Kind.PRACTICAL)
    page.goto(f"{live_server.url}/certification/exams/{practical.pk}/")
    with page.expect_navigation():
        page.locator("#exam-start").click()
    page.wait_for_selector(READY)
    assert "技能考核" in page.locator("#wb-project").inner_text()
    page.keyboard.press("b")
    page.keyboard.press("1")
    drag(page, (100, 100), (400, 300))
    assert len(state(page)["shapes"]) == 1
    shot(page, "practical-exam")
    page.keyboard.press("Enter")
    page.wait_for_selector("#wb-empty:not([hidden])")
    page.goto(f"{live_server.url}/certification/exams/{practical.pk}/")
    assert int(page.locator("#exam-score").inner_text()) == 100
    shot(page, "practical-result")
    log_out(page)

    # HR issues the certificate.
    log_in(page, live_server, hr.mobile)
    page.goto(f"{live_server.url}/certification/hr/applications/{application.pk}/")
    with page.expect_navigation():
        page.locator("#issue-form button").click()
    certificate = Certificate.objects.get()
    assert certificate.number in page.locator("#issued-certificate").inner_text()
    pdf = page.request.get(f"{live_server.url}/certification/certificates/{certificate.pk}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    log_out(page)

    # The QR code on the PDF, decoded, opens the public page (nobody logged in).
    pypdf = pytest.importorskip("pypdf")
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pypdf.PdfReader(io.BytesIO(pdf.body())).pages[0].images[0].image
    url = zxingcpp.read_barcodes(image.convert("L"))[0].text
    page.goto(url)
    assert page.locator("#verify-status").inner_text().endswith("有效")
    assert page.locator("#verify-holder").inner_text() == "王*英"
    shot(page, "verify")
    assert errors == []
