"""Creating, changing, cancelling and deleting events (E1), and what each change has to
text the contact attendees with Notify via text (E2).

A change sets the attendee's pending notice, then `event_notices_send` creates at once the
texts that may go now (texts.py); the others wait for the dispatcher (quiet hours, E3).
What is pending collapses: an invitation not yet sent carries the latest time and place,
so a change before it goes sends one text, and a cancellation before it sends none.

    change                           attendee never told     attendee told before
    created / newly notified         invitation              —
    time, date or place changed      invitation              update
    cancelled or deleted             nothing (pending dropped) cancellation
    title, end or description only   nothing                 nothing
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Firm, Membership, User
from accounts.selectors import texting_availability
from common.unset import UNSET, Unset
from contacts.exceptions import ContactNotFound
from contacts.models import Contact, PhoneNumber
from matters.models import Matter

from ..exceptions import EventCancelled, EventInvalid, NotifyViaTextUnavailable
from ..models import CalendarEvent, EventAttendee
from .texts import event_notices_send

Notice = EventAttendee.Notice


@dataclass(frozen=True)
class AttendeeSpec:
    """One attendee as given by a form or the API: a firm user, or a contact who may be
    notified via text."""

    user: User | None = None
    contact: Contact | None = None
    notify_via_text: bool = False

    @property
    def key(self) -> tuple[str, int]:
        if self.contact is not None:
            return ("contact", self.contact.pk)
        assert self.user is not None
        return ("user", self.user.pk)


def _attendee_key(attendee: EventAttendee) -> tuple[str, int]:
    if attendee.contact_id is not None:
        return ("contact", attendee.contact_id)
    return ("user", attendee.user_id)  # type: ignore[return-value]


def why_no_texts(*, firm: Firm) -> str:
    """The sentence that says why Notify via text is off for the firm, or "" when it can text."""
    availability = texting_availability(firm=firm)
    if not availability.available:
        return availability.reason
    if not firm.toll_free_number_e164:
        return (
            "Notify via text is available once your firm has set up text messaging "
            "(Settings → Text Messaging)."
        )
    return ""


# --- checks: each raises before anything is written ------------------------------------------


def all_day_bounds(
    starts_at: datetime, ends_at: datetime, *, time_zone: str
) -> tuple[datetime, datetime]:
    """An all-day event's stored bounds: 00:00 of its first day to 00:00 after its last, in
    the firm's zone. `ends_at` may be the last day (any time) or, at 00:00, the day after."""
    zone = ZoneInfo(time_zone)
    first = starts_at.astimezone(zone).date()
    end_local = ends_at.astimezone(zone)
    last = end_local.date()
    if end_local.time() == time(0) and last > first:
        last -= timedelta(days=1)  # given as the exclusive end
    last = max(last, first)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise EventInvalid("Give the event a title.", fields={"title": ["This field is required."]})
    if len(title) > 200:
        raise EventInvalid(
            "The title can be at most 200 characters.", fields={"title": ["Too long."]}
        )
    return title


def _clean_times(
    firm: Firm, starts_at: datetime, ends_at: datetime, all_day: bool
) -> tuple[datetime, datetime]:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise EventInvalid("Event times need a time zone.")
    if all_day:
        return all_day_bounds(starts_at, ends_at, time_zone=firm.time_zone)
    if ends_at < starts_at:
        raise EventInvalid(
            "The event must end after it starts.", fields={"end_at": ["Ends before the start."]}
        )
    if ends_at - starts_at > timedelta(days=366):
        raise EventInvalid(
            "An event can last at most a year.", fields={"end_at": ["More than a year long."]}
        )
    return starts_at, ends_at


def _check_matter(firm: Firm, matter: Matter | None) -> None:
    if matter is not None and matter.firm_id != firm.id:
        raise EventInvalid("No such matter.", fields={"matter": ["Not found."]})


def _check_attendees(firm: Firm, specs: Sequence[AttendeeSpec]) -> list[AttendeeSpec]:
    """The specs, each person once (the last spec wins), all of the firm; Notify via text
    only for contacts with a texting number, while the firm can text."""
    unique: dict[tuple[str, int], AttendeeSpec] = {}
    for spec in specs:
        if (spec.user is None) == (spec.contact is None):
            raise EventInvalid("An attendee is a firm user or a contact.")
        if spec.contact is not None and spec.contact.firm_id != firm.id:
            raise ContactNotFound("No such contact.")
        if spec.notify_via_text and spec.contact is None:
            raise EventInvalid("Only contacts can be notified via text.")
        unique[spec.key] = spec
    users = [s.user.pk for s in unique.values() if s.user is not None]
    members = set(
        Membership.objects.for_firm(firm)
        .filter(user_id__in=users, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    if set(users) - members:
        raise EventInvalid("No such firm user.", fields={"attendees": ["User not found."]})
    texted = [s.contact for s in unique.values() if s.notify_via_text and s.contact is not None]
    if texted:
        reason = why_no_texts(firm=firm)
        if reason:
            raise NotifyViaTextUnavailable(reason, fields={"attendees": [reason]})
        with_numbers = set(
            PhoneNumber.objects.for_firm(firm)
            .filter(contact__in=texted, is_texting_number=True)
            .values_list("contact_id", flat=True)
        )
        missing = [c.name for c in texted if c.pk not in with_numbers]
        if missing:
            names = ", ".join(missing)
            message = f"{names} cannot be notified via text: no texting number."
            raise NotifyViaTextUnavailable(message, fields={"attendees": [message]})
    return list(unique.values())


# --- pending notices --------------------------------------------------------------------------


def _set_pending(attendee: EventAttendee, notice: str, now: datetime) -> None:
    if attendee.pending_notice != notice:
        attendee.pending_notice = notice
        attendee.pending_since = now if notice else None


def _told(attendee: EventAttendee) -> bool:
    return attendee.notified_at is not None or attendee.pending_notice == Notice.UPDATED


def _after_change(attendee: EventAttendee, *, moved: bool, now: datetime) -> None:
    """What a saved event means for one texted attendee (the table in the docstring)."""
    if not attendee.notify_via_text:
        _set_pending(attendee, Notice.NONE, now)
    elif attendee.pending_notice in (Notice.CREATED, Notice.UPDATED):
        pass  # the pending text is written when it goes: it carries the latest details
    elif attendee.notified_at is None:
        _set_pending(attendee, Notice.CREATED, now)
    elif moved:
        _set_pending(attendee, Notice.UPDATED, now)


def _after_cancel(attendee: EventAttendee, now: datetime) -> None:
    if attendee.notify_via_text and _told(attendee):
        _set_pending(attendee, Notice.CANCELLED, now)
    else:
        _set_pending(attendee, Notice.NONE, now)


_ATTENDEE_STATE = ["notify_via_text", "pending_notice", "pending_since", "updated_at"]


def _attendees_save(
    *,
    firm: Firm,
    event: CalendarEvent,
    specs: Sequence[AttendeeSpec] | None,
    moved: bool,
    now: datetime,
) -> None:
    """Replace the attendee set by `specs` (None: keep it), keeping the rows of people who
    stay (their texts and answers), and set each one's pending notice."""
    existing = {
        _attendee_key(a): a for a in EventAttendee.objects.for_firm(firm).filter(event=event)
    }
    wanted = {spec.key: spec for spec in specs} if specs is not None else None
    if wanted is not None:
        gone = [a.id for key, a in existing.items() if key not in wanted]
        EventAttendee.objects.for_firm(firm).filter(id__in=gone).delete()
        for key, spec in wanted.items():
            if key not in existing:
                existing[key] = EventAttendee(
                    firm=firm, event=event, user=spec.user, contact=spec.contact
                )
            existing[key].notify_via_text = spec.notify_via_text
        existing = {key: a for key, a in existing.items() if key in wanted}
    for attendee in existing.values():
        if attendee.is_contact:
            _after_change(attendee, moved=moved, now=now)
        if attendee.pk is None:
            attendee.save()
        else:
            attendee.updated_at = now
            attendee.save(update_fields=_ATTENDEE_STATE)


# --- the services -----------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    firm: Firm,
    actor: User | None,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    all_day: bool = False,
    location: str = "",
    description: str = "",
    matter: Matter | None = None,
    attendees: Sequence[AttendeeSpec] = (),
) -> CalendarEvent:
    """Put an event on the firm's calendar and invite its attendees; each contact with
    Notify via text gets the invitation now, or at 8:00 their time (E3). Transactional.

    Raises, writing nothing: EventInvalid, ContactNotFound, NotifyViaTextUnavailable.
    """
    title = _clean_title(title)
    starts_at, ends_at = _clean_times(firm, starts_at, ends_at, all_day)
    _check_matter(firm, matter)
    specs = _check_attendees(firm, attendees)
    now = timezone.now()
    event = CalendarEvent.objects.create(
        firm=firm,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        location=location.strip()[:300],
        description=description.strip()[:5000],
        matter=matter,
        created_by=actor,
    )
    _attendees_save(firm=firm, event=event, specs=specs, moved=False, now=now)
    event_notices_send(firm=firm, event=event, now=now)  # drops them if it has begun
    return event


@transaction.atomic
def event_update(
    *,
    firm: Firm,
    actor: User | None,
    event: CalendarEvent,
    title: str | Unset = UNSET,
    starts_at: datetime | Unset = UNSET,
    ends_at: datetime | Unset = UNSET,
    all_day: bool | Unset = UNSET,
    location: str | Unset = UNSET,
    description: str | Unset = UNSET,
    matter: Matter | Unset | None = UNSET,
    attendees: Sequence[AttendeeSpec] | Unset = UNSET,
) -> CalendarEvent:
    """Change the given fields (and, when given, replace the attendees); a new start without
    a new end keeps the event's length. A new time, date or place texts an update to the
    contacts told before; a new texted contact gets the invitation; a change of title, end
    or description alone texts nobody. The row is locked while it changes. Raises
    EventCancelled, or what event_create raises; writes nothing then.
    """
    if event.firm_id != firm.id:
        raise CalendarEvent.DoesNotExist
    locked = (
        CalendarEvent.objects.for_firm(firm)
        .select_for_update()
        .get(pk=event.pk, deleted_at__isnull=True)
    )
    if locked.is_cancelled:
        raise EventCancelled()
    before = (locked.starts_at, locked.all_day, locked.location)
    if not isinstance(title, Unset):
        locked.title = _clean_title(title)
    if not isinstance(location, Unset):
        locked.location = location.strip()[:300]
    if not isinstance(description, Unset):
        locked.description = description.strip()[:5000]
    if not isinstance(matter, Unset):
        _check_matter(firm, matter)
        locked.matter = matter
    if not isinstance(all_day, Unset):
        locked.all_day = all_day
    new_start = locked.starts_at if isinstance(starts_at, Unset) else starts_at
    if isinstance(ends_at, Unset):  # a new start alone moves the event, keeping its length
        new_end = new_start + (locked.ends_at - locked.starts_at)
    else:
        new_end = ends_at
    locked.starts_at, locked.ends_at = _clean_times(firm, new_start, new_end, locked.all_day)
    specs = None if isinstance(attendees, Unset) else _check_attendees(firm, attendees)
    moved = before != (locked.starts_at, locked.all_day, locked.location)
    now = timezone.now()
    locked.updated_at = now
    locked.save()
    _attendees_save(firm=firm, event=locked, specs=specs, moved=moved, now=now)
    event_notices_send(firm=firm, event=locked, now=now)
    return locked


def _cancel(firm: Firm, event: CalendarEvent, now: datetime) -> None:
    event.cancelled_at = now
    attendees = list(
        EventAttendee.objects.for_firm(firm).filter(event=event, contact__isnull=False)
    )
    for attendee in attendees:
        _after_cancel(attendee, now)
        attendee.updated_at = now
    EventAttendee.objects.bulk_update(attendees, ["pending_notice", "pending_since", "updated_at"])


@transaction.atomic
def event_cancel(*, firm: Firm, actor: User | None, event: CalendarEvent) -> CalendarEvent:
    """Cancel the event: it stays on the calendar, marked cancelled, and every contact who
    was told of it gets the cancellation (a pending invitation is simply not sent).
    Raises EventCancelled when it was cancelled already."""
    if event.firm_id != firm.id:
        raise CalendarEvent.DoesNotExist
    locked = (
        CalendarEvent.objects.for_firm(firm)
        .select_for_update()
        .get(pk=event.pk, deleted_at__isnull=True)
    )
    if locked.is_cancelled:
        raise EventCancelled()
    now = timezone.now()
    _cancel(firm, locked, now)
    locked.updated_at = now
    locked.save(update_fields=["cancelled_at", "updated_at"])
    event_notices_send(firm=firm, event=locked, now=now)
    return locked


@transaction.atomic
def event_delete(*, firm: Firm, actor: User | None, event: CalendarEvent) -> None:
    """Remove the event from every calendar. A scheduled event is cancelled first, with its
    texts; a cancelled one texts nothing more. Idempotent."""
    if event.firm_id != firm.id:
        raise CalendarEvent.DoesNotExist
    locked = CalendarEvent.objects.for_firm(firm).select_for_update().filter(pk=event.pk).first()
    if locked is None or locked.deleted_at is not None:
        return
    now = timezone.now()
    if not locked.is_cancelled:
        _cancel(firm, locked, now)
    locked.deleted_at = now
    locked.updated_at = now
    locked.save(update_fields=["cancelled_at", "deleted_at", "updated_at"])
    event_notices_send(firm=firm, event=locked, now=now)
