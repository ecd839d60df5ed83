"""Provider callbacks: stored once, applied by a task; the answer to callers (C11).

Callbacks are routed to a firm by its toll-free number, never by anything the payload
claims about accounts. Every write happens inside that firm's scope. Storing a callback
queues a drain of the firm's stored events (event_processing.py), which applies them.
"""

import dataclasses
import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from common.phones import phone_display
from common.prepared import fetch_one_prepared

from ..models import ProviderEvent, TextingSettings
from ..provider.callbacks import MessageEvent, VerificationEvent, VoiceEvent
from ..provider.util import mask_number
from ..selectors import texting_settings_get
from .event_processing import events_drain_soon

logger = logging.getLogger(__name__)


def _dedupe_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _as_json(event: MessageEvent | VerificationEvent | VoiceEvent) -> dict[str, Any]:
    # Field by field rather than dataclasses.asdict, which deep-copies every value first.
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    data: dict[str, Any] = json.loads(json.dumps(fields, cls=DjangoJSONEncoder))
    return data


def _firm_owns(number: str) -> bool:
    # Firm is the tenant table itself (not firm-owned): routing needs no unscoped query.
    return Firm.objects.filter(toll_free_number_e164=number).exists()


# Every column the webhook sets; processed_at stays NULL.
_EVENT_COLUMNS = (
    "created_at",
    "updated_at",
    "uuid",
    "kind",
    "event_type",
    "dedupe_key",
    "provider_message_id",
    "tag",
    "error_code",
    "occurred_at",
    "payload",
)


@functools.cache
def _event_fields() -> "list[models.Field[Any, Any]]":
    fields = []
    for name in _EVENT_COLUMNS:
        field = ProviderEvent._meta.get_field(name)
        assert isinstance(field, models.Field)  # concrete columns, all of them
        fields.append(field)
    return fields


@functools.cache
def _event_insert_sql() -> str:
    """INSERT … SELECT from the firm owning the number: routing and storing in one
    statement. No row comes back for a number no firm owns, or for an event whose dedupe
    key is stored already (the conflict target is the constraint provider_event_once)."""
    event_table = ProviderEvent._meta.db_table
    firm_table = Firm._meta.db_table
    columns = ", ".join(["firm_id", *(field.column for field in _event_fields())])
    values = ", ".join(["firm.id", *(["%s"] * len(_EVENT_COLUMNS))])
    return (
        f"INSERT INTO {event_table} ({columns}) "  # noqa: S608 - names from the models only
        f"SELECT {values} FROM {firm_table} AS firm WHERE firm.toll_free_number_e164 = %s "
        "ON CONFLICT (firm_id, dedupe_key) DO NOTHING RETURNING firm_id"
    )


def _event_store(
    *,
    number: str,
    kind: str,
    event_type: str,
    dedupe_key: str,
    payload: dict[str, Any],
    provider_message_id: str = "",
    tag: str = "",
    error_code: int | None = None,
    occurred_at: Any = None,
) -> int | None:
    """Store the event under the firm that owns `number` unless it is stored already, and
    queue a drain of that firm's events once the insert is committed. The firm's id, or
    None for a replay or a number no firm owns (logged, number masked).

    SQL rather than the ORM: this runs for every callback, and a firm lookup plus
    `ProviderEvent.objects.create` cost five times the CPU on our machine (1.2 ms against
    0.25), with a second round trip; and prepared once per connection (common/prepared.py).
    ON CONFLICT makes a replay a no-op rather than an IntegrityError, so no savepoint is
    needed inside a caller's transaction. Values go through each field's own conversion
    (the payload is encrypted by its field); the firm comes from the number, as the scope
    of any later query is that firm's.
    """
    now = timezone.now()
    row = {
        "created_at": now,
        "updated_at": now,
        "uuid": uuid.uuid4(),
        "kind": kind,
        "event_type": event_type,
        "dedupe_key": dedupe_key,
        "provider_message_id": provider_message_id,
        "tag": tag,
        "error_code": error_code,
        "occurred_at": occurred_at,
        "payload": payload,
    }
    connection = transaction.get_connection()
    params = [field.get_db_prep_save(row[field.name], connection) for field in _event_fields()]
    inserted = fetch_one_prepared(_event_insert_sql(), [*params, number])
    if inserted is None:
        if not _firm_owns(number):  # otherwise a replay: at-least-once delivery, stored once
            logger.info(
                "%s callback for a number of no firm",
                kind,
                extra={"event_type": event_type, "number": mask_number(number)},
            )
        return None
    firm_id = int(inserted[0])
    transaction.on_commit(functools.partial(events_drain_soon, firm_id))
    return firm_id


def messaging_events_record(*, events: Sequence[MessageEvent]) -> int:
    """Store each messaging event once under the firm that owns the number; count new ones.

    The firm is the owner of the message: the number that received an inbound text, or
    the number an outbound text was sent from. Events for other numbers are dropped.
    """
    stored = 0
    for event in events:
        if _event_store(
            number=event.owner,
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
    key = _dedupe_key(
        "verification",
        event.phone_number,
        event.status,
        event.internal_ticket_number,
        event.denial_status_code,
        event.error_message,
    )
    stored = _event_store(
        number=event.phone_number,
        kind=ProviderEvent.Kind.VERIFICATION,
        event_type=event.status or "error",
        dedupe_key=key,
        payload=_as_json(event),
    )
    return stored is not None


@transaction.atomic
def verification_status_apply(*, firm: Firm, event: ProviderEvent) -> TextingSettings:
    """Set the firm's verification status from a stored verification event (S3)."""
    payload = event.payload
    return verification_state_record(
        firm=firm,
        status=payload.get("status"),
        denial_code=payload.get("denial_status_code"),
        reason=payload.get("decline_reason") or payload.get("error_message") or "",
    )


@transaction.atomic
def verification_state_record(
    *, firm: Firm, status: str | None, denial_code: int | None = None, reason: str = ""
) -> TextingSettings:
    """The firm's verification status as the provider states it (S3), from its webhook or
    from the periodic poll: VERIFIED, PENDING, or anything else (UNVERIFIED with a denial,
    or a request the provider could not process) as rejected with its reason."""
    settings = TextingSettings.objects.select_for_update().filter(firm=firm).first()
    if settings is None:
        settings = TextingSettings.objects.create(firm=firm)
    if status == "VERIFIED":
        settings.verification_status = TextingSettings.VerificationStatus.VERIFIED
        settings.verification_denial_code = None
        settings.verification_decline_reason = ""
    elif status == "PENDING":
        settings.verification_status = TextingSettings.VerificationStatus.PENDING
    else:
        settings.verification_status = TextingSettings.VerificationStatus.REJECTED
        settings.verification_denial_code = denial_code
        settings.verification_decline_reason = (
            reason or "The verification request was not accepted."
        )
    settings.verification_updated_at = timezone.now()
    settings.save()
    return settings


def voice_event_answer(*, event: VoiceEvent) -> str | None:
    """The BXML for an inbound call (C11), or None for call events that need no answer.

    The call cannot be completed: a short message says so and how to reach the firm, then
    the call ends. Every event is stored once under the called firm.
    """
    _event_store(
        number=event.to,
        kind=ProviderEvent.Kind.VOICE,
        event_type=event.event_type,
        dedupe_key=_dedupe_key("voice", event.call_id, event.event_type),
        payload=_as_json(event),
        occurred_at=event.event_time,
    )
    if event.event_type != "initiate":
        return None
    return _call_answer_bxml(Firm.objects.filter(toll_free_number_e164=event.to).first())


def _call_answer_bxml(firm: Firm | None) -> str:
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
