"""A statement parsed and planned once per database connection, for the hottest paths.

Django sends every query as text with its values inlined (client-side binding), so
PostgreSQL parses and plans each one anew. For a statement run on every request that is
most of its cost: the webhook's INSERT … SELECT of a callback took 0.30 ms of PostgreSQL's
CPU as text and 0.17 ms as a prepared statement (this machine, benchmarks/ingest.py).
psycopg prepares it on first use and keeps it, per connection, with its own cache; with
DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them) it is sent unprepared.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction


def fetch_one_prepared(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """Run `sql` (%s placeholders) on the current connection, inside whatever transaction
    is open, and return its first row. A prepared statement on PostgreSQL; elsewhere
    (SQLite) an ordinary query."""
    connection = transaction.get_connection()
    # Django's cursor first: it connects, runs the health check, and maps errors.
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
        import psycopg

        with connection.wrap_database_errors, psycopg.Cursor(cursor.cursor.connection) as raw:
            raw.execute(sql, params, prepare=True)
            return raw.fetchone()
