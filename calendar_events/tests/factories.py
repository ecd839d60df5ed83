"""Factories and helpers of the calendar's tests: events are made through the services
(as STYLE.md section 8 asks), so their attendees' pending texts are set as in production."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.services import AttendeeSpec, event_create
from contacts.models import Contact
from texting.models import Message


def event_for(
    firm: Firm,
    *,
    contacts: Sequence[Contact] = (),
    notify: bool = True,
    starts_at: datetime | None = None,
    hours: float = 1,
    **fields: Any,
) -> CalendarEvent:
    """An event of `firm` created through event_create, the contacts invited (texted when
    `notify`), starting in three days at the current time unless `starts_at` is given."""
    start = starts_at or timezone.now() + timedelta(days=3)
    fields.setdefault("title", "Deposition prep")
    with scope(firm=firm.id):
        return event_create(
            firm=firm,
            actor=None,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            attendees=[AttendeeSpec(contact=c, notify_via_text=notify) for c in contacts],
            **fields,
        )


def attendee_of(event: CalendarEvent, contact: Contact) -> EventAttendee:
    with scope(firm=event.firm_id):
        return EventAttendee.objects.get(event=event, contact=contact)


def texts_to(contact: Contact) -> list[str]:
    """The bodies of the automated texts created for `contact`, oldest first."""
    with scope(firm=contact.firm_id):
        messages = Message.objects.filter(
            conversation__contact=contact, direction=Message.Direction.OUTBOUND, automated=True
        ).order_by("created_at", "id")
        return [m.body for m in messages]
