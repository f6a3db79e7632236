"""Consent before anything is stored, encrypted health notes with audited staff reads,
scoping of children's data, deletion by a guardian; PIN check-out and lockout."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aidou.errors import Conflict, DomainError, NotFound
from aidou.models import AuditLog
from childcare import selectors, services
from childcare.models import Attendance, Booking, Child, PickupPerson
from tests import factories
from tests.childcare import factories as care
from workforce.models import Role

pytestmark = pytest.mark.django_db


def test_nothing_is_stored_without_consent(guardian):
    with pytest.raises(ValidationError) as refused:
        services.child_register(
            guardian=guardian, name="小红", birth_date=dt.date(2019, 5, 1), consent=False, allergies="花生"
        )
    assert "consent" in refused.value.message_dict
    assert Child.objects.count() == 0


def test_health_notes_encrypted_and_staff_reads_audited(guardian, lead, outsider):
    child = care.child_of(guardian, allergies="花生过敏", medical_notes="哮喘, 备吸入器")
    row = Child.objects.get(pk=child.pk)
    assert "花生" not in row.allergies_encrypted and row.allergies_encrypted.startswith("gAAAA")
    assert row.has_health_notes and row.consent_by == guardian and row.consent_version

    assert services.child_health_notes_read(actor=guardian, child=child)["allergies"] == "花生过敏"
    reads = AuditLog.objects.filter(action="childcare_read_health_notes")
    assert reads.count() == 0  # the guardian's own reads are not staff reads
    notes = services.child_health_notes_read(actor=lead, child=child, ip_address="10.0.0.5")
    assert notes == {"allergies": "花生过敏", "medical_notes": "哮喘, 备吸入器"}
    audit = reads.get()
    assert (audit.actor, audit.action, audit.target_id, audit.ip_address) == (
        lead, "childcare_read_health_notes", str(child.pk), "10.0.0.5"
    )  # fmt: skip
    with pytest.raises(NotFound):
        services.child_health_notes_read(actor=outsider, child=child)


def test_children_are_visible_to_guardians_and_the_centres_care_staff_only(
    centre, guardian, other_guardian, lead, supervisor, outsider, other_centre, network_admin
):
    mine = care.child_of(guardian)
    theirs = care.child_of(other_guardian, name="别人家")
    other_lead = factories.UserFactory(centre=other_centre, roles=[Role.CHILDCARE_STAFF])
    assert list(selectors.children_visible_to(guardian)) == [mine]
    assert set(selectors.children_visible_to(lead)) == {mine, theirs}
    assert list(selectors.children_visible_to(supervisor)) == []  # not childcare staff
    assert list(selectors.children_visible_to(other_lead)) == []
    assert list(selectors.children_visible_to(outsider)) == []
    assert set(selectors.children_visible_to(network_admin)) == {mine, theirs}
    with pytest.raises(NotFound):
        selectors.child_get(other_guardian, mine.pk)


def test_a_guardian_deletes_the_record_and_the_place_is_freed(centre, hr, lead, guardian, other_guardian):
    room = care.room(centre, capacity=1)
    session = care.staffed(care.session(room), lead, care.caregiver(centre, hr=hr))
    child = care.child_of(guardian)
    services.pickup_person_add(
        actor=guardian, child=child, name="外婆", relation="外婆", mobile="13800000000", pin="1234"
    )
    services.booking_create(actor=guardian, child=child, session=session)
    waiting = services.booking_create(actor=other_guardian, child=care.child_of(other_guardian), session=session)
    with pytest.raises(NotFound):
        services.child_delete(actor=other_guardian, child=child)
    child_id = child.pk
    services.child_delete(actor=guardian, child=child)
    assert not Child.objects.filter(pk=child_id).exists() and not PickupPerson.objects.exists()
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert AuditLog.objects.filter(action="childcare_child_deleted", target_id=str(child_id)).exists()


@pytest.fixture
def checked_in(centre, hr, lead, guardian):
    room = care.room(centre)
    today = timezone.localdate()
    now = timezone.localtime()
    start = max(now - dt.timedelta(hours=1), timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0))))
    session = care.session(room, day=today, start=(start.hour, 0), end=(23, 59))
    care.staffed(session, lead, care.caregiver(centre, hr=hr))
    child = care.child_of(guardian)
    booking = services.booking_create(actor=guardian, child=child, session=session)
    services.child_check_in(actor=lead, booking=booking)
    grandma = services.pickup_person_add(
        actor=guardian, child=child, name="外婆", relation="外婆", mobile="13800000001", pin=care.PIN
    )
    return booking, grandma


def test_check_in_once_and_only_by_care_staff(checked_in, lead, other_guardian):
    booking, _grandma = checked_in
    with pytest.raises(Conflict):
        services.child_check_in(actor=lead, booking=booking)
    with pytest.raises(NotFound):
        services.child_check_in(actor=other_guardian, booking=booking)


def test_check_out_needs_the_right_pin_of_an_authorised_person(checked_in, lead, guardian, other_guardian):
    booking, grandma = checked_in
    stranger_child = care.child_of(other_guardian)
    stranger = services.pickup_person_add(
        actor=other_guardian, child=stranger_child, name="陌生人", relation="邻居", mobile="1", pin=care.PIN
    )
    with pytest.raises(DomainError) as not_authorised:
        services.child_check_out(actor=lead, booking=booking, pickup_person_id=stranger.pk, pin=care.PIN)
    assert not_authorised.value.field == "pickup_person"
    with pytest.raises(services.PinRefused):
        services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin="0000")
    assert AuditLog.objects.filter(action="childcare_pin_refused", target_id=str(grandma.pk)).count() == 1
    grandma.refresh_from_db()
    assert grandma.failed_pin_attempts == 1
    attendance = services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin=care.PIN)
    assert attendance.collected_by == grandma and attendance.checked_out_by == lead
    assert not attendance.late_pickup
    grandma.refresh_from_db()
    assert grandma.failed_pin_attempts == 0
    with pytest.raises(Conflict):
        services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin=care.PIN)


def test_five_wrong_pins_lock_for_fifteen_minutes(checked_in, lead):
    booking, grandma = checked_in
    for _ in range(5):
        with pytest.raises(services.PinRefused):
            services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin="9999")
    grandma.refresh_from_db()
    locked_for = grandma.locked_until - timezone.now()
    assert dt.timedelta(minutes=14) < locked_for <= dt.timedelta(minutes=15)
    assert AuditLog.objects.filter(action="childcare_pin_locked").count() == 1
    # Locked: even the right PIN is refused, and the child stays checked in.
    with pytest.raises(services.PinRefused):
        services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin=care.PIN)
    assert Attendance.objects.get(booking=booking).checked_out_at is None
    # After the lock: the right PIN works.
    PickupPerson.objects.filter(pk=grandma.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin=care.PIN)


def test_late_pickup_is_flagged(checked_in, lead):
    booking, grandma = checked_in
    session = booking.session
    session.ends_at = timezone.now() - dt.timedelta(minutes=11)
    session.starts_at = session.ends_at - dt.timedelta(hours=2)
    session.save()
    booking = Booking.objects.select_related("session__room").get(pk=booking.pk)
    attendance = services.child_check_out(actor=lead, booking=booking, pickup_person_id=grandma.pk, pin=care.PIN)
    assert attendance.late_pickup


def test_pin_must_be_four_to_six_digits(guardian):
    child = care.child_of(guardian)
    for pin in ("123", "abcd", "1234567", ""):
        with pytest.raises(ValidationError):
            services.pickup_person_add(actor=guardian, child=child, name="爸爸", relation="父亲", mobile="1", pin=pin)
    person = services.pickup_person_add(
        actor=guardian, child=child, name="爸爸", relation="父亲", mobile="1", pin="4321"
    )
    assert (
        person.pin_hash.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5")) and "4321" not in person.pin_hash
    )
