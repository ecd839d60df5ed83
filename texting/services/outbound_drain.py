"""Queued texts sent by one drain per firm, instead of one task per text.

Sending a text queues a drain of the firm's outbox (`OUTBOUND_DRAIN.queue` on commit,
drains.py). The drain reads the firm's due QUEUED texts in id order, a batch at a time, and
sends each exactly as a deliver task would (`sending._deliver`: the claim QUEUED → SENDING,
the provider call, the guarded outcome), so every guarantee of sending.py holds: a text
claimed by a drain and by a task at once is sent by one of them.

What a drain does not wait for, it hands to the per-text task, which keeps its backoff
and its retry count: a text the provider did not take (5xx, 429, a refused connection), and
a text whose rate-limit wait is longer than `_SLEEP_MAX_SECONDS` (a drain sleeps through
shorter waits: that is how it paces its own sends to the provider's rate).

Why: a Celery task costs several milliseconds of the worker's CPU before it does anything,
and a text needs only a few more; the drain also reads its texts a batch at a time.
"""

from __future__ import annotations

import logging
import time

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import Message
from ..provider import ProviderClient
from .drains import MARK_SECONDS, MAX_SECONDS, DrainMark
from .sending import DeliveryPostponed, _deliver, _deliver_later, _provider_client

logger = logging.getLogger(__name__)

OUTBOUND_DRAIN = DrainMark("outbound", "texting.tasks.outbound_drain_task")
# Texts read per query. The batch is not claimed as a whole: each text is claimed just
# before it goes, so a drain that dies leaves the rest QUEUED, not stuck in SENDING.
_BATCH = 50
# A rate-limit wait up to this long is slept through by the drain; longer, the text is
# re-scheduled (sending.py) and the drain goes on.
_SLEEP_MAX_SECONDS = 1.0
# A batch slowed by a low rate limit renews the marks this often (they expire in 15 s).
_HOLD_EVERY_SECONDS = 5.0


def outbound_drain_soon(firm_id: int) -> None:
    """Make sure a drain of the firm's queued texts is queued (call after commit). Never
    raises for an unreachable broker: the texts are stored, and the outbox sweeper re-drives
    them."""
    OUTBOUND_DRAIN.queue(firm_id)


def _due(firm_id: int) -> QuerySet[Message]:
    """The firm's QUEUED texts whose time has come (a retry's or a rate-limit wait's)."""
    return Message.objects.filter(
        firm_id=firm_id, direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))


def _send_one(client: ProviderClient, message: Message, failed: set[int]) -> None:
    try:
        _deliver(client, message, has_turn=False, max_sleep=_SLEEP_MAX_SECONDS)
    except DeliveryPostponed as postponed:
        # Back to QUEUED with its next attempt time: the per-text task retries it then.
        _deliver_later(message.firm_id, message.id, postponed.countdown)
    except Exception:  # one bad text must not hold the others back; the sweeper re-drives it
        failed.add(message.id)
        logger.exception(
            "a queued text could not be sent",
            extra={"firm_id": message.firm_id, "message_id": message.id},
        )


def _drain_pass(firm_id: int, client: ProviderClient, failed: set[int], deadline: float) -> int:
    """Send the firm's due texts in id order until none is left (or the deadline passed);
    the number handled."""
    handled = 0
    after_id = 0
    while time.monotonic() < deadline:
        held_at = time.monotonic()
        OUTBOUND_DRAIN.hold(firm_id, running=True)
        batch = list(
            _due(firm_id).filter(id__gt=after_id).exclude(id__in=failed).order_by("id")[:_BATCH]
        )
        for message in batch:
            now = time.monotonic()
            if now >= deadline:
                return handled
            if now - held_at > _HOLD_EVERY_SECONDS:  # a slow batch (a low rate limit)
                held_at = now
                OUTBOUND_DRAIN.hold(firm_id, running=True)
            _send_one(client, message, failed)
            handled += 1
            after_id = message.id
        if len(batch) < _BATCH:
            break
    return handled


def outbound_drain(*, firm_id: int) -> int:
    """Send the firm's due QUEUED texts, one after the other, until none is left; the
    number handled. Idempotent, and safe beside deliver tasks (each text is claimed before
    it goes). Holds the firm's mark while it runs (drains.py).

    One drain per firm runs at a time: two would read the same texts, and the one that
    loses a claim would have spent a turn of the rate limit. A drain that finds another
    running comes back later, in case that one has died.
    """
    if not OUTBOUND_DRAIN.start(firm_id):
        OUTBOUND_DRAIN.queue_later(firm_id, MARK_SECONDS)
        return 0
    client = _provider_client()
    deadline = time.monotonic() + MAX_SECONDS
    failed: set[int] = set()
    handled = 0
    while True:
        try:
            handled += _drain_pass(firm_id, client, failed, deadline)
        finally:
            OUTBOUND_DRAIN.finish(firm_id)
        if time.monotonic() >= deadline:
            OUTBOUND_DRAIN.queue(firm_id)  # queued behind other firms' work, not ahead of it
            return handled
        # Queued while the mark was held, a text queued no drain: look once more. If a send
        # has set the mark since, the drain it queued takes the rest.
        if not _due(firm_id).exclude(id__in=failed).exists() or not OUTBOUND_DRAIN.take(firm_id):
            return handled
        if not OUTBOUND_DRAIN.start(firm_id):
            return handled  # a drain queued earlier has just started: it takes the rest
