"""The account's send rate: segments per second, excess queued, a full queue refused.

Like Bandwidth, a send is never slowed down on the HTTP side: it is accepted (202) and leaves
the queue later, so its callbacks come later. Implemented as GCRA (a token bucket that
computes departure times): a burst of up to one second's worth of segments leaves at once.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Admission:
    """Outcome of asking to send: `departs_at` (epoch seconds) or refused with `retry_after`."""

    accepted: bool
    departs_at: float = 0.0
    retry_after: int = 0


class RateLimiter:
    """Thread-safe; `configure` resets the queue (used when the settings change)."""

    def __init__(self, segments_per_second: float, queue_size: int) -> None:
        self._lock = threading.Lock()
        self.configure(segments_per_second, queue_size)

    def configure(self, segments_per_second: float, queue_size: int) -> None:
        with self._lock:
            self._rate = float(segments_per_second)
            self._queue_size = int(queue_size)
            self._tat = 0.0  # theoretical arrival time of the next segment
            self._queued: deque[float] = deque()  # departure times still in the future

    def admit(self, segments: int, now: float) -> Admission:
        """Reserve capacity for `segments`; refused when `queue_size` messages are waiting."""
        with self._lock:
            if self._rate <= 0:  # 0 disables the limit
                return Admission(True, now)
            while self._queued and self._queued[0] <= now:
                self._queued.popleft()
            interval = 1.0 / self._rate
            tolerance = max(0.0, math.floor(self._rate) - 1) * interval
            departs = max(now, self._tat - tolerance)
            if departs > now and len(self._queued) >= self._queue_size:
                retry = self._queued[0] - now if self._queued else departs - now
                return Admission(False, retry_after=max(1, math.ceil(retry)))
            self._tat = max(self._tat, now) + segments * interval
            if departs > now:
                self._queued.append(departs)
            return Admission(True, departs)
