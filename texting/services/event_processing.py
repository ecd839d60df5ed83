"""Stored provider callbacks applied by the worker: one at a time, or a firm's backlog at once.

The webhook stores each callback and asks for a *drain* of the firm's stored events
(`events_drain_soon`); it does not publish a task per callback. At most one drain per firm
waits in the queue: a Redis flag set with SET NX is the "one is queued" mark, and a drain
clears it before it reads anything, so an event stored after that point queues the next
drain, and one stored before it is read by this one. The queue stays Celery's and the
record stays PostgreSQL's; this only spares a publish per callback and lets the worker
apply events in batches (one transaction, one lock query and one UPDATE per batch).

Drains running side by side (two worker processes, or a drain queued while one runs) take
different rows: each locks its batch with SKIP LOCKED. A batch that fails is rolled back
and retried event by event, so one bad event never holds the others back; an event that
still fails stays unprocessed, is logged, and is re-driven by the outbox sweeper.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import RedisError

from accounts.models import Firm

from ..models import ProviderEvent

logger = logging.getLogger(__name__)

_DRAIN_QUEUED_KEY = "texting:events-drain-queued:{firm_id}"
# A drain lost between the mark and the queue (a publish that failed halfway, a Redis
# restart) holds the next ones back at most this long; a second drain queued meanwhile
# costs one empty read.
_DRAIN_QUEUED_SECONDS = 15
# Events applied per transaction: large enough to share the lock query and the commit,
# small enough that the first of them is visible well within a second.
_DRAIN_BATCH = 20
# A drain hands over to a fresh one after this long, well inside the task time limit and
# fair to other firms' drains waiting in the queue.
_DRAIN_MAX_SECONDS = 30.0


def events_drain_soon(firm_id: int) -> None:
    """Make sure a drain of `firm_id`'s stored events is queued (call after commit).

    Never raises for an unreachable broker: the events are stored durably already, so the
    caller (the webhook) still answers 2xx and the outbox sweeper re-drives them later.
    """
    from ..tasks import provider_events_drain_task

    key = _DRAIN_QUEUED_KEY.format(firm_id=firm_id)
    try:
        if cache.add(key, 1, timeout=_DRAIN_QUEUED_SECONDS):
            try:
                provider_events_drain_task.delay(firm_id)
            except BaseException:
                cache.delete(key)  # not queued after all: the next event must try again
                raise
    except (BrokerUnavailable, RedisError, OSError):
        logger.warning(
            "could not queue callback processing; the outbox sweeper will re-drive it",
            extra={"firm_id": firm_id},
            exc_info=True,
        )


def _commit_without_waiting_for_disk() -> None:
    """This transaction's COMMIT does not wait for the disk flush (PostgreSQL only).

    Safe here and only here: the events themselves were stored durably by the webhook, so
    if the database crashed before flushing this transaction they are simply unprocessed
    again and the sweeper re-drives them; nothing outside the database acts on this commit
    before a later, durable commit (a send claims its message in its own transaction, which
    flushes everything before it). Saves a disk flush per transaction.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _event_apply(*, firm: Firm, event: ProviderEvent) -> None:
    """The effect of one stored event, inside the caller's transaction.

    Verification events update the firm's verification status (S3); status callbacks move
    our outbound messages (sending.py); inbound texts become messages in the contact's
    conversation (receiving.py). Voice events are only recorded.
    """
    from .provider_events import verification_status_apply
    from .receiving import inbound_event_apply
    from .sending import status_event_apply

    if event.kind == ProviderEvent.Kind.VERIFICATION:
        verification_status_apply(firm=firm, event=event)
    elif _is_inbound_text(event):
        inbound_event_apply(firm=firm, event=event)
    elif event.kind == ProviderEvent.Kind.MESSAGING:
        status_event_apply(firm=firm, event=event)


def _is_inbound_text(event: ProviderEvent) -> bool:
    return event.kind == ProviderEvent.Kind.MESSAGING and event.event_type == "message-received"


def _events_apply(*, firm: Firm, events: list[ProviderEvent]) -> None:
    """`_event_apply` for each event, inside the caller's transaction; inbound texts all at
    once (receiving.py stores a batch of texts in about the queries of one)."""
    from .receiving import inbound_events_apply

    for event in events:
        if not _is_inbound_text(event):
            _event_apply(firm=firm, event=event)
    texts = [event for event in events if _is_inbound_text(event)]
    if texts:
        inbound_events_apply(firm=firm, events=texts)


def _mark_processed(event_ids: list[int]) -> None:
    now = timezone.now()
    ProviderEvent.objects.filter(id__in=event_ids).update(processed_at=now, updated_at=now)


@transaction.atomic
def provider_event_process(*, firm_id: int, event_id: int) -> bool:
    """Apply one stored provider event once; False when it was already processed.

    The row is locked and marked processed in the same transaction as its effect, so two
    workers given the same event apply it once.
    """
    # The firm comes joined in (one query, not two); only the event row is locked.
    event = (
        ProviderEvent.objects.select_for_update(of=("self",))
        .select_related("firm")
        .filter(firm_id=firm_id, id=event_id, processed_at__isnull=True)
        .first()
    )
    if event is None:
        return False
    _commit_without_waiting_for_disk()
    _event_apply(firm=event.firm, event=event)
    _mark_processed([event.id])
    return True


def _batch_apply(*, firm: Firm, after_id: int, taken: list[int]) -> None:
    """Lock up to a batch of the firm's unprocessed events after `after_id` (skipping rows
    another drain holds), apply them and mark them processed, in one transaction. The ids
    go into `taken` as soon as they are read, so a caller whose batch failed knows them."""
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        events = list(
            ProviderEvent.objects.select_for_update(skip_locked=True)
            .filter(firm_id=firm.id, processed_at__isnull=True, id__gt=after_id)
            .order_by("id")[:_DRAIN_BATCH]
        )
        taken.extend(event.id for event in events)
        _events_apply(firm=firm, events=events)
        if events:
            _mark_processed(taken)


def _apply_one_by_one(firm_id: int, event_ids: list[int]) -> int:
    applied = 0
    for event_id in event_ids:
        try:
            applied += provider_event_process(firm_id=firm_id, event_id=event_id)
        except Exception:  # one bad event must not hold the others back; the sweeper retries
            logger.exception(
                "provider event could not be applied",
                extra={"firm_id": firm_id, "event_id": event_id},
            )
    return applied


def provider_events_drain(*, firm_id: int) -> int:
    """Apply the firm's stored, unprocessed events in id order, batch by batch; the number
    of events applied by this drain. Idempotent, and safe beside other drains."""
    cache.delete(_DRAIN_QUEUED_KEY.format(firm_id=firm_id))  # from here on, events queue anew
    firm = Firm.objects.filter(id=firm_id).first()
    if firm is None:
        return 0
    started = time.monotonic()
    applied = 0
    after_id = 0
    while True:
        taken: list[int] = []
        try:
            _batch_apply(firm=firm, after_id=after_id, taken=taken)
            applied += len(taken)
        except Exception:
            if not taken:
                raise  # not even the read worked (the database is away): the task fails
            logger.warning(
                "a batch of provider events failed; applying them one by one",
                extra={"firm_id": firm_id, "events": len(taken)},
                exc_info=True,
            )
            applied += _apply_one_by_one(firm_id, taken)
        if not taken:
            return applied
        after_id = taken[-1]
        if time.monotonic() - started > _DRAIN_MAX_SECONDS:
            events_drain_soon(firm_id)  # queued behind other firms' work, not ahead of it
            return applied
