"""Payment links in the browser (B4, B5): a member opens a bill, copies the link to pay its
balance into the operating account, texts it to the client from the conversation (through
the provider sandbox, which calls the live server back), and the client opens the link on a
phone, signed out, pays with the sandbox's test card and gets a receipt; the bill is then
paid. Screenshots go to var/screenshots/billing-*.png.
"""

import re
from datetime import date
from typing import Any

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.models import Firm, User
from billing.gateway import SUCCESS_CARD
from billing.models import Activity, Bill, LedgerEntry
from billing.tests.factories import account_for, issued_bill_for
from contacts.tests.factories import ContactFactory
from matters.tests.factories import MatterFactory
from tests.browser.conftest import PHONE, fits, shot
from texting.models import Message
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

CLIENT = "+12025550143"  # the sandbox delivers texts to it
# Callbacks reach the live server over HTTP, the thread polls every few seconds, and CI
# shares two cores.
LIVE = 30_000


def test_a_member_texts_a_bills_payment_link_and_the_client_pays_it_on_a_phone(
    sign_in: Any, member: User, live_texting: Firm, live_server: Any, new_context: Any
) -> None:
    with scopes_disabled():
        contact = texting_contact(live_texting, CLIENT, first_name="Maria", last_name="Garcia")
        MessageFactory(
            conversation=ConversationFactory(contact=contact),
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            from_e164=CLIENT,
            to_e164=live_texting.toll_free_number_e164,
            body="Is my bill ready?",
        )
        matter = MatterFactory(client=contact, description="Garcia v. Acme Leasing")
    bill = issued_bill_for(live_texting, user=member, matter=matter)
    account_for(live_texting, kind="operating", name="Operating account")
    account_for(live_texting, kind="trust", name="IOLTA trust")
    page = sign_in(member)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    bill_url = f"{live_server.url}/billing/bills/{bill.uuid}/"

    page.goto(bill_url)
    expect(page.locator("#bill-balance")).to_have_text("$450.00")
    page.get_by_role("link", name="Copy link to pay client balance").click()
    page.get_by_label("Operating account (Operating)").check()
    shot(page, "billing-choose-account")
    page.get_by_role("button", name="Create link").click()

    link_box = page.get_by_label("Payment link")
    pay_url = link_box.input_value()
    assert pay_url.startswith(f"{live_server.url}/pay/") and len(pay_url) > 60
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == pay_url
    shot(page, "billing-link")

    page.get_by_role("link", name="Text this link").click()
    box = page.get_by_label("Text message to Maria Garcia")
    expect(box).to_have_value(
        f"Here is the link to pay your bill {bill.number} from {live_texting.name}: {pay_url}"
    )
    expect(page.get_by_text("Is my bill ready?")).to_be_visible()
    page.get_by_role("button", name="Send").click()
    bubble = page.locator(".bubble--outbound").filter(has_text=pay_url)
    expect(bubble).to_have_count(1)
    expect(box).to_have_value("")
    expect(bubble.locator(".status")).to_have_text("Delivered", timeout=LIVE)
    shot(page, "billing-texted")

    # The client, on a phone, signed out: a browser context of their own.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    client = phone.new_page()
    client.goto(pay_url)
    expect(client.locator("#pay-firm")).to_have_text(live_texting.name)
    expect(client.locator("#balance-due")).to_have_text("$450.00")
    expect(client.get_by_label("Amount (USD)")).to_have_value("450.00")
    assert fits(client)
    client.get_by_label("Name on card").fill("Maria Garcia")
    client.get_by_label("Card number").fill(SUCCESS_CARD)
    client.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 3) % 100:02d}")
    client.get_by_label("Security code (CVC)").fill("123")
    pay = client.get_by_role("button", name="Pay")
    assert pay.bounding_box()["width"] > 300  # type: ignore[index]
    shot(client, "billing-pay-phone")
    pay.click()

    receipt = client.locator("#receipt")
    expect(receipt).to_contain_text("Payment received")
    expect(receipt).to_contain_text("$450.00")
    expect(client.locator("#receipt-bill")).to_have_text("The bill is now paid.")
    assert fits(client)
    shot(client, "billing-receipt-phone")
    phone.close()

    page.goto(bill_url)
    page.reload()
    expect(page.locator("#bill-state")).to_have_text("Paid")
    expect(page.locator("#bill-balance")).to_have_text("$0.00")
    expect(page.get_by_role("link", name="Copy link to pay client balance")).to_have_count(0)
    shot(page, "billing-bill-paid")
    with scopes_disabled():
        assert Bill.objects.get(id=bill.id).state == Bill.State.PAID
        entry = LedgerEntry.objects.get()
        assert (entry.amount_cents, entry.account.name, entry.matter_id) == (
            450_00,
            "Operating account",
            matter.id,
        )


def test_a_partial_trust_payment_shows_on_the_trust_ledger_and_a_revoked_link_stops(
    sign_in: Any, member: User, firm: Firm, live_server: Any, new_context: Any
) -> None:
    with scopes_disabled():
        contact = ContactFactory(firm=firm, first_name="Maria", last_name="Garcia")
        matter = MatterFactory(client=contact, display_number="00042-Garcia")
    bill = issued_bill_for(firm, user=member, matter=matter)
    account_for(firm, kind="operating", name="Operating account")
    page = sign_in(member)
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()

    page.get_by_role("link", name="Billing").first.click()
    page.get_by_role("link", name="Bank accounts").click()
    page.get_by_label("Name").fill("IOLTA trust")
    page.get_by_label("Trust", exact=True).check()
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("The account “IOLTA trust” was added.")).to_be_visible()

    page.goto(f"{live_server.url}/billing/bills/{bill.uuid}/")
    page.get_by_role("link", name="Copy link to pay client balance").click()
    page.get_by_label("IOLTA trust (Trust)").check()
    page.get_by_label("Expires after (days)").fill("14")
    page.get_by_role("button", name="Create link").click()
    phone.goto(page.get_by_label("Payment link").input_value())
    phone.get_by_label("Amount (USD)").fill("200")
    phone.get_by_label("Name on card").fill("Maria Garcia")
    phone.get_by_label("Card number").fill("4000 0000 0000 0002")  # declined first
    phone.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 3) % 100:02d}")
    phone.get_by_label("Security code (CVC)").fill("123")
    phone.get_by_role("button", name="Pay").click()
    expect(phone.locator("#pay-failure")).to_contain_text("Your card was declined.")
    expect(phone.get_by_label("Card number")).to_have_value("")
    shot(phone, "billing-pay-declined-phone")
    phone.get_by_label("Card number").fill(SUCCESS_CARD)
    phone.get_by_label("Security code (CVC)").fill("123")
    phone.get_by_role("button", name="Pay").click()
    expect(phone.locator("#receipt-bill")).to_contain_text("Remaining balance")
    expect(phone.locator("#receipt-bill")).to_contain_text("$250.00")

    page.get_by_role("link", name="Billing").first.click()
    page.get_by_role("link", name="Bank accounts").click()
    page.get_by_role("link", name="IOLTA trust").click()
    ledger = page.locator("#trust-ledger")
    expect(ledger.locator(f'tr[data-client="{contact.uuid}"]')).to_contain_text("$200.00")
    expect(ledger.locator(f'tr[data-matter="{matter.uuid}"]')).to_contain_text("00042-Garcia")
    expect(page.locator("#account-balance")).to_have_text("$200.00")
    shot(page, "billing-trust-ledger")

    page.get_by_role("link", name="Online payments").first.click()
    page.locator("#charge-accounts tr").filter(has_text="Operating account").get_by_role(
        "button", name="Copy payment link"
    ).click()
    charge_url = page.get_by_label("Payment link").input_value()
    phone.goto(charge_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        f"Payment to {firm.name} (Operating account)"
    )
    expect(phone.get_by_label("Amount (USD)")).to_have_value("")
    page.get_by_role("link", name="Done").click()
    row = page.locator("#payment-links tr").filter(has_text=charge_url.split("/")[-2][:8])
    expect(row.locator(".link-state")).to_have_text("Usable")
    row.get_by_role("button", name="Revoke").click()
    expect(row.locator(".link-state")).to_have_text("Revoked")
    shot(page, "billing-online-payments")

    response = phone.goto(charge_url)
    assert response is not None and response.status == 410
    expect(phone.get_by_role("heading", level=1)).to_have_text("This payment link was cancelled")
    expect(phone.locator("form")).to_have_count(0)
    shot(phone, "billing-link-cancelled-phone")


def test_a_member_picks_messages_in_the_thread_on_a_phone_and_adds_time_for_them(
    sign_in: Any, member: User, firm: Firm, live_server: Any
) -> None:
    with scopes_disabled():
        contact = texting_contact(firm, CLIENT, first_name="Maria", last_name="Garcia")
        conversation = ConversationFactory(contact=contact)
        first, _, _ = (
            MessageFactory(conversation=conversation, body=body)
            for body in ("Your hearing is on Monday.", "Please bring the lease.", "See you then.")
        )
        MatterFactory(client=contact, display_number="00042-Garcia")
    page = sign_in(member)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/communications/contacts/{contact.uuid}/")
    tick = "Select this message"
    expect(page.get_by_text("Please bring the lease.")).to_be_visible()
    expect(page.get_by_label(tick)).to_have_count(0)

    page.locator("#conversation-actions summary").click()
    page.get_by_role("button", name="Add time for selected messages…").click()
    bar = page.locator("#select-bar")
    expect(bar).to_contain_text("0 selected")
    expect(page.get_by_label(tick)).to_have_count(3)
    expect(page.get_by_role("button", name="Add time for 0 messages")).to_be_disabled()
    page.locator(f'.bubble[data-message="{first.uuid}"]').get_by_label(tick).check()
    expect(bar).to_contain_text("1 selected")

    # A reply arrives: the polled thread is rendered anew and keeps what was ticked.
    with scopes_disabled():
        MessageFactory(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            from_e164=CLIENT,
            body="Can I bring my sister?",
        )
    reply = page.locator(".bubble").filter(has_text="Can I bring my sister?")
    expect(reply.get_by_label(tick)).to_have_count(1, timeout=LIVE)
    expect(page.locator(f'.bubble[data-message="{first.uuid}"]').get_by_label(tick)).to_be_checked()
    reply.get_by_text("Can I bring my sister?").click()  # the whole bubble ticks
    expect(reply.get_by_label(tick)).to_be_checked()
    expect(bar).to_contain_text("2 selected")
    assert fits(page)
    shot(page, "billing-select-messages-phone")

    page.get_by_role("button", name="Add time for 2 messages").click()
    described = re.compile(r"^Text messages with Maria Garcia, .+ \(2 messages\)$")
    expect(page.get_by_label("Description")).to_have_value(described)
    page.get_by_label("Duration").fill("0:12")
    page.get_by_role("button", name="Save time entry").click()
    page.wait_for_url(f"**/communications/contacts/{contact.uuid}/")
    expect(page.get_by_text("Time entry added to 00042-Garcia.")).to_be_visible()
    expect(page.locator("#select-bar")).to_be_hidden()
    with scopes_disabled():
        activity = Activity.objects.get()
        assert activity.conversation_id == conversation.id
        assert activity.description.endswith("(2 messages)")
