import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from common.heartbeat import HEARTBEAT_KEY, heartbeat_last
from config.celery import app


def test_the_embedded_scheduler_runs_the_beat_schedule_in_process(settings, db) -> None:
    settings.REDIS_URL = ""  # as on the embedded default, where tasks run in process
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    cache.delete(HEARTBEAT_KEY)
    try:
        call_command("run_scheduler", "--once")
    finally:
        app.conf.task_always_eager = previous
    assert heartbeat_last() is not None  # the heartbeat entry of CELERY_BEAT_SCHEDULE ran


def test_with_a_broker_it_points_at_celery_beat(settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/9"
    with pytest.raises(CommandError, match="celery -A config beat"):
        call_command("run_scheduler", "--once")
