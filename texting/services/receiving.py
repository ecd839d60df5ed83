"""Inbound texts into conversations (C6), their media by a task (C7), C10 words.

Called by provider_event_process for each stored message-received event, inside its
transaction, with the event row locked. Only a number that is the *texting number* of one
of the firm's contacts whom the firm has texted before gets into a thread (several such
contacts: the one texted most recently). Anything else is recorded as a DroppedInbound —
sender, time, reason, never the body — and logged with the number masked.

Stored once: the inbound message is unique per (firm, provider message id), so a replayed
callback or a second processing changes nothing. Media are downloaded by
`inbound_media_fetch_task`, enqueued on commit: never a network call in this transaction.
"""

import dataclasses
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Firm
from contacts.models import PhoneNumber

from ..models import Conversation, DroppedInbound, Message, ProviderEvent
from ..provider.callbacks import MessageEvent
from ..provider.util import mask_number, parse_timestamp
from .optouts import inbound_keyword_apply
from .reading import unread_counts_bump

logger = logging.getLogger(__name__)

_MAX_SEGMENTS = 32767
_EVENT_FIELDS = frozenset(f.name for f in dataclasses.fields(MessageEvent))


def stored_message_event(event: ProviderEvent) -> MessageEvent:
    """The MessageEvent a stored messaging event was made from (its payload is the
    dataclass as JSON), so its properties — `attachment_urls` — apply to stored events."""
    values: dict[str, Any] = {k: v for k, v in event.payload.items() if k in _EVENT_FIELDS}
    for key in ("time", "message_time"):
        if isinstance(values.get(key), str):
            values[key] = parse_timestamp(values[key])
    for key in ("to_numbers", "media_urls"):
        values[key] = tuple(values.get(key) or ())
    return MessageEvent(**values)


def _sender_conversation(*, firm: Firm, number: str) -> Conversation | None:
    """The conversation of the contact texted most recently among the firm's contacts
    whose texting number `number` is (C6); None when the firm has texted none of them."""
    return (
        Conversation.objects.for_firm(firm)
        .filter(
            last_outbound_at__isnull=False,
            contact__phone_numbers__firm=firm,
            contact__phone_numbers__number_e164=number,
            contact__phone_numbers__is_texting_number=True,
        )
        .order_by("-last_outbound_at", "-id")
        .first()
    )


def _drop(*, firm: Firm, data: MessageEvent, received_at: Any) -> None:
    known = (
        PhoneNumber.objects.for_firm(firm)
        .filter(number_e164=data.from_number, is_texting_number=True)
        .exists()
    )
    reason = DroppedInbound.Reason.NEVER_TEXTED if known else DroppedInbound.Reason.UNKNOWN_SENDER
    _, created = DroppedInbound.objects.get_or_create(
        firm=firm,
        provider_message_id=data.message_id,
        defaults={"sender_e164": data.from_number, "reason": reason, "received_at": received_at},
    )
    if created:
        logger.info(
            "inbound text dropped",
            extra={"firm_id": firm.id, "number": mask_number(data.from_number), "reason": reason},
        )


def _message_store(
    *, firm: Firm, conversation: Conversation, data: MessageEvent
) -> tuple[Message, bool]:
    """The inbound message for `data`, stored now unless it was stored before.

    No savepoint around the INSERT (two round trips per text): the event row is locked and
    the same text always comes as the same deduplicated event, so the unique constraint
    cannot fire here in practice. If it ever did, the whole event transaction would roll
    back and the sweeper's re-drive of the unprocessed event would find the message here.
    """
    existing = (
        Message.objects.for_firm(firm)
        .filter(direction=Message.Direction.INBOUND, provider_message_id=data.message_id)
        .first()
    )
    if existing is not None:
        return existing, False
    message = Message.objects.create(
        firm=firm,
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body=data.text,
        provider_message_id=data.message_id,
        segments=min(max(data.segment_count, 1), _MAX_SEGMENTS),
        from_e164=data.from_number,
        to_e164=data.to,
        # Nothing to fetch for a plain text; an MMS is marked when its fetch task is done.
        media_fetched_at=None if data.attachment_urls else timezone.now(),
    )
    return message, True


@transaction.atomic(savepoint=False)  # nested in event processing: no round trips for a savepoint
def inbound_event_apply(*, firm: Firm, event: ProviderEvent) -> Message | None:
    """Put the inbound text of a stored message-received event in its contact's thread.

    Transactional and idempotent: returns the message (the one stored before, when the
    text was already processed; then nothing else happens), or None when the text was
    dropped (C6). A new message becomes the conversation's last message, counts as unread
    for every member (C9), has its media fetched by a task enqueued on commit (C7), and
    is checked for C10 words (opt-out, opt-in, HELP).
    """
    if event.firm_id != firm.id:
        raise ProviderEvent.DoesNotExist
    data = stored_message_event(event)
    received_at = event.occurred_at or data.time or timezone.now()
    conversation = _sender_conversation(firm=firm, number=data.from_number)
    if conversation is None:
        _drop(firm=firm, data=data, received_at=received_at)
        # A revocation counts from any number (TCPA): recorded, though nothing is answered.
        inbound_keyword_apply(firm=firm, sender_e164=data.from_number, text=data.text)
        return None

    message, created = _message_store(firm=firm, conversation=conversation, data=data)
    if not created:
        return message
    Conversation.objects.for_firm(firm).filter(pk=conversation.pk).filter(
        Q(last_message_at__isnull=True) | Q(last_message_at__lte=message.created_at)
    ).update(last_message=message, last_message_at=message.created_at, updated_at=timezone.now())
    unread_counts_bump(firm=firm, conversation=conversation)
    if data.attachment_urls:
        from ..tasks import inbound_media_fetch_task

        inbound_media_fetch_task.delay_on_commit(firm.id, message.id)
    logger.info(
        "inbound text stored",
        extra={
            "firm_id": firm.id,
            "message_id": message.id,
            "conversation_id": conversation.id,
            "attachments": len(data.attachment_urls),
        },
    )
    inbound_keyword_apply(firm=firm, sender_e164=data.from_number, text=data.text, message=message)
    return message
