"""Selecting messages to add time for (C12): what the conversation page and its live partials
render for static/js/message_select.js. The checkboxes themselves are added by that script
(tests/browser/test_billing.py drives it)."""

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Firm
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from texting.models import Conversation, Message
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

pytestmark = pytest.mark.django_db

MENU_ENTRY = "Add time for selected messages…"
SCRIPT = "/static/js/message_select.js"


@pytest.fixture
def ana(firm: Firm) -> Contact:
    return texting_contact(firm, "+12025550143", first_name="Ana", last_name="Reyes")


@pytest.fixture
def conversation(ana: Contact) -> Conversation:
    thread = ConversationFactory(contact=ana)
    for body in ("Can we talk?", "Yes, at 3", "Thanks"):
        MessageFactory(conversation=thread, body=body)
    return thread


def _uuids(conversation: Conversation) -> list[str]:
    with scopes_disabled():
        return [str(m.uuid) for m in Message.objects.filter(conversation=conversation)]


def _bubble_uuids(html: str) -> list[str]:
    return re.findall(r'<article class="bubble[^>]*\bdata-message="([0-9a-f-]{36})"', html)


def test_the_conversation_page_offers_selection_and_marks_every_bubble(
    member, client_for, ana: Contact, conversation: Conversation
) -> None:
    html = client_for(member).get(reverse("texting:conversation", args=[ana.uuid])).content.decode()

    assert MENU_ENTRY in html and 'id="select-messages"' in html
    assert SCRIPT in html
    assert sorted(_bubble_uuids(html)) == sorted(_uuids(conversation))
    # The bar is a GET form to the time entry page for this conversation, hidden until chosen.
    bar = re.search(r'<form class="select-bar"[^>]*>', html)
    assert bar is not None and " hidden" in bar.group(0)
    assert f'action="{reverse("billing:activity-create")}"' in bar.group(0)
    assert f'name="conversation" value="{conversation.uuid}"' in html
    # Selection mode off: no message checkboxes in the page (the script adds them).
    assert 'name="messages"' not in html and "Select this message" not in html


def test_the_polled_and_older_partials_mark_their_bubbles_too(
    member, client_for, ana: Contact, conversation: Conversation
) -> None:
    client = client_for(member)
    uuids = _uuids(conversation)

    polled = client.get(reverse("texting:thread", args=[ana.uuid])).content.decode()
    older = client.get(reverse("texting:older", args=[ana.uuid])).content.decode()

    assert sorted(_bubble_uuids(polled)) == sorted(uuids)
    assert sorted(_bubble_uuids(older)) == sorted(uuids)


def test_a_contact_never_texted_has_nothing_to_select(firm: Firm, member, client_for) -> None:
    contact = ContactFactory(firm=firm, first_name="Nobody")

    html = client_for(member).get(reverse("texting:conversation", args=[contact.uuid])).content
    page = html.decode()

    assert MENU_ENTRY not in page and SCRIPT not in page and "select-bar" not in page


def test_an_outsider_gets_404_for_the_conversation_and_its_partials(
    outsider, client_for, ana: Contact, conversation: Conversation
) -> None:
    client = client_for(outsider)

    for name in ("texting:conversation", "texting:thread", "texting:older"):
        assert client.get(reverse(name, args=[ana.uuid])).status_code == 404
