"""Reads of the calendar: events in a period or of a matter, one event with its attendees,
and what the event form offers (E1).

Every selector takes `firm` first and returns firm-filtered querysets with their joins done,
so a page costs the same few queries however many events or attendees it shows. Deleted
events are never returned; cancelled ones are, unless asked otherwise (they stay on the
calendar, marked cancelled).
"""

from datetime import datetime
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Firm, User
from contacts.selectors import texting_number_subquery
from matters.models import Matter
from texting.quiet_hours import next_send_time

from .models import CalendarEvent, EventAttendee


def _live_events(firm: Firm) -> QuerySet[CalendarEvent]:
    return (
        CalendarEvent.objects.for_firm(firm)
        .filter(deleted_at__isnull=True)
        .select_related("matter")
    )


def event_list(
    *,
    firm: Firm,
    start: datetime | None = None,
    end: datetime | None = None,
    matter: Matter | None = None,
    include_cancelled: bool = True,
) -> QuerySet[CalendarEvent]:
    """The firm's live events overlapping [start, end) (either bound may be open), earliest
    start first, each with its matter joined.

    An event overlaps when it starts before `end` and ends after `start`; an event of no
    length counts when it starts at or after `start`.
    """
    events = _live_events(firm)
    if start is not None:
        events = events.filter(Q(ends_at__gt=start) | Q(starts_at__gte=start))
    if end is not None:
        events = events.filter(starts_at__lt=end)
    if matter is not None:
        events = events.filter(matter=matter)
    if not include_cancelled:
        events = events.filter(cancelled_at__isnull=True)
    return events.order_by("starts_at", "id")


def event_past_list(
    *, firm: Firm, now: datetime, matter: Matter | None = None
) -> QuerySet[CalendarEvent]:
    """The firm's live events that were over by `now` (what `event_list(start=now)` leaves
    out), most recent first, each with its matter joined."""
    events = _live_events(firm).filter(ends_at__lte=now).exclude(starts_at__gte=now)
    if matter is not None:
        events = events.filter(matter=matter)
    return events.order_by("-starts_at", "-id")


def event_attendee_list(*, firm: Firm) -> QuerySet[EventAttendee]:
    """The firm's attendees with their contact and user joined, and the contact's texting
    number as `texting_e164`: contacts first (by name), then firm users."""
    return (
        EventAttendee.objects.for_firm(firm)
        .select_related("contact", "user")
        .annotate(texting_e164=texting_number_subquery(firm=firm, contact="contact"))
        .order_by(
            F("user").asc(nulls_first=True),
            "contact__sort_name",
            "user__first_name",
            "user__last_name",
            "id",
        )
    )


def event_detail_list(*, firm: Firm) -> QuerySet[CalendarEvent]:
    """The firm's live events, each with its matter (and the matter's client) joined and its
    attendees prefetched: for `get_object_or_404(..., uuid=...)`."""
    return (
        _live_events(firm)
        .select_related("matter__client", "created_by")
        .prefetch_related(Prefetch("attendees", queryset=event_attendee_list(firm=firm)))
    )


def event_entry_list(
    *,
    firm: Firm,
    ends_from: datetime | None = None,
    starts_to: datetime | None = None,
    matter_uuid: UUID | None = None,
    contact_uuid: UUID | None = None,
    updated_since: datetime | None = None,
    include_cancelled: bool = True,
) -> QuerySet[CalendarEvent]:
    """The API's list (`event_detail_list`'s joins): entries ending at or after `ends_from`
    and starting at or before `starts_to` (both bounds inclusive), of the matter, attended
    by the contact, changed since `updated_since` (an attendee's text or answer changes the
    entry as the API shows it). A uuid of another firm matches nothing."""
    entries = event_detail_list(firm=firm)
    if ends_from is not None:
        entries = entries.filter(ends_at__gte=ends_from)
    if starts_to is not None:
        entries = entries.filter(starts_at__lte=starts_to)
    if matter_uuid is not None:
        entries = entries.filter(matter__uuid=matter_uuid)
    attendees = EventAttendee.objects.for_firm(firm).filter(event=OuterRef("pk"))
    if contact_uuid is not None:
        entries = entries.filter(Exists(attendees.filter(contact__uuid=contact_uuid)))
    if updated_since is not None:
        entries = entries.filter(
            Q(updated_at__gte=updated_since)
            | Exists(attendees.filter(updated_at__gte=updated_since))
        )
    if not include_cancelled:
        entries = entries.filter(cancelled_at__isnull=True)
    return entries


def held_texts_go_at(
    *, firm: Firm, attendees: list[EventAttendee], now: datetime
) -> dict[int, datetime]:
    """When each held text (a pending notice, E3) will go: the next 8:00 in the recipient's
    zone, or now when it may already go (the next dispatch, within a minute)."""
    return {
        attendee.id: next_send_time(
            attendee.texting_e164,  # type: ignore[attr-defined]
            now=now,
            fallback_zone=firm.time_zone,
        )
        for attendee in attendees
        if attendee.pending_notice and getattr(attendee, "texting_e164", None)
    }


def event_get(*, firm: Firm, uuid: UUID) -> CalendarEvent | None:
    """One live event of the firm with its attendees (contact or user joined), or None when
    the firm has no such event (another firm's uuid included)."""
    return event_detail_list(firm=firm).filter(uuid=uuid).first()


def event_user_choices(*, firm: Firm) -> QuerySet[User]:
    """The firm's active members, who can be invited as firm-user attendees, by name."""
    return User.objects.filter(membership__firm=firm, is_active=True).order_by(
        "first_name", "last_name", "email"
    )
