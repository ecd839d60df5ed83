"""Queued texts sent by one drain per firm, instead of one task per text.

Sending a text queues a drain of the firm's outbox (`OUTBOUND_DRAIN.queue` on commit,
drains.py). The drain works through the firm's due QUEUED texts, oldest first, a batch
at a time:

1. one transaction locks the batch (SKIP LOCKED: rows another drain holds are left to
   it), takes each text's turn in the rate limit and claims the texts that may go now
   (QUEUED → SENDING, the attempt counted), then commits: the count is stored before any
   text leaves. Under the rate limit a batch holds only what may leave at once, so the
   texts leave at the rate, never in a burst;
2. their provider calls go out side by side from a few threads that only wait for the
   answers (`TEXTING_DRAIN_SENDERS`), so one slow answer does not hold up the next text;
3. the drain's own thread records the answers: one UPDATE for the texts accepted, and
   for the others exactly what the deliver task does (sending.py).

Every guarantee of sending.py holds: a text claimed by a drain and by a task at once is
sent by one of them, and a text whose call ended in doubt is never re-sent blindly.

What a drain does not wait for, it hands to the per-text task, which keeps its backoff
and its retry count: a text the provider did not take (5xx, 429, a refused connection), and
a text whose rate-limit wait is longer than `_SLEEP_MAX_SECONDS` (a drain sleeps through
shorter waits: that is how it paces its own sends to the provider's rate).

Why: a Celery task costs several milliseconds of the worker's CPU before it does anything,
and a text needs only a few more; so does each statement that could serve a whole batch.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import Message
from ..provider import ProviderError, SentMessage
from .drains import MARK_SECONDS, MAX_SECONDS, DrainMark
from .sending import (
    DeliveryPostponed,
    DeliveryResult,
    ProviderAnswer,
    _call_provider,
    _deliver_later,
    _mark_sending,
    _provider_client,
    _record_accepted,
    _record_answer,
    _take_turn,
)

logger = logging.getLogger(__name__)

OUTBOUND_DRAIN = DrainMark("outbound", "texting.tasks.outbound_drain_task")
# A rate-limit wait up to this long is slept through by the drain; longer, the text is
# re-scheduled (sending.py) and the drain goes on.
_SLEEP_MAX_SECONDS = 1.0
# Texts claimed together: one transaction locks, takes their turns and claims them, their
# provider calls go out side by side, one UPDATE records those accepted.
_BATCH = 10
# A running drain renews its marks this often (they expire after MARK_SECONDS).
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


def _claim_batch(firm_id: int) -> tuple[list[Message], int]:
    """Lock up to `_BATCH` of the firm's oldest due texts that no other drain holds, take
    their turns in the rate limit, claim those that may go, in one transaction: the texts
    claimed, and how many were handled. Only the first text of a batch waits for its turn
    (up to `_SLEEP_MAX_SECONDS`); the batch ends at the first later one that would have to,
    which stays QUEUED for the next batch, so texts leave at the rate, not in bursts. A
    text out of attempts, or that must wait longer, is handled as the deliver task does."""
    with transaction.atomic():
        candidates = list(_due(firm_id).order_by("id").select_for_update(skip_locked=True)[:_BATCH])
        ready: list[Message] = []
        handled = 0
        for message in candidates:
            first = not ready
            turn = _take_turn(
                message,
                has_turn=False,
                max_sleep=_SLEEP_MAX_SECONDS if first else 0.0,
                defer=first,
            )
            if turn is DeliveryResult.WAITING:
                break
            handled += 1
            if turn is None:
                ready.append(message)
        if ready and not _mark_sending(firm_id, ready):
            # Impossible under the row locks (SQLite: the write lock): never send on doubt.
            raise RuntimeError("queued texts changed while locked; nothing claimed")
    return ready, handled


def _answer(message: Message) -> ProviderAnswer | Exception:
    """The provider's answer to one claimed text, through this thread's own client (in a
    pool thread: no database here)."""
    try:
        return _call_provider(_provider_client(), message)
    except Exception as error:  # recorded by the drain's thread
        return error


def _send_batch(firm_id: int, batch: list[Message], pool: ThreadPoolExecutor) -> None:
    """Call the provider for the claimed texts side by side; record the answers: one UPDATE
    for those accepted, the deliver task's handling for the others."""
    answers = list(zip(batch, pool.map(_answer, batch), strict=True))
    _record_accepted([(m, answer) for m, answer in answers if isinstance(answer, SentMessage)])
    for message, answer in answers:
        if isinstance(answer, SentMessage):
            continue
        if not isinstance(answer, ProviderError):
            # Not the provider's answer but our failure around the call: whether the text
            # left is unknown, so it stays SENDING for the sweeper (never re-sent blindly;
            # its callback, if it left, settles it).
            logger.error(
                "a claimed text's provider call failed on our side; left to the sweeper",
                exc_info=answer,
                extra={"firm_id": firm_id, "message_id": message.id},
            )
            continue
        try:
            _record_answer(message, answer)
        except DeliveryPostponed as postponed:
            # Back to QUEUED with its next attempt time: the per-text task retries it then.
            _deliver_later(firm_id, message.id, postponed.countdown)


def _senders() -> int:
    return max(1, int(getattr(settings, "TEXTING_DRAIN_SENDERS", 4)))


def _drain_pass(firm_id: int, deadline: float) -> int:
    """Send the firm's due texts, oldest first, a batch at a time, until none is left or
    the deadline passed; the number handled."""
    handled = 0
    held_at = 0.0
    with ThreadPoolExecutor(max_workers=_senders(), thread_name_prefix="outbound") as pool:
        while (now := time.monotonic()) < deadline:
            if now - held_at > _HOLD_EVERY_SECONDS:
                held_at = now
                OUTBOUND_DRAIN.hold(firm_id, running=True)
            batch, count = _claim_batch(firm_id)
            if not count:
                break
            handled += count
            if batch:
                _send_batch(firm_id, batch, pool)
    return handled


def outbound_drain(*, firm_id: int) -> int:
    """Send the firm's due QUEUED texts, a batch at a time, until none is left; the number
    handled. Idempotent, and safe beside deliver tasks and other drains (each text is
    locked and claimed before it goes). Holds the firm's mark while it runs (drains.py).

    One drain per firm runs at a time, so that a firm's bulk send takes one worker process,
    not all of them: other firms' texts and everyone's callbacks keep moving. A drain that
    finds another running comes back later, in case that one has died.
    """
    if not OUTBOUND_DRAIN.start(firm_id):
        OUTBOUND_DRAIN.queue_later(firm_id, MARK_SECONDS)
        return 0
    _provider_client()  # missing provider settings fail the drain before any claim
    deadline = time.monotonic() + MAX_SECONDS
    handled = 0
    while True:
        try:
            handled += _drain_pass(firm_id, deadline)
        finally:
            OUTBOUND_DRAIN.finish(firm_id)
        if time.monotonic() >= deadline:
            OUTBOUND_DRAIN.queue(firm_id)  # queued behind other firms' work, not ahead of it
            return handled
        # Queued while the mark was held, a text queued no drain: look once more. If a send
        # has set the mark since, the drain it queued takes the rest.
        if not _due(firm_id).exists() or not OUTBOUND_DRAIN.take(firm_id):
            return handled
        if not OUTBOUND_DRAIN.start(firm_id):
            return handled  # a drain queued earlier has just started: it takes the rest
