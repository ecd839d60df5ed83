"""Reminders and quiet hours (E3): each reminder once per event, attendee and start time,
caught up after downtime, re-armed when the event moves; automated texts only between 8:00
and 20:00 recipient time, while a typed text goes at once."""

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.services import (
    AttendeeSpec,
    automated_texts_dispatch,
    event_cancel,
    event_create,
    event_update,
    reminders_due,
)
from calendar_events.services.texts import _DISPATCH_LOCK_KEY, _reminder_send
from calendar_events.tasks import automated_texts_dispatch_task
from calendar_events.tests.factories import attendee_of, event_for, texts_to
from contacts.models import Contact, PhoneNumber
from texting.models import Message, TextingSettings
from texting.selectors import texting_settings_get
from texting.services.sending import message_send
from texting.tests.factories import texting_contact

from .conftest import LA, NY, TUESDAY_10AM

Notice = EventAttendee.Notice
FRIDAY_10AM = datetime(2026, 12, 4, 10, 0, tzinfo=NY)
WEDNESDAY_10AM = datetime(2026, 12, 2, 10, 0, tzinfo=NY)  # Friday's reminder is due (2 days)


def _dispatch(clock: time_machine.Traveller, at: datetime) -> int:
    """Travel to `at` and run the scheduler's dispatch once; the number of texts it sent."""
    clock.move_to(at)
    return automated_texts_dispatch().sent


def _reminders(contact: Contact) -> list[str]:
    return [text for text in texts_to(contact) if "Reminder of" in text]


# --- once ------------------------------------------------------------------------------------


def test_a_reminder_goes_once_across_scheduler_runs(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event = event_for(
        calendar_firm,
        contacts=[client_contact],
        title="Hearing",
        location="Courtroom 4",
        starts_at=FRIDAY_10AM,
    )
    assert _dispatch(clock, WEDNESDAY_10AM - timedelta(minutes=1)) == 0  # not due yet
    assert _dispatch(clock, WEDNESDAY_10AM) == 1
    assert _dispatch(clock, WEDNESDAY_10AM) == 0  # a second run at the same minute
    assert _dispatch(clock, WEDNESDAY_10AM + timedelta(hours=5)) == 0
    assert _reminders(client_contact) == [
        "Garcia & Associates: Reminder of Hearing on Fri, Dec 4 at 10:00 AM EST at Courtroom 4. "
        "Reply Y to confirm or N to decline. Questions? Call (202) 555-0188 or email "
        "desk@garcia.example."
    ]
    attendee = attendee_of(event, client_contact)
    assert attendee.reminder_sent_at == WEDNESDAY_10AM
    assert attendee.reminder_for_start == FRIDAY_10AM


def test_a_dispatcher_that_lost_the_race_sends_nothing(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    clock.move_to(WEDNESDAY_10AM)
    with scope(firm=calendar_firm.id):
        settings = texting_settings_get(firm=calendar_firm)
        # Two dispatchers read the same due row; the first claims it, the second finds it gone.
        seen_by_both = list(reminders_due(firm=calendar_firm, now=WEDNESDAY_10AM, days=2))
        assert len(seen_by_both) == 1
        first = _reminder_send(
            firm=calendar_firm, attendee=seen_by_both[0], settings=settings, now=WEDNESDAY_10AM
        )
        second = _reminder_send(
            firm=calendar_firm, attendee=seen_by_both[0], settings=settings, now=WEDNESDAY_10AM
        )
    assert (first, second) == (True, None)
    assert len(_reminders(client_contact)) == 1


@pytest.mark.parametrize("change", ["cancel", "move"])
def test_an_event_cancelled_or_moved_after_the_scan_gets_no_stale_reminder(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller, change: str
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], notify=False, starts_at=FRIDAY_10AM)
    with scope(firm=calendar_firm.id):
        # Never told (no invitation): cancelling sets nothing pending that would block it.
        EventAttendee.objects.filter(event=event).update(notify_via_text=True)
        clock.move_to(WEDNESDAY_10AM)
        settings = texting_settings_get(firm=calendar_firm)
        scanned = reminders_due(firm=calendar_firm, now=WEDNESDAY_10AM, days=2)
        assert len(scanned) == 1
        if change == "cancel":
            event_cancel(firm=calendar_firm, actor=None, event=event)
        else:
            later = FRIDAY_10AM + timedelta(days=7)
            event_update(firm=calendar_firm, actor=None, event=event, starts_at=later)
        sent = _reminder_send(
            firm=calendar_firm, attendee=scanned[0], settings=settings, now=WEDNESDAY_10AM
        )
    assert sent is None
    assert _reminders(client_contact) == []


def test_a_dispatch_out_of_time_leaves_the_rest_for_the_next_run(
    calendar_firm: Firm,
    client_contact: Contact,
    make_contact: Any,
    clock: time_machine.Traveller,
    settings: Any,
) -> None:
    event_for(calendar_firm, contacts=[client_contact, make_contact()], starts_at=FRIDAY_10AM)
    clock.move_to(WEDNESDAY_10AM)
    settings.CALENDAR_DISPATCH_SECONDS = 0
    report = automated_texts_dispatch()
    assert report.unfinished and report.sent == 0
    settings.CALENDAR_DISPATCH_SECONDS = 200
    report = automated_texts_dispatch()
    assert not report.unfinished and report.reminders == 2


def test_overlapping_dispatches_are_prevented_by_a_lock(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    clock.move_to(WEDNESDAY_10AM)
    assert cache.add(_DISPATCH_LOCK_KEY, "another dispatch", timeout=60)
    try:
        report = automated_texts_dispatch()
    finally:
        cache.delete(_DISPATCH_LOCK_KEY)
    assert report.locked and report.sent == 0
    assert automated_texts_dispatch().reminders == 1
    assert cache.get(_DISPATCH_LOCK_KEY) is None  # released after the run


def test_after_an_outage_due_reminders_are_caught_up_and_stale_ones_dropped(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    saturday_9am = datetime(2026, 12, 5, 9, 0, tzinfo=NY)
    sunday_noon = datetime(2026, 12, 6, 12, 0, tzinfo=NY)
    started = event_for(calendar_firm, contacts=[client_contact], starts_at=saturday_9am)
    ahead = event_for(calendar_firm, contacts=[client_contact], starts_at=sunday_noon)

    # The scheduler was down from Tuesday until Saturday 10:00: both reminders fell due
    # meanwhile (Thursday 9:00, Friday 12:00), but Saturday's event has begun.
    assert _dispatch(clock, datetime(2026, 12, 5, 10, 0, tzinfo=NY)) == 1
    assert _dispatch(clock, datetime(2026, 12, 5, 10, 1, tzinfo=NY)) == 0
    assert attendee_of(started, client_contact).reminder_sent_at is None
    assert attendee_of(ahead, client_contact).reminder_sent_at is not None
    assert len(_reminders(client_contact)) == 1
    assert "Sun, Dec 6 at 12:00 PM" in _reminders(client_contact)[0]


def test_moving_the_event_re_arms_its_reminder(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    assert _dispatch(clock, WEDNESDAY_10AM) == 1

    clock.move_to(WEDNESDAY_10AM + timedelta(hours=1))
    next_friday = FRIDAY_10AM + timedelta(days=7)
    with scope(firm=calendar_firm.id):
        event_update(
            firm=calendar_firm,
            actor=None,
            event=event,
            starts_at=next_friday,
            ends_at=next_friday + timedelta(hours=1),
        )
    assert _dispatch(clock, WEDNESDAY_10AM + timedelta(hours=2)) == 0  # the update told them
    assert _dispatch(clock, WEDNESDAY_10AM + timedelta(days=7)) == 1  # due again: 2 days before
    assert _dispatch(clock, WEDNESDAY_10AM + timedelta(days=7, minutes=1)) == 0

    texts = texts_to(client_contact)
    assert [t.split(": ", 1)[1].split(" ", 2)[:2] for t in texts] == [
        ["You", "are"],
        ["Reminder", "of"],
        ["Deposition", "prep"],  # "Deposition prep has changed. It is now on …"
        ["Reminder", "of"],
    ]
    assert "Fri, Dec 11 at 10:00 AM EST" in texts[3]


def test_an_invitation_inside_the_reminder_window_needs_no_reminder(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event_for(
        calendar_firm, contacts=[client_contact], starts_at=WEDNESDAY_10AM + timedelta(hours=6)
    )
    assert _dispatch(clock, TUESDAY_10AM + timedelta(minutes=1)) == 0
    assert _dispatch(clock, WEDNESDAY_10AM) == 0
    assert texts_to(client_contact)[0].startswith("Garcia & Associates: You are invited")
    assert len(texts_to(client_contact)) == 1


def test_the_firms_setting_decides_whether_and_when(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    with scope(firm=calendar_firm.id):
        TextingSettings.objects.update(event_reminder_days=None)
    assert _dispatch(clock, WEDNESDAY_10AM) == 0  # off
    with scope(firm=calendar_firm.id):
        TextingSettings.objects.update(event_reminder_days=1)
    assert _dispatch(clock, WEDNESDAY_10AM + timedelta(hours=1)) == 0  # 1 day before: Thursday
    assert _dispatch(clock, FRIDAY_10AM - timedelta(days=1)) == 1


def test_no_reminder_for_declined_attendees_or_cancelled_events(
    calendar_firm: Firm, client_contact: Contact, make_contact: Any, clock: time_machine.Traveller
) -> None:
    declining = make_contact()
    event = event_for(calendar_firm, contacts=[client_contact, declining], starts_at=FRIDAY_10AM)
    cancelled = event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    with scope(firm=calendar_firm.id):
        EventAttendee.objects.filter(event=event, contact=declining).update(response="declined")
        event_cancel(firm=calendar_firm, actor=None, event=cancelled)
    assert _dispatch(clock, WEDNESDAY_10AM) == 1
    assert len(_reminders(client_contact)) == 1 and _reminders(declining) == []


def test_a_reminder_that_cannot_be_created_is_recorded_once_and_not_retried(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    event = event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    with scope(firm=calendar_firm.id):
        PhoneNumber.objects.filter(contact=client_contact).update(is_texting_number=False)
    clock.move_to(WEDNESDAY_10AM)
    first = automated_texts_dispatch()
    assert (first.sent, first.problems) == (0, 1)
    second = automated_texts_dispatch()
    assert (second.sent, second.problems) == (0, 0)
    attendee = attendee_of(event, client_contact)
    assert "no texting number" in attendee.text_problem
    assert attendee.reminder_sent_at is None


# --- quiet hours -----------------------------------------------------------------------------


def test_a_reminder_due_at_22_their_time_waits_until_8_while_a_typed_text_goes_at_once(
    calendar_firm: Firm, member: User, clock: time_machine.Traveller
) -> None:
    # The firm is in New York; the client's 415 number is in California.
    californian = texting_contact(calendar_firm, "+14155550143", first_name="Cal")
    late_call = datetime(2026, 12, 4, 22, 0, tzinfo=LA)  # Friday 22:00 in California
    event_for(calendar_firm, contacts=[californian], starts_at=late_call, title="Call")
    # Created Tuesday 10:00 in New York, 7:00 in California: the invitation waits for 8:00.
    assert texts_to(californian) == []
    assert _dispatch(clock, datetime(2026, 12, 1, 8, 0, tzinfo=LA)) == 1

    due = datetime(2026, 12, 2, 22, 0, tzinfo=LA)  # Wednesday 22:00 there
    clock.move_to(due)
    report = automated_texts_dispatch()
    assert (report.sent, report.held) == (0, 1)
    with scope(firm=calendar_firm.id), transaction.atomic():
        typed = message_send(
            firm=calendar_firm, sender=member, contact=californian, body="Are you free now?"
        )
    assert typed.status == Message.Status.QUEUED  # a person's text is never held

    assert _dispatch(clock, datetime(2026, 12, 3, 7, 59, tzinfo=LA)) == 0
    assert _dispatch(clock, datetime(2026, 12, 3, 8, 0, tzinfo=LA)) == 1
    assert _dispatch(clock, datetime(2026, 12, 3, 8, 1, tzinfo=LA)) == 0
    assert len(_reminders(californian)) == 1


def test_an_event_created_at_night_is_texted_at_8_with_its_latest_details(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    clock.move_to(datetime(2026, 12, 1, 22, 30, tzinfo=NY))
    event = event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    assert texts_to(client_contact) == []
    attendee = attendee_of(event, client_contact)
    assert attendee.pending_notice == Notice.CREATED and attendee.notified_at is None

    clock.move_to(datetime(2026, 12, 1, 23, 0, tzinfo=NY))
    with scope(firm=calendar_firm.id):
        event_update(firm=calendar_firm, actor=None, event=event, location="Courtroom 2")
    assert texts_to(client_contact) == []

    assert _dispatch(clock, datetime(2026, 12, 2, 7, 59, tzinfo=NY)) == 0
    assert _dispatch(clock, datetime(2026, 12, 2, 8, 0, tzinfo=NY)) == 1
    assert _dispatch(clock, datetime(2026, 12, 2, 8, 1, tzinfo=NY)) == 0
    texts = texts_to(client_contact)
    assert len(texts) == 1  # one invitation with the new place, no separate update
    assert "You are invited" in texts[0] and "at Courtroom 2" in texts[0]
    # Inside the reminder window already: the invitation serves as the reminder.
    assert _dispatch(clock, WEDNESDAY_10AM) == 0


def test_an_invitation_held_overnight_and_then_cancelled_is_never_sent(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    clock.move_to(datetime(2026, 12, 1, 22, 30, tzinfo=NY))
    event = event_for(calendar_firm, contacts=[client_contact], starts_at=FRIDAY_10AM)
    with scope(firm=calendar_firm.id):
        event_cancel(firm=calendar_firm, actor=None, event=event)
    assert attendee_of(event, client_contact).pending_notice == Notice.NONE
    assert _dispatch(clock, datetime(2026, 12, 2, 8, 0, tzinfo=NY)) == 0
    assert texts_to(client_contact) == []


def test_a_text_held_until_its_event_began_is_dropped(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    clock.move_to(datetime(2026, 12, 1, 23, 0, tzinfo=NY))
    early = datetime(2026, 12, 2, 7, 30, tzinfo=NY)
    event = event_for(calendar_firm, contacts=[client_contact], starts_at=early)
    clock.move_to(datetime(2026, 12, 2, 8, 0, tzinfo=NY))
    report = automated_texts_dispatch()
    assert (report.sent, report.dropped) == (0, 1)
    assert texts_to(client_contact) == []
    assert attendee_of(event, client_contact).pending_notice == Notice.NONE


# --- time zones ------------------------------------------------------------------------------


def test_texts_show_local_time_on_both_sides_of_a_daylight_saving_change(
    calendar_firm: Firm, client_contact: Contact, clock: time_machine.Traveller
) -> None:
    # New York leaves daylight saving on Sunday 1 November 2026.
    clock.move_to(datetime(2026, 10, 29, 10, 0, tzinfo=NY))
    before = event_for(
        calendar_firm, contacts=[client_contact], starts_at=datetime(2026, 10, 31, 9, 0, tzinfo=NY)
    )
    after = event_for(
        calendar_firm, contacts=[client_contact], starts_at=datetime(2026, 11, 2, 9, 0, tzinfo=NY)
    )
    texts = texts_to(client_contact)
    assert "Sat, Oct 31 at 9:00 AM EDT" in texts[0]
    assert "Mon, Nov 2 at 9:00 AM EST" in texts[1]
    assert before.starts_at.astimezone(ZoneInfo("UTC")).hour == 13
    assert after.starts_at.astimezone(ZoneInfo("UTC")).hour == 14

    # Two days before on the wall clock: Saturday 9:00 EDT, though that is 49 hours before
    # Monday 9:00 EST. The text, sent on the daylight-saving side, says the event's time.
    assert _dispatch(clock, datetime(2026, 10, 31, 8, 59, tzinfo=NY)) == 0
    assert _dispatch(clock, datetime(2026, 10, 31, 9, 0, tzinfo=NY)) == 1
    assert (
        "Reminder of Deposition prep on Mon, Nov 2 at 9:00 AM EST" in texts_to(client_contact)[-1]
    )
    assert _dispatch(clock, datetime(2026, 10, 31, 10, 0, tzinfo=NY)) == 0


def test_texts_use_the_firms_zone_wherever_the_client_is(
    calendar_firm: Firm, clock: time_machine.Traveller
) -> None:
    calendar_firm.time_zone = "America/Chicago"
    calendar_firm.save()
    californian = texting_contact(calendar_firm, "+14155550143")
    clock.move_to(datetime(2026, 12, 1, 12, 0, tzinfo=LA))
    event_for(
        calendar_firm,
        contacts=[californian],
        starts_at=datetime(2026, 12, 8, 9, 0, tzinfo=ZoneInfo("America/Chicago")),
    )
    assert "Tue, Dec 8 at 9:00 AM CST" in texts_to(californian)[0]


# --- the scheduler ---------------------------------------------------------------------------


def test_the_dispatch_runs_every_minute_under_its_stable_name(settings: Any, db: None) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["calendar-automated-texts"]
    assert entry["task"] == automated_texts_dispatch_task.name
    assert entry["task"] == "calendar_events.automated_texts_dispatch"
    assert entry["schedule"] == 60
    automated_texts_dispatch_task()  # no firm has texting: nothing to do, no error


@pytest.fixture
def daytime_firm(texting_firm: Firm) -> Iterator[Firm]:
    """A texting firm in a zone where it is early afternoon now (the worker runs on the real
    clock), with reminders one day before."""
    offset = round((13 - timezone.now().hour) % 24)
    offset = offset - 24 if offset > 12 else offset
    texting_firm.time_zone = f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3
    texting_firm.save()
    with scope(firm=texting_firm.id):
        TextingSettings.objects.create(firm=texting_firm, event_reminder_days=1)
    yield texting_firm


@pytest.mark.worker
def test_a_real_worker_sends_a_due_reminder_once(
    worker_env: None, real_worker: object, daytime_firm: Firm
) -> None:
    """With REDIS_URL the beat task runs in a worker process (in process otherwise): the
    reminder is created once, however many times the task runs."""
    # A personal (5XX) number has no zone of its own: the firm's daytime zone applies.
    contact = texting_contact(daytime_firm, "+15005550143")
    start = timezone.now() + timedelta(hours=3)
    with scope(firm=daytime_firm.id):
        with transaction.atomic():
            event = event_create(
                firm=daytime_firm,
                actor=None,
                title="Call",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                attendees=[AttendeeSpec(contact=contact, notify_via_text=False)],
            )
        # Notify turned on without an invitation texted (a firm user could do this in the
        # API); the reminder is then due, as the event starts within a day.
        EventAttendee.objects.filter(event=event).update(notify_via_text=True)

    for _ in range(2):
        automated_texts_dispatch_task.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _reminders(contact):
        time.sleep(0.1)
    time.sleep(0.5)  # a second run would have sent by now
    assert len(_reminders(contact)) == 1
    with scope(firm=daytime_firm.id):
        assert CalendarEvent.objects.get(id=event.id).attendees.get().reminder_sent_at is not None
