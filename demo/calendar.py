"""Demo calendar: a dozen hearings, meetings and deadlines of a demo firm's open matters, in
the weeks around the day of the run, each with the matter's client and attorney attending.

Clients are attendees with Notify via text on, but no invitation was texted (demo rows are
bulk-inserted, not sent): the running app's scheduler texts their reminders as they fall
due, through the provider sandbox, like a real firm's.
"""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from accounts.models import Firm, User
from calendar_events.models import CalendarEvent, EventAttendee
from matters.models import Matter

EVENTS_PER_FIRM = 12
_KINDS = (
    ("Hearing", "County Courthouse, Courtroom {room}", 1),
    ("Deposition", "Conference room {room}", 3),
    ("Mediation", "Mediation Center, Suite {room}", 4),
    ("Client meeting", "Our office, room {room}", 1),
    ("Settlement conference", "County Courthouse, Room {room}", 2),
)


def demo_events_build(
    *, firm: Firm, rng: random.Random, matters: list[Matter], attorney: User, now: datetime
) -> tuple[list[CalendarEvent], list[EventAttendee]]:
    """Unsaved events (from ten days ago to four weeks ahead, weekdays, office hours in the
    firm's zone) and their attendees, for bulk insertion in this order."""
    open_matters = [m for m in matters if m.status == Matter.Status.OPEN]
    if not open_matters:
        return [], []
    zone = ZoneInfo(firm.time_zone)
    today = now.astimezone(zone).date()
    events: list[CalendarEvent] = []
    attendees: list[EventAttendee] = []
    for index in range(EVENTS_PER_FIRM):
        matter = rng.choice(open_matters)
        day = today + timedelta(days=rng.randint(-10, 28))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if index % 6 == 5:
            title = f"Filing deadline: {matter.display_number}"
            start = datetime.combine(day, time(0), tzinfo=zone)
            end = start + timedelta(days=1)
            location, all_day = "", True
        else:
            kind, place, hours = rng.choice(_KINDS)
            title = f"{kind}: {matter.client.name}"
            start = datetime.combine(day, time(rng.randint(9, 15)), tzinfo=zone)
            end = start + timedelta(hours=hours)
            location, all_day = place.format(room=rng.randint(2, 12)), False
        event = CalendarEvent(
            firm=firm,
            title=title,
            starts_at=start,
            ends_at=end,
            all_day=all_day,
            location=location,
            description=matter.description,
            matter=matter,
            created_by=attorney,
        )
        events.append(event)
        attendees.append(
            EventAttendee(firm=firm, event=event, contact=matter.client, notify_via_text=True)
        )
        attendees.append(EventAttendee(firm=firm, event=event, user=attorney))
    return events, attendees
