"""The payslip and payroll-run API: the shape (against the OpenAPI schema), money as
strings, scoping (another centre's payslip is 404, a worker sees only their own), query
counts, a closed period answering 409; the bank file's audit row and the PDF's text."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from aidou.crypto import encrypt_text
from aidou.models import AuditLog
from tests import factories
from tests.openapi import assert_matches_schema
from tests.workforce import pay_fixtures
from tests.workforce.pay_fixtures import at, ledger, payslip_of, run_payroll
from workforce.models import PayPeriod, Payslip, Role, WorkerProfile
from workforce.pay import services

pytestmark = pytest.mark.django_db
pay_centre = pay_fixtures.pay_centre
NOVEMBER = dt.date(2026, 11, 1)
MONEY = r"^-?\d+\.\d{2}$"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _paid(hr, centre, count=2, month=NOVEMBER):
    people = []
    for n in range(count):
        person = factories.worker(
            actor=hr, centre=centre, name=f"陈晓燕{n}", bank_name="中国农业银行", bank_account=f"62284810000000{n:05d}"
        )
        ledger(person, f"{1234.5 + n}", at(month + dt.timedelta(days=9), 10))
        people.append(person)
    run_payroll(hr, centre, month)
    return people


def test_payslip_list_shape_money_strings_and_sums(pay_centre, hr):
    people = _paid(hr, pay_centre)
    response = api(hr).get("/api/v1/payslips/?period=2026-11")
    assert response.status_code == 200
    assert_matches_schema(response)
    body = response.json()
    assert body["count"] == 2
    slip = next(item for item in body["results"] if item["worker"]["id"] == people[0].pk)
    assert set(slip) == {
        "id", "worker", "centre", "period", "status", "lines",
        "gross", "total_deductions", "net", "taxable_income_ytd", "tax_withheld_ytd",
    }  # fmt: skip
    assert slip["period"] == "2026-11" and slip["status"] == "draft"
    assert slip["centre"] == {"id": pay_centre.pk, "name": pay_centre.name}
    for key in ("gross", "total_deductions", "net", "taxable_income_ytd", "tax_withheld_ytd"):
        assert isinstance(slip[key], str)
        assert __import__("re").match(MONEY, slip[key]), (key, slip[key])
    line = slip["lines"][0]
    assert set(line) == {"code", "kind", "label", "quantity", "rate", "amount", "explanation"}
    earnings = sum(Decimal(x["amount"]) for x in slip["lines"] if x["kind"] == "earning")
    deductions = sum(Decimal(x["amount"]) for x in slip["lines"] if x["kind"] == "deduction")
    assert Decimal(slip["gross"]) == earnings
    assert Decimal(slip["total_deductions"]) == deductions
    assert Decimal(slip["net"]) == earnings - deductions
    # 1,234.50 of piece work, topped up to nothing (no hours recorded): piece line "1234.50".
    assert line == {
        "code": "piece",
        "kind": "earning",
        "label": "Piece work",
        "quantity": "1234.5000",
        "rate": "1.0000",
        "amount": "1234.50",
        "explanation": line["explanation"],
    }


def test_a_worker_sees_only_their_own_and_another_centre_is_404(pay_centre, hr, other_centre, other_hr):
    people = _paid(hr, pay_centre)
    own = payslip_of(people[0], NOVEMBER)
    theirs = payslip_of(people[1], NOVEMBER)
    response = api(people[0]).get("/api/v1/payslips/")
    assert [item["id"] for item in response.json()["results"]] == [own.pk]
    assert api(people[0]).get(f"/api/v1/payslips/{theirs.pk}/").status_code == 404
    assert api(people[0]).get(f"/api/v1/payslips/{own.pk}/").status_code == 200
    assert api(other_hr).get(f"/api/v1/payslips/{own.pk}/").status_code == 404
    assert api(other_hr).get("/api/v1/payslips/?period=2026-11").json()["count"] == 0
    supervisor = factories.UserFactory(centre=pay_centre, roles=[Role.SUPERVISOR])
    assert api(supervisor).get(f"/api/v1/payslips/{own.pk}/").status_code == 404


def test_a_network_admin_sees_every_centre(pay_centre, hr, network_admin):
    _paid(hr, pay_centre)
    assert api(network_admin).get("/api/v1/payslips/?period=2026-11").json()["count"] == 2


def test_a_bad_period_is_400_naming_the_field(hr):
    response = api(hr).get("/api/v1/payslips/?period=2026-13")
    assert response.status_code == 400
    assert "period" in response.json()


def test_the_list_costs_the_same_queries_for_two_or_ten_payslips(pay_centre, hr, django_assert_num_queries):
    _paid(hr, pay_centre, count=2)
    _paid(hr, pay_centre, count=10, month=dt.date(2026, 12, 1))
    client = api(hr)
    # Count, page, lines (prefetched): 3 queries, however many payslips.
    with django_assert_num_queries(3):
        assert client.get("/api/v1/payslips/?period=2026-11").json()["count"] == 2
    with django_assert_num_queries(3):
        assert client.get("/api/v1/payslips/?period=2026-12").json()["count"] == 10


def test_hr_starts_a_run_and_polls_it(pay_centre, hr, django_capture_on_commit_callbacks):
    _person = factories.worker(actor=hr, centre=pay_centre)
    ledger(_person, "88.8", at(dt.date(2026, 11, 3), 10))
    client = api(hr)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/payroll/runs/", {"period": "2026-11"}, format="json")
    assert response.status_code == 202, response.json()
    assert_matches_schema(response, "post")
    run_id = response.json()["id"]
    polled = client.get(f"/api/v1/payroll/runs/{run_id}/")
    assert_matches_schema(polled)
    assert polled.json()["status"] == "succeeded"
    assert polled.json()["period"] == "2026-11" and polled.json()["summary"]["payslips"] == 1


def test_runs_are_for_hr_of_the_centre(pay_centre, hr, other_hr, annotator):
    assert api(annotator).post("/api/v1/payroll/runs/", {"period": "2026-11"}, format="json").status_code == 403
    response = api(other_hr).post(
        "/api/v1/payroll/runs/", {"period": "2026-11", "centre": pay_centre.pk}, format="json"
    )
    assert response.status_code == 404
    assert api(hr).post("/api/v1/payroll/runs/", {"period": "11/2026"}, format="json").status_code == 400
    assert not PayPeriod.objects.exists()


def test_a_closed_period_answers_409(pay_centre, hr):
    _paid(hr, pay_centre, count=1)
    services.pay_period_close(actor=hr, period=PayPeriod.objects.get())
    response = api(hr).post("/api/v1/payroll/runs/", {"period": "2026-11"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"]  # the sentence, in the request's language
    assert Payslip.objects.get().status == "closed"


def test_the_bank_file_has_full_accounts_and_each_download_is_audited(pay_centre, hr, client):
    people = _paid(hr, pay_centre)
    period = PayPeriod.objects.get()
    client.force_login(hr)
    assert client.get(f"/pay/periods/{period.pk}/bank.csv").status_code == 302  # open: refused, back to the page
    assert not AuditLog.objects.filter(action="bank_file_download").exists()
    services.pay_period_close(actor=hr, period=period)

    page = client.get(f"/pay/periods/{period.pk}/").content.decode()
    assert "**** **** 0000" in page and "6228481000000000000" not in page  # masked on screen
    response = client.get(f"/pay/periods/{period.pk}/bank.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "6228481000000000000" in text and "6228481000000000001" in text
    net = payslip_of(people[0], NOVEMBER).net
    assert f"{net:.2f}" in text
    audit = AuditLog.objects.get(action="bank_file_download")
    assert (audit.actor_id, audit.target_type, audit.target_id) == (hr.pk, "workforce.payperiod", str(period.pk))

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get(f"/pay/periods/{period.pk}/bank.xlsx").content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][2] == "6228481000000000000"  # text, not 6.22848E+18
    assert AuditLog.objects.filter(action="bank_file_download").count() == 2


def test_only_hr_of_the_centre_downloads_the_bank_file(pay_centre, hr, other_hr, client):
    _paid(hr, pay_centre, count=1)
    period = PayPeriod.objects.get()
    services.pay_period_close(actor=hr, period=period)
    manager = factories.UserFactory(centre=pay_centre, roles=[Role.CENTRE_MANAGER])
    client.force_login(manager)
    assert client.get(f"/pay/periods/{period.pk}/bank.csv").status_code == 403
    client.force_login(other_hr)
    assert client.get(f"/pay/periods/{period.pk}/bank.csv").status_code == 404
    assert not AuditLog.objects.filter(action="bank_file_download").exists()


def test_the_payslip_pdf_carries_the_chinese_text_and_every_explanation(pay_centre, hr, client):
    from pypdf import PdfReader

    people = _paid(hr, pay_centre, count=1)
    payslip = payslip_of(people[0], NOVEMBER)
    client.force_login(people[0])
    response = client.get(f"/pay/payslips/{payslip.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # pypdf reads the two-byte codes of an embedded CFF font with a NUL before each character.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).replace("\x00", "")
    assert "陈晓燕0" in text
    assert "1,234.50" in text
    assert "Piece work" in text and "quality multiplier" in text


def test_pages_of_payroll(pay_centre, hr, client, other_hr):
    people = _paid(hr, pay_centre, count=1)
    payslip = payslip_of(people[0], NOVEMBER)
    period = payslip.period
    client.force_login(hr)
    assert client.get("/pay/").status_code == 200
    page = client.get(f"/pay/payslips/{payslip.pk}/").content.decode()
    assert "Piece work" in page or "计件" in page
    run = period.runs.get()
    assert client.get(f"/pay/runs/{run.pk}/").status_code == 200
    client.force_login(people[0])
    assert client.get("/pay/mine/").status_code == 200
    assert client.get(f"/pay/periods/{period.pk}/").status_code == 404
    client.force_login(other_hr)
    assert client.get(f"/pay/payslips/{payslip.pk}/").status_code == 404
    assert client.get(f"/pay/runs/{run.pk}/").status_code == 404


def test_bank_accounts_come_from_the_encrypted_field(pay_centre, hr):
    person = _paid(hr, pay_centre, count=1)[0]
    WorkerProfile.objects.filter(user=person).update(bank_account_encrypted=encrypt_text("6217000000000009999"))
    period = services.pay_period_close(actor=hr, period=PayPeriod.objects.get())
    name, content_type, body = services.bank_file_download(actor=hr, period=period, file_format="csv")
    assert "6217000000000009999" in body.decode("utf-8-sig")
    assert name == "bank-YJ-2026-11.csv" and content_type.startswith("text/csv")
