"""fetch_one_prepared: the row of a statement PostgreSQL keeps prepared per connection."""

import pytest
from django.db import DatabaseError, connection

from common.prepared import fetch_one_prepared

pytestmark = pytest.mark.django_db


def test_it_returns_the_first_row_and_postgresql_keeps_the_statement() -> None:
    assert fetch_one_prepared("SELECT %s + 1, %s", [41, "text"]) == (42, "text")
    assert fetch_one_prepared("SELECT 1 WHERE 1 = %s", [2]) is None
    if connection.vendor == "postgresql":  # SQLite has no prepared statements to look at
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            statements = [statement for (statement,) in cursor.fetchall()]
        assert "SELECT $1 + 1, $2" in statements


def test_its_errors_are_djangos_like_any_query() -> None:
    with pytest.raises(DatabaseError):
        fetch_one_prepared("SELECT * FROM no_such_table WHERE 1 = %s", [1])
