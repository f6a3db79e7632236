"""On PostgreSQL a statement a connection keeps running is prepared, so the server plans it
once per connection. Django turns psycopg's preparing off unless the settings ask for it;
without it planning was half of PostgreSQL's CPU per `next` + `submit`."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
]

STATEMENT = "SELECT %s::int + 1 AS prepared_probe"


def prepared_probes(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%prepared_probe%"])
        return cursor.fetchone()[0]


def run_probe(wrapper, values) -> list[int]:
    answers = []
    for value in values:
        with wrapper.cursor() as cursor:
            cursor.execute(STATEMENT, [value])
            answers.append(cursor.fetchone()[0])
    return answers


def test_a_statement_run_again_and_again_is_prepared_once_and_keeps_its_answers(own_connection):
    answers = run_probe(own_connection, range(4))
    assert prepared_probes(own_connection) == 0  # a statement run a few times is not worth preparing

    answers += run_probe(own_connection, range(4, 10))
    assert prepared_probes(own_connection) == 1
    assert answers == list(range(1, 11))
