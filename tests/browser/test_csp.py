"""The Content Security Policy breaks nothing: Chromium opens the main pages, and uses the
behaviours whose scripts left the templates (event form, payment link, pay page, polls),
and reports no violation. Violations are collected two ways: the page's
`securitypolicyviolation` events (from an init script, which the CSP does not govern) and
Chromium's console errors about the policy."""

import re
from typing import Any

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import Firm, User
from billing.gateway import DECLINED_CARD
from billing.tests.factories import account_for, issued_bill_for
from calendar_events.tests.factories import event_for
from contacts.tests.factories import ContactFactory
from matters.tests.factories import MatterFactory
from texting.models import Message
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

# Milliseconds for what waits on the live server (CI shares two cores).
SLOW = 20_000

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${where}`
  );
});
"""


class Violations:
    """What the policy blocked, page after page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def assert_none(self, where: str) -> None:
        self.page.wait_for_load_state("load")
        seen = self.page.evaluate("window.__cspViolations || []")
        assert seen == [], f"{where}: {seen}"
        assert self.console == [], f"{where}: {self.console}"


@pytest.fixture
def office(firm: Firm, admin: User) -> dict[str, Any]:
    """A firm with a conversation, a contact's matter, an event and an issued bill."""
    with scopes_disabled():
        maria = texting_contact(firm, first_name="Maria", last_name="Garcia")
        ContactFactory(firm=firm, first_name="Mario", last_name="Rossi")
        conversation = ConversationFactory(contact=maria)
        MessageFactory(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body="Is my bill ready?",
        )
        matter = MatterFactory(client=maria, description="Garcia v. Acme Leasing")
    event = event_for(firm, title="Settlement conference", contacts=[maria], notify=False)
    bill = issued_bill_for(firm, user=admin, matter=matter)
    account_for(firm, kind="operating", name="Operating account")
    return {"maria": maria, "matter": matter, "event": event, "bill": bill}


def test_the_main_pages_run_without_a_csp_violation(
    live_server: Any, page: Page, sign_in: Any, admin: User, office: dict[str, Any]
) -> None:
    violations = Violations(page)
    url = live_server.url

    page.goto(f"{url}/accounts/login/")
    violations.assert_none("sign in")
    sign_in(admin)
    violations.assert_none("communications")

    for where, path in [
        ("conversation", f"/communications/contacts/{office['maria'].uuid}/"),
        ("contacts", "/contacts/"),
        ("contact", f"/contacts/{office['maria'].uuid}/"),
        ("new contact", "/contacts/new/"),
        ("matters", "/matters/"),
        ("matter", f"/matters/{office['matter'].uuid}/"),
        ("calendar", "/calendar/"),
        ("event", f"/calendar/{office['event'].uuid}/"),
        ("billing", "/billing/"),
        ("settings", "/settings/"),
        ("api tokens", "/settings/api-tokens/"),
        ("notifications", "/settings/notifications/"),
        ("text messaging", "/settings/text-messaging/"),
        ("change password", "/accounts/password/"),
    ]:
        page.goto(f"{url}{path}")
        expect(page.locator("main")).to_be_visible(timeout=SLOW)
        violations.assert_none(where)

    # A conversation left open polls the thread and the badge: the swaps are clean too.
    page.goto(f"{url}/communications/contacts/{office['maria'].uuid}/")
    with page.expect_response(re.compile(r"/thread/"), timeout=SLOW):
        pass
    expect(page.locator("#thread")).to_contain_text("Is my bill ready?", timeout=SLOW)
    violations.assert_none("conversation after a poll")

    # An htmx search swaps rows in.
    page.goto(f"{url}/contacts/")
    with page.expect_response(re.compile(r"/contacts/\?q=Mar"), timeout=SLOW):
        page.get_by_role("searchbox").first.fill("Mar")
    violations.assert_none("contact search")


def test_the_event_form_works_from_its_static_script(
    live_server: Any, page: Page, sign_in: Any, admin: User, office: dict[str, Any]
) -> None:
    violations = Violations(page)
    sign_in(admin)
    page.goto(f"{live_server.url}/calendar/new/")
    page.get_by_label("All day").check()
    expect(page.get_by_label("Start time")).to_be_hidden(timeout=SLOW)
    page.get_by_label("All day").uncheck()
    expect(page.get_by_label("Start time")).to_be_visible()
    page.get_by_label("Start date").fill("2030-05-06")
    page.get_by_label("Start date").dispatch_event("change")
    expect(page.get_by_label("End date")).to_have_value("2030-05-06")

    search = page.get_by_label("Add a contact")
    search.fill("Garc")
    search.press("Enter")  # picks nothing, submits nothing
    expect(page).to_have_url(re.compile(r"/calendar/new/$"))
    page.get_by_role("button", name=re.compile("Maria Garcia")).click()
    row = page.locator(".attendee-row").filter(has_text="Maria Garcia")
    expect(row).to_have_count(1, timeout=SLOW)
    row.get_by_role("button", name="Remove Maria Garcia").click()
    expect(row).to_have_count(0)
    violations.assert_none("event form")


def test_a_payment_link_is_copied_and_paid_without_a_csp_violation(
    live_server: Any,
    page: Page,
    sign_in: Any,
    admin: User,
    office: dict[str, Any],
    new_context: Any,
) -> None:
    violations = Violations(page)
    sign_in(admin)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/billing/bills/{office['bill'].uuid}/")
    expect(page.get_by_role("button", name="Print")).to_be_visible(timeout=SLOW)
    violations.assert_none("bill")
    page.get_by_role("link", name="Copy link to pay client balance").click()
    page.get_by_label("Operating account (Operating)").check()
    page.get_by_role("button", name="Create link").click()
    pay_url = page.get_by_label("Payment link").input_value()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#copy-status")).to_have_text("Copied", timeout=SLOW)
    violations.assert_none("payment link")

    client = new_context().new_page()  # the client, signed out
    client_violations = Violations(client)
    client.goto(pay_url)
    expect(client.locator("#balance-due")).to_have_text("$450.00", timeout=SLOW)
    client_violations.assert_none("pay page")
    # The button turns off as the form goes (pay_page.js): a declined card comes back.
    client.get_by_label("Name on card").fill("Maria Garcia")
    client.get_by_label("Card number").fill(DECLINED_CARD)
    client.get_by_label("Expiry").fill("12/39")
    client.get_by_label("CVC").fill("123")
    with client.expect_navigation(timeout=SLOW):
        client.get_by_role("button", name="Pay").click()
    expect(client.locator("#pay-failure")).to_be_visible(timeout=SLOW)
    client_violations.assert_none("pay page after a declined card")


def test_the_api_reference_renders_offline_under_its_policy(
    live_server: Any, page: Page, sign_in: Any, admin: User
) -> None:
    """/api/docs/ runs Redoc from our static files (no CDN, no internet here) and the
    schema it loads; its wider policy still blocks nothing it needs."""
    violations = Violations(page)
    sign_in(admin)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name="Firm Texting API", level=1)).to_be_visible(
        timeout=SLOW
    )
    expect(page.get_by_text("text_message_conversations").first).to_be_attached(timeout=SLOW)
    page.wait_for_load_state("load")
    # Redoc's "API docs by Redocly" badge is an image on Redocly's CDN; blocking it is the
    # point (no third-party request from our pages), and nothing else may be blocked.
    seen = page.evaluate("window.__cspViolations || []")
    assert [v for v in seen if "https://cdn.redoc.ly/" not in v] == []
    assert [m for m in violations.console if "cdn.redoc.ly" not in m] == []
