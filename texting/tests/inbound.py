"""Helpers for inbound tests: texts injected into the provider sandbox, their callback fed
through the webhook's own path (parse → store once → process task), as in production."""

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from contacts.models import Contact
from texting.models import Conversation, ProviderEvent
from texting.provider import parse_message_callbacks
from texting.services import messaging_events_record
from texting.tasks import provider_event_process_task
from texting.tests.factories import ConversationFactory, texting_contact

FIRM_NUMBER = "+18445550100"
CLIENT_NUMBER = "+12025550143"


def texted_contact(
    firm: Firm, number: str = CLIENT_NUMBER, *, texted_ago: timedelta = timedelta(hours=1)
) -> Contact:
    """A contact of `firm` with texting number `number` that the firm texted `texted_ago`."""
    contact = texting_contact(firm, number)
    at = timezone.now() - texted_ago
    ConversationFactory(contact=contact, last_message_at=at, last_outbound_at=at)
    return contact


def callback_body(sandbox: Any, message_id: str) -> str:
    """The message-received callback the sandbox would POST for `message_id`, as JSON."""
    callbacks = sandbox.control.callbacks(message_id=message_id, event_type="message-received")
    assert len(callbacks) == 1
    return json.dumps(callbacks[0]["payload"])


def inject(
    sandbox: Any,
    *,
    from_: str = CLIENT_NUMBER,
    text: str = "",
    media: Sequence[tuple[str, str, bytes]] = (),
) -> str:
    """An inbound text injected into the sandbox; its provider message id."""
    return str(
        sandbox.control.inject_text(from_, FIRM_NUMBER, text, media=list(media))["message_id"]
    )


def deliver(sandbox: Any, firm: Firm, message_id: str, *, times: int = 1) -> ProviderEvent:
    """Deliver the callback `times` times and run the processing task for each stored
    event (as many times too); return the stored event."""
    body = callback_body(sandbox, message_id)
    for _ in range(times):
        messaging_events_record(events=parse_message_callbacks(body))
    with scope(firm=firm.id):
        event = ProviderEvent.objects.get(provider_message_id=message_id)
    for _ in range(times):
        provider_event_process_task(firm.id, event.id)
    return event


def receive(
    sandbox: Any,
    firm: Firm,
    *,
    from_: str = CLIENT_NUMBER,
    text: str = "",
    media: Sequence[tuple[str, str, bytes]] = (),
    times: int = 1,
) -> str:
    """Inject and deliver an inbound text; its provider message id."""
    message_id = inject(sandbox, from_=from_, text=text, media=media)
    deliver(sandbox, firm, message_id, times=times)
    return message_id


def conversation_of(firm: Firm, contact: Contact) -> Conversation:
    with scope(firm=firm.id):
        return Conversation.objects.get(contact=contact)
