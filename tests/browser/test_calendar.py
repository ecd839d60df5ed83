"""The calendar in the browser (E1–E4): a member creates an event with a client notified by
text, the invitation is in the client's conversation, the client's "Y" (injected into the
provider sandbox, which posts it to the live server's webhook) confirms it on the event
page; and the week view fits a phone screen.

Automated texts go out only between 8:00 and 20:00 recipient time (E3). The journey runs on
the real clock, as a real Celery worker (CI's PostgreSQL pass) has no other: the firm is put
in a zone where it is working hours now, and the client texts from a number without a zone
of its own (a 5XX personal number), so the firm's zone is the client's.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from accounts.models import Firm, User
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.tests.factories import event_for
from tests.browser.conftest import settled, shot
from texting.models import Message
from texting.notification_texts import format_when
from texting.tests.factories import texting_contact

CLIENT = "+15005550143"  # the sandbox delivers texts to it; no area-code zone: the firm's
# Callbacks reach the live server over HTTP, the thread polls every few seconds, and CI
# shares two cores.
LIVE = 30_000
NY = ZoneInfo("America/New_York")
TUESDAY_MORNING = datetime(2026, 12, 1, 9, 30, tzinfo=NY)


# Working hours somewhere at every hour of the day.
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Athens",
    "Europe/London",
    "America/St_Johns",
)


def working_hours_zone() -> str:
    now = datetime.now(UTC)
    return next(z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour < 17)


@pytest.fixture
def office_hours() -> Iterator[None]:
    with time_machine.travel(TUESDAY_MORNING, tick=True):
        yield


def test_a_member_invites_a_client_by_text_and_the_clients_y_confirms(
    sign_in: Any,
    member: User,
    live_texting: Firm,
    live_server: Any,
    sandbox: Any,
) -> None:
    zone = working_hours_zone()
    live_texting.time_zone = zone
    live_texting.save()
    day = (datetime.now(ZoneInfo(zone)) + timedelta(days=3)).date()
    start = datetime.combine(day, time(10), tzinfo=ZoneInfo(zone))
    with scopes_disabled():
        contact = texting_contact(live_texting, CLIENT, first_name="Maria", last_name="Garcia")
    page = sign_in(member)

    page.get_by_role("link", name="Calendar").first.click()
    page.get_by_role("link", name="New event").first.click()
    page.get_by_label("Title").fill("Settlement conference")
    page.get_by_label("All day").check()  # dates only
    expect(page.get_by_label("Start time")).to_be_hidden()
    page.get_by_label("All day").uncheck()
    expect(page.get_by_label("Start time")).to_be_visible()
    page.get_by_label("Start date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End date").fill(day.isoformat())
    page.get_by_label("End time").fill("11:00")
    page.get_by_label("Location").fill("Courtroom 4B")
    page.get_by_label("Add a contact").fill("Garc")
    page.get_by_role("button", name=re.compile("Maria Garcia")).click()
    row = page.locator(".attendee-row").filter(has_text="Maria Garcia")
    expect(row).to_have_count(1)
    expect(page.get_by_label("Add a contact")).to_have_value("")  # the picker was cleared
    row.get_by_label("Notify via text").check()
    shot(page, "calendar-new-event")
    page.get_by_role("button", name="Create event").click()

    expect(page.get_by_text("The event was created. 1 invitation was texted.")).to_be_visible()
    expect(page.locator("#event-when")).to_have_text(
        f"{day:%a, %b} {day.day}, {day.year}, 10:00 AM – 11:00 AM {start.tzname()}"
    )
    attendee = page.locator("tr[data-attendee]").filter(has_text="Maria Garcia")
    expect(attendee).to_contain_text("Invitation texted")
    expect(attendee.locator(".cal-response")).to_contain_text("No response")

    settled(
        lambda: Message.objects.filter(
            conversation__contact=contact, status=Message.Status.DELIVERED
        ).exists()
    )
    attendee.get_by_role("link", name="Texts").click()
    invitation = page.locator(".bubble--outbound").filter(
        has_text=f"You are invited to Settlement conference on {format_when(start, time_zone=zone)}"
    )
    expect(invitation).to_contain_text("Reply Y to confirm or N to decline")
    expect(invitation.locator(".status")).to_have_text("Delivered", timeout=LIVE)

    sandbox.control.inject_text(CLIENT, live_texting.toll_free_number_e164, " y ")
    expect(page.locator(".bubble").filter(has_text=re.compile(r"^\s*y\s*"))).to_have_count(
        1, timeout=LIVE
    )

    page.go_back()
    page.reload()
    attendee = page.locator("tr[data-attendee]").filter(has_text="Maria Garcia")
    expect(attendee.locator(".cal-response")).to_contain_text("Confirmed")
    shot(page, "calendar-event")
    with scopes_disabled():
        answer = EventAttendee.objects.get(contact=contact)
        assert answer.response == EventAttendee.Response.CONFIRMED
        assert CalendarEvent.objects.get().title == "Settlement conference"


def test_the_week_view_fits_a_phone_screen(
    sign_in: Any, member: User, firm: Firm, page: Page, live_server: Any, office_hours: None
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    event_for(
        firm, title="Deposition of the plaintiff", starts_at=datetime(2026, 12, 2, 9, tzinfo=NY)
    )
    event_for(
        firm,
        title="Filing deadline",
        starts_at=datetime(2026, 12, 3, tzinfo=NY),
        all_day=True,
    )
    sign_in(member)

    page.goto(f"{live_server.url}/calendar/")

    monday, tuesday = (
        page.locator('[data-day="2026-11-30"]'),
        page.locator('[data-day="2026-12-01"]'),
    )
    expect(page.get_by_role("link", name=re.compile("Deposition of the plaintiff"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    first, second = monday.bounding_box(), tuesday.bounding_box()
    assert first is not None and second is not None
    assert first["width"] > 300 and second["y"] > first["y"]  # stacked, full width
    expect(page.get_by_role("link", name="New event").first).to_be_visible()
    shot(page, "calendar-week-phone")

    page.get_by_role("link", name="List").click()
    expect(page.get_by_text("Wednesday, December 2, 2026")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.set_viewport_size({"width": 1280, "height": 800})  # seven columns side by side
    page.get_by_role("link", name="Week").click()
    first, second = monday.bounding_box(), tuesday.bounding_box()
    assert first is not None and second is not None and second["x"] > first["x"]
    shot(page, "calendar-week")
