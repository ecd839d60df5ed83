"""Stored provider callbacks applied by the worker: one at a time, or a firm's backlog at once.

The webhook stores each callback and asks for a *drain* of the firm's stored events
(`EVENTS_DRAIN.queue`, drains.py); it does not publish a task per callback. This lets the
worker apply events in batches (one transaction, one lock query, one UPDATE per batch;
receiving.py stores a batch of inbound texts in about the queries of one).

Drains running side by side (a mark that expired under a long drain) take different
rows: each locks its batch with SKIP LOCKED. A batch that fails is rolled back and retried
event by event, so one bad event never holds the others back; an event that still fails
stays unprocessed, is logged, and is re-driven by the outbox sweeper.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from accounts.models import Firm

from ..models import ProviderEvent
from .drains import MAX_SECONDS, DrainMark

logger = logging.getLogger(__name__)

# Trusted (drains.py): every callback queues this drain, hundreds of times a second at peak.
EVENTS_DRAIN = DrainMark("events", "texting.tasks.provider_events_drain_task", trusted=True)
# Events applied per transaction: large enough to share the lock query and the commit,
# small enough that the first of them is visible well within a second. The worker's CPU
# per inbound text falls with the batch (in process: 0.78 ms at 25, 0.62 at 50, 0.50 at
# 100, 0.47 at 200, PostgreSQL's included), which is what lets it keep up at peak.
_DRAIN_BATCH = 200
# After a batch that was not full, a drain waits this long before reading again, so that a
# steady stream of callbacks gathers into batches rather than one event at a time: each
# batch costs a dozen statements whatever its size. Adds at most this to an event's wait
# (webhook-to-visible p99 at 100 callbacks/s: 0.27 s against 0.2 s at 0.1 s of linger).
_DRAIN_LINGER_SECONDS = 0.2


def events_drain_soon(firm_id: int) -> None:
    """Make sure a drain of `firm_id`'s stored events is queued (call after commit); never
    raises for an unreachable broker (drains.py)."""
    EVENTS_DRAIN.queue(firm_id)


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


def _is_inbound_text(event: ProviderEvent) -> bool:
    return event.kind == ProviderEvent.Kind.MESSAGING and event.event_type == "message-received"


def _events_apply(*, firm: Firm, events: list[ProviderEvent]) -> None:
    """The effect of stored events, inside the caller's transaction.

    Verification events update the firm's verification status (S3); status callbacks move
    our outbound messages (sending.py; their messages found in one query); inbound texts
    become messages in their contacts' conversations (receiving.py), all at once: a batch
    costs about the queries of one text. Voice events are only recorded.
    """
    from .provider_events import verification_status_apply
    from .receiving import inbound_events_apply
    from .sending import status_events_apply

    for event in events:
        if event.kind == ProviderEvent.Kind.VERIFICATION:
            verification_status_apply(firm=firm, event=event)
    statuses = [
        event
        for event in events
        if event.kind == ProviderEvent.Kind.MESSAGING and not _is_inbound_text(event)
    ]
    if statuses:
        status_events_apply(firm=firm, events=statuses)
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
    _events_apply(firm=event.firm, events=[event])
    _mark_processed([event.id])
    return True


def _batch_apply(*, firm: Firm, after_id: int, skip: set[int], taken: list[int]) -> None:
    """Lock up to a batch of the firm's unprocessed events after `after_id` (but none in
    `skip`, and none another drain holds), apply them and mark them processed, in one
    transaction. The ids go into `taken` as soon as they are read, so a caller whose batch
    failed knows them."""
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        events = list(
            ProviderEvent.objects.select_for_update(skip_locked=True)
            .filter(firm_id=firm.id, processed_at__isnull=True, id__gt=after_id)
            .exclude(id__in=skip)
            .order_by("id")[:_DRAIN_BATCH]
        )
        taken.extend(event.id for event in events)
        _events_apply(firm=firm, events=events)
        if events:
            _mark_processed(taken)


def _apply_one_by_one(firm_id: int, event_ids: list[int]) -> set[int]:
    """Each event in its own transaction; the ids of those that failed."""
    failed = set()
    for event_id in event_ids:
        try:
            provider_event_process(firm_id=firm_id, event_id=event_id)
        except Exception:  # one bad event must not hold the others back; the sweeper retries
            failed.add(event_id)
            logger.exception(
                "provider event could not be applied",
                extra={"firm_id": firm_id, "event_id": event_id},
            )
    return failed


def _drain_pass(firm: Firm, failed: set[int], deadline: float) -> int:
    """Apply the firm's unprocessed events in id order, batch by batch, until none is left
    (or the deadline passed); the number read. Ids that fail go into `failed`."""
    read = 0
    after_id = 0
    while time.monotonic() < deadline:
        EVENTS_DRAIN.hold(firm.id)
        taken: list[int] = []
        try:
            _batch_apply(firm=firm, after_id=after_id, skip=failed, taken=taken)
        except Exception:
            if not taken:
                raise  # not even the read worked (the database is away): the task fails
            logger.warning(
                "a batch of provider events failed; applying them one by one",
                extra={"firm_id": firm.id, "events": len(taken)},
                exc_info=True,
            )
            failed |= _apply_one_by_one(firm.id, taken)
        if not taken:
            break
        read += len(taken)
        after_id = taken[-1]
        if len(taken) < _DRAIN_BATCH:
            time.sleep(_DRAIN_LINGER_SECONDS)
    return read


def provider_events_drain(*, firm_id: int) -> int:
    """Apply the firm's stored, unprocessed events in id order, batch by batch; the number
    applied (those that failed are logged and left to the sweeper). Idempotent, and safe
    beside other drains. Holds the firm's "drain queued" mark while it runs (see the
    module's doc)."""
    firm = Firm.objects.filter(id=firm_id).first()
    if firm is None:
        EVENTS_DRAIN.release(firm_id)
        return 0
    deadline = time.monotonic() + MAX_SECONDS
    failed: set[int] = set()
    read = 0
    while True:
        try:
            read += _drain_pass(firm, failed, deadline)
        except BaseException:
            EVENTS_DRAIN.release(firm_id)
            raise
        if time.monotonic() >= deadline:
            EVENTS_DRAIN.hand_over(firm_id)  # behind other firms' work, not ahead of it
            return read - len(failed)
        EVENTS_DRAIN.release(firm_id)
        # Stored while the mark was held, an event queued no drain: look once more, once
        # no webhook trusts the mark any longer. If one has set it since, the drain it
        # queued takes the rest.
        EVENTS_DRAIN.settle()
        left = ProviderEvent.objects.filter(firm_id=firm_id, processed_at__isnull=True)
        if not left.exclude(id__in=failed).exists() or not EVENTS_DRAIN.take(firm_id):
            return read - len(failed)
