"""The provider's send rate, shared by every worker: segments per second per account.

The provider counts segments (not requests) per second across the whole account and queues
or refuses (429) what goes over (PROVIDER_API.md §9), so every worker must draw from one
budget. `acquire(segments)` answers 0 when the text may go now (and reserves its segments),
else how many seconds to wait; the caller re-schedules instead of sleeping.

The algorithm is GCRA, a token bucket that stores one timestamp (the "theoretical arrival
time" of the next segment): a burst of up to one second's worth of segments may leave at
once, then the rate is smooth. With REDIS_URL the timestamp lives in Redis and is updated by
a Lua script that reads Redis' own clock, so workers on different hosts (and clocks) share
it atomically. Without Redis (the embedded default: one process) a lock guards an
in-process bucket. A text longer than the whole burst may go once the bucket is full, or it
would never go at all.

A text refused by `acquire` takes a *turn* (`turn(segments, earliest)`): a second GCRA line
with no burst, in which every waiting text reserves its own slot, spaced by its share of the
rate. The caller sleeps until its slot instead of all waiting texts waking for the very next
token (thousands of tasks retrying every few milliseconds, each finding it taken). A turn
only schedules the wake-up; the send itself still needs `acquire`, so a late wake-up can
never make the provider answer 429.

Settings: PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND (0 turns the limit off).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

# One second's worth of segments may leave at once.
BURST_SECONDS = 1.0
KEY_PREFIX = "texting:provider-rate"
# Float sums of 1/rate drift by ~1e-13: not a reason to refuse.
_EPSILON = 1e-6

# KEYS[1] the bucket; ARGV: segments, microseconds per segment, burst in microseconds.
# Returns the wait in microseconds (0: reserved; 1 µs of float drift is tolerated). Uses the
# server's clock, not the caller's.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1]) * tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + cost
if tat > now and new_tat - now > burst + 1 then
  local allow_at = new_tat - burst
  if tat < allow_at then allow_at = tat end
  return allow_at - now
end
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return 0
"""


# KEYS[1] the line; ARGV: segments, microseconds per segment, earliest start in microseconds
# from now. Reserves the next slot at or after `earliest`; returns its delay in microseconds.
_TURN_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1]) * tonumber(ARGV[2])
local start = now + tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat > start then start = tat end
local ttl_ms = math.ceil((start + cost - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', start + cost), 'PX', ttl_ms)
return start - now
"""


class Limiter(Protocol):
    def acquire(self, segments: int) -> float: ...

    def turn(self, segments: int, earliest: float) -> float: ...


class LocalLimiter:
    """GCRA in this process, behind a lock (the embedded default, and tests)."""

    def __init__(
        self,
        rate: float,
        *,
        burst_seconds: float = BURST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = float(rate)
        self.burst = burst_seconds
        self.clock = clock
        self._tat = 0.0
        self._turn_tat = 0.0
        self._lock = threading.Lock()

    def acquire(self, segments: int) -> float:
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tat = max(self._tat, now)
            new_tat = tat + max(1, segments) / self.rate
            if tat > now and new_tat - now > self.burst + _EPSILON:
                return min(tat, new_tat - self.burst) - now
            self._tat = new_tat
            return 0.0

    def turn(self, segments: int, earliest: float) -> float:
        if self.rate <= 0:
            return max(0.0, earliest)
        with self._lock:
            now = self.clock()
            start = max(self._turn_tat, now + max(0.0, earliest))
            self._turn_tat = start + max(1, segments) / self.rate
            return start - now


class RedisLimiter:
    """GCRA in Redis: one key per provider account, updated atomically by a Lua script."""

    def __init__(
        self, client: Any, key: str, rate: float, *, burst_seconds: float = BURST_SECONDS
    ) -> None:
        self.client = client
        self.key = key
        self.rate = float(rate)
        self.burst = burst_seconds
        self._script = client.register_script(_GCRA_LUA)
        self._turn_script = client.register_script(_TURN_LUA)

    def acquire(self, segments: int) -> float:
        if self.rate <= 0:
            return 0.0
        micros_per_segment = 1_000_000 / self.rate
        wait = self._script(
            keys=[self.key],
            args=[max(1, segments), repr(micros_per_segment), int(self.burst * 1_000_000)],
        )
        return max(0.0, int(wait) / 1_000_000)

    def turn(self, segments: int, earliest: float) -> float:
        if self.rate <= 0:
            return max(0.0, earliest)
        delay = self._turn_script(
            keys=[f"{self.key}:turns"],
            args=[max(1, segments), repr(1_000_000 / self.rate), int(max(0.0, earliest) * 1e6)],
        )
        return max(0.0, int(delay) / 1_000_000)


_limiters: dict[tuple[str, str, float], Limiter] = {}
_limiters_lock = threading.Lock()


def _limiter() -> Limiter:
    rate = float(getattr(settings, "PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND", 10))
    redis_url = str(getattr(settings, "REDIS_URL", "") or "")
    account = str(getattr(settings, "PROVIDER_ACCOUNT_ID", "") or "default")
    cache_key = (redis_url, account, rate)
    with _limiters_lock:
        limiter = _limiters.get(cache_key)
        if limiter is None:
            if redis_url:
                import redis

                client = redis.Redis.from_url(redis_url)
                limiter = RedisLimiter(client, f"{KEY_PREFIX}:{account}", rate)
            else:
                limiter = LocalLimiter(rate)
            _limiters[cache_key] = limiter
    return limiter


_fallback: dict[float, LocalLimiter] = {}


def acquire(segments: int) -> float:
    """Reserve `segments` of the account's rate now: 0.0, or the seconds to wait first.

    Nothing is reserved when the answer is a wait. If Redis cannot be reached, this process
    limits itself alone (logged): sends go on at the rate of one worker rather than stop.
    """
    limiter = _limiter()
    try:
        return limiter.acquire(segments)
    except Exception as exc:  # a Redis outage must not stop sending
        if not isinstance(limiter, RedisLimiter):
            raise
        logger.warning("rate limiter: Redis unavailable (%s); limiting locally", type(exc).__name__)
        local = _fallback.setdefault(limiter.rate, LocalLimiter(limiter.rate))
        return local.acquire(segments)


def turn(segments: int, earliest: float) -> float:
    """Reserve a turn in the line of texts waiting for the rate: the seconds until it, at
    least `earliest`. Falls back like `acquire` when Redis cannot be reached."""
    limiter = _limiter()
    try:
        return limiter.turn(segments, earliest)
    except Exception as exc:
        if not isinstance(limiter, RedisLimiter):
            raise
        logger.warning("rate limiter: Redis unavailable (%s); limiting locally", type(exc).__name__)
        local = _fallback.setdefault(limiter.rate, LocalLimiter(limiter.rate))
        return local.turn(segments, earliest)


def reset() -> None:
    """Forget the limiters built so far (tests change the settings between cases)."""
    with _limiters_lock:
        _limiters.clear()
        _fallback.clear()
