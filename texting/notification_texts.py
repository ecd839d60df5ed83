"""The fixed texts of calendar notifications (E2, E3), shown read-only in Settings (S4).

Four templates: an event was created (an invitation), changed, cancelled, and the reminder
N days before it. Each names the firm and prints the firm's alternative contact (S1) so a
client who cannot reply by text knows how to reach the firm; invitations and reminders ask
for "Reply Y to confirm or N to decline" (E4 reads those replies). Firms cannot edit them:
they are written to stay within one or two SMS segments and to satisfy the carriers'
toll-free rules (brand name first, opt-out wording).
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common.phones import phone_display


class NotificationKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


LABELS: dict[NotificationKind, str] = {
    NotificationKind.CREATED: "Event created",
    NotificationKind.UPDATED: "Event updated",
    NotificationKind.CANCELLED: "Event cancelled",
    NotificationKind.REMINDER: "Event reminder",
}

TEMPLATES: dict[NotificationKind, str] = {
    NotificationKind.CREATED: (
        "{firm_name}: You are invited to {title} on {when}{where}. "
        "Reply Y to confirm or N to decline. {reach} Reply STOP to opt out."
    ),
    NotificationKind.UPDATED: (
        "{firm_name}: {title} has changed. It is now on {when}{where}. {reach}"
    ),
    NotificationKind.CANCELLED: ("{firm_name}: {title} on {when} has been cancelled. {reach}"),
    NotificationKind.REMINDER: (
        "{firm_name}: Reminder of {title} on {when}{where}. "
        "Reply Y to confirm or N to decline. {reach}"
    ),
}


@dataclass(frozen=True)
class EventDetails:
    """What a notification says about the event; `starts_at` is timezone-aware."""

    title: str
    starts_at: datetime
    location: str = ""
    all_day: bool = False


def alternative_contact_sentence(*, alternative_phone_e164: str, alternative_email: str) -> str:
    """'Questions? Call (202) 555-0188 or email office@firm.example.' (empty parts left out)."""
    ways = []
    if alternative_phone_e164:
        ways.append(f"call {phone_display(alternative_phone_e164)}")
    if alternative_email:
        ways.append(f"email {alternative_email}")
    if not ways:
        return "Questions? Contact the firm directly."
    sentence = " or ".join(ways)
    return f"Questions? {sentence[0].upper()}{sentence[1:]}."


def format_when(starts_at: datetime, *, time_zone: str, all_day: bool = False) -> str:
    """'Tue, Jul 14 at 10:00 AM EDT' in the firm's zone, where the event takes place.

    The zone's abbreviation is that of the event's date (EST in winter, EDT in summer), so
    a client in another zone, or reading across a daylight-saving change, is not misled.
    """
    local = starts_at.astimezone(ZoneInfo(time_zone))
    day = f"{local:%a, %b} {local.day}"
    if all_day:
        return day
    hour = local.hour % 12 or 12
    return f"{day} at {hour}:{local:%M %p %Z}"


def notification_text(
    kind: NotificationKind,
    *,
    firm_name: str,
    time_zone: str,
    event: EventDetails,
    alternative_phone_e164: str = "",
    alternative_email: str = "",
) -> str:
    """The text one attendee receives for `kind`, filled with the firm's data and the event."""
    return (
        TEMPLATES[kind]
        .format(
            firm_name=firm_name,
            title=event.title,
            when=format_when(event.starts_at, time_zone=time_zone, all_day=event.all_day),
            where=f" at {event.location}" if event.location else "",
            reach=alternative_contact_sentence(
                alternative_phone_e164=alternative_phone_e164, alternative_email=alternative_email
            ),
        )
        .strip()
    )


def sample_event(*, now: datetime, time_zone: str) -> EventDetails:
    """An example event a week from `now` at 10:00 in the firm's zone, for previews."""
    local = (now + timedelta(days=7)).astimezone(ZoneInfo(time_zone))
    starts = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return EventDetails(
        title="your consultation with the firm",
        starts_at=starts,
        location="our office",
    )
