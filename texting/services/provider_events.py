"""Provider callbacks: stored once, applied by a task; the answer to callers (C11).

Callbacks are routed to a firm by its toll-free number, never by anything the payload
claims about accounts. Every write happens inside that firm's scope. Storing a callback
queues a drain of the firm's stored events (event_processing.py), which applies them.
"""

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from common.phones import phone_display

from ..models import ProviderEvent, TextingSettings
from ..provider.callbacks import MessageEvent, VerificationEvent, VoiceEvent
from ..provider.util import mask_number
from ..selectors import texting_settings_get
from .event_processing import events_drain_soon

logger = logging.getLogger(__name__)


def _dedupe_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _as_json(event: MessageEvent | VerificationEvent | VoiceEvent) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(event), cls=DjangoJSONEncoder))
    return data


def _firm_ids_by_number(numbers: Iterable[str]) -> dict[str, int]:
    # Firm is the tenant table itself (not firm-owned): routing needs no unscoped query.
    # Ids only: this runs for every callback, and the webhook needs nothing else.
    wanted = {n for n in numbers if n}
    rows = Firm.objects.filter(toll_free_number_e164__in=wanted).values_list(
        "toll_free_number_e164", "id"
    )
    return {str(number): firm_id for number, firm_id in rows}


def _event_store(
    *,
    firm_id: int,
    kind: str,
    event_type: str,
    dedupe_key: str,
    payload: dict[str, Any],
    provider_message_id: str = "",
    tag: str = "",
    error_code: int | None = None,
    occurred_at: Any = None,
) -> ProviderEvent | None:
    """Insert the event unless its dedupe key is already stored, and queue a drain of the
    firm's events once the insert is committed; None for a replay."""
    # Outside a transaction (the webhook) this is one INSERT in autocommit: a replay's
    # IntegrityError has no transaction to spoil. Inside a caller's transaction a savepoint
    # keeps that transaction usable.
    in_transaction = transaction.get_connection().in_atomic_block
    with scope(firm=firm_id):
        try:
            with transaction.atomic() if in_transaction else contextlib.nullcontext():
                event = ProviderEvent.objects.create(
                    firm_id=firm_id,
                    kind=kind,
                    event_type=event_type,
                    dedupe_key=dedupe_key,
                    payload=payload,
                    provider_message_id=provider_message_id,
                    tag=tag,
                    error_code=error_code,
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            return None  # delivered before: at-least-once delivery, stored once
    transaction.on_commit(functools.partial(events_drain_soon, firm_id))
    return event


def messaging_events_record(*, events: Sequence[MessageEvent]) -> int:
    """Store each messaging event once under the firm that owns the number; count new ones.

    The firm is the owner of the message: the number that received an inbound text, or
    the number an outbound text was sent from. Events for other numbers are dropped.
    """
    firm_ids = _firm_ids_by_number(e.owner for e in events)
    stored = 0
    for event in events:
        firm_id = firm_ids.get(event.owner)
        if firm_id is None:
            logger.info(
                "messaging callback for a number of no firm",
                extra={"event_type": event.type, "number": mask_number(event.owner)},
            )
            continue
        if _event_store(
            firm_id=firm_id,
            kind=ProviderEvent.Kind.MESSAGING,
            event_type=event.type,
            dedupe_key=_dedupe_key("messaging", event.message_id, event.type, event.to),
            payload=_as_json(event),
            provider_message_id=event.message_id,
            tag=event.tag or "",
            error_code=event.error_code,
            occurred_at=event.time,
        ):
            stored += 1
    return stored


def verification_event_record(*, event: VerificationEvent) -> bool:
    """Store a toll-free verification status change once; False for a replay or no firm."""
    firm_id = _firm_ids_by_number([event.phone_number]).get(event.phone_number)
    if firm_id is None:
        logger.info(
            "verification callback for a number of no firm",
            extra={"number": mask_number(event.phone_number)},
        )
        return False
    key = _dedupe_key(
        "verification",
        event.phone_number,
        event.status,
        event.internal_ticket_number,
        event.denial_status_code,
        event.error_message,
    )
    return (
        _event_store(
            firm_id=firm_id,
            kind=ProviderEvent.Kind.VERIFICATION,
            event_type=event.status or "error",
            dedupe_key=key,
            payload=_as_json(event),
        )
        is not None
    )


@transaction.atomic
def verification_status_apply(*, firm: Firm, event: ProviderEvent) -> TextingSettings:
    """Set the firm's verification status from a stored verification event (S3)."""
    settings = TextingSettings.objects.select_for_update().filter(firm=firm).first()
    if settings is None:
        settings = TextingSettings.objects.create(firm=firm)
    payload = event.payload
    status = payload.get("status")
    if status == "VERIFIED":
        settings.verification_status = TextingSettings.VerificationStatus.VERIFIED
        settings.verification_denial_code = None
        settings.verification_decline_reason = ""
    elif status == "PENDING":
        settings.verification_status = TextingSettings.VerificationStatus.PENDING
    else:  # UNVERIFIED with a denial, or the provider could not process the request
        settings.verification_status = TextingSettings.VerificationStatus.REJECTED
        settings.verification_denial_code = payload.get("denial_status_code")
        settings.verification_decline_reason = (
            payload.get("decline_reason")
            or payload.get("error_message")
            or "The verification request was not accepted."
        )
    settings.verification_updated_at = timezone.now()
    settings.save()
    return settings


def voice_event_answer(*, event: VoiceEvent) -> str | None:
    """The BXML for an inbound call (C11), or None for call events that need no answer.

    The call cannot be completed: a short message says so and how to reach the firm, then
    the call ends. Every event is stored once under the called firm.
    """
    firm_id = _firm_ids_by_number([event.to]).get(event.to)
    if firm_id is not None:
        _event_store(
            firm_id=firm_id,
            kind=ProviderEvent.Kind.VOICE,
            event_type=event.event_type,
            dedupe_key=_dedupe_key("voice", event.call_id, event.event_type),
            payload=_as_json(event),
            occurred_at=event.event_time,
        )
    if event.event_type != "initiate":
        return None
    return _call_answer_bxml(firm_id)


def _call_answer_bxml(firm_id: int | None) -> str:
    firm = Firm.objects.filter(id=firm_id).first() if firm_id is not None else None
    if firm is None:
        sentence = "This number does not take calls. Goodbye."
    else:
        with scope(firm=firm.id):
            settings = texting_settings_get(firm=firm)
        ways = []
        if settings.alternative_phone_e164:
            ways.append(f"call {phone_display(settings.alternative_phone_e164)}")
        if settings.alternative_email:
            ways.append(f"email {settings.alternative_email}")
        reach = " or ".join(ways) if ways else "contact the firm directly"
        sentence = (
            f"You have reached {firm.name}. This number is for text messages only, so your "
            f"call cannot be completed. To reach us, please {reach}. Goodbye."
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>"
        f'<SpeakSentence voice="susan">{escape(sentence)}</SpeakSentence>'
        "<Hangup/>"
        "</Response>"
    )
