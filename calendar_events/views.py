"""Calendar pages (E1–E4): the week and list views, a matter's Calendar subtab, the event page
with what each attendee was texted and answered, and the event form with its contact picker.

Adapters only: parse, call one selector or service, render. Events, matters and contacts are
looked up inside the request's firm, so another firm's uuid is 404 (or "not found" in a form).
Dates are the firm's: its zone is the request's active zone (FirmMiddleware).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from common.exceptions import ApplicationError
from matters.models import Matter
from matters.selectors import matter_list
from matters.views import matter_tabs

from . import selectors, services
from .exceptions import EventCancelled
from .forms import ContactRow, EventForm, firm_contacts
from .models import CalendarEvent, EventAttendee

PAGE_SIZE = 25
PICKER_SIZE = 10
# A matter's past events shown on its Calendar subtab, most recent first.
MATTER_PAST_LIMIT = 50


def _zone(request: FirmRequest) -> ZoneInfo:
    return ZoneInfo(request.firm.time_zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _date_param(value: str | None) -> date | None:
    """A YYYY-MM-DD query value, or None (malformed, or too far for a week's arithmetic)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def _get_event(request: FirmRequest, event_id: UUID) -> CalendarEvent:
    return get_object_or_404(selectors.event_detail_list(firm=request.firm), uuid=event_id)


def _get_matter(request: FirmRequest, matter_id: UUID) -> Matter:
    return get_object_or_404(matter_list(firm=request.firm), uuid=matter_id)


# --- Formatting helpers: the event's time in the firm's zone ---------------------------------


def _day_text(moment: datetime | date) -> str:
    return f"{moment:%a}, {moment:%b} {moment.day}, {moment.year}"


def _clock_text(moment: datetime) -> str:
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def when_text(event: CalendarEvent, zone: ZoneInfo) -> str:
    """The event's time in `zone`: "Fri, Dec 4, 2026, 10:00 AM – 11:00 AM EST", or
    "Fri, Dec 4, 2026 (all day)"."""
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    if event.all_day:
        last = max((end - timedelta(days=1)).date(), start.date())
        if last == start.date():
            return f"{_day_text(start)} (all day)"
        return f"{_day_text(start)} – {_day_text(last)} (all day)"
    start_text = f"{_day_text(start)}, {_clock_text(start)}"
    if start.tzname() != end.tzname():
        start_text += f" {start.tzname()}"
    end_text = (
        _clock_text(end) if end.date() == start.date() else f"{_day_text(end)}, {_clock_text(end)}"
    )
    return f"{start_text} – {end_text} {end.tzname()}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'} {'was' if count == 1 else 'were'}"


def _texts_sentence(request: FirmRequest, event: CalendarEvent, before: dict[int, int]) -> str:
    """What a change texted: "1 invitation was texted.", held and failed texts. `before`
    maps attendee id → notices_sent before the change."""
    attendees = selectors.event_attendee_list(firm=request.firm).filter(event=event)
    sent: dict[str, int] = {}
    waiting = problems = 0
    for attendee in attendees:
        if attendee.notices_sent > before.get(attendee.id, 0):
            if attendee.text_problem:
                problems += 1
            elif attendee.notified_kind:
                label = EventAttendee.Notice(attendee.notified_kind).label.lower()
                sent[label] = sent.get(label, 0) + 1
        if attendee.pending_notice:
            waiting += 1
    parts = [f"{_plural(n, label)} texted." for label, n in sent.items()]
    if waiting:
        parts.append(f"{_plural(waiting, 'text')} held until 8:00 the recipient's time.")
    if problems:
        parts.append(f"{_plural(problems, 'text')} not sent: see the attendees.")
    return " ".join(parts)


def _notices_before(event: CalendarEvent) -> dict[int, int]:
    return {a.id: a.notices_sent for a in event.attendees.all()}


# --- Week and list views ---------------------------------------------------------------------


@dataclass
class Day:
    """One column of the week view: its events, all-day ones first."""

    day: date
    is_today: bool
    entries: list[tuple[CalendarEvent, bool]] = field(default_factory=list)  # (event, continued)


def _week_days(events: list[CalendarEvent], monday: date, zone: ZoneInfo, today: date) -> list[Day]:
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        column = Day(day=day, is_today=day == today)
        for event in events:
            if event.starts_at < end and (event.ends_at > start or event.starts_at >= start):
                column.entries.append((event, event.starts_at < start))
        column.entries.sort(key=lambda entry: (not entry[0].all_day, entry[0].starts_at))
        days.append(column)
    return days


def _week_view(request: FirmRequest) -> HttpResponse:
    zone = _zone(request)
    today = timezone.localdate(timezone=zone)
    asked = _date_param(request.GET.get("week")) or today
    monday = asked - timedelta(days=asked.weekday())
    start, end = _midnight(monday, zone), _midnight(monday + timedelta(days=7), zone)
    events = list(selectors.event_list(firm=request.firm, start=start, end=end))
    context = {
        "view": "week",
        "days": _week_days(events, monday, zone, today),
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "this_week": today - timedelta(days=today.weekday()) == monday,
        "today": today,
    }
    return render(request, "calendar_events/calendar_week.html", context)


def _by_day(events: list[CalendarEvent], zone: ZoneInfo) -> list[tuple[date, list[CalendarEvent]]]:
    groups: list[tuple[date, list[CalendarEvent]]] = []
    for event in events:
        day = event.starts_at.astimezone(zone).date()
        if not groups or groups[-1][0] != day:
            groups.append((day, []))
        groups[-1][1].append(event)
    return groups


def _list_view(request: FirmRequest) -> HttpResponse:
    past = request.GET.get("past") == "1"
    now = timezone.now()
    if past:
        events = selectors.event_past_list(firm=request.firm, now=now)
    else:
        events = selectors.event_list(firm=request.firm, start=now)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "view": "list",
        "past": past,
        "page": page,
        "groups": _by_day(list(page.object_list), _zone(request)),
        "today": timezone.localdate(timezone=_zone(request)),
    }
    return render(request, "calendar_events/calendar_list.html", context)


@firm_member_required
def index(request: FirmRequest) -> HttpResponse:
    """The Calendar tab: the week view (`?week=YYYY-MM-DD`), or `?view=list`."""
    if request.GET.get("view") == "list":
        return _list_view(request)
    return _week_view(request)


@firm_member_required
def matter_calendar(request: FirmRequest, matter_id: UUID) -> HttpResponse:
    """A matter's Calendar subtab: its upcoming events, then its most recent past ones."""
    matter = _get_matter(request, matter_id)
    now = timezone.now()
    upcoming = selectors.event_list(firm=request.firm, start=now, matter=matter)
    past = selectors.event_past_list(firm=request.firm, now=now, matter=matter)
    context = {
        "matter": matter,
        "tabs": matter_tabs(matter),
        "active": "calendar",
        "upcoming": list(upcoming),
        "past": list(past[:MATTER_PAST_LIMIT]),
        "past_limit": MATTER_PAST_LIMIT,
    }
    return render(request, "calendar_events/matter_calendar.html", context)


# --- The event page and its actions -----------------------------------------------------------


@firm_member_required
def event_detail(request: FirmRequest, event_id: UUID) -> HttpResponse:
    event = _get_event(request, event_id)
    attendees = list(event.attendees.all())
    goes_at = selectors.held_texts_go_at(firm=request.firm, attendees=attendees, now=timezone.now())
    context = {
        "event": event,
        "when": when_text(event, _zone(request)),
        "attendees": [(attendee, goes_at.get(attendee.id)) for attendee in attendees],
        "cancelled_reason": EventCancelled().message if event.is_cancelled else "",
    }
    return render(request, "calendar_events/event_detail.html", context)


@require_POST
@firm_member_required
def event_cancel(request: FirmRequest, event_id: UUID) -> HttpResponse:
    event = _get_event(request, event_id)
    before = _notices_before(event)
    try:
        services.event_cancel(firm=request.firm, actor=request.user, event=event)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        texted = _texts_sentence(request, event, before)
        messages.success(request, f"The event was cancelled. {texted}".strip())
    return redirect("calendar_events:event-detail", event.uuid)


@require_POST
@firm_member_required
def event_delete(request: FirmRequest, event_id: UUID) -> HttpResponse:
    event = _get_event(request, event_id)
    before = _notices_before(event)
    services.event_delete(firm=request.firm, actor=request.user, event=event)
    texted = _texts_sentence(request, event, before)
    messages.success(request, f"The event “{event.title}” was deleted. {texted}".strip())
    if event.matter is not None:
        return redirect("calendar_events:matter-calendar", event.matter.uuid)
    return redirect("calendar_events:index")


# --- The event form ---------------------------------------------------------------------------


def _render_form(
    request: FirmRequest, form: EventForm, event: CalendarEvent | None, cancel_url: str
) -> HttpResponse:
    context = {"form": form, "event": event, "cancel_url": cancel_url}
    return render(request, "calendar_events/event_form.html", context)


def _matter_param(request: FirmRequest) -> Matter | None:
    try:
        matter_id = UUID(request.GET.get("matter", ""))
    except ValueError:
        return None
    return matter_list(firm=request.firm).filter(uuid=matter_id).first()


@firm_member_required
def event_create(request: FirmRequest) -> HttpResponse:
    """New event, prefilled with `?matter=<uuid>` and `?date=YYYY-MM-DD` when given."""
    matter = _matter_param(request)
    day = _date_param(request.GET.get("date"))
    initial = EventForm.initial_new(firm=request.firm, matter=matter, day=day)
    form = EventForm(request.POST or None, firm=request.firm, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(
                firm=request.firm, actor=request.user, **form.create_kwargs()
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            texted = _texts_sentence(request, event, {})
            messages.success(request, f"The event was created. {texted}".strip())
            return redirect("calendar_events:event-detail", event.uuid)
    cancel_url = (
        reverse("calendar_events:matter-calendar", args=[matter.uuid])
        if matter
        else reverse("calendar_events:index")
    )
    return _render_form(request, form, None, cancel_url)


@firm_member_required
def event_edit(request: FirmRequest, event_id: UUID) -> HttpResponse:
    event = _get_event(request, event_id)
    if event.is_cancelled:
        messages.error(request, EventCancelled().message)
        return redirect("calendar_events:event-detail", event.uuid)
    initial = EventForm.initial_for(event, firm=request.firm)
    form = EventForm(request.POST or None, firm=request.firm, initial=initial)
    if request.method == "POST" and form.is_valid():
        before = _notices_before(event)
        try:
            services.event_update(
                firm=request.firm, actor=request.user, event=event, **form.update_kwargs(event)
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            texted = _texts_sentence(request, event, before)
            messages.success(request, f"The event was saved. {texted}".strip())
            return redirect("calendar_events:event-detail", event.uuid)
    cancel_url = reverse("calendar_events:event-detail", args=[event.uuid])
    return _render_form(request, form, event, cancel_url)


# --- The contact picker of the form (HTMX partials) -------------------------------------------


@firm_member_required
def contact_picker(request: FirmRequest) -> HttpResponse:
    """Up to ten of the firm's contacts matching `contact_q`, leaving out those already
    in the form (`contacts`), as buttons that add an attendee row."""
    query = request.GET.get("contact_q", "").strip()[:200]
    chosen: list[UUID] = []
    for value in request.GET.getlist("contacts"):
        try:
            chosen.append(UUID(value))
        except ValueError:
            continue
    contacts = []
    if query:
        found = firm_contacts(request.firm, query=query).exclude(uuid__in=chosen)
        contacts = list(found[:PICKER_SIZE])
    context = {"query": query, "contacts": contacts}
    return render(request, "calendar_events/_contact_picker.html", context)


@firm_member_required
def attendee_row(request: FirmRequest) -> HttpResponse:
    """One contact attendee row for the form (`?contact=<uuid>`, a contact of the firm),
    with the picker cleared out of band."""
    try:
        contact_id = UUID(request.GET.get("contact", ""))
    except ValueError:
        raise Http404("No such contact.") from None
    contact = get_object_or_404(firm_contacts(request.firm), uuid=contact_id)
    context = {
        "row": ContactRow(contact=contact, notify=False),
        "no_texts_reason": services.why_no_texts(firm=request.firm),
        "clear_picker": True,
    }
    return render(request, "calendar_events/_attendee_row.html", context)
