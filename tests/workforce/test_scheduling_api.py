"""The annotator's own shifts and clock in / out over the API: the shape (against the
OpenAPI schema), only one's own, bad dates 400, clocking in twice 409, a fixed number of
queries on the list."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.openapi import assert_matches_schema
from tests.workforce.test_scheduling_services import at
from workforce.models import AttendanceRecord, ShiftType
from workforce.scheduling import services

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 16)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def week(centre, supervisor, annotator, hr):
    """Published: Wang's Monday and Tuesday mornings, Li's Monday morning; Wang's Wednesday
    morning only drafted."""
    team = factories.TeamFactory(centre=centre, name="标注一组")
    colleague = factories.worker(actor=hr, centre=centre, name="李桂英", team=team)
    team.members.add(annotator)
    morning = ShiftType.objects.create(centre=centre, name="上午", starts=dt.time(8, 30), ends=dt.time(12))
    roster = services.roster_get_or_create(actor=supervisor, team=team, week_start=MONDAY)
    tuesday = MONDAY + dt.timedelta(days=1)
    services.roster_draft_set(
        actor=supervisor, roster=roster,
        cells={(annotator.pk, MONDAY): {morning.pk}, (annotator.pk, tuesday): {morning.pk},
               (colleague.pk, MONDAY): {morning.pk}},
    )  # fmt: skip
    services.roster_publish(actor=supervisor, roster=roster)
    services.roster_draft_set(
        actor=supervisor, roster=roster, cells={(annotator.pk, tuesday + dt.timedelta(days=1)): {morning.pk}}
    )
    return team, colleague, morning


def test_my_shifts_are_my_published_ones(week, annotator, django_assert_max_num_queries):
    team, _colleague, morning = week
    with django_assert_max_num_queries(4):
        response = api(annotator).get("/api/v1/shifts/?from=2026-11-16&to=2026-11-22")
    assert response.status_code == 200
    assert_matches_schema(response)
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["date"] == "2026-11-16" and first["starts_at"] == "2026-11-16T08:30:00+08:00"
    assert first["shift_type"] == {"id": morning.pk, "name": "上午"}
    assert first["team"] == {"id": team.pk, "name": "标注一组"}
    assert api(annotator).get("/api/v1/shifts/?from=2026-11-17&to=2026-11-17").json()["count"] == 1


def test_bad_ranges_are_400_naming_the_field(annotator):
    client = api(annotator)
    assert "from" in client.get("/api/v1/shifts/?from=2026-11-31").json()
    assert "to" in client.get("/api/v1/shifts/?from=2026-11-16&to=2026-11-01").json()
    assert "to" in client.get("/api/v1/shifts/?from=2026-01-01&to=2026-12-31").json()


def test_another_persons_shifts_never_show(week, outsider):
    assert api(outsider).get("/api/v1/shifts/?from=2026-11-16&to=2026-11-22").json()["count"] == 0


def test_clock_in_then_out_and_not_twice(annotator, outsider):
    client = api(annotator)
    response = client.post("/api/v1/attendance/clock-in/")
    assert response.status_code == 201
    assert_matches_schema(response, "post")
    assert response.json()["clock_out_at"] is None
    assert client.post("/api/v1/attendance/clock-in/").status_code == 409
    assert AttendanceRecord.objects.filter(worker=annotator).count() == 1
    assert api(outsider).post("/api/v1/attendance/clock-out/").status_code == 409  # not mine to close
    response = client.post("/api/v1/attendance/clock-out/")
    assert response.status_code == 200 and response.json()["clock_out_at"] is not None
    assert client.post("/api/v1/attendance/clock-out/").status_code == 409


def test_my_attendance_list(annotator, outsider):
    services.attendance_clock_in(worker=annotator, at=at(MONDAY, 8, 29))
    services.attendance_clock_out(worker=annotator, at=at(MONDAY, 12))
    services.attendance_clock_in(worker=outsider, at=at(MONDAY, 8, 29))
    response = api(annotator).get("/api/v1/attendance/?from=2026-11-16&to=2026-11-16")
    assert_matches_schema(response)
    (record,) = response.json()["results"]
    assert record["clock_in_at"] == "2026-11-16T08:29:00+08:00" and record["corrected"] is False
