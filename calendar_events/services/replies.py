"""Y/N replies to calendar texts (E4).

A client's text that is exactly Y, YES, N or NO (any case, surrounding space ignored)
answers the upcoming event they were most recently texted about (invitation, update or
reminder) and have not answered yet. Anything else — "Yes please", "Y?" — is an ordinary
message. Either way the text stays in the conversation: texting stored it before the
calendar reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Firm
from texting.models import Message

from ..models import EventAttendee

logger = logging.getLogger(__name__)

Response = EventAttendee.Response

_ANSWERS: dict[str, str] = {
    "y": Response.CONFIRMED,
    "yes": Response.CONFIRMED,
    "n": Response.DECLINED,
    "no": Response.DECLINED,
}
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)

# Sent when a reply changes an attendee's confirmation, inside the transaction that stored
# the reply, with `firm`, `attendee_id`, `response` (CONFIRMED or DECLINED) and `message_id`
# (the reply). Apps built on the calendar (integrations' webhooks) listen; the calendar
# never imports them.
attendee_answered = Signal()


def reply_answer(text: str) -> str | None:
    """CONFIRMED, DECLINED, or None when `text` is not a bare Y/YES/N/NO."""
    return _ANSWERS.get(text.strip().lower())


def _awaiting_answer(*, firm: Firm, contact_id: int, now: datetime) -> EventAttendee | None:
    """The contact's unanswered, upcoming, texted-about event attendance texted most recently."""
    return (
        EventAttendee.objects.for_firm(firm)
        .filter(
            contact_id=contact_id,
            notify_via_text=True,
            response=Response.NONE,
            event__deleted_at__isnull=True,
            event__cancelled_at__isnull=True,
        )
        .filter(Q(notified_at__isnull=False) | Q(reminder_sent_at__isnull=False))
        .filter(
            Q(event__all_day=False, event__starts_at__gt=now)
            | Q(event__all_day=True, event__ends_at__gt=now)
        )
        .annotate(
            last_texted=Greatest(
                Coalesce("notified_at", _NEVER), Coalesce("reminder_sent_at", _NEVER)
            )
        )
        .order_by("-last_texted", "-id")
        .first()
    )


def inbound_replies_apply(*, firm: Firm, messages: Sequence[Message]) -> int:
    """Record the Y/N answers among newly stored inbound texts; the number recorded. Runs in
    the transaction that stored them; a text that is not a bare Y/N costs no query."""
    recorded = 0
    for message in messages:
        answer = reply_answer(message.body or "")
        if answer is None:
            continue
        now = timezone.now()
        contact_id = message.conversation.contact_id
        attendee = _awaiting_answer(firm=firm, contact_id=contact_id, now=now)
        if attendee is None:
            continue  # nothing to answer: an ordinary text
        answered = (
            EventAttendee.objects.for_firm(firm)
            .filter(id=attendee.id, response=Response.NONE)
            .update(
                response=answer,
                responded_at=message.created_at or now,
                response_message=message,
                updated_at=now,
            )
        )
        recorded += answered
        if answered:
            attendee_answered.send(
                sender=EventAttendee,
                firm=firm,
                attendee_id=attendee.id,
                response=answer,
                message_id=message.id,
            )
            logger.info(
                "calendar reply recorded",
                extra={"firm_id": firm.id, "attendee_id": attendee.id, "message_id": message.id},
            )
    return recorded


def on_inbound_texts_stored(
    sender: Any, *, firm: Firm, messages: Sequence[Message], **_: Any
) -> None:
    """texting.signals.inbound_texts_stored's receiver (connected in apps.py)."""
    inbound_replies_apply(firm=firm, messages=messages)
