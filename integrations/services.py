"""Webhooks for integrators (X6): endpoints, events, signed deliveries with retries.

- Texting and the calendar announce what happened with signals (texting/signals.py,
  calendar_events/services/replies.py); the receivers here turn it into `WebhookEvent`s,
  inside the sender's transaction, so an event exists exactly when what it reports
  committed. A firm without an active endpoint costs one query per signal, nothing more.
- `webhook_events_record` writes the events and one delivery per subscribed endpoint and
  enqueues their delivery on commit.
- `webhook_deliver` (never in a transaction: it calls the network) claims a due delivery
  with a conditional update, POSTs the signed event, records the attempt, and on anything
  but a 2xx schedules the next attempt after WEBHOOKS_RETRY_SCHEDULE_SECONDS, until
  WEBHOOKS_MAX_ATTEMPTS. The event id (`Webhook-Id`) is the same on every attempt.
- `webhook_sweep` re-enqueues due deliveries whose task was lost and frees deliveries a
  dead worker left SENDING.

Payloads carry ids and the public fields an integrator needs, and a text's body (the
endpoint is the firm's own system; docs/webhooks.md). Logs carry ids only, never a body.
"""

from __future__ import annotations

import enum
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scope

from accounts.audit import audit_record
from accounts.models import AuditEvent, Firm, User
from calendar_events.models import EventAttendee
from texting.models import Conversation, Message

from .exceptions import WebhookEndpointInvalid
from .models import SUBSCRIBABLE, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .models import WebhookEvent as WebhookEventModel
from .signing import secret_generate, signed_headers
from .transport import UnsafeURL, url_check, webhook_session

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

_SWEEP_LOCK_KEY = "integrations:webhook-sweep"
_SWEEP_LOCK_SECONDS = 300


def max_attempts() -> int:
    return int(settings.WEBHOOKS_MAX_ATTEMPTS)


def retry_delay(attempt: int) -> float:
    """Seconds before the attempt after attempt number `attempt` (1-based)."""
    schedule = [float(s) for s in settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS]
    return schedule[min(attempt, len(schedule)) - 1]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audit_target(endpoint: WebhookEndpoint) -> str:
    # The host only: a receiver's path or query string may carry its own credentials.
    return urlsplit(endpoint.url).hostname or ""


# --- endpoints ---------------------------------------------------------------------------------


def webhook_endpoint_create(
    *, firm: Firm, actor: User | None, url: str, events: Sequence[str]
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint subscribed to `events`; the endpoint and its signing secret, which is
    shown to the admin once and never again. Raises WebhookEndpointInvalid (nothing written)
    for unknown events or a URL we refuse (https only and public addresses only, unless
    WEBHOOKS_ALLOW_PRIVATE_URLS). Resolves the host (DNS) before any write; the endpoint and
    its audit event are written together.
    """
    url = url.strip()
    chosen = list(dict.fromkeys(events))
    if not chosen or any(event not in SUBSCRIBABLE for event in chosen):
        raise WebhookEndpointInvalid(
            "Choose at least one event.", fields={"events": ["Choose at least one event."]}
        )
    try:
        url_check(url)
    except UnsafeURL as error:
        message = f"This URL cannot receive webhooks: {error}."
        raise WebhookEndpointInvalid(message, fields={"url": [message]}) from None
    secret = secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            firm=firm, url=url, events=chosen, secret=secret, created_by=actor
        )
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditEvent.Action.WEBHOOK_ENDPOINT_ADDED,
            target=_audit_target(endpoint),
            details={"endpoint": str(endpoint.uuid), "events": chosen},
        )
    logger.info("webhook endpoint added", extra={"firm_id": firm.id, "endpoint_id": endpoint.id})
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_deactivate(
    *, firm: Firm, endpoint: WebhookEndpoint, actor: User | None = None
) -> None:
    """Stop sending to `endpoint`; deliveries still pending fail at their next attempt.
    Idempotent; audited when the endpoint was active."""
    if endpoint.firm_id != firm.id:
        raise WebhookEndpoint.DoesNotExist
    deactivated = (
        WebhookEndpoint.objects.for_firm(firm)
        .filter(id=endpoint.id, is_active=True)
        .update(is_active=False, updated_at=timezone.now())
    )
    if deactivated:
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditEvent.Action.WEBHOOK_ENDPOINT_DISABLED,
            target=_audit_target(endpoint),
            details={"endpoint": str(endpoint.uuid)},
        )


@transaction.atomic
def webhook_endpoint_delete(
    *, firm: Firm, endpoint: WebhookEndpoint, actor: User | None = None
) -> None:
    """Remove `endpoint` and its delivery log (the events themselves stay); audited."""
    if endpoint.firm_id != firm.id:
        raise WebhookEndpoint.DoesNotExist
    WebhookAttempt.objects.for_firm(firm).filter(delivery__endpoint=endpoint).delete()
    WebhookDelivery.objects.for_firm(firm).filter(endpoint=endpoint).delete()
    deleted, _ = WebhookEndpoint.objects.for_firm(firm).filter(id=endpoint.id).delete()
    if deleted:
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditEvent.Action.WEBHOOK_ENDPOINT_REMOVED,
            target=_audit_target(endpoint),
            details={"endpoint": str(endpoint.uuid)},
        )
    logger.info("webhook endpoint deleted", extra={"firm_id": firm.id, "endpoint_id": endpoint.id})


# --- events ------------------------------------------------------------------------------------


def _subscribed_endpoint_ids(firm_id: int, event_type: str) -> list[int]:
    """Active endpoints of the firm subscribed to `event_type`: one query, no secret read."""
    rows = (
        WebhookEndpoint.objects.for_firm(firm_id).filter(is_active=True).values_list("id", "events")
    )
    return [endpoint_id for endpoint_id, events in rows if event_type in events]


@transaction.atomic
def webhook_events_record(
    *,
    firm: Firm | int,
    type: str,
    payloads: Sequence[dict[str, Any]],
    endpoint_ids: Sequence[int] | None = None,
) -> list[WebhookEventModel]:
    """Record one event per payload and one PENDING delivery of each per endpoint (the
    active ones subscribed to `type`, unless `endpoint_ids` are given); their delivery is
    enqueued on commit. Transactional; nothing is written without an endpoint.
    """
    firm_id = firm if isinstance(firm, int) else firm.id
    if endpoint_ids is None:
        endpoint_ids = _subscribed_endpoint_ids(firm_id, type)
    if not endpoint_ids or not payloads:
        return []
    events = WebhookEventModel.objects.bulk_create(
        [
            WebhookEventModel(firm_id=firm_id, uuid=uuid.uuid4(), type=type, payload=payload)
            for payload in payloads
        ]
    )
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                firm_id=firm_id, event=event, endpoint_id=endpoint_id, next_attempt_at=now
            )
            for event in events
            for endpoint_id in endpoint_ids
        ]
    )
    from .tasks import webhook_deliver_task

    for delivery in deliveries:
        webhook_deliver_task.delay_on_commit(firm_id, delivery.id)
    logger.info(
        "webhook events recorded",
        extra={
            "firm_id": firm_id,
            "type": type,
            "events": len(events),
            "deliveries": len(deliveries),
        },
    )
    return events


def webhook_ping(*, firm: Firm, endpoint: WebhookEndpoint) -> WebhookEventModel:
    """ "Send test event": a `ping` event delivered to `endpoint` only, subscribed or not."""
    if endpoint.firm_id != firm.id:
        raise WebhookEndpoint.DoesNotExist
    payload = {"endpoint": {"id": str(endpoint.uuid)}, "message": "Test event from Firm Texting."}
    (event,) = webhook_events_record(
        firm=firm, type=EventType.PING, payloads=[payload], endpoint_ids=[endpoint.id]
    )
    return event


def text_message_data(
    message: Message, *, conversation_uuid: uuid.UUID, contact_uuid: uuid.UUID
) -> dict[str, Any]:
    """What a text_message.* event says about a text (docs/webhooks.md)."""
    return {
        "text_message": {
            "id": str(message.uuid),
            "conversation": {"id": str(conversation_uuid)},
            "contact": {"id": str(contact_uuid)},
            "direction": message.direction,
            "status": message.status,
            "failure_reason": message.failure_reason or None,
            "error_code": message.error_code,
            "body": message.body,
            "created_at": _iso(message.created_at),
            "delivered_at": _iso(message.delivered_at),
            "failed_at": _iso(message.failed_at),
        }
    }


def on_inbound_texts_stored(
    sender: Any, *, firm: Firm, messages: Sequence[Message], **_: Any
) -> None:
    """texting.signals.inbound_texts_stored → text_message.received, in its transaction.
    One query when the firm has no endpoint for it; one more for the ids otherwise."""
    if not messages:
        return
    endpoint_ids = _subscribed_endpoint_ids(firm.id, EventType.TEXT_MESSAGE_RECEIVED)
    if not endpoint_ids:
        return
    ids = {
        conversation_id: (conversation_uuid, contact_uuid)
        for conversation_id, conversation_uuid, contact_uuid in Conversation.objects.for_firm(firm)
        .filter(id__in={m.conversation_id for m in messages})
        .values_list("id", "uuid", "contact__uuid")
    }
    payloads = [
        text_message_data(
            message,
            conversation_uuid=ids[message.conversation_id][0],
            contact_uuid=ids[message.conversation_id][1],
        )
        for message in messages
    ]
    webhook_events_record(
        firm=firm,
        type=EventType.TEXT_MESSAGE_RECEIVED,
        payloads=payloads,
        endpoint_ids=endpoint_ids,
    )


_OUTBOUND_EVENT = {
    Message.Status.DELIVERED: EventType.TEXT_MESSAGE_DELIVERED,
    Message.Status.FAILED: EventType.TEXT_MESSAGE_FAILED,
}


def on_outbound_status_changed(
    sender: Any, *, firm_id: int, changes: dict[str, Sequence[int]], **_: Any
) -> None:
    """texting.signals.outbound_status_changed → text_message.delivered / .failed.
    One query for a whole batch when the firm has no endpoint for them."""
    wanted = {
        _OUTBOUND_EVENT[status]: ids  # type: ignore[index]
        for status, ids in changes.items()
        if status in _OUTBOUND_EVENT
    }
    if not wanted:
        return
    with scope(firm=firm_id):
        rows = list(
            WebhookEndpoint.objects.for_firm(firm_id)
            .filter(is_active=True)
            .values_list("id", "events")
        )
        for event_type, message_ids in wanted.items():
            endpoint_ids = [endpoint_id for endpoint_id, events in rows if event_type in events]
            if not endpoint_ids:
                continue
            messages = (
                Message.objects.for_firm(firm_id)
                .filter(id__in=message_ids)
                .select_related("conversation__contact")
            )
            payloads = [
                text_message_data(
                    message,
                    conversation_uuid=message.conversation.uuid,
                    contact_uuid=message.conversation.contact.uuid,
                )
                for message in messages.order_by("id")
            ]
            webhook_events_record(
                firm=firm_id, type=event_type, payloads=payloads, endpoint_ids=endpoint_ids
            )


def on_attendee_answered(
    sender: Any, *, firm: Firm, attendee_id: int, response: str, message_id: int, **_: Any
) -> None:
    """calendar_events' attendee_answered → calendar_entry.confirmation_changed."""
    event_type = EventType.CALENDAR_CONFIRMATION_CHANGED
    endpoint_ids = _subscribed_endpoint_ids(firm.id, event_type)
    if not endpoint_ids:
        return
    attendee = (
        EventAttendee.objects.for_firm(firm)
        .select_related("event", "contact", "response_message")
        .get(id=attendee_id)
    )
    payload = {
        "calendar_entry": {
            "id": str(attendee.event.uuid),
            "start_at": _iso(attendee.event.starts_at),
        },
        "attendee": {
            "id": str(attendee.uuid),
            "contact": {"id": str(attendee.contact.uuid)} if attendee.contact else None,
            "confirmation": response,
            "confirmation_at": _iso(attendee.responded_at),
        },
        "text_message": (
            {"id": str(attendee.response_message.uuid)} if attendee.response_message else None
        ),
    }
    webhook_events_record(firm=firm, type=event_type, payloads=[payload], endpoint_ids=endpoint_ids)


# --- delivering --------------------------------------------------------------------------------


class DeliveryResult(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # PENDING again, next_attempt_at set
    FAILED = "failed"  # out of attempts, or the endpoint is gone
    SKIPPED = "skipped"  # not due, already taken, or done


def event_body(event: WebhookEventModel) -> bytes:
    """The JSON body of `event`, the same bytes for every attempt and endpoint."""
    document = {
        "id": str(event.uuid),
        "type": event.type,
        "created_at": _iso(event.created_at),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _post(endpoint: WebhookEndpoint, event: WebhookEventModel) -> tuple[int | None, str, int]:
    """POST the signed event: (status code or None, error, latency in ms). Never raises for
    what the network or the receiver does."""
    body = event_body(event)
    headers = signed_headers(
        event_id=str(event.uuid), secret=endpoint.secret, timestamp=int(time.time()), body=body
    )
    timeout = float(settings.WEBHOOKS_TIMEOUT_SECONDS)
    started = time.monotonic()
    try:
        # Again (the settings may have changed since it was saved); no DNS here: the
        # session checks the very address it connects to, so a changed answer is caught.
        url_check(endpoint.url, resolve=False)
        with webhook_session() as session:
            response = session.post(
                endpoint.url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            )
            response.close()
        code, error = response.status_code, ""
    except UnsafeURL as unsafe:
        code, error = None, f"refused: {unsafe}"
    except requests.Timeout:
        code, error = None, f"timed out after {timeout:g}s"
    except requests.RequestException as failure:
        code, error = None, f"connection error ({type(failure).__name__})"
    latency = int((time.monotonic() - started) * 1000)
    return code, error[:300], latency


def _publish(firm_id: int, delivery_id: int, countdown: float) -> None:
    from .tasks import webhook_deliver_task

    if webhook_deliver_task.app.conf.task_always_eager:
        return  # no broker: "later" is the sweep's job
    if countdown > float(settings.WEBHOOKS_MAX_COUNTDOWN_SECONDS):
        return  # beyond the broker's visibility timeout: the sweep enqueues it when due
    webhook_deliver_task.apply_async((firm_id, delivery_id), countdown=countdown)


def webhook_deliver(*, firm_id: int, delivery_id: int) -> DeliveryResult:
    """Attempt one due delivery once; idempotent (claims PENDING → SENDING with a conditional
    update: a duplicate, early or late task is SKIPPED). Not transactional, never inside a
    transaction: it calls the endpoint. Records the attempt; 2xx → DELIVERED; anything else
    → PENDING with the next attempt scheduled, or FAILED once out of attempts.
    """
    now = timezone.now()
    mine = WebhookDelivery.objects.for_firm(firm_id).filter(id=delivery_id)
    claimed = mine.filter(status=Status.PENDING, next_attempt_at__lte=now).update(
        status=Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return DeliveryResult.SKIPPED
    delivery = mine.select_related("event", "endpoint").get()
    endpoint, event = delivery.endpoint, delivery.event
    extra = {"firm_id": firm_id, "delivery_id": delivery_id, "attempt": delivery.attempts}
    if not endpoint.is_active:
        code, error, latency = None, "endpoint deactivated", 0
    else:
        code, error, latency = _post(endpoint, event)
    done = timezone.now()
    WebhookAttempt.objects.create(
        firm_id=firm_id,
        delivery=delivery,
        number=delivery.attempts,
        response_code=code,
        error=error,
        latency_ms=latency,
    )
    fields: dict[str, Any] = {
        "last_response_code": code,
        "last_error": error,
        "latency_ms": latency,
        "updated_at": done,
    }
    sending = mine.filter(status=Status.SENDING)
    if code is not None and 200 <= code < 300:
        sending.update(status=Status.DELIVERED, delivered_at=done, next_attempt_at=None, **fields)
        logger.info("webhook delivered", extra={**extra, "status_code": code})
        return DeliveryResult.DELIVERED
    if delivery.attempts >= max_attempts() or not endpoint.is_active:
        sending.update(status=Status.FAILED, next_attempt_at=None, **fields)
        logger.warning("webhook failed for good", extra={**extra, "status_code": code})
        return DeliveryResult.FAILED
    delay = retry_delay(delivery.attempts)
    sending.update(status=Status.PENDING, next_attempt_at=done + timedelta(seconds=delay), **fields)
    _publish(firm_id, delivery_id, delay)
    logger.info("webhook not accepted; retry in %.0fs", delay, extra={**extra, "status_code": code})
    return DeliveryResult.RETRY


def webhook_sweep() -> int:
    """Re-enqueue PENDING deliveries due for WEBHOOKS_SWEEP_GRACE_SECONDS (their task was
    lost, or their retry was too far off for a countdown) and put back to PENDING those a
    dead worker left SENDING. Firm by firm, each in its own scope; a cache lock keeps runs
    from overlapping. Returns how many were enqueued. Idempotent.
    """
    from .tasks import webhook_deliver_task

    token = uuid.uuid4().hex
    if not cache.add(_SWEEP_LOCK_KEY, token, timeout=_SWEEP_LOCK_SECONDS):
        return 0
    enqueued = 0
    try:
        now = timezone.now()
        grace = timedelta(seconds=float(settings.WEBHOOKS_SWEEP_GRACE_SECONDS))
        stuck_before = now - grace - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        for firm_id in Firm.objects.values_list("id", flat=True):
            with scope(firm=firm_id):
                deliveries = WebhookDelivery.objects.for_firm(firm_id)
                deliveries.filter(status=Status.SENDING, updated_at__lt=stuck_before).update(
                    status=Status.PENDING, next_attempt_at=now, updated_at=now
                )
                due = deliveries.filter(
                    status=Status.PENDING, next_attempt_at__lte=now - grace
                ).values_list("id", flat=True)[:500]
                for delivery_id in due:
                    webhook_deliver_task.delay(firm_id, delivery_id)
                    enqueued += 1
    finally:
        if cache.get(_SWEEP_LOCK_KEY) == token:
            cache.delete(_SWEEP_LOCK_KEY)
    if enqueued:
        logger.warning("webhook sweep: %d deliveries re-enqueued", enqueued)
    return enqueued
