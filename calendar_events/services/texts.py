"""The calendar's automated texts: notices (invitation, update, cancellation) and reminders
(E2, E3), sent through texting's pipeline so each appears in the contact's conversation
with its status.

Exactly once. Each text is created in one transaction with a conditional update that
claims it on the attendee row: a notice by clearing `pending_notice` (guarded by the
`notices_sent` counter), a reminder by setting `reminder_for_start` to the event's start.
Two dispatchers racing, a scheduler run repeated, or a crash between the two leave one
text or none, never two; the message's idempotency key (derived from the same counter or
start time) is a second guard inside texting.

Quiet hours (E3). A notice or reminder that falls outside 8:00–20:00 recipient time waits:
a notice stays pending, a reminder stays due, and the dispatcher of the minute after
8:00 sends it. A held text whose event has begun is dropped instead (it would be stale).

Reminders are not stored ahead: a contact attendee is due when the event starts within
the firm's N days, its reminder was not sent for this start time, nothing is pending for
it, it has not declined, and no invitation or update reached it inside those N days or in
the RECENTLY hours before (that text already told it; two texts an hour apart read as a
mistake). So a downtime is caught up on the next run, a changed setting
applies at once, and moving the event re-arms the reminder.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from common.exceptions import ApplicationError
from contacts.selectors import texting_number_subquery
from texting.models import Message, TextingSettings
from texting.notification_texts import EventDetails, NotificationKind, notification_text
from texting.quiet_hours import may_send_now
from texting.selectors import texting_settings_get
from texting.services.sending import message_send

from ..models import CalendarEvent, EventAttendee

logger = logging.getLogger(__name__)

Notice = EventAttendee.Notice

_DISPATCH_LOCK_KEY = "calendar:texts-dispatch:lock"
# Longer than a dispatch takes; a dispatcher that died holding it blocks the next this long.
_DISPATCH_LOCK_SECONDS = 300
# An invitation or update this shortly before a reminder falls due makes the reminder moot.
RECENTLY = timedelta(hours=12)
# The most a daylight-saving change moves a wall-clock time.
_DST_SLACK = timedelta(hours=1)
# Idempotency keys of automated texts: uuid5 in this namespace of the attendee and the text.
_KEY_NAMESPACE = uuid.UUID("4b6f2a56-0c1d-4e0b-9a55-6d2f8d1e7c31")


@dataclass
class DispatchReport:
    """What one dispatch did (for the task's log, tests and the benchmark)."""

    sent: int = 0  # texts created (notices and reminders)
    reminders: int = 0  # of which reminders
    held: int = 0  # outside 8:00–20:00 recipient time: left for a later run
    dropped: int = 0  # held until the event began: not sent
    problems: int = 0  # could not be created (recorded on the attendee)
    locked: bool = False  # another dispatch was running: this one did nothing
    unfinished: bool = False  # out of time: the rest stays due for the next run

    def add(self, other: DispatchReport) -> None:
        for name in ("sent", "reminders", "held", "dropped", "problems"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unfinished = self.unfinished or other.unfinished


# --- the text of one attendee -----------------------------------------------------------------


def event_details(event: CalendarEvent) -> EventDetails:
    return EventDetails(
        title=event.title, starts_at=event.starts_at, location=event.location, all_day=event.all_day
    )


def event_text(
    kind: NotificationKind, *, firm: Firm, event: CalendarEvent, settings: TextingSettings
) -> str:
    """The fixed template of `kind` (S4) filled with the firm's data and the event."""
    return notification_text(
        kind,
        firm_name=firm.name,
        time_zone=firm.time_zone,
        event=event_details(event),
        alternative_phone_e164=settings.alternative_phone_e164,
        alternative_email=settings.alternative_email,
    )


def has_begun(event: CalendarEvent, now: datetime) -> bool:
    """Whether texts about `event` are stale: a timed event has started; an all-day event
    has ended (its day is still worth a text)."""
    return now >= (event.ends_at if event.all_day else event.starts_at)


def _key(attendee: EventAttendee, what: str) -> uuid.UUID:
    return uuid.uuid5(_KEY_NAMESPACE, f"{attendee.uuid}:{what}")


def _create_text(
    *, firm: Firm, attendee: EventAttendee, body: str, key: uuid.UUID
) -> Message | None:
    """Create the text in a savepoint; on a domain error record why on the attendee and
    return None (the claim stands: the same problem would only repeat every minute)."""
    try:
        with transaction.atomic():
            return message_send(
                firm=firm,
                sender=None,
                contact=attendee.contact,  # type: ignore[arg-type]
                body=body,
                idempotency_key=key,
                automated=True,
            )
    except ApplicationError as error:
        EventAttendee.objects.for_firm(firm).filter(id=attendee.id).update(
            text_problem=error.message[:300], updated_at=timezone.now()
        )
        logger.info(
            "calendar text not created",
            extra={"firm_id": firm.id, "attendee_id": attendee.id, "reason": error.error_type},
        )
        return None


# --- notices: invitation, update, cancellation ------------------------------------------------


def _event_locked(firm: Firm, attendee: EventAttendee) -> CalendarEvent:
    """The attendee's event, locked until the transaction ends: event changes take the same
    lock (events.py), so a text is written from the event as it is, not as it was scanned."""
    return CalendarEvent.objects.for_firm(firm).select_for_update().get(id=attendee.event_id)


@transaction.atomic
def _notice_send(
    *, firm: Firm, attendee: EventAttendee, settings: TextingSettings, now: datetime
) -> str:
    """ "sent"; "problem" (recorded on the attendee); "dropped" (its event has begun);
    "skipped" (another dispatcher sent it, or a change of the event replaced it)."""
    event = _event_locked(firm, attendee)
    kind = attendee.pending_notice
    seq = attendee.notices_sent
    mine = EventAttendee.objects.for_firm(firm).filter(
        id=attendee.id, pending_notice=kind, notices_sent=seq
    )
    if has_begun(event, now):
        dropped = mine.update(pending_notice=Notice.NONE, pending_since=None, updated_at=now)
        return "dropped" if dropped else "skipped"
    claimed = mine.update(
        pending_notice=Notice.NONE, pending_since=None, notices_sent=seq + 1, updated_at=now
    )
    if not claimed:
        return "skipped"
    body = event_text(NotificationKind(kind), firm=firm, event=event, settings=settings)
    message = _create_text(
        firm=firm, attendee=attendee, body=body, key=_key(attendee, f"notice:{seq}")
    )
    if message is None:
        return "problem"
    EventAttendee.objects.for_firm(firm).filter(id=attendee.id).update(
        notified_kind=kind, notified_at=now, text_problem=""
    )
    return "sent"


def _recipient(attendee: EventAttendee) -> str | None:
    """The contact's texting number (annotated by the callers' querysets)."""
    return getattr(attendee, "texting_e164", None)


def _one(
    *, firm: Firm, attendee: EventAttendee, settings: TextingSettings, now: datetime
) -> DispatchReport:
    report = DispatchReport()
    number = _recipient(attendee)
    stale = has_begun(attendee.event, now)  # as scanned; _notice_send checks it locked
    if number and not stale and not may_send_now(number, now=now, fallback_zone=firm.time_zone):
        report.held += 1
        return report
    # No number: _create_text records the problem the pipeline names.
    outcome = _notice_send(firm=firm, attendee=attendee, settings=settings, now=now)
    if outcome == "sent":
        report.sent += 1
    elif outcome == "problem":
        report.problems += 1
    elif outcome == "dropped":
        report.dropped += 1
    return report


def _pending(firm: Firm) -> QuerySet[EventAttendee]:
    return (
        EventAttendee.objects.for_firm(firm)
        .exclude(pending_notice=Notice.NONE)
        .select_related("event", "contact")
        .annotate(texting_e164=texting_number_subquery(firm=firm, contact="contact"))
    )


def event_notices_send(
    *, firm: Firm, event: CalendarEvent, now: datetime | None = None
) -> DispatchReport:
    """Send the event's pending notices that may go now (quiet hours, E3); the others wait
    for the dispatcher. Called by the event services right after they set them pending, so
    a text made in office hours is in the conversation when the page reloads."""
    now = now or timezone.now()
    settings = texting_settings_get(firm=firm)
    report = DispatchReport()
    for attendee in _pending(firm).filter(event=event).order_by("id"):
        report.add(_one(firm=firm, attendee=attendee, settings=settings, now=now))
    return report


def pending_notices_dispatch(
    *, firm: Firm, now: datetime, deadline: float | None = None
) -> DispatchReport:
    """Send every pending notice of the firm that may go now; drop stale ones. Past
    `deadline` (time.monotonic()) it stops; what is left stays pending for the next run."""
    settings = texting_settings_get(firm=firm)
    report = DispatchReport()
    for attendee in _pending(firm).order_by("pending_since", "id"):
        if deadline is not None and time.monotonic() > deadline:
            report.unfinished = True
            break
        report.add(_one(firm=firm, attendee=attendee, settings=settings, now=now))
    return report


# --- reminders --------------------------------------------------------------------------------


_REMINDER_FIELDS = (
    "uuid",
    "firm_id",
    "notices_sent",
    "event__firm_id",
    "event__title",
    "event__starts_at",
    "event__ends_at",
    "event__all_day",
    "event__location",
    "contact__firm_id",
)


def reminder_due_at(event: CalendarEvent, *, days: int, time_zone: str) -> datetime:
    """When the reminder of `event` falls due: `days` before its start on the firm's wall
    clock, so a reminder across a daylight-saving change keeps the event's local hour."""
    local_start = event.starts_at.astimezone(ZoneInfo(time_zone))
    return local_start - timedelta(days=days)  # aware arithmetic on one zone: wall clock


def reminders_due(*, firm: Firm, now: datetime, days: int) -> list[EventAttendee]:
    """Contact attendees whose reminder is due at `now` with reminders `days` before (E3),
    soonest event first, each with `texting_e164` (their texting number, or None).

    The query takes the window an hour wider, for the daylight-saving change a window may
    span; `reminder_due_at` then decides on the firm's wall clock."""
    window = timedelta(days=days)
    candidates = (
        EventAttendee.objects.for_firm(firm)
        .filter(
            notify_via_text=True,
            pending_notice=Notice.NONE,
            event__firm=firm,
            event__deleted_at__isnull=True,
            event__cancelled_at__isnull=True,
            event__starts_at__gt=now,
            event__starts_at__lte=now + window + _DST_SLACK,
        )
        .exclude(response=EventAttendee.Response.DECLINED)
        .filter(Q(reminder_for_start__isnull=True) | ~Q(reminder_for_start=F("event__starts_at")))
        .filter(
            Q(notified_at__isnull=True)
            | Q(notified_at__lt=F("event__starts_at") - (window + RECENTLY))
        )
        .select_related("event", "contact")
        # Only what deciding and sending read: at thousands due, building whole rows is
        # most of the scan's time.
        .only(*_REMINDER_FIELDS)
        .annotate(texting_e164=texting_number_subquery(firm=firm, contact="contact"))
        .order_by("event__starts_at", "id")
    )
    return [
        attendee
        for attendee in candidates
        if reminder_due_at(attendee.event, days=days, time_zone=firm.time_zone) <= now
    ]


@transaction.atomic
def _reminder_send(
    *, firm: Firm, attendee: EventAttendee, settings: TextingSettings, now: datetime
) -> bool | None:
    """True: sent. False: a problem (recorded). None: someone else claimed it, or the
    event was cancelled or moved since the scan (the next scan sees it as it is)."""
    event = _event_locked(firm, attendee)
    start = attendee.event.starts_at
    if event.cancelled_at or event.deleted_at or event.starts_at != start:
        return None
    claimed = (
        EventAttendee.objects.for_firm(firm)
        .filter(id=attendee.id, pending_notice=Notice.NONE)
        .filter(Q(reminder_for_start__isnull=True) | ~Q(reminder_for_start=start))
        .update(reminder_for_start=start, updated_at=now)
    )
    if not claimed:
        return None
    body = event_text(NotificationKind.REMINDER, firm=firm, event=event, settings=settings)
    key = _key(attendee, f"reminder:{start.isoformat()}:{attendee.notices_sent}")
    if _create_text(firm=firm, attendee=attendee, body=body, key=key) is None:
        return False
    EventAttendee.objects.for_firm(firm).filter(id=attendee.id).update(
        reminder_sent_at=now, text_problem=""
    )
    return True


def reminders_send(*, firm: Firm, now: datetime, deadline: float | None = None) -> DispatchReport:
    """Send each due reminder of the firm once, those that may go now (quiet hours). Past
    `deadline` (time.monotonic()) it stops; what is left stays due for the next run."""
    report = DispatchReport()
    settings = texting_settings_get(firm=firm)
    if not settings.event_reminder_days:
        return report
    for attendee in reminders_due(firm=firm, now=now, days=settings.event_reminder_days):
        if deadline is not None and time.monotonic() > deadline:
            report.unfinished = True
            break
        number = _recipient(attendee)
        if number and not may_send_now(number, now=now, fallback_zone=firm.time_zone):
            report.held += 1
            continue
        sent = _reminder_send(firm=firm, attendee=attendee, settings=settings, now=now)
        if sent:
            report.sent += 1
            report.reminders += 1
        elif sent is False:
            report.problems += 1
    return report


# --- the scheduler's entry point --------------------------------------------------------------


def automated_texts_dispatch(*, now: datetime | None = None) -> DispatchReport:
    """Every minute (CELERY_BEAT_SCHEDULE): for every firm that can text, send the held
    notices and the due reminders that may go now. A cache lock keeps two runs from
    overlapping; each text is claimed on its row, so even overlapping runs send it once."""
    if not cache.add(_DISPATCH_LOCK_KEY, "1", _DISPATCH_LOCK_SECONDS):
        return DispatchReport(locked=True)
    try:
        now = now or timezone.now()
        deadline = time.monotonic() + float(django_settings.CALENDAR_DISPATCH_SECONDS)
        report = DispatchReport()
        firm_ids = Firm.objects.filter(toll_free_number_e164__isnull=False).values_list(
            "id", flat=True
        )
        for firm_id in firm_ids:
            with scope(firm=firm_id):
                firm = Firm.objects.get(id=firm_id)
                report.add(pending_notices_dispatch(firm=firm, now=now, deadline=deadline))
                report.add(reminders_send(firm=firm, now=now, deadline=deadline))
        if report.sent or report.dropped or report.problems:
            logger.info("calendar texts dispatched", extra=vars(report))
        return report
    finally:
        cache.delete(_DISPATCH_LOCK_KEY)
