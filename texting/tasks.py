"""Thin Celery wrappers: ids in, the firm's scope opened, one service called.

Every task has a stable name and is idempotent: the services claim rows with conditional
updates, so a duplicated, replayed or late task changes nothing.
"""

import logging
from typing import Any

from celery import Task, shared_task
from django_scopes import scope

from .provider import ProviderUnavailable
from .services import provider_event_process, provider_events_drain
from .services.media import inbound_media_fetch
from .services.notifications import inbound_push_send
from .services.outbound_drain import outbound_drain
from .services.outbox import outbox_sweep
from .services.sending import (
    DeliveryPostponed,
    message_deliver,
    message_deliver_gave_up,
    message_reconcile,
)

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="texting.verification_statuses_poll", ignore_result=True)
def verification_statuses_poll_task(self: Task) -> None:
    """Every 15 minutes: ask the provider about verifications pending for a while (S3's
    fallback for a lost webhook). Opens each firm's scope itself."""
    from .services.verification_poll import verification_statuses_poll

    verification_statuses_poll()


@shared_task(
    bind=True,
    name="texting.provider_event_process",
    acks_late=True,
    max_retries=5,
    retry_backoff=5,
    retry_jitter=True,
)
def provider_event_process_task(self: Task, firm_id: int, event_id: int) -> None:
    """Apply one stored provider event; running it twice changes nothing the second time."""
    with scope(firm=firm_id):
        provider_event_process(firm_id=firm_id, event_id=event_id)


@shared_task(bind=True, name="texting.provider_events_drain", acks_late=True, ignore_result=True)
def provider_events_drain_task(self: Task, firm_id: int) -> None:
    """Apply the firm's stored callbacks in batches; queued by the webhook, at most one
    waiting per firm (event_processing.py). A re-run finds nothing left to do."""
    with scope(firm=firm_id):
        provider_events_drain(firm_id=firm_id)


@shared_task(bind=True, name="texting.outbound_drain", acks_late=True, ignore_result=True)
def outbound_drain_task(self: Task, firm_id: int) -> None:
    """Send the firm's queued texts, a batch at a time; queued on commit of a send, at most
    one waiting per firm (outbound_drain.py). A re-run finds nothing left to do."""
    with scope(firm=firm_id):
        outbound_drain(firm_id=firm_id)


def _ids(args: Any, kwargs: Any) -> tuple[int, int] | None:
    values = list(args or ()) + [kwargs.get(k) for k in ("firm_id", "message_id") if kwargs]
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    return int(values[0]), int(values[1])


def _message_deliver_failed(
    self: Task, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
) -> None:
    """Retries exhausted on an unavailable provider: the text fails as a temporary error."""
    ids = _ids(args, kwargs)
    if ids is None or not isinstance(exc, ProviderUnavailable):
        return  # a bug or an outage of our own: the row stays for the outbox sweeper
    firm_id, message_id = ids
    with scope(firm=firm_id):
        message_deliver_gave_up(firm_id=firm_id, message_id=message_id)


@shared_task(
    bind=True,
    name="texting.message_deliver",
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    on_failure=_message_deliver_failed,
)
def message_deliver_task(self: Task, firm_id: int, message_id: int, has_turn: bool = False) -> None:
    """Send one queued text (claims QUEUED→SENDING; a no-op for any other state).

    `has_turn`: the text already waited for its turn at the provider's rate (sending.py).

    When the provider is unavailable the service has put the text back to QUEUED with
    `next_attempt_at`; the task retries at that time (backoff with jitter, at least the
    provider's Retry-After). Out of retries, `_message_deliver_failed` fails the text.
    """
    with scope(firm=firm_id):
        try:
            message_deliver(firm_id=firm_id, message_id=message_id, has_turn=has_turn)
        except DeliveryPostponed as exc:
            if self.request.is_eager:
                # No broker to retry through (the embedded default): the row stays QUEUED
                # for the outbox sweeper, and the caller (a web request) is not failed.
                logger.warning(
                    "provider unavailable; text left queued",
                    extra={"firm_id": firm_id, "message_id": message_id},
                )
                return
            raise self.retry(exc=exc, countdown=exc.countdown) from None


@shared_task(bind=True, name="texting.message_reconcile", acks_late=True)
def message_reconcile_task(self: Task, firm_id: int, message_id: int) -> None:
    """Resolve a send whose answer was lost: re-send only if no callback with our tag came."""
    with scope(firm=firm_id):
        message_reconcile(firm_id=firm_id, message_id=message_id)


@shared_task(bind=True, name="texting.outbox_sweep", acks_late=False, ignore_result=True)
def outbox_sweep_task(self: Task) -> None:
    """Every minute: re-enqueue texts whose task was lost; reconcile stuck sends. Opens each
    firm's scope itself; a cache lock keeps two runs from overlapping."""
    outbox_sweep()


@shared_task(
    bind=True,
    name="texting.inbound_media_fetch",
    acks_late=True,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    # About two hours of retries: well inside the provider's two days of media retention.
    max_retries=15,
)
def inbound_media_fetch_task(self: Task, firm_id: int, message_id: int) -> None:
    """Download and file the attachments of one inbound MMS (C7). Idempotent: a re-run
    downloads only attachments not yet recorded and files each on a matter once."""
    with scope(firm=firm_id):
        inbound_media_fetch(firm_id=firm_id, message_id=message_id)


# A push is worth a few quick retries, not hours of them: the text is in its thread anyway.
PUSH_MAX_RETRIES = 3
PUSH_RETRY_SECONDS = 15


@shared_task(
    bind=True,
    name="texting.inbound_push_send",
    acks_late=True,
    ignore_result=True,
    max_retries=PUSH_MAX_RETRIES,
)
def inbound_push_send_task(
    self: Task, firm_id: int, message_ids: list[int], subscription_ids: list[int] | None = None
) -> None:
    """Web Push for one batch of new inbound texts (C9) to every browser of every member
    with push on; enqueued on commit by the receiving service, one per batch.

    Subscriptions the push service says are gone are deleted. Browsers it could not take a
    notification for (connection error, 429, 5xx) are retried, only they, up to
    PUSH_MAX_RETRIES times with backoff, then given up: a notification is not a record.
    A duplicate run sends notifications that replace the first ones (same tag).
    """
    with scope(firm=firm_id):
        report = inbound_push_send(
            firm_id=firm_id, message_ids=message_ids, subscription_ids=subscription_ids
        )
    if not report.retry:
        return
    if self.request.is_eager or self.request.retries >= PUSH_MAX_RETRIES:
        # No broker to retry through (the embedded default), or out of retries.
        logger.warning(
            "push notifications given up",
            extra={"firm_id": firm_id, "subscriptions": len(report.retry)},
        )
        return
    raise self.retry(
        args=(firm_id, message_ids),
        kwargs={"subscription_ids": sorted(report.retry)},
        countdown=PUSH_RETRY_SECONDS * 2**self.request.retries,
    )
