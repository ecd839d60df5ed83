"""The bare endpoint of the ingest benchmark: a Django-free WSGI app that inserts one row.

Run by benchmarks/ingest.py under the same gunicorn settings as the app, against the same
PostgreSQL (DATABASE_URL), so "our ingest vs the bare endpoint" compares the webhook's work
with the floor of any endpoint that writes to the database: parse HTTP, one INSERT, commit,
answer JSON. One persistent connection per gunicorn worker, like Django's CONN_MAX_AGE.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

TABLE = "bench_bare_insert"
_conn: psycopg.Connection[Any] | None = None


def _connection() -> psycopg.Connection[Any]:
    global _conn
    if _conn is None or _conn.closed:
        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        _conn = psycopg.connect(url, autocommit=True)
    return _conn


def application(
    environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    _connection().execute(f"INSERT INTO {TABLE} (body) VALUES (%s)", (body.decode("utf-8"),))
    payload = b'{"stored": 1}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def create_table(database_url: str) -> None:
    url = database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), body text)"
        )
