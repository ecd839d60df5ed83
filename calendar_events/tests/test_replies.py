"""Y/N replies (E4): a bare Y/YES/N/NO answers the upcoming event the contact was most
recently texted about and has not answered; anything else is an ordinary text. Replies
arrive as in production: injected into the provider sandbox, fed through the webhook's
parse → store → process path."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from accounts.models import Firm
from calendar_events.models import EventAttendee
from calendar_events.services import automated_texts_dispatch, event_cancel, reply_answer
from calendar_events.tests.factories import attendee_of, event_for
from contacts.models import Contact
from texting.models import Message, TextingSettings
from texting.services.sending import message_send
from texting.tests.factories import texting_contact
from texting.tests.inbound import CLIENT_NUMBER, receive

from .conftest import NY, TUESDAY_10AM

Response = EventAttendee.Response


@pytest.fixture
def replying_firm(texting_firm: Firm, clock: time_machine.Traveller) -> Firm:
    """The sandbox's texting firm (its number owned there), with reminders 2 days before."""
    with scopes_disabled():
        TextingSettings.objects.create(firm=texting_firm, event_reminder_days=2)
    return texting_firm


@pytest.fixture
def client_contact(replying_firm: Firm) -> Contact:
    return texting_contact(replying_firm, CLIENT_NUMBER, first_name="Ana")


def _inbound(firm: Firm, contact: Contact) -> list[Message]:
    with scope(firm=firm.id):
        return list(
            Message.objects.filter(
                conversation__contact=contact, direction=Message.Direction.INBOUND
            ).order_by("id")
        )


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Y", "confirmed"),
        ("y", "confirmed"),
        ("YES", "confirmed"),
        (" Yes \n", "confirmed"),
        ("N", "declined"),
        ("no", "declined"),
        ("No ", "declined"),
        ("Yes please", None),
        ("Y?", None),
        ("yes.", None),
        ("nope", None),
        ("", None),
    ],
)
def test_only_a_bare_y_yes_n_or_no_is_an_answer(text: str, answer: str | None) -> None:
    assert reply_answer(text) == answer


def test_y_confirms_the_event_most_recently_texted_about_and_n_the_other(
    replying_firm: Firm, client_contact: Contact, clock: time_machine.Traveller, sandbox: Any
) -> None:
    earlier = event_for(
        replying_firm, contacts=[client_contact], starts_at=TUESDAY_10AM + timedelta(days=9)
    )
    clock.move_to(TUESDAY_10AM + timedelta(minutes=5))
    latest = event_for(
        replying_firm, contacts=[client_contact], starts_at=TUESDAY_10AM + timedelta(days=20)
    )

    clock.move_to(TUESDAY_10AM + timedelta(minutes=10))
    receive(sandbox, replying_firm, text="Y")
    assert attendee_of(latest, client_contact).response == Response.CONFIRMED
    assert attendee_of(earlier, client_contact).response == Response.NONE

    clock.move_to(TUESDAY_10AM + timedelta(minutes=20))
    receive(sandbox, replying_firm, text=" no ")
    answered = attendee_of(earlier, client_contact)
    assert answered.response == Response.DECLINED
    assert answered.responded_at == TUESDAY_10AM + timedelta(minutes=20)
    assert attendee_of(latest, client_contact).response == Response.CONFIRMED  # unchanged

    # Both replies stay in the conversation, like any text.
    replies = _inbound(replying_firm, client_contact)
    assert [m.body for m in replies] == ["Y", " no "]
    assert answered.response_message_id == replies[1].id


def test_a_reminder_counts_as_the_latest_text_about_its_event(
    replying_firm: Firm, client_contact: Contact, clock: time_machine.Traveller, sandbox: Any
) -> None:
    soon = event_for(
        replying_firm, contacts=[client_contact], starts_at=datetime(2026, 12, 4, 10, 0, tzinfo=NY)
    )
    clock.move_to(TUESDAY_10AM + timedelta(hours=1))
    later = event_for(
        replying_firm, contacts=[client_contact], starts_at=datetime(2026, 12, 18, 10, 0, tzinfo=NY)
    )
    clock.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=NY))
    assert automated_texts_dispatch().reminders == 1  # for Friday's event
    receive(sandbox, replying_firm, text="yes")
    assert attendee_of(soon, client_contact).response == Response.CONFIRMED
    assert attendee_of(later, client_contact).response == Response.NONE


def test_yes_please_is_kept_as_an_ordinary_message(
    replying_firm: Firm, client_contact: Contact, sandbox: Any
) -> None:
    event = event_for(replying_firm, contacts=[client_contact])
    receive(sandbox, replying_firm, text="Yes please")
    assert attendee_of(event, client_contact).response == Response.NONE
    assert [m.body for m in _inbound(replying_firm, client_contact)] == ["Yes please"]


def test_a_replayed_reply_answers_once(
    replying_firm: Firm, client_contact: Contact, clock: time_machine.Traveller, sandbox: Any
) -> None:
    first = event_for(replying_firm, contacts=[client_contact])
    clock.move_to(TUESDAY_10AM + timedelta(minutes=5))
    second = event_for(replying_firm, contacts=[client_contact])
    clock.move_to(TUESDAY_10AM + timedelta(minutes=10))
    receive(sandbox, replying_firm, text="Y", times=2)  # the provider delivered it twice
    assert attendee_of(second, client_contact).response == Response.CONFIRMED
    assert attendee_of(first, client_contact).response == Response.NONE
    assert len(_inbound(replying_firm, client_contact)) == 1


def test_answered_past_and_cancelled_events_take_no_answer(
    replying_firm: Firm, client_contact: Contact, clock: time_machine.Traveller, sandbox: Any
) -> None:
    past = event_for(
        replying_firm, contacts=[client_contact], starts_at=TUESDAY_10AM + timedelta(hours=1)
    )
    cancelled = event_for(replying_firm, contacts=[client_contact])
    with scope(firm=replying_firm.id):
        event_cancel(firm=replying_firm, actor=None, event=cancelled)
    clock.move_to(TUESDAY_10AM + timedelta(hours=2))  # the first event has begun
    receive(sandbox, replying_firm, text="N")
    assert attendee_of(past, client_contact).response == Response.NONE
    assert attendee_of(cancelled, client_contact).response == Response.NONE
    assert len(_inbound(replying_firm, client_contact)) == 1  # kept as a plain text


def test_a_contact_never_texted_about_an_event_just_sends_a_text(
    replying_firm: Firm, client_contact: Contact, sandbox: Any
) -> None:
    event = event_for(replying_firm, contacts=[client_contact], notify=False)
    # Texted by a person earlier, so the reply lands in the thread.
    with scope(firm=replying_firm.id):
        message_send(firm=replying_firm, sender=None, contact=client_contact, body="Hi Ana")
    receive(sandbox, replying_firm, text="Y")
    assert attendee_of(event, client_contact).response == Response.NONE
    assert len(_inbound(replying_firm, client_contact)) == 1


def test_another_firms_events_are_never_answered(
    replying_firm: Firm, client_contact: Contact, other_firm: Firm, sandbox: Any
) -> None:
    other_firm.toll_free_number_e164 = "+18445550199"
    other_firm.save()
    same_person = texting_contact(other_firm, CLIENT_NUMBER)
    foreign = event_for(other_firm, contacts=[same_person])
    ours = event_for(replying_firm, contacts=[client_contact])
    receive(sandbox, replying_firm, text="Y")
    assert attendee_of(ours, client_contact).response == Response.CONFIRMED
    assert attendee_of(foreign, same_person).response == Response.NONE
