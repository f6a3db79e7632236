"""The guardian's page, the lead's page and the tablet, as people use them (Chinese and
English), with their permissions and query counts."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from childcare import services
from childcare.models import Attendance, Booking, Child
from tests.childcare import factories as care

pytestmark = pytest.mark.django_db


def client_for(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def shift_week(after_school, centre, hr, lead, guardian):
    tuesday = care.next_weekday(1)
    session = care.staffed(care.session(after_school, day=tuesday, start=(17, 0), end=(21, 0)), lead,
                           care.caregiver(centre, hr=hr))  # fmt: skip
    child = care.child_of(guardian)
    care.published_shift(guardian, starts_at=care.at(tuesday, 18), ends_at=care.at(tuesday, 22))
    return session, child


def test_guardian_books_the_proposed_care_in_one_click(shift_week, guardian, django_assert_max_num_queries):
    session, child = shift_week
    page = client_for(guardian)
    with django_assert_max_num_queries(25):
        html = page.get("/childcare/").content.decode()
    assert "为您的班次安排托育" in html and "课后一班" in html
    answer = page.post("/childcare/proposals/accept/", follow=True)
    assert "1 个已预订" in answer.content.decode()
    assert Booking.objects.get().session == session and Booking.objects.get().status == "confirmed"
    html = page.get("/childcare/").content.decode()
    assert "未来两周没有需要托育的已发布班次" in html


def test_guardian_page_in_english_shows_waitlist_position(after_school, guardian, other_guardian):
    session = care.session(after_school)  # no caregiver: everyone waits
    services.booking_create(actor=other_guardian, child=care.child_of(other_guardian), session=session)
    child = care.child_of(guardian)
    page = client_for(guardian, "en")
    page.cookies["django_language"] = "en"
    answer = page.post("/childcare/bookings/", {"child": child.pk, "session": session.pk}, follow=True)
    html = answer.content.decode()
    assert "number 2 on the waitlist" in html
    assert "Waitlist, number 2" in html


def test_register_needs_consent_and_stores_nothing_without_it(guardian):
    page = client_for(guardian, "en")
    data = {"name": "小红", "birth_date": "2019-05-01", "allergies": "花生"}
    refused = page.post("/childcare/children/new/", data)
    assert refused.status_code == 200 and Child.objects.count() == 0
    assert "with your consent" in refused.content.decode()
    done = page.post("/childcare/children/new/", data | {"consent": "on"})
    assert done.status_code == 302 and Child.objects.get().name == "小红"


def test_other_families_and_wrong_roles(shift_week, other_guardian, annotator, guardian):
    _session, child = shift_week
    assert client_for(other_guardian).get(f"/childcare/children/{child.pk}/").status_code == 404
    assert client_for(other_guardian).post(f"/childcare/children/{child.pk}/delete/").status_code == 404
    assert client_for(annotator).get("/childcare/lead/").status_code == 403
    assert client_for(guardian).get("/childcare/tablet/").status_code == 403
    assert Child.objects.filter(pk=child.pk).exists()


def test_lead_sees_today_and_the_week(centre, hr, lead, guardian, django_assert_max_num_queries):
    room = care.room(centre, name="课后二班")
    today = timezone.localdate()
    session = care.session(room, day=today, start=(0, 0), end=(23, 59))
    care.staffed(session, lead, care.caregiver(centre, hr=hr, name="王老师"))
    care.caregiver(centre, hr=hr, name="快过期", cert_days=10)
    services.booking_create(actor=guardian, child=care.child_of(guardian), session=session)
    page = client_for(lead)
    with django_assert_max_num_queries(14):
        html = page.get("/childcare/lead/").content.decode()
    assert "课后二班" in html and "王老师" in html and "快过期" in html and "1:10" in html


def test_tablet_check_in_and_pin_check_out(centre, hr, lead, guardian):
    room = care.room(centre)
    session = care.staffed(care.session(room, day=timezone.localdate(), start=(0, 0), end=(23, 59)), lead,
                           care.caregiver(centre, hr=hr))  # fmt: skip
    child = care.child_of(guardian, name="小宝")
    booking = services.booking_create(actor=guardian, child=child, session=session)
    mum = services.pickup_person_add(actor=guardian, child=child, name="妈妈", relation="母亲", mobile="1", pin="1357",
                                     user=guardian)  # fmt: skip
    tablet = client_for(lead)
    assert "签到" in tablet.get("/childcare/tablet/").content.decode()
    tablet.post(f"/childcare/tablet/{booking.pk}/check-in/")
    assert Attendance.objects.filter(booking=booking).exists()
    wrong = tablet.post(f"/childcare/tablet/{booking.pk}/check-out/", {"pickup_person": mum.pk, "pin": "0000"},
                        follow=True)  # fmt: skip
    assert "PIN 错误" in wrong.content.decode()
    assert Attendance.objects.get(booking=booking).checked_out_at is None
    right = tablet.post(f"/childcare/tablet/{booking.pk}/check-out/", {"pickup_person": mum.pk, "pin": "1357"},
                        follow=True)  # fmt: skip
    assert "小宝 已由 妈妈 接走" in right.content.decode()
    assert Attendance.objects.get(booking=booking).collected_by == mum
    assert dt.timedelta(0) <= timezone.now() - Attendance.objects.get(booking=booking).checked_out_at


def test_home_page_leads_to_the_care_space(shift_week, guardian, lead, annotator):
    assert "/childcare/lead/" in client_for(lead).get("/").content.decode()
    html = client_for(guardian).get("/").content.decode()
    assert "您的班次还有 1 个托育场次未预订" in html
    assert 'id="childcare-panel"' not in client_for(annotator).get("/").content.decode()
