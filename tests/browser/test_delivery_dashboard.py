"""Settings > Delivery in the browser (X8): an admin whose firm texted for a month opens the
dashboard, switches between 7, 30 and 90 days, and sees a column per day in each chart and
the figures beside them, on a desktop and on a 390 px phone. Screenshots go to
var/screenshots/delivery-dashboard*.png.
"""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from accounts.models import Firm, User
from tests.browser.conftest import PHONE, fits, shot
from texting.models import Conversation, Message
from texting.provider.failure_reasons import FailureReason
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

DESKTOP = {"width": 1280, "height": 900}


def _text(conversation: Conversation, at: datetime, **fields: Any) -> None:
    message: Message = MessageFactory(conversation=conversation, **fields)  # type: ignore[assignment]
    Message.objects.filter(id=message.id).update(created_at=at)


def a_month_of_texts(firm: Firm) -> dict[int, tuple[int, int, int]]:
    """Texts on each of the last 30 days (local noon, a minute apart): some delivered a few
    seconds after they were sent, some failed (rejected by the carrier or a temporary
    error), some received. Returns {days: (delivered, failed, received)} for the windows."""
    zone = ZoneInfo(firm.time_zone)
    today = timezone.localtime(timezone.now(), zone).date()
    contacts = [
        texting_contact(firm, f"+1202555014{i}", first_name=name, last_name="Client")
        for i, name in enumerate(["Maria", "James", "Aisha"])
    ]
    conversations: list[Conversation] = [
        ConversationFactory(contact=contact)  # type: ignore[misc]
        for contact in contacts
    ]
    totals = {7: [0, 0, 0], 30: [0, 0, 0], 90: [0, 0, 0]}
    for ago in range(30):
        noon = datetime.combine(today - timedelta(days=ago), time(12), tzinfo=zone)
        conversation = conversations[ago % 3]
        delivered, received = 6 + ago % 5, 2 + ago % 3
        failures = [FailureReason.REJECTED_BY_CARRIER] * (ago % 4 == 1)
        failures += [FailureReason.TEMPORARY_ERROR] * (ago % 6 == 2)
        at = noon
        for n in range(delivered):
            sent = at + timedelta(seconds=1)
            _text(conversation, at, sent_at=sent, delivered_at=sent + timedelta(seconds=2 + n))
            at += timedelta(minutes=1)
        for reason in failures:
            _text(conversation, at, status=Message.Status.FAILED, failure_reason=reason)
            at += timedelta(minutes=1)
        for _ in range(received):
            _text(
                conversation,
                at,
                direction=Message.Direction.INBOUND,
                status=Message.Status.RECEIVED,
            )
            at += timedelta(minutes=1)
        for days, sums in totals.items():
            if ago < days:
                sums[0] += delivered
                sums[1] += len(failures)
                sums[2] += received
    return {days: (d, f, r) for days, (d, f, r) in totals.items()}


def rate_text(delivered: int, failed: int) -> str:
    return f"{delivered * 100 / (delivered + failed):.1f}%"


def test_an_admin_reads_a_month_of_delivery_over_7_30_and_90_days(
    sign_in: Any, admin: User, firm: Firm, live_server: Any
) -> None:
    with scopes_disabled():
        totals = a_month_of_texts(firm)
    page = sign_in(admin)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Delivery", exact=True).click()
    page.wait_for_url("**/settings/delivery/")

    for days in (30, 7, 90):
        if days != 30:
            page.get_by_role("link", name=f"{days} days").click()
            page.wait_for_url(f"**/settings/delivery/?days={days}")
        delivered, failed, received = totals[days]
        expect(page.get_by_role("link", name=f"{days} days")).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator("#texts-chart svg")).to_be_visible()
        expect(page.locator("#texts-chart .chart__day")).to_have_count(days)
        expect(page.locator("#rate-chart .chart__day")).to_have_count(days)
        expect(page.locator("#median-chart .chart__day")).to_have_count(days)
        expect(page.locator("#texts-chart rect.bar--delivered")).to_have_count(min(days, 30))
        expect(page.locator("#texts-sent")).to_have_text(str(delivered + failed))
        expect(page.locator("#delivery-rate")).to_have_text(rate_text(delivered, failed))
        reasons = page.locator("#failure-reasons tbody tr")
        expect(reasons).to_have_count(2)
        expect(reasons.first).to_contain_text("Rejected by carrier")
        expect(page.locator("#failures-chart rect.bar--failed")).to_have_count(2)
        texts_table = page.get_by_role("table", name=f"Texts in the last {days} days")
        expect(texts_table.get_by_role("row", name="Received")).to_contain_text(str(received))
        if days == 30:
            shot(page, "delivery-dashboard")

    page.get_by_role("link", name="30 days").click()
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#texts-chart .chart__day")).to_have_count(30)
    assert fits(page)
    chart_width = page.locator("#texts-chart svg").bounding_box()["width"]  # type: ignore[index]
    assert 250 < chart_width <= PHONE["width"]
    shot(page, "delivery-dashboard-phone")


def test_a_range_the_page_does_not_offer_falls_back_to_30_days_with_a_notice(
    sign_in: Any, admin: User, firm: Firm, live_server: Any
) -> None:
    page = sign_in(admin)

    page.goto(f"{live_server.url}/settings/delivery/?days=365")

    expect(page.locator("#range-notice")).to_contain_text("That range is not available")
    expect(page.get_by_role("link", name="30 days")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No texts in the last 30 days.")).to_be_visible()
