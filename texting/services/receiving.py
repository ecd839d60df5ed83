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
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Firm
from contacts.models import PhoneNumber

from ..models import Conversation, DroppedInbound, Message, ProviderEvent, preview_of
from ..provider.callbacks import MessageEvent
from ..provider.util import mask_number, parse_timestamp
from ..signals import inbound_texts_stored
from .notifications import inbound_push_enqueue
from .optouts import inbound_keyword_apply
from .reading import unread_counts_add

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


def _sender_conversations(*, firm: Firm, numbers: set[str]) -> dict[str, Conversation]:
    """For each of `numbers`, the conversation of the contact texted most recently among the
    firm's contacts whose texting number it is (C6); numbers the firm has texted no contact
    at are left out. One query for a whole batch of senders."""
    rows = (
        Conversation.objects.for_firm(firm)
        .filter(
            last_outbound_at__isnull=False,
            contact__phone_numbers__firm=firm,
            contact__phone_numbers__number_e164__in=numbers,
            contact__phone_numbers__is_texting_number=True,
        )
        .annotate(sender=F("contact__phone_numbers__number_e164"))
        .order_by("-last_outbound_at", "-id")
    )
    found: dict[str, Conversation] = {}
    for conversation in rows:
        found.setdefault(conversation.sender, conversation)  # the first is the most recent
    return found


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


def _new_message(*, firm: Firm, conversation: Conversation, data: MessageEvent) -> Message:
    return Message(
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


def _conversations_advance(*, firm: Firm, latest: Sequence[Message]) -> None:
    """Each message (one per conversation) becomes its conversation's last one, with its
    preview, unless a newer one already is (a drain beside this one may have committed a
    later text first).

    One UPDATE joined to the batch's (conversation, message, time) rows, given as a VALUES
    list: the ORM would need an UPDATE per conversation, or a CASE per row that costs more
    to build than to run, and a UNION ALL of 200 one-row SELECTs took PostgreSQL longer to
    plan than the update itself. Scoped by the firm's id like every query.
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    preview_field = Conversation._meta.get_field("last_message_preview")
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(latest))
    params: list[Any] = []
    for message in latest:
        at = connection.ops.adapt_datetimefield_value(message.created_at)
        preview = preview_field.get_db_prep_save(preview_of(message.body), connection)
        params += [message.conversation_id, message.id, at, preview]
    updated = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v (conversation_id, message_id, at, preview) AS (VALUES {rows}) "  # noqa: S608 (names from the model, values as parameters)
            f"UPDATE {table} SET last_message_id = v.message_id, last_message_at = v.at, "
            f"last_message_direction = %s, last_message_preview = v.preview, "
            f"updated_at = %s FROM v "
            f"WHERE {table}.id = v.conversation_id AND {table}.firm_id = %s "
            f"AND ({table}.last_message_at IS NULL OR {table}.last_message_at <= v.at)",
            [*params, Message.Direction.INBOUND, updated, firm.id],
        )


@transaction.atomic(savepoint=False)  # nested in event processing: no round trips for a savepoint
def inbound_events_apply(*, firm: Firm, events: Sequence[ProviderEvent]) -> list[Message | None]:
    """Put the inbound texts of stored message-received events in their contacts' threads.

    Transactional and idempotent; for each event, in order, its message (the one stored
    before, when the text was already processed: then nothing else happens), or None when
    the text was dropped (C6). New messages become their conversation's last message,
    count as unread for every member (C9), have their media fetched by a task enqueued on
    commit (C7), are checked for C10 words (opt-out, opt-in, HELP), and are pushed to the
    browsers of members who turned push on, by one task for the batch (C9).

    A batch costs about the queries of one text: the senders' conversations, the texts
    stored before, the new ones, the conversations' last message and the unread counts are
    each one query for all of them; with push configured, one EXISTS more (C9).
    """
    if any(event.firm_id != firm.id for event in events):
        raise ProviderEvent.DoesNotExist
    texts = [(event, stored_message_event(event)) for event in events]
    conversations = _sender_conversations(firm=firm, numbers={d.from_number for _, d in texts})
    known: dict[str, Message] = {
        m.provider_message_id: m
        for m in Message.objects.for_firm(firm).filter(
            direction=Message.Direction.INBOUND,
            provider_message_id__in=[d.message_id for _, d in texts],
        )
    }
    results: list[Message | None] = []
    new: list[tuple[Message, MessageEvent]] = []
    for event, data in texts:
        conversation = conversations.get(data.from_number)
        if conversation is None:
            received_at = event.occurred_at or data.time or timezone.now()
            _drop(firm=firm, data=data, received_at=received_at)
            # A revocation counts from any number (TCPA): recorded, though nothing is answered.
            inbound_keyword_apply(firm=firm, sender_e164=data.from_number, text=data.text)
            results.append(None)
        elif data.message_id in known:  # stored before (or earlier in this batch)
            results.append(known[data.message_id])
        else:
            message = _new_message(firm=firm, conversation=conversation, data=data)
            known[data.message_id] = message
            new.append((message, data))
            results.append(message)
    if not new:
        return results

    # No savepoint around the INSERT: the event rows are locked and the same text always
    # comes as the same deduplicated event, so the unique constraint cannot fire here in
    # practice. If it ever did, the batch would roll back and be applied event by event.
    Message.objects.bulk_create([message for message, _ in new])
    latest = {message.conversation_id: message for message, _ in new}  # in arrival order
    _conversations_advance(firm=firm, latest=list(latest.values()))
    unread_counts_add(firm=firm, counts=Counter(message.conversation_id for message, _ in new))
    for message, data in new:
        _received(firm=firm, message=message, data=data)
    # One push task for the batch, and only for a firm where someone subscribed (C9).
    inbound_push_enqueue(firm=firm, message_ids=[message.id for message, _ in new])
    # Apps built on texting (the calendar's Y/N replies, E4) read the batch here, inside
    # this transaction, so a reply is applied exactly when its text is stored.
    inbound_texts_stored.send(sender=Message, firm=firm, messages=[m for m, _ in new])
    return results


def _received(*, firm: Firm, message: Message, data: MessageEvent) -> None:
    """What follows a new inbound text once it is stored: its media, the log, C10 words."""
    if data.attachment_urls:
        from ..tasks import inbound_media_fetch_task

        inbound_media_fetch_task.delay_on_commit(firm.id, message.id)
    logger.info(
        "inbound text stored",
        extra={
            "firm_id": firm.id,
            "message_id": message.id,
            "conversation_id": message.conversation_id,
            "attachments": len(data.attachment_urls),
        },
    )
    inbound_keyword_apply(firm=firm, sender_e164=data.from_number, text=data.text, message=message)
