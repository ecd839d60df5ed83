"""Calendar entries API (E1–E4, A1): Clio-style entries whose writes text the contact
attendees with Notify via text, firm-scoped, in the {"data", "meta"} envelope."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Firm, User
from accounts.tests.factories import MembershipFactory
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.services import AttendeeSpec, event_cancel, event_create
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.tests.factories import MatterFactory
from texting.tests.factories import texting_contact

from .factories import attendee_of, event_for, texts_to

Scope = Callable[[], AbstractContextManager[None]]
LIST_URL = reverse("api:calendar-entry-list")
# Noon in Washington (the test numbers' area code 202): automated texts may go at once (E3).
DAYTIME = datetime(2026, 4, 1, 16, 0, tzinfo=UTC)


def detail_url(event: CalendarEvent) -> str:
    return reverse("api:calendar-entry-detail", args=[event.uuid])


def cancel_url(event: CalendarEvent) -> str:
    return reverse("api:calendar-entry-cancel", args=[event.uuid])


@pytest.fixture
def api(api_client_for: Callable[..., APIClient], member: User) -> APIClient:
    return api_client_for(member)


@pytest.fixture
def outsider_api(api_client_for: Callable[..., APIClient], outsider: User) -> APIClient:
    return api_client_for(outsider)


@pytest.fixture
def daytime() -> Iterator[None]:
    with time_machine.travel(DAYTIME, tick=True):
        yield


@pytest.fixture
def maria(texting_firm: Firm) -> Contact:
    """A client of the texting firm with a texting number in Washington, D.C."""
    return texting_contact(texting_firm, first_name="Maria", last_name="Garcia")


def _entry(summary: str = "Deposition prep", **fields: Any) -> dict[str, Any]:
    start = fields.pop("start_at", DAYTIME + timedelta(days=3))
    return {
        "summary": summary,
        "start_at": start.isoformat(),
        "end_at": fields.pop("end_at", start + timedelta(hours=1)).isoformat(),
        **fields,
    }


def _user(user: User) -> dict[str, str]:
    return {"type": "User", "id": str(user.uuid)}


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [entry["id"] for entry in response.json()["data"]]


# --- Create ---------------------------------------------------------------------------------


def test_post_creates_the_entry_and_texts_the_notified_contact_its_invitation(
    texting_firm: Firm, member: User, maria: Contact, api: APIClient, firm_scope: Scope, daytime
) -> None:
    matter = MatterFactory(client=maria, display_number="00042-Garcia")

    response = api.post(
        LIST_URL,
        _entry(
            location="Courtroom 4B",
            description="Bring the lease.",
            matter={"id": str(matter.uuid)},
            attendees=[
                {"type": "Contact", "id": str(maria.uuid), "notify_via_text": True},
                {"type": "User", "id": str(member.uuid)},
            ],
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    with firm_scope():
        event = CalendarEvent.objects.get()
    assert data["id"] == str(event.uuid)
    assert (data["summary"], data["location"], data["description"]) == (
        "Deposition prep",
        "Courtroom 4B",
        "Bring the lease.",
    )
    assert (data["status"], data["cancelled_at"], data["all_day"]) == ("scheduled", None, False)
    assert data["matter"] == {"id": str(matter.uuid), "display_number": "00042-Garcia"}
    assert datetime.fromisoformat(data["start_at"]) == DAYTIME + timedelta(days=3)
    [invitation] = texts_to(maria)
    assert "You are invited to Deposition prep" in invitation
    contact_row, user_row = data["attendees"]
    assert contact_row["type"] == "Contact" and contact_row["user"] is None
    assert contact_row["contact"] == {"id": str(maria.uuid), "name": "Maria Garcia"}
    assert contact_row["notify_via_text"] is True
    assert contact_row["notified_at"] is not None
    assert (contact_row["notified_kind"], contact_row["pending_text"]) == ("created", None)
    assert (contact_row["confirmation"], contact_row["confirmation_at"]) == ("no_response", None)
    assert contact_row["text_problem"] is None and contact_row["reminder_sent_at"] is None
    assert user_row["type"] == "User" and user_row["contact"] is None
    assert user_row["user"] == {"id": str(member.uuid), "name": member.get_full_name()}
    assert (user_row["notify_via_text"], user_row["notified_at"]) == (False, None)
    assert set(data) == {
        "id",
        "summary",
        "description",
        "location",
        "start_at",
        "end_at",
        "all_day",
        "status",
        "cancelled_at",
        "matter",
        "attendees",
        "created_at",
        "updated_at",
    }


def test_post_at_night_holds_the_invitation_as_a_pending_text(
    maria: Contact, api: APIClient
) -> None:
    night = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)  # 2:00 in Washington
    with time_machine.travel(night, tick=False):
        response = api.post(
            LIST_URL,
            _entry(
                start_at=night + timedelta(days=2),
                attendees=[{"type": "contact", "id": str(maria.uuid), "notify_via_text": True}],
            ),
            format="json",
        )

    assert response.status_code == 201, response.json()
    [attendee] = response.json()["data"]["attendees"]
    assert (attendee["pending_text"], attendee["notified_at"]) == ("created", None)
    assert texts_to(maria) == []


def test_post_an_all_day_entry_with_dates_at_midnight(firm: Firm, api: APIClient) -> None:
    zone = ZoneInfo(firm.time_zone)

    response = api.post(
        LIST_URL,
        {
            "summary": "Filing deadline",
            "start_at": "2026-04-10T00:00:00",
            "end_at": "2026-04-10T00:00:00",
            "all_day": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["all_day"] is True
    assert datetime.fromisoformat(data["start_at"]) == datetime(2026, 4, 10, tzinfo=zone)
    assert datetime.fromisoformat(data["end_at"]) == datetime(2026, 4, 11, tzinfo=zone)
    assert data["attendees"] == [] and data["matter"] is None


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_at": (DAYTIME + timedelta(days=2)).isoformat()}, "end_at"),
        ({"summary": "  "}, "summary"),
        ({"start_at": "next tuesday"}, "start_at"),
        (
            {"attendees": [{"type": "Judge", "id": "00000000-0000-0000-0000-000000000001"}]},
            "attendees[0].type",
        ),
        ({"matter": "not-a-uuid"}, "matter"),
    ],
)
def test_invalid_entries_are_400_with_the_field_and_create_nothing(
    firm: Firm, api: APIClient, unscoped: None, change: dict[str, Any], field: str
) -> None:
    response = api.post(LIST_URL, {**_entry(), **change}, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]
    assert CalendarEvent.objects.count() == 0


def test_notify_via_text_for_a_user_is_400(member: User, api: APIClient, unscoped: None) -> None:
    response = api.post(
        LIST_URL,
        _entry(attendees=[{"type": "User", "id": str(member.uuid), "notify_via_text": True}]),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "attendees[0].notify_via_text": ["Only contacts can be notified via text."]
    }
    assert CalendarEvent.objects.count() == 0


def test_notify_via_text_without_texting_set_up_says_why_and_creates_nothing(
    firm: Firm, api: APIClient, unscoped: None
) -> None:
    contact = texting_contact(firm)  # the firm has no toll-free number yet

    response = api.post(
        LIST_URL,
        _entry(attendees=[{"type": "Contact", "id": str(contact.uuid), "notify_via_text": True}]),
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "notify_via_text_unavailable"
    assert "once your firm has set up text messaging" in error["message"]
    assert CalendarEvent.objects.count() == 0
    assert EventAttendee.objects.count() == 0


def test_notify_via_text_for_a_contact_without_a_texting_number_is_400(
    texting_firm: Firm, api: APIClient, unscoped: None
) -> None:
    contact = ContactFactory(firm=texting_firm, first_name="Ana", last_name="Ruiz")

    response = api.post(
        LIST_URL,
        _entry(attendees=[{"type": "Contact", "id": str(contact.uuid), "notify_via_text": True}]),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Ana Ruiz cannot be notified via text: no texting number."
    )
    assert CalendarEvent.objects.count() == 0


def test_a_read_only_token_can_list_but_not_write(
    firm: Firm, member: User, api_client_for: Callable[..., APIClient], firm_scope: Scope
) -> None:
    event = event_for(firm, location="Room 1")
    read_only = api_client_for(member, ApiToken.Scope.READ)

    writes = [
        read_only.post(LIST_URL, _entry(), format="json"),
        read_only.patch(detail_url(event), {"location": "Room 2"}, format="json"),
        read_only.post(cancel_url(event)),
        read_only.delete(detail_url(event)),
    ]

    assert [w.status_code for w in writes] == [403, 403, 403, 403]
    assert writes[0].json()["error"]["type"] == "forbidden"
    assert "read-only" in writes[0].json()["error"]["message"]
    assert _ids(read_only.get(LIST_URL)) == [str(event.uuid)]
    with firm_scope():
        event.refresh_from_db()
        assert CalendarEvent.objects.count() == 1
    assert (event.location, event.cancelled_at, event.deleted_at) == ("Room 1", None, None)


# --- Read, change, cancel, delete -----------------------------------------------------------


def test_get_one_entry_shows_the_attendees_confirmation(
    firm: Firm, api: APIClient, firm_scope: Scope
) -> None:
    contact = ContactFactory(firm=firm)
    event = event_for(firm, contacts=[contact], notify=False)
    answered = timezone.now()
    with firm_scope():
        EventAttendee.objects.filter(event=event).update(
            response=EventAttendee.Response.CONFIRMED, responded_at=answered
        )

    response = api.get(detail_url(event))

    assert response.status_code == 200
    [attendee] = response.json()["data"]["attendees"]
    assert attendee["confirmation"] == "confirmed"
    assert datetime.fromisoformat(attendee["confirmation_at"]) == answered


def test_a_declined_answer_shows_as_declined(firm: Firm, api: APIClient, firm_scope: Scope) -> None:
    contact = ContactFactory(firm=firm)
    event = event_for(firm, contacts=[contact], notify=False)
    with firm_scope():
        EventAttendee.objects.filter(event=event).update(
            response=EventAttendee.Response.DECLINED, responded_at=timezone.now()
        )

    [attendee] = api.get(detail_url(event)).json()["data"]["attendees"]

    assert attendee["confirmation"] == "declined"


def test_patch_location_texts_an_update(
    texting_firm: Firm, maria: Contact, api: APIClient, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria], location="Room 1")

    response = api.patch(detail_url(event), {"location": "Courtroom 9"}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["location"] == "Courtroom 9"
    invitation, update = texts_to(maria)
    assert "You are invited" in invitation
    assert "has changed" in update and "Courtroom 9" in update
    [attendee] = data["attendees"]
    assert (attendee["notified_kind"], attendee["pending_text"]) == ("updated", None)


def test_patch_description_only_texts_nobody(
    texting_firm: Firm, maria: Contact, api: APIClient, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria])

    response = api.patch(detail_url(event), {"description": "Bring the lease."}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["description"] == "Bring the lease."
    assert len(texts_to(maria)) == 1  # the invitation only


def test_patch_attendees_replaces_the_set_and_keeps_who_stays(
    firm: Firm, member: User, api: APIClient, firm_scope: Scope
) -> None:
    stays, leaves = ContactFactory(firm=firm), ContactFactory(firm=firm)
    event = event_for(firm, contacts=[stays, leaves], notify=False)
    kept = attendee_of(event, stays)
    with firm_scope():
        EventAttendee.objects.filter(pk=kept.pk).update(
            response=EventAttendee.Response.CONFIRMED, responded_at=timezone.now()
        )

    response = api.patch(
        detail_url(event),
        {"attendees": [{"type": "Contact", "id": str(stays.uuid)}, _user(member)]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    rows = response.json()["data"]["attendees"]
    assert [(r["type"], (r["contact"] or r["user"])["id"]) for r in rows] == [
        ("Contact", str(stays.uuid)),
        ("User", str(member.uuid)),
    ]
    assert rows[0]["id"] == str(kept.uuid) and rows[0]["confirmation"] == "confirmed"


def test_patch_moves_the_entry_and_checks_the_times(firm: Firm, api: APIClient) -> None:
    event = event_for(firm, starts_at=DAYTIME)

    moved = api.patch(
        detail_url(event),
        {
            "start_at": (DAYTIME + timedelta(days=1)).isoformat(),
            "end_at": (DAYTIME + timedelta(days=1, hours=2)).isoformat(),
            "summary": "Hearing",
        },
        format="json",
    )
    # Only the end given: it is checked against the start the entry has.
    backwards = api.patch(detail_url(event), {"end_at": DAYTIME.isoformat()}, format="json")

    assert moved.status_code == 200, moved.json()
    assert moved.json()["data"]["summary"] == "Hearing"
    assert datetime.fromisoformat(moved.json()["data"]["start_at"]) == DAYTIME + timedelta(days=1)
    assert backwards.status_code == 400
    assert backwards.json()["error"]["fields"] == {"end_at": ["Ends before the start."]}


def test_patch_can_clear_the_matter(firm: Firm, api: APIClient) -> None:
    matter = MatterFactory(client__firm=firm)
    event = event_for(firm, matter=matter)

    response = api.patch(detail_url(event), {"matter": None}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["matter"] is None


def test_cancel_texts_the_cancellation_and_a_second_cancel_is_409(
    texting_firm: Firm, maria: Contact, api: APIClient, firm_scope: Scope, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria])

    first = api.post(cancel_url(event))
    second = api.post(cancel_url(event))
    change = api.patch(detail_url(event), {"location": "Elsewhere"}, format="json")

    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert data["status"] == "cancelled" and data["cancelled_at"] is not None
    assert data["attendees"][0]["notified_kind"] == "cancelled"
    invitation, cancellation = texts_to(maria)
    assert "You are invited" in invitation
    assert "has been cancelled" in cancellation
    assert (second.status_code, change.status_code) == (409, 409)
    assert second.json()["error"]["type"] == "event_cancelled"
    assert "was cancelled" in second.json()["error"]["message"]
    assert len(texts_to(maria)) == 2
    assert api.get(detail_url(event)).json()["data"]["status"] == "cancelled"


def test_delete_is_204_texts_the_cancellation_and_the_entry_is_gone(
    texting_firm: Firm, maria: Contact, api: APIClient, firm_scope: Scope, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria])
    other = event_for(texting_firm, title="Mediation")

    response = api.delete(detail_url(event))

    assert response.status_code == 204
    assert "has been cancelled" in texts_to(maria)[-1]
    assert _ids(api.get(LIST_URL)) == [str(other.uuid)]
    assert api.get(detail_url(event)).status_code == 404
    assert api.delete(detail_url(event)).status_code == 404
    with firm_scope():
        event.refresh_from_db()
    assert event.deleted_at is not None


def test_deleting_a_cancelled_entry_texts_nothing_more(
    texting_firm: Firm, maria: Contact, api: APIClient, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria])
    api.post(cancel_url(event))

    response = api.delete(detail_url(event))

    assert response.status_code == 204
    assert len(texts_to(maria)) == 2  # the invitation and the one cancellation
    assert _ids(api.get(LIST_URL)) == []


def test_an_unknown_id_is_404(api: APIClient) -> None:
    response = api.get("/api/v1/calendar_entries/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_is_by_start_and_cursor_paginated(firm: Firm, api: APIClient) -> None:
    made = [event_for(firm, starts_at=DAYTIME + timedelta(days=d)) for d in (4, 1, 3, 0, 2)]

    seen: list[str] = []
    url: str | None = f"{LIST_URL}?limit=2"
    pages = 0
    while url:
        body: dict[str, Any] = api.get(url).json()
        assert body["meta"]["records"] == len(body["data"]) <= 2
        seen += [e["id"] for e in body["data"]]
        url = body["meta"]["paging"]["next"]
        pages += 1

    assert pages == 3
    assert seen == [str(e.uuid) for e in sorted(made, key=lambda e: e.starts_at)]


def test_the_list_filters_by_range_matter_contact_and_cancellation(
    firm: Firm, api: APIClient, firm_scope: Scope
) -> None:
    contact = ContactFactory(firm=firm)
    matter = MatterFactory(client=contact)
    monday = event_for(firm, starts_at=DAYTIME, hours=2, matter=matter)
    tuesday = event_for(
        firm, starts_at=DAYTIME + timedelta(days=1), contacts=[contact], notify=False
    )
    friday = event_for(firm, starts_at=DAYTIME + timedelta(days=4))
    with firm_scope():
        event_cancel(firm=firm, actor=None, event=friday)

    def ids(**params: str) -> list[str]:
        return _ids(api.get(LIST_URL, params))

    # `from`: entries that end at or after; `to`: entries that start at or before (Clio).
    assert ids(**{"from": (DAYTIME + timedelta(hours=1)).isoformat()}) == [
        str(monday.uuid),
        str(tuesday.uuid),
        str(friday.uuid),
    ]
    assert ids(**{"from": (DAYTIME + timedelta(hours=3)).isoformat()}) == [
        str(tuesday.uuid),
        str(friday.uuid),
    ]
    assert ids(to=(DAYTIME + timedelta(days=1)).isoformat()) == [
        str(monday.uuid),
        str(tuesday.uuid),
    ]
    assert ids(matter_id=str(matter.uuid)) == [str(monday.uuid)]
    assert ids(contact_id=str(contact.uuid)) == [str(tuesday.uuid)]
    assert ids(include_cancelled="false") == [str(monday.uuid), str(tuesday.uuid)]
    assert ids() == [str(monday.uuid), str(tuesday.uuid), str(friday.uuid)]
    assert ids(matter_id="00000000-0000-0000-0000-000000000000") == []


def test_updated_since_counts_changes_of_the_attendees(
    firm: Firm, api: APIClient, firm_scope: Scope
) -> None:
    contact = ContactFactory(firm=firm)
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        old = event_for(firm, title="Old")
        answered = event_for(firm, title="Answered", contacts=[contact], notify=False)
    recent = event_for(firm, title="Recent")
    since = timezone.now() - timedelta(hours=1)
    with firm_scope():
        EventAttendee.objects.filter(event=answered).update(
            response=EventAttendee.Response.CONFIRMED,
            responded_at=timezone.now(),
            updated_at=timezone.now(),
        )

    listed = set(_ids(api.get(LIST_URL, {"updated_since": since.isoformat()})))

    assert listed == {str(answered.uuid), str(recent.uuid)}
    assert str(old.uuid) not in listed


def test_a_bad_filter_is_400(api: APIClient) -> None:
    response = api.get(LIST_URL, {"from": "yesterday-ish", "contact_id": "nope"})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"from", "contact_id"}


def test_list_query_count_does_not_grow_with_rows(
    firm: Firm,
    member: User,
    api: APIClient,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
    firm_scope: Scope,
) -> None:
    def make(n: int) -> None:
        for _ in range(n):
            contacts = [ContactFactory(firm=firm) for _ in range(2)]
            matter = MatterFactory(client=contacts[0])
            with firm_scope():
                event_create(
                    firm=firm,
                    actor=member,
                    title="Status conference",
                    starts_at=DAYTIME,
                    ends_at=DAYTIME + timedelta(hours=1),
                    matter=matter,
                    attendees=[
                        *(AttendeeSpec(contact=c) for c in contacts),
                        AttendeeSpec(user=member),
                    ],
                )

    make(20)
    # A fixed handful (token and membership, the entries with their matters, the attendees
    # with their contacts and users), however many rows the page shows.
    with django_assert_max_num_queries(5):
        response = api.get(LIST_URL)

    assert len(response.json()["data"]) == 20
    assert all(len(entry["attendees"]) == 3 for entry in response.json()["data"])


# --- Cross-firm -----------------------------------------------------------------------------


def test_outsider_token_gets_404_for_the_firms_entry_and_changes_nothing(
    texting_firm: Firm, maria: Contact, outsider_api: APIClient, firm_scope: Scope, daytime
) -> None:
    event = event_for(texting_firm, contacts=[maria], location="Private")

    responses = [
        outsider_api.get(detail_url(event)),
        outsider_api.patch(detail_url(event), {"location": "Mine"}, format="json"),
        outsider_api.post(cancel_url(event)),
        outsider_api.delete(detail_url(event)),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["error"]["type"] == "not_found" for r in responses)
    assert all("Private" not in r.content.decode() for r in responses)
    with firm_scope():
        event.refresh_from_db()
    assert (event.location, event.cancelled_at, event.deleted_at) == ("Private", None, None)
    assert len(texts_to(maria)) == 1  # the invitation; no update, no cancellation


def test_the_list_shows_the_outsider_none_of_the_firms_entries(
    firm: Firm, other_firm: Firm, outsider_api: APIClient
) -> None:
    contact = ContactFactory(firm=firm)
    mine = event_for(firm, contacts=[contact], notify=False)
    theirs = event_for(other_firm)

    assert _ids(outsider_api.get(LIST_URL)) == [str(theirs.uuid)]
    assert _ids(outsider_api.get(LIST_URL, {"contact_id": str(contact.uuid)})) == []
    assert str(mine.uuid) not in outsider_api.get(LIST_URL).content.decode()


@pytest.mark.parametrize("reference", ["contact", "matter", "user"])
def test_a_post_naming_another_firms_contact_matter_or_user_is_not_found(
    firm: Firm, member: User, outsider_api: APIClient, unscoped: None, reference: str
) -> None:
    contact = ContactFactory(firm=firm)
    matter = MatterFactory(client=contact)
    payload, field, named = {
        "contact": (
            {"attendees": [{"type": "Contact", "id": str(contact.uuid)}]},
            "attendees[0].id",
            f"No contact with id {contact.uuid} was found.",
        ),
        "matter": ({"matter": {"id": str(matter.uuid)}}, "matter", None),
        "user": (
            {"attendees": [{"type": "User", "id": str(member.uuid)}]},
            "attendees[0].id",
            f"No user with id {member.uuid} was found.",
        ),
    }[reference]

    response = outsider_api.post(LIST_URL, _entry(**payload), format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == [field]
    assert fields[field] == [named or f"No matter with id {matter.uuid} was found."]
    assert CalendarEvent.objects.count() == 0
    assert EventAttendee.objects.count() == 0


def test_a_patch_naming_another_firms_contact_changes_nothing(
    firm: Firm, other_firm: Firm, outsider: User, outsider_api: APIClient, unscoped: None
) -> None:
    theirs = event_for(other_firm, location="Room 1")
    foreign = ContactFactory(firm=firm)
    colleague = MembershipFactory(firm=firm).user

    response = outsider_api.patch(
        detail_url(theirs),
        {
            "location": "Room 2",
            "attendees": [{"type": "Contact", "id": str(foreign.uuid)}, _user(colleague)],
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"attendees[0].id", "attendees[1].id"}
    theirs.refresh_from_db()
    assert theirs.location == "Room 1"
    assert not EventAttendee.objects.filter(event=theirs).exists()
