"""The earnings API (one's own ledger lines), the earnings panel on the annotator's home,
the supervisors' rates page and their audit page where a line is taken back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.annotation.factories import labelling_project
from tests.annotation.test_assignments import open_batch
from tests.openapi import assert_matches_schema
from tests.workforce.pay_fixtures import TZ, at
from workforce.models import LedgerLine, PieceRate, Role
from workforce.pay import services

EARNINGS = "/api/v1/earnings/"
PROJECT = 41


def priced(supervisor, centre, **values):
    services.piece_rates_set(actor=supervisor, centre=centre, project_id=PROJECT, project_name="街景", rates=values)
    PieceRate.objects.update(effective_from=dt.datetime(2026, 1, 1, tzinfo=TZ))


def earn(worker, units, *, source_id, when):
    services.ledger_work_accepted(
        worker_id=worker.pk, centre_id=worker.centre_id, project_id=PROJECT, source="annotation",
        source_id=source_id, units=units, done_at=when, accepted_at=when, description={"project": "街景"},
    )  # fmt: skip


@pytest.fixture
def team(centre, annotator):
    team = factories.TeamFactory(centre=centre, name="一组")
    team.members.add(annotator)
    return team


@pytest.fixture
def lines(supervisor, annotator, outsider, centre, other_centre):
    priced(supervisor, centre, box="0.0800", item="0.0125")
    other_sup = factories.UserFactory(username="other_sup", centre=other_centre, roles=[Role.SUPERVISOR])
    services.piece_rates_set(actor=other_sup, centre=other_centre, project_id=PROJECT, project_name="街景",
                             rates={"box": "0.0900"})  # fmt: skip
    PieceRate.objects.update(effective_from=dt.datetime(2026, 1, 1, tzinfo=TZ))
    earn(annotator, {"box": 312, "item": 1}, source_id=1, when=at(dt.date(2026, 11, 3), 10))
    earn(annotator, {"box": 10}, source_id=2, when=at(dt.date(2026, 11, 30), 23, 30))
    earn(annotator, {"box": 5}, source_id=3, when=at(dt.date(2026, 12, 1), 0, 10))
    earn(outsider, {"box": 7}, source_id=4, when=at(dt.date(2026, 11, 3), 10))
    return LedgerLine.objects.filter(worker=annotator)


@pytest.mark.django_db
def test_earnings_are_ones_own_lines_of_the_days_asked_explained(lines, annotator, api, django_assert_num_queries):
    client = api(annotator)
    with django_assert_num_queries(2):  # the count and the page
        response = client.get(EARNINGS, {"from": "2026-11-01", "to": "2026-11-30"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    assert_matches_schema(response)
    body = response.json()
    assert body["count"] == 3  # 23:30 on the 30th (Beijing) is November's; 00:10 on the 1st is not
    first, *_rest = body["results"]
    assert first["amount"] == "0.8000" and first["explanation"] == "10 boxes × 0.0800 = 0.80"
    box = next(row for row in body["results"] if row["source_id"] == 1 and row["unit"] == "box")
    assert box == {
        **box, "kind": "earning", "quantity": 312, "rate": "0.0800", "amount": "24.9600", "project": "街景",
        "explanation": "312 boxes × 0.0800 = 24.96", "time_class": "normal", "reverses": None, "reason": "",
    }  # fmt: skip
    item = next(row for row in body["results"] if row["unit"] == "item")
    assert item["amount"] == "0.0125"
    assert {row["id"] for row in body["results"]} <= set(lines.values_list("id", flat=True))


@pytest.mark.django_db
def test_a_reversal_is_listed_with_its_reason(lines, annotator, supervisor, api):
    line = lines.get(source_id=1, unit="box")
    services.ledger_reverse(actor=supervisor, line_id=line.pk, reason="抽检发现错框")
    today = timezone.localdate().isoformat()
    [reversal] = api(annotator).get(EARNINGS, {"from": today, "to": today}, HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert reversal["kind"] == "reversal" and reversal["amount"] == "-24.9600" and reversal["reverses"] == line.pk
    assert reversal["reason"] == "抽检发现错框"
    assert reversal["explanation"] == "-312 boxes × 0.0800 = -24.96"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-11-01"}, "to"),
        ({"from": "9" * 40}, "from"),
    ],
)
def test_bad_days_are_400_naming_the_field(annotator, api, query, field):
    response = api(annotator).get(EARNINGS, query)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.django_db
def test_by_default_this_month_and_nobody_elses(lines, annotator, outsider, hr, api):
    assert (
        api(annotator).get(EARNINGS).json()["count"]
        == LedgerLine.objects.filter(
            worker=annotator, accepted_at__gte=timezone.localtime().replace(day=1, hour=0, minute=0, second=0)
        ).count()
    )
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    assert api(hr).get(EARNINGS, november).json()["count"] == 0  # HR reads payslips, not others' lines here
    assert api(outsider).get(EARNINGS, november).json()["count"] == 1
    assert api().get(EARNINGS).status_code in (401, 403)


@pytest.mark.django_db
def test_the_home_panel_shows_the_days_earnings_and_the_rates_before_work(supervisor, annotator, team, centre, client):
    project = labelling_project(items=2, name="街景标注")
    open_batch(supervisor, project, teams=[team], name="第一批")
    services.piece_rates_set(actor=supervisor, centre=centre, project_id=project.pk, project_name=project.name,
                             rates={"box": "0.0800"})  # fmt: skip
    now = timezone.now()
    services.ledger_work_accepted(
        worker_id=annotator.pk, centre_id=centre.pk, project_id=project.pk, source="annotation", source_id=9,
        units={"box": 312}, done_at=now, accepted_at=now, description={"project": project.name},
    )  # fmt: skip
    client.force_login(annotator)
    page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="earnings-panel"' in page
    assert "312 boxes × 0.0800 = 24.96" in page and "¥24.96" in page
    assert "0.0800 yuan per box" in page  # the rate, before taking the batch's work
    chinese = client.get("/work/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的收入" in chinese and "312 个框 × 0.0800 = 24.96" in chinese
    assert "style=" not in page.split('id="earnings-panel"')[1].split("</section>")[0]


@pytest.mark.django_db
def test_supervisors_set_rates_on_their_page_and_annotators_may_not(supervisor, annotator, centre, client):
    project = labelling_project(items=1, name="街景标注")
    client.force_login(annotator)
    assert client.get("/batches/rates/").status_code == 403
    assert client.post(f"/batches/rates/{project.pk}/", {"rate_box": "1"}).status_code == 403
    client.force_login(supervisor)
    assert client.get("/batches/rates/").status_code == 200
    response = client.post(f"/batches/rates/{project.pk}/", {"rate_box": "0.0800", "rate_item": ""})
    assert response.status_code == 302
    [rate] = PieceRate.objects.all()
    assert (rate.project_id, rate.unit, rate.rate, rate.centre_id) == (project.pk, "box", Decimal("0.0800"), centre.pk)
    refused = client.post(f"/batches/rates/{project.pk}/", {"rate_box": "0.00001"}, follow=True)
    assert "最多保留 4 位小数" in refused.content.decode() and PieceRate.objects.count() == 1
    page = client.get("/batches/rates/").content.decode()
    assert "0.0800" in page


@pytest.mark.django_db
def test_a_supervisor_takes_a_line_back_on_the_audit_page(lines, supervisor, annotator, outsider, client):
    line = lines.get(source_id=1, unit="box")
    client.force_login(annotator)
    assert client.get("/pay/ledger/").status_code == 403
    assert client.post(f"/pay/ledger/{line.pk}/reverse/", {"reason": "x"}).status_code == 404
    client.force_login(supervisor)
    page = client.get("/pay/ledger/", {"worker": annotator.pk}).content.decode()
    assert "312 个框 × 0.0800 = 24.96" in page
    assert client.post(f"/pay/ledger/{line.pk}/reverse/", {"reason": "抽检发现错框"}).status_code == 302
    reversal = LedgerLine.objects.get(reverses=line)
    assert reversal.amount == Decimal("-24.9600") and reversal.created_by == supervisor
    outsider_line = LedgerLine.objects.get(worker=outsider)
    assert client.post(f"/pay/ledger/{outsider_line.pk}/reverse/", {"reason": "x"}).status_code == 404
