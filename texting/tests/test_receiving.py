"""Inbound texts (C6): into the right contact's thread once, encrypted; everything else
dropped and recorded without its body. Driven through the provider sandbox over HTTP."""

import base64
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from accounts.models import Membership
from accounts.tests.factories import MembershipFactory
from contacts.tests.factories import ContactFactory, PhoneNumberFactory
from texting.models import Conversation, DroppedInbound, Message, ProviderEvent, ReadState
from texting.services.receiving import inbound_events_apply
from texting.tasks import provider_event_process_task
from texting.tests.factories import ConversationFactory, texting_contact
from texting.tests.inbound import (
    CLIENT_NUMBER,
    FIRM_NUMBER,
    callback_body,
    conversation_of,
    deliver,
    inject,
    receive,
    texted_contact,
)

pytestmark = pytest.mark.django_db

STRANGER = "+12025550177"


def media_fetches(callbacks: list) -> list[tuple]:
    """The args of each `inbound_media_fetch_task.delay_on_commit(...)` captured."""
    return [
        cb.args
        for cb in callbacks
        if getattr(getattr(cb, "func", None), "__self__", None) is not None
        and cb.func.__self__.name == "texting.inbound_media_fetch"
    ]


def inbound_messages(firm) -> list[Message]:
    with scope(firm=firm.id):
        return list(Message.objects.filter(direction=Message.Direction.INBOUND))


def test_text_from_a_texted_contact_lands_once_even_when_delivered_and_processed_twice(
    texting_firm, sandbox, firm_scope
):
    contact = texted_contact(texting_firm)
    message_id = receive(sandbox, texting_firm, text="Thanks, see you Tuesday", times=2)
    with firm_scope():
        event = ProviderEvent.objects.get(provider_message_id=message_id)
        # A second processing of the same event (e.g. a crash after the commit, before the
        # ack) finds the message and changes nothing.
        ProviderEvent.objects.filter(pk=event.pk).update(processed_at=None)
    provider_event_process_task(texting_firm.id, event.id)
    with firm_scope():
        inbound_events_apply(firm=texting_firm, events=[event])

        message = Message.objects.get(direction=Message.Direction.INBOUND)
        conversation = Conversation.objects.get(contact=contact)
        assert message.conversation == conversation
        assert message.body == "Thanks, see you Tuesday"
        assert message.status == Message.Status.RECEIVED
        assert (message.from_e164, message.to_e164) == (CLIENT_NUMBER, FIRM_NUMBER)
        assert message.provider_message_id == message_id
        assert message.segments == 1
        assert not message.automated and message.sent_by is None
        assert conversation.last_message == message
        assert conversation.last_message_at == message.created_at
        assert ProviderEvent.objects.count() == 1
        assert not DroppedInbound.objects.exists()


def test_an_inbound_text_never_replaces_a_newer_last_message(texting_firm, sandbox, firm_scope):
    # A drain beside this one committed a later text first (here: a text at a later time).
    contact = texted_contact(texting_firm, texted_ago=-timedelta(minutes=5))
    newer_at = conversation_of(texting_firm, contact).last_message_at
    receive(sandbox, texting_firm, text="Running late")
    other = texted_contact(texting_firm, "+12025550188")
    receive(sandbox, texting_firm, from_="+12025550188", text="On my way")

    kept = conversation_of(texting_firm, contact)
    assert kept.last_message_id is None and kept.last_message_at == newer_at
    advanced = conversation_of(texting_firm, other)  # an older last message moves on
    with firm_scope():
        assert advanced.last_message.body == "On my way"


def test_webhook_post_delivered_twice_stores_the_text_once(
    texting_firm, sandbox, client, firm_scope
):
    texted_contact(texting_firm)
    message_id = inject(sandbox, text="On my way")
    body = callback_body(sandbox, message_id)
    auth = "Basic " + base64.b64encode(b"provider:webhook-password").decode()
    for _ in range(2):
        response = client.post(
            "/webhooks/provider/messaging",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        assert response.status_code == 200
    with firm_scope():
        event = ProviderEvent.objects.get(provider_message_id=message_id)
    provider_event_process_task(texting_firm.id, event.id)
    provider_event_process_task(texting_firm.id, event.id)
    assert [m.body for m in inbound_messages(texting_firm)] == ["On my way"]


def test_body_is_ciphertext_in_the_raw_column(texting_firm, sandbox, firm_scope):
    texted_contact(texting_firm)
    receive(sandbox, texting_firm, text="My case number is 24-CV-1138")
    with firm_scope():
        message = Message.objects.get(direction=Message.Direction.INBOUND)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM texting_message WHERE id = %s", [message.id])
        (raw,) = cursor.fetchone()
    assert "24-CV-1138" not in raw
    assert "case number" not in raw
    assert message.body == "My case number is 24-CV-1138"


def test_stranger_is_dropped_and_logged_without_body_or_full_number(
    texting_firm, sandbox, caplog, unscoped
):
    caplog.set_level(logging.DEBUG)
    body = "Hello, I need a lawyer about my divorce"
    message_id = receive(sandbox, texting_firm, from_=STRANGER, text=body)

    dropped = DroppedInbound.objects.get()
    assert dropped.firm_id == texting_firm.id
    assert dropped.reason == DroppedInbound.Reason.UNKNOWN_SENDER
    assert dropped.sender_e164 == STRANGER
    assert dropped.provider_message_id == message_id
    assert dropped.received_at is not None
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    # The body is nowhere in a row of ours but the (encrypted) provider event.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM texting_droppedinbound")
        assert "divorce" not in repr(cursor.fetchall())
        cursor.execute("SELECT payload FROM texting_providerevent")
        assert "divorce" not in repr(cursor.fetchall())
    logged = [r for r in caplog.records if r.getMessage() == "inbound text dropped"]
    assert len(logged) == 1 and logged[0].number.endswith("0177")
    everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "divorce" not in everything
    assert STRANGER not in everything and STRANGER[1:] not in everything


def test_replayed_dropped_text_adds_nothing(texting_firm, sandbox, unscoped):
    event = deliver(sandbox, texting_firm, inject(sandbox, from_=STRANGER, text="hi"), times=2)
    ProviderEvent.objects.filter(pk=event.pk).update(processed_at=None)
    provider_event_process_task(texting_firm.id, event.id)
    assert DroppedInbound.objects.count() == 1


def test_contact_never_texted_is_dropped(texting_firm, sandbox, unscoped):
    contact = texting_contact(texting_firm, CLIENT_NUMBER)
    # A conversation row without an outbound text yet (e.g. a send that never happened).
    ConversationFactory(contact=contact, last_message_at=None, last_outbound_at=None)
    receive(sandbox, texting_firm, text="Who is this?")
    dropped = DroppedInbound.objects.get()
    assert dropped.reason == DroppedInbound.Reason.NEVER_TEXTED
    assert not Message.objects.exists()


def test_number_that_is_not_a_texting_number_is_an_unknown_sender(texting_firm, sandbox, unscoped):
    contact = ContactFactory(firm=texting_firm)
    PhoneNumberFactory(contact=contact, number_e164=CLIENT_NUMBER, is_texting_number=False)
    ConversationFactory(contact=contact, last_outbound_at=timezone.now())
    receive(sandbox, texting_firm, text="hello")
    assert DroppedInbound.objects.get().reason == DroppedInbound.Reason.UNKNOWN_SENDER
    assert not Message.objects.exists()


def test_number_shared_by_two_contacts_goes_to_the_one_texted_most_recently(
    texting_firm, sandbox, firm_scope
):
    earlier = texted_contact(texting_firm, texted_ago=timedelta(days=2))
    later = texted_contact(texting_firm, texted_ago=timedelta(minutes=5))
    never = texting_contact(texting_firm, CLIENT_NUMBER)
    receive(sandbox, texting_firm, text="It's me, the spouse")
    with firm_scope():
        message = Message.objects.get(direction=Message.Direction.INBOUND)
        assert message.conversation.contact == later
        assert conversation_of(texting_firm, earlier).last_message_id is None
        assert not Conversation.objects.filter(contact=never).exists()


def test_other_firms_contact_with_that_number_never_gets_the_text(
    texting_firm, other_firm, sandbox, unscoped
):
    # The other firm texted the same person more recently than anyone.
    theirs = texted_contact(other_firm, texted_ago=timedelta(seconds=1))
    receive(sandbox, texting_firm, text="first")
    assert DroppedInbound.objects.get().firm_id == texting_firm.id
    assert not Message.objects.exists()

    ours = texted_contact(texting_firm, texted_ago=timedelta(days=30))
    receive(sandbox, texting_firm, text="second")
    message = Message.objects.get()
    assert message.firm_id == texting_firm.id
    assert message.conversation.contact == ours
    assert Conversation.objects.get(contact=theirs).last_message_id is None


def test_unread_count_bumped_for_each_member(
    texting_firm, sandbox, member, admin, outsider, firm_scope
):
    contact = texted_contact(texting_firm)
    third = MembershipFactory(firm=texting_firm, role=Membership.Role.STAFF).user
    receive(sandbox, texting_firm, text="one")
    receive(sandbox, texting_firm, text="two")
    with firm_scope():
        counts = dict(
            ReadState.objects.filter(conversation__contact=contact).values_list(
                "user_id", "unread_count"
            )
        )
    assert counts == {member.id: 2, admin.id: 2, third.id: 2}
    assert outsider.id not in counts


def test_mms_enqueues_the_media_fetch_on_commit_and_a_plain_text_does_not(
    texting_firm, sandbox, firm_scope, django_capture_on_commit_callbacks
):
    texted_contact(texting_firm)
    plain = inject(sandbox, text="no picture")
    mms = inject(sandbox, text="", media=[("a.jpg", "image/jpeg", b"\xff\xd8\xff\xe0rest")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(sandbox, texting_firm, plain)
    assert media_fetches(callbacks) == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(sandbox, texting_firm, mms, times=2)
    with firm_scope():
        message = Message.objects.get(provider_message_id=mms)
        assert message.body == ""
    assert media_fetches(callbacks) == [(texting_firm.id, message.id)]
