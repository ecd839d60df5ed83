"""/healthz and /readyz: liveness, and readiness naming what is not ready (issue 9)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from common.heartbeat import HEARTBEAT_KEY, heartbeat_record


def test_healthz_answers_without_a_database_or_a_sign_in() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_ready_when_everything_answers(settings: Any) -> None:
    if settings.REDIS_URL:  # a worker is expected: its heartbeat, fresh
        heartbeat_record(hostname="test")
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok", "worker": "ok"},
    }


@pytest.mark.django_db
def test_readyz_names_an_unreachable_broker_and_a_silent_worker(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    cache.delete(HEARTBEAT_KEY)
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["storage"] == "ok"
    assert checks["broker"].startswith("failed: ") and "127.0.0.1" not in checks["broker"]
    assert checks["worker"] == "no heartbeat from any worker yet"


@pytest.mark.django_db
def test_readyz_says_how_long_the_worker_has_been_silent(settings: Any) -> None:
    settings.REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:1/0"
    stale = timezone.now() - timedelta(minutes=5)
    cache.set(HEARTBEAT_KEY, {"at": stale.isoformat(), "hostname": "w1"}, timeout=60)
    checks = Client().get("/readyz").json()["checks"]
    assert checks["worker"].startswith("last worker heartbeat 30") and checks["worker"].endswith(
        " s ago"
    )
