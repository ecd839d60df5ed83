"""Every write of the calendar, by concern:

- events: create, change, cancel and delete events and their attendees (E1), and which
  attendee each change has to text (E2);
- texts: the automated texts themselves — notices and reminders, once each, in the
  recipient's daytime (E2, E3), and the scheduler's dispatch;
- replies: Y/N answers from contacts (E4).
"""

from .events import (
    AttendeeSpec,
    all_day_bounds,
    event_cancel,
    event_create,
    event_delete,
    event_update,
    why_no_texts,
)
from .replies import inbound_replies_apply, reply_answer
from .texts import (
    DispatchReport,
    automated_texts_dispatch,
    event_notices_send,
    event_text,
    pending_notices_dispatch,
    reminders_due,
    reminders_send,
)

__all__ = [
    "AttendeeSpec",
    "DispatchReport",
    "all_day_bounds",
    "automated_texts_dispatch",
    "event_cancel",
    "event_create",
    "event_delete",
    "event_notices_send",
    "event_text",
    "event_update",
    "inbound_replies_apply",
    "pending_notices_dispatch",
    "reminders_due",
    "reminders_send",
    "reply_answer",
    "why_no_texts",
]
