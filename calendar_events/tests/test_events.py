"""Event services (E1) and the notices each change texts (E2): each once, and only when due."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from calendar_events.exceptions import EventCancelled, EventInvalid, NotifyViaTextUnavailable
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.services import (
    AttendeeSpec,
    automated_texts_dispatch,
    event_cancel,
    event_create,
    event_delete,
    event_update,
)
from calendar_events.tests.factories import attendee_of, event_for, texts_to
from contacts.exceptions import ContactNotFound
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.tests.factories import MatterFactory
from texting.models import Message
from texting.tests.factories import texting_contact

from .conftest import NY, TUESDAY_10AM

Notice = EventAttendee.Notice


def _update(firm: Firm, event: CalendarEvent, **changes: Any) -> CalendarEvent:
    with scope(firm=firm.id):
        return event_update(firm=firm, actor=None, event=event, **changes)


def _cancel(firm: Firm, event: CalendarEvent) -> CalendarEvent:
    with scope(firm=firm.id):
        return event_cancel(firm=firm, actor=None, event=event)


def _delete(firm: Firm, event: CalendarEvent) -> None:
    with scope(firm=firm.id):
        event_delete(firm=firm, actor=None, event=event)


def _events(firm: Firm) -> int:
    with scope(firm=firm.id):
        return CalendarEvent.objects.count()


# --- invitations -------------------------------------------------------------------------------


def test_each_notified_contact_gets_one_invitation_with_the_fixed_wording(
    calendar_firm: Firm, client_contact: Contact, make_contact: Callable[..., Contact], member: User
) -> None:
    second = make_contact()
    event = event_for(
        calendar_firm,
        contacts=[client_contact, second],
        title="Hearing",
        location="Courtroom 4",
        starts_at=datetime(2026, 12, 8, 9, 30, tzinfo=NY),
    )

    for contact in (client_contact, second):
        assert texts_to(contact) == [
            "Garcia & Associates: You are invited to Hearing on Tue, Dec 8 at 9:30 AM EST at "
            "Courtroom 4. Reply Y to confirm or N to decline. Questions? Call (202) 555-0188 "
            "or email desk@garcia.example. Reply STOP to opt out."
        ]
        attendee = attendee_of(event, contact)
        assert attendee.notified_kind == Notice.CREATED
        assert attendee.notified_at == TUESDAY_10AM
        assert attendee.pending_notice == Notice.NONE
    # The scheduler finds nothing more to send, however often it runs.
    assert automated_texts_dispatch().sent == 0
    assert automated_texts_dispatch().sent == 0
    assert len(texts_to(client_contact)) == 1


def test_invitations_go_through_the_texting_pipeline(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event_for(calendar_firm, contacts=[client_contact])
    with scope(firm=calendar_firm.id):
        message = Message.objects.get(conversation__contact=client_contact)
    # Queued in the contact's conversation like any text, sent by nobody (automated).
    assert message.status == Message.Status.QUEUED
    assert message.automated and message.sent_by is None
    assert message.to_e164 == "+12025550143" and message.from_e164 == "+18445550100"
    assert message.conversation.last_message_id == message.id


def test_no_text_when_notify_via_text_is_off(calendar_firm: Firm, client_contact: Contact) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], notify=False)
    assert texts_to(client_contact) == []
    assert attendee_of(event, client_contact).notified_at is None
    _update(calendar_firm, event, location="Room 12")
    _cancel(calendar_firm, event)
    assert automated_texts_dispatch().sent == 0
    assert texts_to(client_contact) == []


def test_firm_users_are_attendees_but_never_texted(
    calendar_firm: Firm, client_contact: Contact, member: User
) -> None:
    start = timezone.now() + timedelta(days=3)
    with scope(firm=calendar_firm.id):
        event = event_create(
            firm=calendar_firm,
            actor=member,
            title="Strategy meeting",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            attendees=[AttendeeSpec(user=member), AttendeeSpec(contact=client_contact)],
        )
        assert {(a.user_id, a.contact_id) for a in event.attendees.all()} == {
            (member.id, None),
            (None, client_contact.id),
        }
        assert Message.objects.count() == 0
    with pytest.raises(EventInvalid), scope(firm=calendar_firm.id):
        event_create(
            firm=calendar_firm,
            actor=member,
            title="Strategy meeting",
            starts_at=start,
            ends_at=start,
            attendees=[AttendeeSpec(user=member, notify_via_text=True)],
        )


def test_notify_via_text_is_refused_until_texting_is_set_up(firm: Firm, clock: Any) -> None:
    contact = texting_contact(firm, "+12025550143")
    with pytest.raises(NotifyViaTextUnavailable, match="set up text messaging"):
        event_for(firm, contacts=[contact])
    assert _events(firm) == 0
    # Without Notify via text, the event is a plain calendar entry.
    event_for(firm, contacts=[contact], notify=False)
    assert _events(firm) == 1 and texts_to(contact) == []


def test_notify_via_text_is_refused_on_a_plan_without_texting(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    calendar_firm.plan = Firm.Plan.EASYSTART
    calendar_firm.save()
    with pytest.raises(NotifyViaTextUnavailable, match="Essentials, Advanced and Complete"):
        event_for(calendar_firm, contacts=[client_contact])
    assert _events(calendar_firm) == 0


def test_a_contact_without_a_texting_number_cannot_be_notified(calendar_firm: Firm) -> None:
    contact = ContactFactory(firm=calendar_firm, first_name="Luis", last_name="Ortega")
    with pytest.raises(NotifyViaTextUnavailable, match="Luis Ortega cannot be notified"):
        event_for(calendar_firm, contacts=[contact])
    assert _events(calendar_firm) == 0


def test_an_event_in_the_past_texts_no_invitation(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(
        calendar_firm, contacts=[client_contact], starts_at=TUESDAY_10AM - timedelta(hours=2)
    )
    assert texts_to(client_contact) == []
    assert attendee_of(event, client_contact).pending_notice == Notice.NONE


def test_an_all_day_event_today_is_still_worth_an_invitation(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    with scope(firm=calendar_firm.id):
        event = event_create(
            firm=calendar_firm,
            actor=None,
            title="Filing deadline",
            starts_at=TUESDAY_10AM,
            ends_at=TUESDAY_10AM,
            all_day=True,
            attendees=[AttendeeSpec(contact=client_contact, notify_via_text=True)],
        )
    assert event.starts_at == datetime(2026, 12, 1, 0, 0, tzinfo=NY)
    assert event.ends_at == datetime(2026, 12, 2, 0, 0, tzinfo=NY)
    assert texts_to(client_contact) == [
        "Garcia & Associates: You are invited to Filing deadline on Tue, Dec 1. Reply Y to "
        "confirm or N to decline. Questions? Call (202) 555-0188 or email desk@garcia.example. "
        "Reply STOP to opt out."
    ]


# --- updates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            {"starts_at": datetime(2026, 12, 4, 14, 0, tzinfo=NY)},
            "Fri, Dec 4 at 2:00 PM EST at Room 3",
        ),
        (
            {"starts_at": datetime(2026, 12, 9, 10, 0, tzinfo=NY)},
            "Wed, Dec 9 at 10:00 AM EST at Room 3",
        ),
        ({"location": "Courtroom 9"}, "Fri, Dec 4 at 10:00 AM EST at Courtroom 9"),
    ],
    ids=["time", "date", "place"],
)
def test_a_new_time_date_or_place_texts_one_update(
    calendar_firm: Firm, client_contact: Contact, changes: dict[str, Any], says: str
) -> None:
    event = event_for(
        calendar_firm,
        contacts=[client_contact],
        title="Mediation",
        location="Room 3",
        starts_at=datetime(2026, 12, 4, 10, 0, tzinfo=NY),
    )
    if "starts_at" in changes:
        changes["ends_at"] = changes["starts_at"] + timedelta(hours=1)
    _update(calendar_firm, event, **changes)

    texts = texts_to(client_contact)
    assert len(texts) == 2
    assert texts[1] == (
        f"Garcia & Associates: Mediation has changed. It is now on {says}. "
        "Questions? Call (202) 555-0188 or email desk@garcia.example."
    )
    attendee = attendee_of(event, client_contact)
    assert attendee.notified_kind == Notice.UPDATED
    assert automated_texts_dispatch().sent == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "Bring the signed lease."},
        {"title": "Mediation (rescheduled room)"},
        {"ends_at": datetime(2026, 12, 4, 12, 0, tzinfo=NY)},
        {"starts_at": datetime(2026, 12, 4, 10, 0, tzinfo=NY), "location": "Room 3 "},
    ],
    ids=["description", "title", "end", "same-time-and-place"],
)
def test_other_edits_text_nobody(
    calendar_firm: Firm, client_contact: Contact, changes: dict[str, Any]
) -> None:
    event = event_for(
        calendar_firm,
        contacts=[client_contact],
        location="Room 3",
        starts_at=datetime(2026, 12, 4, 10, 0, tzinfo=NY),
    )
    _update(calendar_firm, event, **changes)
    assert len(texts_to(client_contact)) == 1
    assert automated_texts_dispatch().sent == 0


def test_each_change_is_texted_once(calendar_firm: Firm, client_contact: Contact) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], location="Room 3")
    _update(calendar_firm, event, location="Room 4")
    _update(calendar_firm, event, location="Room 5")
    texts = texts_to(client_contact)
    assert len(texts) == 3
    assert "Room 4" in texts[1] and "Room 5" in texts[2]


def test_a_contact_added_later_gets_the_invitation_and_the_others_nothing(
    calendar_firm: Firm, client_contact: Contact, make_contact: Callable[..., Contact]
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact])
    witness = make_contact(first_name="Wes")
    _update(
        calendar_firm,
        event,
        attendees=[
            AttendeeSpec(contact=client_contact, notify_via_text=True),
            AttendeeSpec(contact=witness, notify_via_text=True),
        ],
    )
    assert len(texts_to(client_contact)) == 1
    assert len(texts_to(witness)) == 1 and "You are invited" in texts_to(witness)[0]


def test_turning_notify_on_later_sends_the_invitation_then(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], notify=False)
    _update(
        calendar_firm, event, attendees=[AttendeeSpec(contact=client_contact, notify_via_text=True)]
    )
    assert len(texts_to(client_contact)) == 1
    assert "You are invited" in texts_to(client_contact)[0]


def test_a_removed_attendee_gets_nothing_more(
    calendar_firm: Firm, client_contact: Contact, make_contact: Callable[..., Contact]
) -> None:
    other = make_contact()
    event = event_for(calendar_firm, contacts=[client_contact, other])
    _update(
        calendar_firm,
        event,
        attendees=[AttendeeSpec(contact=other, notify_via_text=True)],
        location="Room 8",
    )
    assert len(texts_to(client_contact)) == 1
    assert len(texts_to(other)) == 2
    with scope(firm=calendar_firm.id):
        assert not EventAttendee.objects.filter(contact=client_contact).exists()


def test_an_edit_keeps_the_answers_of_attendees_who_stay(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact])
    with scope(firm=calendar_firm.id):
        EventAttendee.objects.filter(event=event).update(response="confirmed")
    _update(
        calendar_firm,
        event,
        title="Renamed",
        attendees=[AttendeeSpec(contact=client_contact, notify_via_text=True)],
    )
    assert attendee_of(event, client_contact).response == "confirmed"


# --- cancellations -----------------------------------------------------------------------------


def test_cancelling_texts_a_cancellation_to_every_contact_told(
    calendar_firm: Firm, client_contact: Contact, make_contact: Callable[..., Contact]
) -> None:
    silent = make_contact()
    event = event_for(
        calendar_firm,
        contacts=[client_contact],
        title="Hearing",
        starts_at=datetime(2026, 12, 4, 10, 0, tzinfo=NY),
    )
    _update(
        calendar_firm,
        event,
        attendees=[
            AttendeeSpec(contact=client_contact, notify_via_text=True),
            AttendeeSpec(contact=silent, notify_via_text=False),
        ],
    )
    cancelled = _cancel(calendar_firm, event)

    assert cancelled.is_cancelled
    assert texts_to(client_contact)[-1] == (
        "Garcia & Associates: Hearing on Fri, Dec 4 at 10:00 AM EST has been cancelled. "
        "Questions? Call (202) 555-0188 or email desk@garcia.example."
    )
    assert len(texts_to(client_contact)) == 2 and texts_to(silent) == []
    assert attendee_of(event, client_contact).notified_kind == Notice.CANCELLED


def test_a_cancelled_event_can_neither_change_nor_be_cancelled_again(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact])
    _cancel(calendar_firm, event)
    with pytest.raises(EventCancelled):
        _cancel(calendar_firm, event)
    with pytest.raises(EventCancelled):
        _update(calendar_firm, event, location="Elsewhere")
    assert len(texts_to(client_contact)) == 2


def test_deleting_a_scheduled_event_texts_the_cancellation(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact])
    _delete(calendar_firm, event)
    _delete(calendar_firm, event)  # twice: nothing more
    texts = texts_to(client_contact)
    assert len(texts) == 2 and "has been cancelled" in texts[1]
    with scope(firm=calendar_firm.id):
        assert CalendarEvent.objects.get(id=event.id).deleted_at is not None


def test_deleting_a_cancelled_event_texts_nothing_more(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact])
    _cancel(calendar_firm, event)
    _delete(calendar_firm, event)
    assert len(texts_to(client_contact)) == 2
    assert automated_texts_dispatch().sent == 0


# --- checks ------------------------------------------------------------------------------------


def test_bad_times_and_titles_are_refused_and_change_nothing(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    start = TUESDAY_10AM + timedelta(days=2)
    with pytest.raises(EventInvalid, match="end after it starts"):
        event_for(calendar_firm, contacts=[client_contact], starts_at=start, hours=-1)
    with pytest.raises(EventInvalid, match="title"):
        event_for(calendar_firm, contacts=[client_contact], title="   ")
    assert _events(calendar_firm) == 0 and texts_to(client_contact) == []

    event = event_for(calendar_firm, contacts=[client_contact], starts_at=start)
    with pytest.raises(EventInvalid):
        _update(calendar_firm, event, ends_at=start - timedelta(hours=1), location="Moved")
    with scope(firm=calendar_firm.id):
        fresh = CalendarEvent.objects.get(id=event.id)
    assert fresh.location == "" and fresh.ends_at > fresh.starts_at
    assert len(texts_to(client_contact)) == 1


def test_another_firms_contact_matter_or_event_is_not_found(
    calendar_firm: Firm, other_firm: Firm, client_contact: Contact
) -> None:
    foreign_contact = texting_contact(other_firm, "+12025550177")
    with pytest.raises(ContactNotFound):
        event_for(calendar_firm, contacts=[foreign_contact])
    foreign_matter = MatterFactory(firm=other_firm, client=foreign_contact)
    with pytest.raises(EventInvalid, match="No such matter"):
        event_for(calendar_firm, contacts=[client_contact], matter=foreign_matter)
    assert _events(calendar_firm) == 0

    other_event = event_for(other_firm, contacts=[foreign_contact], notify=False)
    with pytest.raises(CalendarEvent.DoesNotExist):
        _update(calendar_firm, other_event, location="Hijacked")
    with pytest.raises(CalendarEvent.DoesNotExist):
        _cancel(calendar_firm, other_event)
    with pytest.raises(CalendarEvent.DoesNotExist):
        _delete(calendar_firm, other_event)
    with scope(firm=other_firm.id):
        assert CalendarEvent.objects.get(id=other_event.id).cancelled_at is None


def test_an_opted_out_contact_is_not_texted_and_the_thread_says_why(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    from texting.models import OptOut

    with scope(firm=calendar_firm.id):
        OptOut.objects.create(
            firm=calendar_firm,
            number_e164="+12025550143",
            source=OptOut.Source.KEYWORD,
            opted_out_at=timezone.now(),
        )
    event_for(calendar_firm, contacts=[client_contact])
    with scope(firm=calendar_firm.id):
        message = Message.objects.get(conversation__contact=client_contact)
    assert message.status == Message.Status.FAILED
    assert message.failure_reason == "opted_out"


def test_a_new_start_alone_moves_the_event_and_keeps_its_length(
    calendar_firm: Firm, client_contact: Contact
) -> None:
    event = event_for(
        calendar_firm,
        contacts=[client_contact],
        starts_at=datetime(2026, 12, 4, 10, 0, tzinfo=NY),
        hours=2,
    )
    moved = _update(calendar_firm, event, starts_at=datetime(2026, 12, 7, 15, 0, tzinfo=NY))
    assert moved.ends_at == datetime(2026, 12, 7, 17, 0, tzinfo=NY)
    assert "Mon, Dec 7 at 3:00 PM EST" in texts_to(client_contact)[-1]


def test_an_inactive_user_cannot_be_invited(calendar_firm: Firm, member: User) -> None:
    member.is_active = False
    member.save()
    start = TUESDAY_10AM + timedelta(days=1)
    with pytest.raises(EventInvalid, match="No such firm user"), scope(firm=calendar_firm.id):
        event_create(
            firm=calendar_firm,
            actor=None,
            title="Meeting",
            starts_at=start,
            ends_at=start,
            attendees=[AttendeeSpec(user=member)],
        )
    assert _events(calendar_firm) == 0
