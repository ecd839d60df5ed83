"""The audit log of admin actions (issue 9): one service that writes it, one selector that
reads it.

Services record an event as the last write of the action they perform, inside their own
transaction, so the event exists exactly when the action committed.
"""

import ipaddress
import json
from contextvars import ContextVar
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from .lockout import client_ip
from .models import AuditEvent, Firm, User

TARGET_MAX = 200
# Details are a few ids, counts and field names; a larger blob means something that should
# not be in an audit row (a payload, a body) is being passed.
DETAILS_MAX_CHARS = 2000


def audit_record(
    *,
    firm: Firm,
    actor: User | None,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one AuditEvent for `firm` and return it.

    Guarantees: one INSERT, no other query. It opens no transaction of its own, so inside a
    service's `transaction.atomic` it joins it: an action that rolls back leaves no event.
    `actor` None is recorded as "system". `target` is cut to 200 characters. The IP address
    is the client's (accounts.lockout.client_ip) of `request`, or else of the request being
    served; none for a command.

    Callers keep `target` and `details` free of full phone numbers, message bodies and
    secrets. Raises ValueError for an unknown action or details that are not a small JSON
    object (a programming error, never user input).
    """
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    details = details or {}
    if not isinstance(details, dict) or len(json.dumps(details)) > DETAILS_MAX_CHARS:
        raise ValueError("Audit details must be a small JSON object.")
    return AuditEvent.objects.create(
        firm=firm,
        actor=actor,
        actor_email=actor.email if actor is not None else AuditEvent.SYSTEM,
        action=action,
        target=target[:TARGET_MAX],
        details=details,
        ip_address=_client_ip(request),
    )


# The client address of the request being served (set by accounts.middleware for a firm's
# requests), so services that are not handed the request still record where it came from.
request_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


def _client_ip(request: HttpRequest | None) -> str | None:
    # The same address sign-in lockout counts (DJANGO_TRUSTED_PROXY_COUNT decides whether
    # X-Forwarded-For is believed); outside a request (a command) there is none.
    value = (client_ip(request) if request is not None else request_client_ip.get()) or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def toll_free_number_target(number_e164: str) -> str:
    """How an audit row names a phone number: its last four digits only."""
    digits = "".join(ch for ch in number_e164 if ch.isdigit())
    return f"toll-free number ending {digits[-4:]}"


def audit_event_list(*, firm: Firm, action: str | None = None) -> QuerySet[AuditEvent]:
    """The firm's audit events, newest first, optionally of one action."""
    events = AuditEvent.objects.for_firm(firm)
    if action:
        events = events.filter(action=action)
    return events.order_by("-created_at", "-id")
