"""Settings > Notifications in the browser (S5, C9): a member turns badge counts off and the
counts leave the navigation and the conversation list; the page's script reports what push
does on this browser. (Subscribing needs the browser's push service on the internet, so
the push itself is tested in texting/tests/test_notifications.py with a local one.)"""

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.models import Firm, User
from texting.models import ReadState
from texting.tests.factories import (
    ConversationFactory,
    MessageFactory,
    last_message_set,
    texting_contact,
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_badge_counts_off_hides_the_counts_and_the_page_says_what_push_does_here(
    sign_in, member: User, firm: Firm, live_server: Any, settings: Any
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.WEBPUSH_VAPID_PUBLIC_KEY = _b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    settings.WEBPUSH_VAPID_PRIVATE_KEY = _b64url(key.private_numbers().private_value.to_bytes(32))
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:it@garcia-law.example"
    with scopes_disabled():
        contact = texting_contact(firm, "+12025550143", first_name="Maria", last_name="Garcia")
        conversation = ConversationFactory(contact=contact)
        last = MessageFactory(conversation=conversation, body="Running late")
        last_message_set(last)
        ReadState.objects.create(firm=firm, conversation=conversation, user=member, unread_count=2)
    page = sign_in(member)
    expect(page.locator("#unread-badge .count-badge")).to_have_text("2")

    page.goto(f"{live_server.url}/settings/notifications/")
    expect(page.locator("#push-state")).to_have_text("This browser is not subscribed.")
    page.get_by_label("Badge counts").uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Your notification settings were saved.")).to_be_visible()
    expect(page.get_by_label("Badge counts")).not_to_be_checked()
    expect(page.locator(".count-badge")).to_have_count(0)
    page.get_by_role("link", name="Communications").first.click()
    expect(page.get_by_text("Running late")).to_be_visible()
    expect(page.locator(".count-badge")).to_have_count(0)
