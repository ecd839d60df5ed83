import time

from django.conf import settings

from common.heartbeat import HEARTBEAT_KEY, heartbeat_last
from common.tasks import worker_heartbeat_task


def test_enqueued_heartbeat_is_recorded_by_a_worker(real_worker: object) -> None:
    from django.core.cache import cache

    cache.delete(HEARTBEAT_KEY)
    worker_heartbeat_task.delay()

    deadline = time.monotonic() + 30
    while heartbeat_last() is None and time.monotonic() < deadline:
        time.sleep(0.2)

    beat = heartbeat_last()
    assert beat is not None, "no worker ran the heartbeat task"
    if settings.REDIS_URL:
        # Recorded by the separate worker process, named as running_worker() named it.
        assert beat["hostname"].startswith("test-worker-")
