"""Texting in the browser (issue 5): a text sent turns Delivered, an inbound text and picture
arrive live with the badge, a failed text is retried, staff are kept out of Settings, and the
pages work on a phone. The provider sandbox answers and calls the live server back over
HTTP; with REDIS_URL a real Celery worker does the sending and the processing.
"""

import re
from typing import Any

from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from accounts.models import Firm, User
from tests.browser.conftest import shot
from texting.models import Message
from texting.provider.failure_reasons import FailureReason
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact
from texting.tests.inbound import texted_contact

CLIENT = "+12025550143"  # the sandbox delivers texts to it
# The pages poll every 3 s (a thread) to 10 s (the navigation badge); the worker may be
# another process. Generous, since CI shares two cores.
LIVE = 30_000
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000002020101e221bc330000000049454e44ae426082"
)


def test_a_staff_member_texts_a_client_and_sees_it_delivered_without_reload(
    sign_in, member: User, live_texting: Firm, live_server: Any
) -> None:
    with scopes_disabled():
        texting_contact(live_texting, CLIENT, first_name="Maria", last_name="Garcia")
    page = sign_in(member)

    page.get_by_role("link", name="New text message").first.click()
    page.get_by_label("Contact").fill("Garc")
    page.get_by_role("link", name=re.compile("Maria Garcia")).click()
    box = page.get_by_label("Text message to Maria Garcia")
    box.fill("Your hearing moved to 10 AM on Thursday.")
    expect(page.locator(".compose__count")).to_have_text("40 characters · 1 segment")
    box.fill("Grüße — über 😀")
    expect(page.locator(".compose__count")).to_contain_text("special characters")
    box.fill("Your hearing moved to 10 AM on Thursday.")
    page.get_by_role("button", name="Send").click()

    bubble = page.locator(".bubble--outbound").filter(has_text="Your hearing moved to 10 AM")
    expect(bubble).to_have_count(1)
    expect(box).to_have_value("")  # ready for the next one
    expect(page.locator(".compose__count")).to_have_text("0 characters · 1 segment")
    expect(bubble.locator(".status")).to_have_text("Delivered", timeout=LIVE)
    shot(page, "conversation")
    with scopes_disabled():
        assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_an_inbound_text_and_picture_arrive_live_and_opening_the_thread_reads_them(
    sign_in, member: User, live_texting: Firm, sandbox: Any
) -> None:
    with scopes_disabled():
        contact = texted_contact(live_texting, CLIENT)
    page = sign_in(member)
    expect(page.locator("#unread-badge .count-badge")).to_have_count(0)

    sandbox.control.inject_text(CLIENT, live_texting.toll_free_number_e164, "Running late!")
    sandbox.control.inject_text(
        CLIENT, live_texting.toll_free_number_e164, "", media=[("id.png", "image/png", PNG)]
    )

    row = page.locator(f'tr[data-conversation="{contact.uuid}"]')
    expect(row.locator(".count-badge")).to_have_text("2", timeout=LIVE)
    expect(page.locator("#unread-badge .count-badge")).to_have_text("2", timeout=LIVE)
    shot(page, "communications")

    row.get_by_role("link", name="View").click()
    expect(page.get_by_text("Running late!")).to_be_visible()
    expect(page.locator("img.bubble__image")).to_be_visible(timeout=LIVE)
    expect(page.locator("#unread-badge .count-badge")).to_have_count(0, timeout=LIVE)


def test_a_failed_text_shows_why_and_a_retry_is_delivered(
    sign_in, member: User, live_texting: Firm
) -> None:
    with scopes_disabled():
        contact = texting_contact(live_texting, CLIENT, first_name="Maria", last_name="Garcia")
        MessageFactory(
            conversation=ConversationFactory(contact=contact),
            body="Please sign the form",
            status=Message.Status.FAILED,
            failure_reason=FailureReason.CARRIER_ERROR,
            provider_message_id="",
            to_e164=CLIENT,
        )
    page = sign_in(member)
    page.goto(f"{page.url.split('/communications/')[0]}/communications/contacts/{contact.uuid}/")

    failed = page.locator(".bubble--failed")
    expect(failed).to_contain_text("Carrier error")
    expect(failed).to_contain_text("please try again")
    failed.get_by_role("button", name="Retry").click()

    attempt = page.locator(".bubble--outbound:not(.bubble--failed)").filter(
        has_text="Please sign the form"
    )
    expect(attempt.locator(".status")).to_have_text("Delivered", timeout=LIVE)
    expect(failed).to_contain_text("Retried below")


def test_staff_are_refused_on_text_messaging_settings(sign_in, member: User, live_server) -> None:
    page = sign_in(member)
    response = page.goto(f"{live_server.url}/settings/text-messaging/")
    assert response is not None and response.status == 403


def test_the_list_and_a_thread_fit_a_phone_screen(
    sign_in, member: User, live_texting: Firm, page: Page, live_server: Any
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    with scopes_disabled():
        contact = texting_contact(live_texting, CLIENT, first_name="Maria", last_name="Garcia")
        conversation = ConversationFactory(contact=contact)
        for n in range(12):
            MessageFactory(
                conversation=conversation,
                direction=Message.Direction.INBOUND if n % 2 else Message.Direction.OUTBOUND,
                status=Message.Status.RECEIVED if n % 2 else Message.Status.DELIVERED,
                body=f"Message number {n} about the settlement conference next week",
            )
    sign_in(member)

    def fits() -> bool:
        return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))

    expect(page.get_by_role("link", name="View").first).to_be_visible()
    assert fits()
    page.get_by_role("link", name="View").first.click()
    box = page.get_by_label("Text message to Maria Garcia")
    expect(box).to_be_visible()
    assert box.bounding_box()["width"] > 300  # type: ignore[index]
    expect(page.get_by_text("Message number 11")).to_be_in_viewport()  # newest at the bottom
    assert fits()
    shot(page, "conversation-phone")


def test_an_admin_sets_texting_up_from_get_started_to_an_assigned_number(
    sign_in, admin: User, firm: Firm, sandbox: Any, live_server: Any
) -> None:
    from texting.tests.test_setup import BUSINESS, VERIFICATION

    page = sign_in(admin)
    expect(page.locator("#verification-banner")).to_contain_text("no texting number yet")
    page.locator("#verification-banner").get_by_role("link", name="Get started").click()

    def fill(values: dict[str, str]) -> None:
        for name, value in values.items():
            field = page.locator(f'[name="{name}"]')
            if field.evaluate("el => el.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)

    fill(BUSINESS)
    page.get_by_role("button", name="Next step").click()
    fill(VERIFICATION)
    page.get_by_role("button", name="Review").click()
    expect(page.locator("main")).to_contain_text("Garcia & Associates PLLC")
    page.get_by_role("button", name="Submit").click()

    expect(page.locator("#verification-status")).to_have_text("Pending")
    firm.refresh_from_db()
    assert firm.toll_free_number_e164 and sandbox.control.numbers() == [firm.toll_free_number_e164]
    shot(page, "text-messaging-settings")
    page.get_by_role("link", name="Communications").first.click()
    expect(page.locator("#verification-banner")).to_contain_text("waiting for verification")
