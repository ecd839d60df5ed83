"""One queued task per firm for a stream of work: the "drain queued" mark.

A drain is a task that works through everything of one kind a firm has waiting (stored
callbacks, queued texts) in batches, instead of one task per item. A Redis mark set with
SET NX says "a drain of this firm is queued or running": while it is set, new work queues
nothing. The drain holds the mark while it runs, renews it with every batch, then clears
it and looks once more: work stored while the mark was held queued no drain, so it is
either seen by that last look or was stored after the mark was cleared (and queued the
next drain). The queue stays Celery's and the record stays PostgreSQL's; the mark only
spares a publish and a task per item.

A *trusted* mark spares the Redis round trip as well, for callers that queue the same
firm's drain many times a second (the webhook): a process that found the mark held asks
again only after TRUST_SECONDS. That is safe because every drain waits TRUST_SECONDS
between clearing the mark and its last look (`settle`): whatever a caller stored while
trusting a mark it saw held is committed before the holder of that mark looks last.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A drain lost while its mark is set (a publish that failed halfway, a worker killed
# mid-drain) holds the next ones back at most this long; a running drain renews the mark
# with every batch. A second drain queued meanwhile is harmless.
MARK_SECONDS = 15
# A drain hands over to a fresh one after this long, well inside the task time limit and
# fair to other firms' drains waiting in the queue.
MAX_SECONDS = 30.0
# How long a trusted mark found held is believed without asking Redis again. At a steady
# stream of callbacks this turns one Redis round trip per callback into a few per second
# per web process; it is also what a drain's last look waits for.
TRUST_SECONDS = 0.1


@functools.cache
def _task(path: str) -> Any:
    """The Celery task at a dotted path, looked up once: `queue` runs for every callback."""
    return import_string(path)


# Per process: when `queue` last found each trusted mark held (time.monotonic()).
_found_held: dict[str, float] = {}


@dataclass(frozen=True)
class DrainMark:
    """The mark of one kind of drain; `task` is the dotted path of the Celery task that
    takes a firm id (a path: the tasks module imports the services)."""

    name: str
    task: str
    trusted: bool = False

    def key(self, firm_id: int) -> str:
        return f"texting:{self.name}-drain-queued:{firm_id}"

    def running_key(self, firm_id: int) -> str:
        return f"texting:{self.name}-drain-running:{firm_id}"

    def queue(self, firm_id: int) -> None:
        """Make sure a drain of the firm is queued (call after commit).

        Never raises for an unreachable broker or Redis: the work is stored durably
        already, so the caller still succeeds and the outbox sweeper re-drives it later.
        """
        key = self.key(firm_id)
        asked_at = time.monotonic()
        if asked_at - _found_held.get(key, float("-inf")) < self._trust_seconds():
            return  # held when we last asked: its drain looks last after our commit
        try:
            if cache.add(key, 1, timeout=MARK_SECONDS):
                try:
                    _task(self.task).delay(firm_id)
                except BaseException:
                    cache.delete(key)  # not queued after all: the next item must try again
                    raise
            elif self.trusted:
                _found_held[key] = asked_at  # held no earlier than this
        except (BrokerUnavailable, RedisError, OSError):
            logger.warning(
                "could not queue the %s drain; the outbox sweeper will re-drive its work",
                self.name,
                extra={"firm_id": firm_id},
                exc_info=True,
            )

    def queue_later(self, firm_id: int, seconds: float) -> None:
        """Queue a drain of the firm in `seconds`, whatever the mark (no broker: nothing,
        the running drain or the outbox sweeper takes the work)."""
        task = _task(self.task)
        if not task.app.conf.task_always_eager:
            task.apply_async((firm_id,), countdown=seconds)

    def start(self, firm_id: int) -> bool:
        """For drains that must not run side by side: become the firm's one running drain
        (until `finish`, or MARK_SECONDS without a `hold`); False if another one runs."""
        return bool(cache.add(self.running_key(firm_id), 1, timeout=MARK_SECONDS))

    def finish(self, firm_id: int) -> None:
        """No longer running (`start`), and no drain queued."""
        cache.delete_many([self.running_key(firm_id), self.key(firm_id)])

    def hold(self, firm_id: int, *, running: bool = False) -> None:
        """Still running: renew the mark, so that new work queues nothing (and the running
        mark of `start`)."""
        keys = [self.key(firm_id)] + ([self.running_key(firm_id)] if running else [])
        cache.set_many(dict.fromkeys(keys, 1), timeout=MARK_SECONDS)

    def take(self, firm_id: int) -> bool:
        """Set the mark if nobody holds it (a drain that looks once more); True if set."""
        return bool(cache.add(self.key(firm_id), 1, timeout=MARK_SECONDS))

    def release(self, firm_id: int) -> None:
        cache.delete(self.key(firm_id))

    def settle(self) -> None:
        """Between `release` and the drain's last look: wait until no caller still trusts
        the mark as held, so that the last look sees everything they stored."""
        time.sleep(self._trust_seconds())

    def hand_over(self, firm_id: int) -> None:
        """Queue the next drain of the firm while keeping the mark, which it inherits: a
        running drain that has had its turn goes behind other firms' work, and callers
        who trust the mark stay right to. If the broker is away the mark is cleared, so
        the next item queues a drain (or the outbox sweeper re-drives the work)."""
        try:
            self.hold(firm_id)
            _task(self.task).delay(firm_id)
        except (BrokerUnavailable, RedisError, OSError):
            with contextlib.suppress(RedisError, OSError):
                self.release(firm_id)
            logger.warning(
                "could not hand the %s drain over; the outbox sweeper will re-drive its work",
                self.name,
                extra={"firm_id": firm_id},
                exc_info=True,
            )

    def _trust_seconds(self) -> float:
        # Tasks run inline (no broker): the drain ran to its end inside the caller's
        # `queue`, so there is no running drain to trust.
        if not self.trusted or _task(self.task).app.conf.task_always_eager:
            return 0.0
        return TRUST_SECONDS
