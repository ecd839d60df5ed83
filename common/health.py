"""Liveness and readiness of this deployment (issue 9): what /healthz and /readyz report.

Liveness is the process answering. Readiness is what serving needs: the database, the
broker (Redis when REDIS_URL is set; tasks run in process otherwise), the file storage, and
a worker that took a task recently (its heartbeat, every 30 s from beat). Each check is
quick and bounded (1–2 s) and says only "ok" or what failed, never a secret or a URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from .heartbeat import heartbeat_last

# Beat records a heartbeat every 30 s: a worker silent for longer than this is not taking tasks.
HEARTBEAT_MAX_AGE = timedelta(seconds=120)


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(value == "ok" for value in self.checks.values())


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "ok"  # the embedded default: tasks run in this process
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _storage() -> str:
    default_storage.exists("readyz-probe")  # a read (a HEAD on S3): reachable, credentials good
    return "ok"


def _worker(now: datetime) -> str:
    if not settings.REDIS_URL:
        return "ok"  # no separate worker: tasks run in process
    beat = heartbeat_last()
    if beat is None:
        return "no heartbeat from any worker yet"
    age = now - datetime.fromisoformat(beat["at"])
    if age > HEARTBEAT_MAX_AGE:
        return f"last worker heartbeat {int(age.total_seconds())} s ago"
    return "ok"


def readiness() -> Readiness:
    """Run every check; a check that raises reports the exception's class, not its text
    (which may hold a host name or a credential)."""
    result = Readiness()
    now = timezone.now()
    for name, check in (
        ("database", _database),
        ("broker", _broker),
        ("storage", _storage),
        ("worker", lambda: _worker(now)),
    ):
        try:
            result.checks[name] = check()
        except Exception as error:
            result.checks[name] = f"failed: {type(error).__name__}"
    return result
