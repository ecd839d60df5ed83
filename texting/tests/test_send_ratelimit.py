"""The provider rate limit (segments per second per account), shared by every worker."""

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from accounts.models import Firm, User
from texting import ratelimit
from texting.models import Message
from texting.ratelimit import LocalLimiter, RedisLimiter
from texting.services.sending import DeliveryResult, message_deliver
from texting.tests.test_sending import deliver, enqueued, fresh, sandbox_sends, send

needs_redis = pytest.mark.services  # the shared limiter needs Redis (REDIS_URL)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_one_seconds_worth_goes_then_the_rate_is_smooth() -> None:
    clock = Clock()
    limiter = LocalLimiter(10, clock=clock)
    assert [limiter.acquire(1) for _ in range(10)] == [0.0] * 10
    wait = limiter.acquire(1)
    assert wait == pytest.approx(0.1)
    clock.now += 0.05
    assert limiter.acquire(1) == pytest.approx(0.05)  # refused: nothing reserved
    clock.now += 0.05
    assert limiter.acquire(1) == 0.0
    assert limiter.acquire(3) == pytest.approx(0.3)  # segments, not requests


def test_over_time_the_limiter_never_lets_more_than_the_rate_through() -> None:
    clock = Clock()
    limiter = LocalLimiter(10, clock=clock)
    allowed = 0
    for _ in range(500):  # 5 simulated seconds, asking for 2 segments every 10 ms
        if limiter.acquire(2) == 0:
            allowed += 2
        clock.now += 0.01
    assert 10 * 5 <= allowed <= 10 * 5 + 10  # the rate, plus at most one burst


def test_waiting_texts_take_turns_spaced_by_the_rate() -> None:
    clock = Clock()
    limiter = LocalLimiter(10, clock=clock)
    # Refused texts that could go in 0.1 s: each gets its own slot, not all the same one.
    assert [limiter.turn(1, 0.1) for _ in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    assert limiter.turn(2, 0.0) == pytest.approx(0.4)  # at the end of the line
    assert limiter.turn(1, 0.0) == pytest.approx(0.6)  # after its 2 segments
    clock.now += 1.0  # the line has gone by
    assert limiter.turn(1, 0.05) == pytest.approx(0.05)  # no sooner than asked


def test_a_text_longer_than_a_burst_still_goes_when_the_bucket_is_full() -> None:
    clock = Clock()
    limiter = LocalLimiter(5, clock=clock)
    assert limiter.acquire(14) == 0.0  # 2048 characters: 14 segments, more than 5/s
    # It used 2.8 s of the rate: the next segment may go once 1 s of burst is free again.
    assert limiter.acquire(1) == pytest.approx(14 / 5 + 1 / 5 - 1)


def test_no_limit_when_the_rate_is_zero() -> None:
    limiter = LocalLimiter(0)
    assert all(limiter.acquire(100) == 0.0 for _ in range(100))


def test_threads_of_one_process_share_the_local_bucket() -> None:
    limiter = LocalLimiter(50)
    allowed: list[float] = []
    start = time.monotonic()

    def worker() -> None:
        while time.monotonic() - start < 0.5:
            if limiter.acquire(1) == 0:
                allowed.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) <= 50 * 0.5 + 50 + 1


@pytest.fixture
def redis_client() -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(django_settings.REDIS_URL)
    yield client
    client.close()


@needs_redis
def test_workers_with_their_own_limiters_share_one_budget_in_redis(redis_client: Any) -> None:
    key = f"{ratelimit.KEY_PREFIX}:test-{uuid.uuid4().hex}"
    rate = 40
    # Four "workers", each with its own limiter object and connection, one Redis key.
    workers = [
        RedisLimiter(redis_client.__class__.from_url(django_settings.REDIS_URL), key, rate)
        for _ in range(4)
    ]
    allowed: list[float] = []
    lock = threading.Lock()
    start = time.monotonic()
    duration = 1.5

    def run(limiter: RedisLimiter) -> None:
        while time.monotonic() - start < duration:
            wait = limiter.acquire(1)
            if wait == 0:
                with lock:
                    allowed.append(time.monotonic() - start)
            else:
                assert 0 < wait <= 1.0
                time.sleep(min(wait, 0.01))

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    redis_client.delete(key)

    assert rate * duration * 0.8 <= len(allowed) <= rate * duration + rate + 1
    # After the initial burst, no second holds more than the rate (plus one for edges).
    after_burst = [t for t in allowed if t >= 1.0]
    assert len([t for t in after_burst if t < 1.5]) <= rate * 0.5 + 2


@needs_redis
def test_workers_share_one_line_of_turns_in_redis(redis_client: Any) -> None:
    key = f"{ratelimit.KEY_PREFIX}:test-{uuid.uuid4().hex}"
    workers = [
        RedisLimiter(redis_client.__class__.from_url(django_settings.REDIS_URL), key, 20)
        for _ in range(2)
    ]
    started = time.monotonic()
    slots = []
    for i in range(6):  # the two workers alternate; each turn is 50 ms after the one before
        delay = workers[i % 2].turn(1, 0.2)
        slots.append(time.monotonic() - started + delay)
    redis_client.delete(f"{key}:turns")
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert slots[0] == pytest.approx(0.2, abs=0.02)
    assert gaps == pytest.approx([0.05] * 5, abs=0.01)


@needs_redis
def test_acquire_uses_redis_when_it_is_configured(settings: Any, redis_client: Any) -> None:
    settings.PROVIDER_ACCOUNT_ID = f"test-{uuid.uuid4().hex}"
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 5
    try:
        assert ratelimit.acquire(5) == 0.0
        assert ratelimit.acquire(1) > 0
        assert redis_client.exists(f"{ratelimit.KEY_PREFIX}:{settings.PROVIDER_ACCOUNT_ID}")
    finally:
        redis_client.delete(f"{ratelimit.KEY_PREFIX}:{settings.PROVIDER_ACCOUNT_ID}")
        ratelimit.reset()


def test_acquire_limits_in_process_without_redis(settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 3
    settings.PROVIDER_ACCOUNT_ID = f"test-{uuid.uuid4().hex}"
    try:
        assert ratelimit.acquire(3) == 0.0
        assert ratelimit.acquire(1) == pytest.approx(1 / 3, abs=0.05)
    finally:
        ratelimit.reset()


def test_a_text_over_the_rate_waits_its_turn_without_a_worker_sleeping(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    firm_scope: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 1
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)
    with firm_scope():
        first = send(texting_firm, member)
        second = send(texting_firm, member, to="+12025550144")
        assert deliver(first) == DeliveryResult.SENT
        with django_capture_on_commit_callbacks() as callbacks:
            started = time.monotonic()
            assert deliver(second) == DeliveryResult.DEFERRED
            assert time.monotonic() - started < 0.5  # no sleep in the worker

        waiting = fresh(second)
        assert waiting.status == Message.Status.QUEUED and waiting.attempts == 0
        [(task, args, countdown)] = enqueued(callbacks)
        assert (task, args) == ("texting.message_deliver", (texting_firm.id, second.id))
        assert 0 < countdown <= 1.0
        assert sandbox_sends(sandbox, second) == []

        time.sleep(countdown)
        assert deliver(second) == DeliveryResult.SENT
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)


def test_texts_refused_at_once_wake_one_after_the_other_not_all_together(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    firm_scope: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 2
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)
    with firm_scope():
        first = send(texting_firm, member)
        assert deliver(first) == DeliveryResult.SENT  # the burst: 1 s of rate, 2 segments
        assert deliver(send(texting_firm, member, to="+12025550144")) == DeliveryResult.SENT
        waiting = [send(texting_firm, member, to=f"+1202555015{i}") for i in range(4)]
        with django_capture_on_commit_callbacks() as callbacks:
            assert [deliver(m) for m in waiting] == [DeliveryResult.DEFERRED] * 4
        countdowns = [countdown for _, _, countdown in enqueued(callbacks)]
        # A turn each, half a second apart (2 segments/s), the first when a token is free.
        assert countdowns[0] <= 0.5
        gaps = [b - a for a, b in itertools.pairwise(countdowns)]
        assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=0.05)
        # Each wakes up knowing it had its turn: refused again, it only waits for the next
        # token instead of going to the back of the line.
        assert all(cb.keywords["kwargs"] == {"has_turn": True} for cb in callbacks)
        ratelimit.turn(1, 10.0)  # the line now reaches 10 s ahead
        with django_capture_on_commit_callbacks() as again:
            result = message_deliver(
                firm_id=texting_firm.id, message_id=waiting[-1].id, has_turn=True
            )
        assert result == DeliveryResult.DEFERRED
        [(_, _, countdown)] = enqueued(again)
        assert countdown <= 0.6
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)


def _forget_shared_bucket(account: str) -> None:
    """Start from a full bucket: earlier tests of this account may have drawn from it."""
    ratelimit.reset()
    if django_settings.REDIS_URL:
        import redis

        with redis.Redis.from_url(django_settings.REDIS_URL) as client:
            client.delete(f"{ratelimit.KEY_PREFIX}:{account}")
            client.delete(f"{ratelimit.KEY_PREFIX}:{account}:turns")
