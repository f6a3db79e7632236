"""The PostgreSQL backend's health check (aidou/db/postgresql/base.py): a connection the
server dropped between requests is replaced, whether it was busy a moment ago or not, and
a busy, healthy one is not asked `SELECT 1` again."""

import time

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"),
]


def between_requests(wrapper) -> None:
    wrapper.close_if_unusable_or_obsolete()  # what Django does as a request ends and the next starts


def last_query_of(wrapper) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [wrapper.connection.info.backend_pid])
        return cursor.fetchone()[0]


def answer(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 42")
        return cursor.fetchone()[0]


def test_a_busy_healthy_connection_is_not_asked_select_1(own_connection):
    assert answer(own_connection) == 42
    between_requests(own_connection)
    own_connection.close_if_health_check_failed()
    assert own_connection.health_check_done
    assert last_query_of(own_connection) == "SELECT 42"  # no round trip for the check


def test_a_connection_quiet_for_a_while_gets_the_full_check(own_connection, monkeypatch):
    assert answer(own_connection) == 42
    between_requests(own_connection)
    monkeypatch.setattr(own_connection, "quiet_seconds", 0.0)
    own_connection.close_if_health_check_failed()
    assert last_query_of(own_connection) == "SELECT 1"


@pytest.mark.parametrize("quiet_seconds", [60.0, 0.0])
def test_a_connection_the_server_dropped_is_replaced_without_an_error(own_connection, monkeypatch, quiet_seconds):
    monkeypatch.setattr(own_connection, "quiet_seconds", quiet_seconds)
    assert answer(own_connection) == 42
    pid = own_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's goodbye reaches the socket
    between_requests(own_connection)
    assert answer(own_connection) == 42  # the next request's first query: a new connection, no error
    assert own_connection.connection.info.backend_pid != pid
