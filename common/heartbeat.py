"""The worker's heartbeat: proof that a Celery worker is taking tasks off the queue.

Beat schedules the task every 30 s; the worker that runs it records the time in the cache
(Redis in production), where readiness checks and the tests read it.
"""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "worker:heartbeat"


def heartbeat_record(*, hostname: str) -> datetime:
    now = timezone.now()
    cache.set(HEARTBEAT_KEY, {"at": now.isoformat(), "hostname": hostname}, timeout=3600)
    return now


def heartbeat_last() -> dict[str, str] | None:
    value = cache.get(HEARTBEAT_KEY)
    return value if isinstance(value, dict) else None
