"""Calendar pages (E1–E4): week and list views in the firm's zone, a matter's Calendar subtab,
the event form (create, edit, Notify via text), the event page and its actions, and the
mandatory cross-firm checks. The clock is a Tuesday 10:00 in New York (the firm's zone and
the 202 numbers'), so invitations are texted at once unless a test moves it to the night.
"""

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Firm, User
from accounts.tests.factories import MembershipFactory
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.services import event_cancel
from calendar_events.tests.factories import attendee_of, event_for, texts_to
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.models import Matter
from matters.tests.factories import MatterFactory
from texting.tests.factories import texting_contact

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=NY)  # a Tuesday
FIRM_NUMBER = "+18445550100"
NO_TEXTING = "Notify via text is available once your firm has set up text messaging"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def can_text(firm: Firm) -> Firm:
    """`firm` with its toll-free number: Notify via text is on. Texts are created in the
    outbox; their sending runs on commit, which these tests never reach."""
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    return firm


@pytest.fixture
def ana(firm: Firm) -> Contact:
    return texting_contact(firm, "+12025550143", first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(ana: Contact) -> Matter:
    return MatterFactory(client=ana, display_number="00042-Reyes", description="Reyes v. Acme")


@pytest.fixture
def web(client_for: Callable[[User], Client], member: User) -> Client:
    return client_for(member)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NY)


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Hearing",
        "start_date": "2026-12-04",
        "start_time": "10:00",
        "end_date": "2026-12-04",
        "end_time": "11:00",
        "location": "Courtroom 3",
        "description": "",
        "matter": "",
    }
    data.update(fields)
    return data


def _html(response: Any) -> str:
    return str(response.content.decode())


def _day_column(html: str, day: str) -> str:
    """The week view's column of `day` (YYYY-MM-DD)."""
    start = html.index(f'data-day="{day}"')
    end = html.find("data-day=", start + 10)
    return html[start : end if end != -1 else len(html)]


def _events(firm: Firm) -> list[CalendarEvent]:
    with scope(firm=firm.id):
        return list(CalendarEvent.objects.all())


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Week view ---------------------------------------------------------------------------------


def test_week_view_places_events_on_their_day_in_the_firms_zone(
    web: Client, firm: Firm, matter: Matter
) -> None:
    # 23:30 Wednesday in New York is 04:30 Thursday in UTC.
    event_for(firm, title="Late call", starts_at=_at(2, 23, 30), hours=0.25)
    event_for(firm, title="Hearing", starts_at=_at(4, 10), matter=matter)
    event_for(firm, title="Deposition of Dec 8", starts_at=_at(8, 9))

    response = web.get(reverse("calendar_events:index"))

    assert response.status_code == 200
    html = _html(response)
    assert "Nov 30 – Dec 6, 2026" in html
    wednesday, thursday = _day_column(html, "2026-12-02"), _day_column(html, "2026-12-03")
    assert "Late call" in wednesday and "11:30 PM" in wednesday
    assert "Late call" not in thursday
    friday = _day_column(html, "2026-12-04")
    assert "Hearing" in friday and "10:00 AM" in friday and "00042-Reyes" in friday
    assert "Deposition of Dec 8" not in html
    assert 'class="cal-day is-today"' in html  # Tuesday


def test_week_view_puts_all_day_events_first_and_marks_cancelled_ones(
    web: Client, firm: Firm
) -> None:
    event_for(firm, title="Morning meeting", starts_at=_at(3, 8))
    event_for(firm, title="Filing deadline", starts_at=_at(3, 0), all_day=True)
    called_off = event_for(firm, title="Called off", starts_at=_at(3, 15))
    with scope(firm=firm.id):
        event_cancel(firm=firm, actor=None, event=called_off)

    column = _day_column(_html(web.get(reverse("calendar_events:index"))), "2026-12-03")

    assert column.index("Filing deadline") < column.index("Morning meeting")
    assert "All day" in column
    cancelled = column[column.index("Called off") - 400 :]
    assert "is-cancelled" in cancelled and "Cancelled" in cancelled


def test_week_view_navigates_by_week(web: Client, firm: Firm) -> None:
    event_for(firm, title="Mediation", starts_at=_at(9, 14))

    response = web.get(reverse("calendar_events:index"), {"week": "2026-12-10"})

    html = _html(response)
    assert "Dec 7 – Dec 13, 2026" in html
    assert "Mediation" in _day_column(html, "2026-12-09")
    assert "?week=2026-11-30" in html and "?week=2026-12-14" in html
    # A malformed or unreachable week shows the current one.
    for week in ("tomorrow", "0001-01-01", "9999-12-31"):
        assert "Nov 30 – Dec 6, 2026" in _html(web.get("/calendar/", {"week": week}))


def test_week_view_queries_do_not_grow_with_events(
    web: Client, firm: Firm, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    for day in range(1, 7):
        event_for(firm, title=f"Event {day}", starts_at=_at(day, 9), matter=matter)
        event_for(firm, title=f"Other {day}", starts_at=_at(day, 13))
    # The session's user and membership, the week's events, the navigation's badge (2).
    with django_assert_max_num_queries(5):
        response = web.get(reverse("calendar_events:index"))
    assert _html(response).count("cal-event__title") == 12


# --- List view ---------------------------------------------------------------------------------


def test_list_view_groups_upcoming_events_by_day_and_shows_past_on_request(
    web: Client, firm: Firm, matter: Matter
) -> None:
    event_for(firm, title="Yesterday's hearing", starts_at=datetime(2026, 11, 30, 9, tzinfo=NY))
    event_for(firm, title="Late call", starts_at=_at(2, 23, 30), hours=0.25)
    event_for(firm, title="Deposition", starts_at=_at(15, 9), matter=matter)

    html = _html(web.get(reverse("calendar_events:index"), {"view": "list"}))

    assert "Wednesday, December 2, 2026" in html and "Tuesday, December 15, 2026" in html
    assert html.index("Late call") < html.index("Deposition")
    assert "00042-Reyes" in html
    assert "Yesterday" not in html and "Show past" in html

    past = _html(web.get(reverse("calendar_events:index"), {"view": "list", "past": "1"}))
    assert "Yesterday&#x27;s hearing" in past and "Deposition" not in past


def test_list_view_is_paginated_with_constant_queries(
    web: Client, firm: Firm, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        event_for(firm, title=f"Meeting {n:02d}", starts_at=_at(2, 9) + timedelta(hours=n * 5))
    url = reverse("calendar_events:index")
    with django_assert_max_num_queries(6):
        first = _html(web.get(url, {"view": "list"}))
    assert "Meeting 00" in first and "Meeting 24" in first and "Meeting 25" not in first
    assert "Page 1 of 2 · 30 events" in first
    second = _html(web.get(url, {"view": "list", "page": "2"}))
    assert "Meeting 25" in second and "Meeting 29" in second


# --- New event ---------------------------------------------------------------------------------


def test_a_member_creates_an_event_and_the_notified_contact_gets_an_invitation(
    web: Client, can_text: Firm, ana: Contact, matter: Matter, member: User, admin: User
) -> None:
    quiet = ContactFactory(firm=can_text, first_name="Luis", last_name="Ortega")
    data = _form(
        matter=str(matter.uuid),
        users=[str(admin.uuid)],
        contacts=[str(ana.uuid), str(quiet.uuid)],
        notify=[str(ana.uuid)],
    )

    response = web.post(reverse("calendar_events:event-create"), data, follow=True)

    [event] = _events(can_text)
    assert response.redirect_chain == [
        (reverse("calendar_events:event-detail", args=[event.uuid]), 302)
    ]
    assert "The event was created. 1 invitation was texted." in _messages(response)
    assert (event.title, event.location, event.matter_id) == ("Hearing", "Courtroom 3", matter.id)
    assert event.starts_at == _at(4, 10) and event.ends_at == _at(4, 11)
    assert event.created_by_id == member.id
    with scope(firm=can_text.id):
        rows = {(a.user_id, a.contact_id, a.notify_via_text) for a in event.attendees.all()}
    assert rows == {(admin.id, None, False), (None, ana.id, True), (None, quiet.id, False)}
    [invitation] = texts_to(ana)
    assert "You are invited to Hearing on Fri, Dec 4 at 10:00 AM EST" in invitation
    assert "Reply Y to confirm or N to decline" in invitation
    assert texts_to(quiet) == []
    html = _html(response)
    assert "Fri, Dec 4, 2026, 10:00 AM – 11:00 AM EST" in html
    assert "Invitation texted" in html and "No response" in html


def test_an_event_without_notify_texts_nobody(web: Client, can_text: Firm, ana: Contact) -> None:
    response = web.post(reverse("calendar_events:event-create"), _form(contacts=[str(ana.uuid)]))

    assert response.status_code == 302
    [event] = _events(can_text)
    assert attendee_of(event, ana).notify_via_text is False
    assert texts_to(ana) == []


def test_an_invitation_at_night_waits_until_8_their_time(
    web: Client, can_text: Firm, ana: Contact, clock: time_machine.Traveller
) -> None:
    clock.move_to(_at(1, 22))
    data = _form(contacts=[str(ana.uuid)], notify=[str(ana.uuid)])

    response = web.post(reverse("calendar_events:event-create"), data, follow=True)

    assert "1 text was held until 8:00 the recipient's time." in _messages(response)[0]
    assert texts_to(ana) == []
    html = _html(response)
    assert "Invitation: waiting until 8:00 their time" in html
    assert "Held since Dec 1, 10:00 PM" in html
    assert "goes Wed, Dec 2, 8:00 AM your time" in html


def test_a_held_text_to_california_says_when_it_goes_in_the_firms_time(
    web: Client, can_text: Firm, clock: time_machine.Traveller
) -> None:
    californian = texting_contact(can_text, "+14155550143", first_name="Cal")
    clock.move_to(_at(1, 23))  # 23:00 in New York, 20:00 in California
    data = _form(contacts=[str(californian.uuid)], notify=[str(californian.uuid)])

    response = web.post(reverse("calendar_events:event-create"), data, follow=True)

    assert texts_to(californian) == []
    assert "goes Wed, Dec 2, 11:00 AM your time" in _html(response)  # 8:00 in California


def test_an_all_day_event_takes_dates_only(web: Client, firm: Firm) -> None:
    data = _form(all_day="on", start_time="", end_time="", end_date="2026-12-05")

    response = web.post(reverse("calendar_events:event-create"), data, follow=True)

    [event] = _events(firm)
    assert event.all_day
    assert (event.starts_at, event.ends_at) == (_at(4, 0), _at(6, 0))
    assert "Fri, Dec 4, 2026 – Sat, Dec 5, 2026 (all day)" in _html(response)


def test_the_new_event_form_is_prefilled_with_the_matter_and_the_day(
    web: Client, firm: Firm, matter: Matter
) -> None:
    url = reverse("calendar_events:event-create")
    html = _html(web.get(url, {"matter": str(matter.uuid), "date": "2026-12-09"}))

    assert f'<option value="{matter.uuid}" selected>' in html
    assert 'name="start_date" value="2026-12-09"' in html
    assert 'name="start_time" value="11:00"' in html  # the next full hour


def test_notify_via_text_is_disabled_with_the_reason_when_the_firm_cannot_text(
    web: Client, firm: Firm, ana: Contact
) -> None:
    html = _html(web.get(reverse("calendar_events:event-create")))
    assert NO_TEXTING in html

    row = _html(web.get(reverse("calendar_events:attendee-row"), {"contact": str(ana.uuid)}))
    checkbox = re.search(r'<input type="checkbox" name="notify"[^>]*>', row)
    assert checkbox is not None and "disabled" in checkbox.group(0)
    assert 'aria-describedby="no-texts-reason"' in checkbox.group(0)


def test_a_forged_notify_is_refused_with_the_reason_and_nothing_is_created(
    web: Client, firm: Firm, ana: Contact
) -> None:
    data = _form(contacts=[str(ana.uuid)], notify=[str(ana.uuid)])

    response = web.post(reverse("calendar_events:event-create"), data)

    assert response.status_code == 200
    assert NO_TEXTING in _html(response)
    assert "Notify via text" in str(response.context["form"].errors["contacts"])
    assert _events(firm) == []
    assert texts_to(ana) == []


def test_a_contact_without_a_texting_number_cannot_be_notified(web: Client, can_text: Firm) -> None:
    luis = ContactFactory(firm=can_text, first_name="Luis", last_name="Ortega")
    row = _html(web.get(reverse("calendar_events:attendee-row"), {"contact": str(luis.uuid)}))
    assert "No texting number" in row and "disabled" in row

    data = _form(contacts=[str(luis.uuid)], notify=[str(luis.uuid)])
    response = web.post(reverse("calendar_events:event-create"), data)

    assert "Luis Ortega cannot be notified via text: no texting number." in _html(response)
    assert _events(can_text) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "  "}, "title", "This field is required."),
        ({"end_date": "2026-12-03"}, "end_date", "The event must end after it starts."),
        ({"end_time": "09:00"}, "end_date", "The event must end after it starts."),
        ({"start_time": ""}, "start_time", "Enter the start time, or tick All day."),
        ({"start_date": "someday"}, "start_date", "Enter a valid date."),
        (
            {"all_day": "on", "end_date": "2026-12-01"},
            "end_date",
            "The event must end after it starts.",
        ),
    ],
)
def test_bad_input_shows_the_error_and_creates_nothing(
    web: Client, firm: Firm, fields: dict[str, str], field: str, message: str
) -> None:
    response = web.post(reverse("calendar_events:event-create"), _form(**fields))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in _html(response)
    assert "nothing was saved" in _html(response)
    assert _events(firm) == []


def test_the_posted_contacts_are_shown_again_when_the_form_is_refused(
    web: Client, can_text: Firm, ana: Contact
) -> None:
    data = _form(title="", contacts=[str(ana.uuid)], notify=[str(ana.uuid)])

    html = _html(web.post(reverse("calendar_events:event-create"), data))

    assert f'name="contacts" value="{ana.uuid}"' in html
    assert re.search(rf'name="notify" value="{ana.uuid}" checked', html)


# --- The contact picker ------------------------------------------------------------------------


def test_the_picker_finds_contacts_and_leaves_out_those_already_chosen(
    web: Client, firm: Firm, ana: Contact
) -> None:
    other = texting_contact(firm, "+12025550150", first_name="Ana", last_name="Garcia")
    url = reverse("calendar_events:contact-picker")

    html = _html(web.get(url, {"contact_q": "ana"}))
    assert "Ana Reyes" in html and "Ana Garcia" in html
    html = _html(web.get(url, {"contact_q": "ana", "contacts": [str(other.uuid)]}))
    assert "Ana Reyes" in html and "Ana Garcia" not in html
    assert "No other contact matches" in _html(web.get(url, {"contact_q": "zzz"}))


def test_an_added_row_clears_the_picker(web: Client, can_text: Firm, ana: Contact) -> None:
    html = _html(web.get(reverse("calendar_events:attendee-row"), {"contact": str(ana.uuid)}))

    assert f'name="contacts" value="{ana.uuid}"' in html
    checkbox = re.search(r'<input type="checkbox" name="notify"[^>]*>', html)
    assert checkbox is not None and "disabled" not in checkbox.group(0)
    assert 'id="contact-picker-results" hx-swap-oob="innerHTML"' in html


# --- Edit ----------------------------------------------------------------------------------------


def test_editing_the_time_texts_an_update_to_the_contact_told_before(
    web: Client, can_text: Firm, ana: Contact
) -> None:
    event = event_for(can_text, contacts=[ana], title="Hearing", starts_at=_at(4, 10))
    url = reverse("calendar_events:event-edit", args=[event.uuid])
    form = web.get(url).context["form"]
    assert form.initial["start_time"].strftime("%H:%M") == "10:00"

    data = _form(
        start_time="14:00", end_time="15:00", contacts=[str(ana.uuid)], notify=[str(ana.uuid)]
    )
    response = web.post(url, data, follow=True)

    assert "The event was saved. 1 update was texted." in _messages(response)
    event.refresh_from_db()
    assert (event.starts_at, event.location) == (_at(4, 14), "Courtroom 3")
    assert len(texts_to(ana)) == 2 and "2:00 PM" in texts_to(ana)[1]


def test_a_description_only_edit_texts_nothing(
    web: Client, can_text: Firm, ana: Contact, member: User
) -> None:
    # Seconds in the start: the form keeps minutes, yet saving must not move the event.
    start = _at(4, 10) + timedelta(seconds=17, microseconds=5)
    event = event_for(can_text, contacts=[ana], title="Hearing", starts_at=start, location="Room 1")
    url = reverse("calendar_events:event-edit", args=[event.uuid])
    data = {
        key: value
        for key, value in web.get(url).context["form"].initial.items()
        if key not in ("matter", "users", "start_time", "end_time")
    }
    data.update(start_time="10:00", end_time="11:00", description="Bring the exhibits.")

    response = web.post(url, data, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "calendar_events:event-detail", args=[event.uuid]
    )
    assert _messages(response) == ["The event was saved."]
    event.refresh_from_db()
    assert event.description == "Bring the exhibits." and event.starts_at == start
    assert len(texts_to(ana)) == 1  # the invitation only
    assert attendee_of(event, ana).notify_via_text


def test_an_edit_of_the_start_alone_keeps_the_end_entered(web: Client, firm: Firm) -> None:
    event = event_for(firm, title="Hearing", starts_at=_at(4, 10))
    url = reverse("calendar_events:event-edit", args=[event.uuid])

    web.post(url, _form(start_time="09:00", end_time="11:00"))

    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (_at(4, 9), _at(4, 11))


def test_an_edit_can_replace_the_attendees(
    web: Client, can_text: Firm, ana: Contact, admin: User
) -> None:
    event = event_for(can_text, contacts=[ana], notify=False, starts_at=_at(4, 10))
    url = reverse("calendar_events:event-edit", args=[event.uuid])

    web.post(url, _form(users=[str(admin.uuid)]))

    with scope(firm=can_text.id):
        assert [(a.user_id, a.contact_id) for a in event.attendees.all()] == [(admin.id, None)]


def test_bad_input_on_edit_changes_nothing(web: Client, firm: Firm) -> None:
    event = event_for(firm, title="Hearing", starts_at=_at(4, 10))
    url = reverse("calendar_events:event-edit", args=[event.uuid])

    response = web.post(url, _form(title="Moved", end_time="08:00"))

    assert response.status_code == 200 and "The event must end after it starts." in _html(response)
    event.refresh_from_db()
    assert (event.title, event.starts_at) == ("Hearing", _at(4, 10))


# --- The event page, cancel and delete -----------------------------------------------------------


def test_the_event_page_shows_each_attendees_texts_and_answer(
    web: Client, can_text: Firm, ana: Contact, matter: Matter, member: User
) -> None:
    bea = texting_contact(can_text, "+12025550151", first_name="Bea", last_name="Lopez")
    event = event_for(
        can_text, contacts=[ana, bea], title="Hearing", starts_at=_at(4, 10), matter=matter
    )
    with scopes_disabled():
        EventAttendee.objects.filter(event=event, contact=ana).update(
            response=EventAttendee.Response.CONFIRMED,
            responded_at=_at(1, 10, 5),
            reminder_sent_at=_at(1, 9, 30),
        )
        EventAttendee.objects.filter(event=event, contact=bea).update(
            response=EventAttendee.Response.DECLINED,
            responded_at=_at(1, 10, 7),
            text_problem="Bea Lopez opted out of texts.",
        )
        EventAttendee.objects.create(firm=can_text, event=event, user=member)

    html = _html(web.get(reverse("calendar_events:event-detail", args=[event.uuid])))

    assert "Fri, Dec 4, 2026, 10:00 AM – 11:00 AM EST" in html
    assert reverse("matters:detail", args=[matter.uuid]) in html
    assert reverse("contacts:detail", args=[ana.uuid]) in html
    assert "Confirmed" in html and "Dec 1, 10:05 AM" in html
    assert "Declined" in html and "Bea Lopez opted out of texts." in html
    assert "Sent Dec 1, 9:30 AM" in html
    assert "Invitation texted" in html
    assert "Firm user" in html
    assert reverse("calendar_events:event-edit", args=[event.uuid]) in html


def test_the_event_page_queries_do_not_grow_with_attendees(
    web: Client, can_text: Firm, django_assert_max_num_queries: Any
) -> None:
    contacts = [
        texting_contact(can_text, f"+120255501{60 + n}", first_name=f"Client{n}") for n in range(12)
    ]
    event = event_for(can_text, contacts=contacts, starts_at=_at(4, 10))
    with django_assert_max_num_queries(6):
        response = web.get(reverse("calendar_events:event-detail", args=[event.uuid]))
    assert _html(response).count("data-attendee=") == 12


def test_cancelling_texts_the_contacts_told_and_the_event_can_no_longer_be_edited(
    web: Client, can_text: Firm, ana: Contact
) -> None:
    event = event_for(can_text, contacts=[ana], title="Hearing", starts_at=_at(4, 10))

    response = web.post(reverse("calendar_events:event-cancel", args=[event.uuid]), follow=True)

    assert "The event was cancelled. 1 cancellation was texted." in _messages(response)
    event.refresh_from_db()
    assert event.cancelled_at is not None
    assert len(texts_to(ana)) == 2 and "cancel" in texts_to(ana)[1].lower()
    html = _html(response)
    assert "Cancelled" in html and "can no longer be changed" in html
    assert reverse("calendar_events:event-edit", args=[event.uuid]) not in html

    edit = reverse("calendar_events:event-edit", args=[event.uuid])
    refused = web.get(edit, follow=True)
    assert _messages(refused) == [
        "This event was cancelled and can no longer be changed. Create a new event instead."
    ]
    web.post(edit, _form(title="Revived"))
    event.refresh_from_db()
    assert event.title == "Hearing"
    again = web.post(reverse("calendar_events:event-cancel", args=[event.uuid]), follow=True)
    assert "This event was cancelled and can no longer be changed." in _html(again)
    assert len(texts_to(ana)) == 2


def test_a_cancelled_event_stays_on_the_calendar_marked(web: Client, firm: Firm) -> None:
    event = event_for(firm, title="Hearing", starts_at=_at(4, 10))
    web.post(reverse("calendar_events:event-cancel", args=[event.uuid]))

    html = _html(web.get(reverse("calendar_events:index"), {"view": "list"}))

    assert "Hearing" in html and "badge--cancelled" in html


def test_deleting_removes_the_event_from_every_page(
    web: Client, can_text: Firm, ana: Contact, matter: Matter
) -> None:
    event = event_for(
        can_text, contacts=[ana], title="Garnishment hearing", starts_at=_at(4, 10), matter=matter
    )

    response = web.post(reverse("calendar_events:event-delete", args=[event.uuid]), follow=True)

    assert response.redirect_chain == [
        (reverse("calendar_events:matter-calendar", args=[matter.uuid]), 302)
    ]
    assert "The event “Garnishment hearing” was deleted. 1 cancellation was texted." in _messages(
        response
    )
    assert "Garnishment hearing" not in _html(response).split("upcoming-events")[1]
    assert "Garnishment hearing" not in _html(web.get(reverse("calendar_events:index")))
    assert "Garnishment hearing" not in _html(web.get("/calendar/?view=list"))
    detail = reverse("calendar_events:event-detail", args=[event.uuid])
    assert web.get(detail).status_code == 404
    assert web.post(reverse("calendar_events:event-delete", args=[event.uuid])).status_code == 404


def test_cancel_and_delete_take_post_only(web: Client, firm: Firm) -> None:
    event = event_for(firm, starts_at=_at(4, 10))
    assert web.get(reverse("calendar_events:event-cancel", args=[event.uuid])).status_code == 405
    assert web.get(reverse("calendar_events:event-delete", args=[event.uuid])).status_code == 405
    event.refresh_from_db()
    assert event.cancelled_at is None and event.deleted_at is None


# --- A matter's Calendar subtab ------------------------------------------------------------------


def test_the_matter_subtab_lists_only_its_events_upcoming_first(
    web: Client, firm: Firm, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    other = MatterFactory(client=matter.client, display_number="00043-Other")
    event_for(
        firm, title="Past status conference", starts_at=_at(1, 8) - timedelta(days=7), matter=matter
    )
    event_for(firm, title="Trial", starts_at=_at(10, 9), matter=matter)
    event_for(firm, title="Other matter's hearing", starts_at=_at(4, 9), matter=other)
    event_for(firm, title="No matter", starts_at=_at(4, 12))

    url = reverse("calendar_events:matter-calendar", args=[matter.uuid])
    with django_assert_max_num_queries(7):
        response = web.get(url)

    html = _html(response)
    assert "Trial" in html and "Past status conference" in html
    assert "Other matter" not in html and "No matter" not in html
    upcoming, past = html.split('id="past-events"')
    assert "Trial" in upcoming and "Past status conference" in past
    assert f"{reverse('calendar_events:event-create')}?matter={matter.uuid}" in html
    assert 'aria-current="page">Calendar</a>' in html


def test_the_matter_pages_have_a_calendar_tab(web: Client, matter: Matter) -> None:
    html = _html(web.get(reverse("matters:detail", args=[matter.uuid])))
    assert reverse("calendar_events:matter-calendar", args=[matter.uuid]) in html


# --- Cross-firm ----------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_the_firms_event_and_matter_and_changes_nothing(
    client_for: Callable[[User], Client], outsider: User, firm: Firm, ana: Contact, matter: Matter
) -> None:
    event = event_for(firm, title="Hearing", starts_at=_at(4, 10), matter=matter)
    client = client_for(outsider)

    for name in ("event-detail", "event-edit"):
        assert client.get(reverse(f"calendar_events:{name}", args=[event.uuid])).status_code == 404
    for name in ("event-edit", "event-cancel", "event-delete"):
        url = reverse(f"calendar_events:{name}", args=[event.uuid])
        assert client.post(url, _form(title="Taken")).status_code == 404
    url = reverse("calendar_events:matter-calendar", args=[matter.uuid])
    assert client.get(url).status_code == 404
    row = client.get(reverse("calendar_events:attendee-row"), {"contact": str(ana.uuid)})
    assert row.status_code == 404

    event.refresh_from_db()
    assert (event.title, event.cancelled_at, event.deleted_at) == ("Hearing", None, None)


def test_an_outsiders_lists_show_none_of_the_firms_events_or_contacts(
    client_for: Callable[[User], Client], outsider: User, firm: Firm, ana: Contact
) -> None:
    event_for(firm, title="Secret hearing", starts_at=_at(2, 10))
    client = client_for(outsider)

    for params in ({}, {"view": "list"}, {"view": "list", "past": "1"}):
        assert "Secret hearing" not in _html(client.get(reverse("calendar_events:index"), params))
    picker = client.get(reverse("calendar_events:contact-picker"), {"contact_q": "Ana"})
    assert "Ana Reyes" not in _html(picker)


def test_a_post_naming_another_firms_contact_or_matter_is_refused_as_not_found(
    web: Client, firm: Firm, other_firm: Firm
) -> None:
    foreign_contact = texting_contact(other_firm, "+12025550160", first_name="Zed")
    foreign_matter = MatterFactory(client=foreign_contact)
    foreign_user = MembershipFactory(firm=other_firm).user
    url = reverse("calendar_events:event-create")

    for fields, field, message in (
        ({"contacts": [str(foreign_contact.uuid)]}, "contacts", "Contact not found"),
        ({"contacts": ["not-a-uuid"]}, "contacts", "Contact not found"),
        ({"matter": str(foreign_matter.uuid)}, "matter", "Matter not found"),
        ({"users": [str(foreign_user.uuid)]}, "users", "User not found"),
    ):
        response = web.post(url, _form(**fields))
        assert response.status_code == 200
        assert message in str(response.context["form"].errors[field])
        assert "Zed" not in _html(response)
    assert _events(firm) == [] and _events(other_firm) == []


def test_another_firms_matter_in_the_new_event_link_is_ignored(
    web: Client, other_firm: Firm
) -> None:
    foreign = MatterFactory(client__firm=other_firm, display_number="99999-Foreign")
    html = _html(web.get(reverse("calendar_events:event-create"), {"matter": str(foreign.uuid)}))
    assert "99999-Foreign" not in html and str(foreign.uuid) not in html


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, firm: Firm) -> None:
    event = event_for(firm, starts_at=_at(4, 10))
    for url in (
        reverse("calendar_events:index"),
        reverse("calendar_events:event-detail", args=[event.uuid]),
        reverse("calendar_events:event-create"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
