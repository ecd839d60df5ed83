"""Domain errors of the calendar: each message is the sentence the user reads.

Raising one changes nothing: the services check before they write.
"""

from common.exceptions import ApplicationError


class EventInvalid(ApplicationError):
    """The event's fields do not make a valid event (end before start, …)."""

    error_type = "invalid_event"


class EventCancelled(ApplicationError):
    """A cancelled event cannot be changed or cancelled again."""

    status_code = 409
    error_type = "event_cancelled"

    def __init__(self) -> None:
        super().__init__(
            "This event was cancelled and can no longer be changed. Create a new event instead."
        )


class NotifyViaTextUnavailable(ApplicationError):
    """Notify via text was asked for where no text can go (E2): texting not set up, or a
    contact with no texting number."""

    error_type = "notify_via_text_unavailable"
