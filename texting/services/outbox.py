"""The outbox sweeper: re-drives what a lost broker message or a dead worker left behind (N1).

Every minute (CELERY_BEAT_SCHEDULE), firm by firm, `outbox_sweep`:

1. re-queues the firm's send drain for QUEUED texts long past their time (a drain lost
   to a Redis restart or a publish that failed after commit);
2. marks SENDING texts a dead worker left as awaiting their callback (never re-sent blindly);
3. hands awaited outcomes past TEXTING_OUTCOME_WAIT_SECONDS to `message_reconcile`;
4. re-drives stored callbacks whose processing task was lost;
5. re-drives the media fetch of inbound MMS whose fetch task was lost (C7).

Every step is bounded per firm and sweep, and idempotent: the tasks it enqueues claim rows
with conditional updates, so a duplicate is a no-op.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm

from ..models import Message, ProviderEvent
from .media import with_attachments
from .outbound_drain import outbound_drain_soon
from .sending import _reconcile_later, _run_later, _setting, outcome_wait_seconds

logger = logging.getLogger(__name__)

Status = Message.Status

_SWEEP_LOCK_KEY = "texting:outbox-sweep:lock"
_SWEEP_BATCH = 500
# Longer than any sweep takes; a sweeper that died holding it blocks the next ones this long.
_SWEEP_LOCK_SECONDS = 120
# The provider keeps inbound media two days (PROVIDER_API.md): after that, nothing to fetch.
_MEDIA_KEPT = timedelta(days=2)


@dataclass
class SweepReport:
    firms: int = 0
    requeued: int = 0  # QUEUED texts whose task was lost, enqueued again
    unknown: int = 0  # SENDING texts a dead worker left: now awaiting their callback
    reconciled: int = 0  # awaited outcomes handed to message_reconcile
    events_redriven: int = 0  # stored callbacks whose processing task was lost
    media_redriven: int = 0  # inbound MMS whose media fetch task was lost
    locked: bool = False  # another sweep was running: this one did nothing


def _sweep_firm(firm_id: int, now: datetime, report: SweepReport) -> None:
    outbound = Message.objects.filter(firm_id=firm_id, direction=Message.Direction.OUTBOUND)
    grace = timedelta(seconds=_setting("TEXTING_SWEEP_GRACE_SECONDS", 300))
    wait = timedelta(seconds=outcome_wait_seconds())
    time_limit = timedelta(seconds=_setting("CELERY_TASK_TIME_LIMIT", 300))

    # 1. QUEUED long past its time: the drain that was to send it was lost (a Redis
    # restart, a publish that failed after commit). next_attempt_at moves to now: it marks
    # this re-drive, so the next sweeps wait a whole grace period again (a text a long
    # backlog keeps queued is re-driven once per grace period, not on every sweep).
    overdue = outbound.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__lt=now - grace)
        | Q(next_attempt_at__isnull=True, updated_at__lt=now - grace)
    )
    # They are due again: one drain of the firm's outbox sends them, in order, each once
    # (queued unless one is queued or running already, which then takes them).
    requeued = outbound.filter(id__in=overdue.values("id")[:_SWEEP_BATCH]).update(
        next_attempt_at=now, updated_at=now
    )
    if requeued:
        transaction.on_commit(functools.partial(outbound_drain_soon, firm_id))
        report.requeued += requeued

    # 2. SENDING past the task time limit with no provider id and no awaited callback: the
    # worker died around the provider call. The request may have left, so this is an
    # unknown outcome: wait for the callback (since the claim), never re-send blindly.
    stuck = outbound.filter(
        status=Status.SENDING,
        provider_message_id="",
        awaiting_callback_since__isnull=True,
        updated_at__lt=now - time_limit,
    )
    report.unknown += stuck.update(awaiting_callback_since=F("updated_at"), updated_at=now)

    # 3. Awaited outcomes past the wait: reconcile (re-send only if no callback came).
    awaited = list(
        outbound.filter(status=Status.SENDING, awaiting_callback_since__lt=now - wait).values_list(
            "id", flat=True
        )[:_SWEEP_BATCH]
    )
    for message_id in awaited:
        _reconcile_later(firm_id, message_id, 0)
        report.reconciled += 1

    # 4. Callbacks stored but never processed: their task was lost (Redis restarted empty,
    # or was down when the webhook tried to enqueue, and the provider's retry was a replay).
    # Processing is idempotent (the event row is locked and marked), so re-driving is safe;
    # updated_at marks the re-drive, so a long backlog is re-driven once per grace period,
    # not on every sweep.
    from ..tasks import provider_event_process_task

    stale = ProviderEvent.objects.filter(
        firm_id=firm_id, processed_at__isnull=True, updated_at__lt=now - grace
    )
    for event_id in list(stale.values_list("id", flat=True)[:_SWEEP_BATCH]):
        if stale.filter(id=event_id).update(updated_at=now):
            _run_later(provider_event_process_task, (firm_id, event_id), 0)
            report.events_redriven += 1

    _redrive_media_fetches(firm_id, now, grace, report)


def _redrive_media_fetches(
    firm_id: int, now: datetime, grace: timedelta, report: SweepReport
) -> None:
    """5. Inbound texts whose media fetch has not finished (`media_fetched_at` null) past
    the grace: an MMS whose fetch task was lost would never get its attachments (C7).

    Only while the provider keeps the media. A text found to have no attachments is marked
    done, so its event is read once; an MMS is re-driven (the fetch is idempotent), with
    updated_at marking the re-drive as in (4): a fetch still pending or failing is re-driven
    once per grace period, not on every sweep.
    """
    from ..tasks import inbound_media_fetch_task

    unfetched = Message.objects.filter(
        firm_id=firm_id,
        direction=Message.Direction.INBOUND,
        media_fetched_at__isnull=True,
        created_at__gte=now - _MEDIA_KEPT,
        updated_at__lt=now - grace,
    )
    pending = dict(unfetched.values_list("id", "provider_message_id")[:_SWEEP_BATCH])
    with_media = with_attachments(firm_id=firm_id, provider_message_ids=set(pending.values()))
    without = [message_id for message_id, ours in pending.items() if ours not in with_media]
    if without:
        unfetched.filter(id__in=without).update(media_fetched_at=now, updated_at=now)
    for message_id, ours in pending.items():
        if ours in with_media and unfetched.filter(id=message_id).update(updated_at=now):
            _run_later(inbound_media_fetch_task, (firm_id, message_id), 0)
            report.media_redriven += 1


def outbox_sweep() -> SweepReport:
    """Find texts, callbacks and media fetches the queue lost or a dead worker left behind;
    enqueue their next step. Runs every minute (CELERY_BEAT_SCHEDULE); overlapping runs are
    prevented by a cache lock (Redis in production). Firm by firm, each inside its own
    scope. Idempotent.
    """
    token = uuid.uuid4().hex
    report = SweepReport()
    if not cache.add(_SWEEP_LOCK_KEY, token, timeout=_SWEEP_LOCK_SECONDS):
        report.locked = True
        return report
    try:
        now = timezone.now()
        firm_ids = Firm.objects.filter(toll_free_number_e164__isnull=False).values_list(
            "id", flat=True
        )
        for firm_id in firm_ids:
            with scope(firm=firm_id):
                _sweep_firm(firm_id, now, report)
            report.firms += 1
    finally:
        if cache.get(_SWEEP_LOCK_KEY) == token:
            cache.delete(_SWEEP_LOCK_KEY)
    if (
        report.requeued
        or report.unknown
        or report.reconciled
        or report.events_redriven
        or report.media_redriven
    ):
        logger.warning(
            "outbox sweep: %d re-enqueued, %d left sending, %d reconciled, %d callbacks and "
            "%d media fetches re-driven",
            report.requeued,
            report.unknown,
            report.reconciled,
            report.events_redriven,
            report.media_redriven,
        )
    return report
