"""Calendar reads: which events a period or a matter shows, and one event with its attendees
in a fixed number of queries, never another firm's."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scope

from accounts.models import Firm, User
from calendar_events.models import CalendarEvent
from calendar_events.selectors import (
    event_get,
    event_list,
    event_past_list,
    event_user_choices,
)
from calendar_events.services import event_cancel, event_delete
from calendar_events.tests.factories import event_for
from matters.tests.factories import MatterFactory
from texting.tests.factories import texting_contact

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _titles(events: Any) -> list[str]:
    return [event.title for event in events]


def test_event_list_returns_the_live_events_overlapping_the_period(
    firm: Firm, other_firm: Firm
) -> None:
    start, end = datetime(2026, 12, 7, tzinfo=NY), datetime(2026, 12, 14, tzinfo=NY)
    event_for(firm, title="Spans into the week", starts_at=start - timedelta(hours=2), hours=3)
    event_for(firm, title="Ends as the week starts", starts_at=start - timedelta(hours=1))
    event_for(firm, title="Zero length at the start", starts_at=start, hours=0)
    event_for(firm, title="Inside", starts_at=start + timedelta(days=2))
    event_for(firm, title="Starts as the week ends", starts_at=end)
    gone = event_for(firm, title="Deleted", starts_at=start + timedelta(days=1))
    called_off = event_for(firm, title="Cancelled", starts_at=start + timedelta(days=3))
    event_for(other_firm, title="Other firm's", starts_at=start + timedelta(days=1))

    with scope(firm=firm.id):
        event_delete(firm=firm, actor=None, event=gone)
        event_cancel(firm=firm, actor=None, event=called_off)
        assert _titles(event_list(firm=firm, start=start, end=end)) == [
            "Spans into the week",
            "Zero length at the start",
            "Inside",
            "Cancelled",
        ]
        live = event_list(firm=firm, start=start, end=end, include_cancelled=False)
        assert "Cancelled" not in _titles(live)


def test_event_list_and_past_list_split_a_matters_events_at_now(firm: Firm) -> None:
    contact = texting_contact(firm, "+12025550143")
    matter = MatterFactory(client=contact)
    event_for(firm, title="Last week", starts_at=NOW - timedelta(days=7), matter=matter)
    event_for(firm, title="Yesterday", starts_at=NOW - timedelta(days=1), matter=matter)
    event_for(firm, title="In progress", starts_at=NOW - timedelta(minutes=30), matter=matter)
    event_for(firm, title="Tomorrow", starts_at=NOW + timedelta(days=1), matter=matter)
    event_for(firm, title="No matter", starts_at=NOW + timedelta(days=1))

    with scope(firm=firm.id):
        upcoming = event_list(firm=firm, start=NOW, matter=matter)
        past = event_past_list(firm=firm, now=NOW, matter=matter)
        assert _titles(upcoming) == ["In progress", "Tomorrow"]
        assert _titles(past) == ["Yesterday", "Last week"]
        assert "No matter" in _titles(event_list(firm=firm, start=NOW))


def test_event_get_prefetches_the_attendees_and_finds_no_other_firms_event(
    firm: Firm, other_firm: Firm, member: User, django_assert_num_queries: Any
) -> None:
    contacts = [texting_contact(firm, f"+120255501{50 + n}") for n in range(5)]
    event = event_for(firm, contacts=contacts, notify=False, starts_at=NOW + timedelta(days=2))
    foreign = event_for(other_firm, starts_at=NOW + timedelta(days=2))

    with scope(firm=firm.id):
        with django_assert_num_queries(2):
            found = event_get(firm=firm, uuid=event.uuid)
            assert found is not None
            names = [a.contact.name for a in found.attendees.all() if a.contact]
        assert len(names) == 5
        assert event_get(firm=firm, uuid=foreign.uuid) is None
        event_delete(firm=firm, actor=None, event=event)
        assert event_get(firm=firm, uuid=event.uuid) is None
        assert CalendarEvent.objects.filter(id=event.id).exists()  # hidden, not removed


def test_event_user_choices_are_the_firms_active_members(
    firm: Firm, member: User, admin: User, outsider: User
) -> None:
    admin.is_active = False
    admin.save()
    assert list(event_user_choices(firm=firm)) == [member]
