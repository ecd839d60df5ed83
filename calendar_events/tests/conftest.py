"""Fixtures of the calendar's service tests: a firm that can text, and a frozen clock.

The clock is frozen at a Tuesday 10:00 in New York (the firm's zone, and the zone of the
202 numbers the contacts text from), in office hours, unless a test travels elsewhere.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scopes_disabled

from accounts.models import Firm
from contacts.models import Contact
from texting.models import TextingSettings
from texting.tests.factories import texting_contact

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
TUESDAY_10AM = datetime(2026, 12, 1, 10, 0, tzinfo=NY)
FIRM_NUMBER = "+18445550100"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time frozen at TUESDAY_10AM; `clock.move_to(...)` travels."""
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def calendar_firm(firm: Firm, clock: time_machine.Traveller) -> Firm:
    """`firm` with texting set up (its toll-free number), reminders 2 days before, and an
    alternative contact printed in its texts. No provider call happens in these tests:
    texts are created in the outbox, and their sending drain runs only on commit."""
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    with scopes_disabled():
        TextingSettings.objects.create(
            firm=firm,
            event_reminder_days=2,
            alternative_phone_e164="+12025550188",
            alternative_email="desk@garcia.example",
        )
    return firm


@pytest.fixture
def client_contact(calendar_firm: Firm) -> Contact:
    """A client with a Washington, DC texting number (New York's zone)."""
    return texting_contact(calendar_firm, "+12025550143", first_name="Ana", last_name="Reyes")


@pytest.fixture
def make_contact(calendar_firm: Firm) -> Callable[..., Contact]:
    numbers = iter(range(150, 199))

    def make(number: str | None = None, **fields: str) -> Contact:
        return texting_contact(calendar_firm, number or f"+120255501{next(numbers)}", **fields)

    return make
