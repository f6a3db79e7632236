"""Guardians racing for the last places: exactly as many get one as there are places, the
rest are waitlisted with distinct tickets, on SQLite and on PostgreSQL (CI)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections, connection

from childcare import services
from childcare.models import Booking, Session
from tests import factories
from tests.childcare import factories as care


@pytest.mark.django_db(transaction=True)
def test_the_last_places_go_to_exactly_as_many_guardians(centre, hr, lead):
    guardians = 20 if connection.vendor == "postgresql" else 8
    room = care.room(centre, capacity=3)
    session = care.staffed(care.session(room), lead, care.caregiver(centre, hr=hr))
    assert session.places == 3
    parents = [factories.worker(actor=hr, centre=centre, name=f"家长{i}") for i in range(guardians)]
    children = [care.child_of(parent, name=f"孩子{i}") for i, parent in enumerate(parents)]
    start = threading.Barrier(guardians)

    def book(i: int) -> str:
        try:
            start.wait()
            fresh = Session.objects.select_related("room").get(pk=session.pk)
            return services.booking_create(actor=parents[i], child=children[i], session=fresh).status
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=guardians) as pool:
        outcomes = list(pool.map(book, range(guardians)))

    assert outcomes.count("confirmed") == 3
    assert outcomes.count("waitlisted") == guardians - 3
    session.refresh_from_db()
    assert session.confirmed_count == 3
    assert Booking.objects.filter(session=session, status="confirmed").count() == 3
    tickets = list(
        Booking.objects.filter(session=session, status="waitlisted").values_list("waitlist_ticket", flat=True)
    )
    assert sorted(tickets) == list(range(1, guardians - 2))
