"""The childcare API: sessions for the centre's staff, bookings for guardians, check-in
and check-out for the tablet; scoping (another family's child: 404), bad input (400),
query counts on the list."""

import datetime as dt

import pytest
from django.utils import timezone

from childcare import services
from childcare.models import Booking
from tests.childcare import factories as care
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed_session(after_school, centre, hr, lead):
    return care.staffed(care.session(after_school), lead, care.caregiver(centre, hr=hr))


def test_sessions_for_the_centres_staff(
    api, lead, staffed_session, guardian, other_guardian, django_assert_num_queries
):
    services.booking_create(actor=guardian, child=care.child_of(guardian), session=staffed_session)
    day = staffed_session.date
    client = api(lead)
    with django_assert_num_queries(2):  # the count and the page, whatever the rows
        answer = client.get(f"/api/v1/childcare/sessions/?from={day}&to={day}")
    assert answer.status_code == 200
    (row,) = answer.json()["results"]
    assert row["id"] == staffed_session.pk and row["room"] == "课后一班"
    assert (row["capacity"], row["places"], row["ratio"], row["caregivers"], row["confirmed"], row["waitlisted"]) == (
        20, 10, "1:10", 1, 1, 0
    )  # fmt: skip
    assert_matches_schema(answer, "get")
    # A guardian is not staff: nothing. Outside the range: nothing.
    assert api(guardian).get("/api/v1/childcare/sessions/").json()["count"] == 0
    later = day + dt.timedelta(days=1)
    assert client.get(f"/api/v1/childcare/sessions/?from={later}&to={later}").json()["count"] == 0


def test_sessions_bad_ranges(api, lead):
    client = api(lead)
    assert client.get("/api/v1/childcare/sessions/?from=2026-13-01").json().keys() == {"from"}
    assert client.get("/api/v1/childcare/sessions/?from=2026-12-10&to=2026-12-01").status_code == 400
    assert "to" in client.get("/api/v1/childcare/sessions/?from=2026-01-01&to=2026-12-01").json()


def test_book_and_cancel(api, guardian, other_guardian, staffed_session):
    child = care.child_of(guardian)
    answer = api(guardian).post("/api/v1/childcare/bookings/", {"child": child.pk, "session": staffed_session.pk})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["status"], body["waitlist_position"], body["child"]) == ("confirmed", None, child.pk)
    assert_matches_schema(answer, "post")
    again = api(guardian).post("/api/v1/childcare/bookings/", {"child": child.pk, "session": staffed_session.pk})
    assert again.status_code == 409
    # Another family: their child is 404, and so is our booking.
    theirs = api(other_guardian)
    assert (
        theirs.post("/api/v1/childcare/bookings/", {"child": child.pk, "session": staffed_session.pk}).status_code
        == 404
    )
    assert theirs.delete(f"/api/v1/childcare/bookings/{body['id']}/").status_code == 404
    assert api(guardian).delete(f"/api/v1/childcare/bookings/{body['id']}/").status_code == 204
    assert Booking.objects.get().status == "cancelled"


def test_waitlisted_answer_has_the_position(api, guardian, other_guardian, after_school):
    session = care.session(after_school)  # no caregiver
    services.booking_create(actor=other_guardian, child=care.child_of(other_guardian), session=session)
    child = care.child_of(guardian)
    body = api(guardian).post("/api/v1/childcare/bookings/", {"child": child.pk, "session": session.pk}).json()
    assert (body["status"], body["waitlist_position"]) == ("waitlisted", 2)


@pytest.mark.parametrize(
    "payload, field",
    [({}, "child"), ({"child": "x", "session": 1}, "child"), ({"child": 1, "session": -3}, "session")],
)
def test_book_bad_input(api, guardian, payload, field):
    answer = api(guardian).post("/api/v1/childcare/bookings/", payload, format="json")
    assert answer.status_code == 400 and field in answer.json()
    assert Booking.objects.count() == 0


def test_another_centres_session_is_404(api, guardian, outsider):
    other = care.session(care.room(outsider.centre, name="外中心"))
    child = care.child_of(guardian)
    assert (
        api(guardian).post("/api/v1/childcare/bookings/", {"child": child.pk, "session": other.pk}).status_code == 404
    )


def test_tablet_check_in_and_out_over_the_api(api, centre, hr, lead, guardian, annotator):
    session = care.staffed(care.session(care.room(centre), day=timezone.localdate(), start=(0, 0), end=(23, 59)),
                           lead, care.caregiver(centre, hr=hr))  # fmt: skip
    child = care.child_of(guardian)
    booking = services.booking_create(actor=guardian, child=child, session=session)
    person = services.pickup_person_add(
        actor=guardian, child=child, name="爷爷", relation="祖父", mobile="1", pin="2580"
    )
    assert api(annotator).post(f"/api/v1/childcare/bookings/{booking.pk}/check-in/").status_code == 404
    assert api(guardian).post(f"/api/v1/childcare/bookings/{booking.pk}/check-in/").status_code == 404
    tablet = api(lead)
    checked = tablet.post(f"/api/v1/childcare/bookings/{booking.pk}/check-in/")
    assert checked.status_code == 201 and checked.json()["checked_out_at"] is None
    assert tablet.post(f"/api/v1/childcare/bookings/{booking.pk}/check-in/").status_code == 409
    out = f"/api/v1/childcare/bookings/{booking.pk}/check-out/"
    assert tablet.post(out, {"pickup_person": person.pk, "pin": "12"}).status_code == 400
    wrong = tablet.post(out, {"pickup_person": person.pk, "pin": "1111"})
    assert wrong.status_code == 403 and "pin" in wrong.json()
    done = tablet.post(out, {"pickup_person": person.pk, "pin": "2580"})
    assert done.status_code == 200 and done.json()["collected_by"] == "爷爷"
