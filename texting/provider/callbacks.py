"""Parsers for what the provider POSTs to us: raw request body in, frozen dataclasses out.

Pure functions (no I/O, no Django, no logging of content) for texting/webhooks.py:

    parse_message_callbacks(body: bytes | str) -> list[MessageEvent]
    parse_verification_callback(body: bytes | str) -> VerificationEvent
    parse_voice_callback(body: bytes | str) -> VoiceEvent

Each raises MalformedCallback (a ValueError) with a short reason that quotes no payload
content when the body is not the documented shape (PROVIDER_API.md §2, §5, §7). Unknown
keys are ignored; unknown event `type` values are passed through (the webhook decides).
Authenticate the request *before* parsing.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .failure_reasons import Failure, failure_for_code
from .types import VerificationState
from .util import mask_number, parse_timestamp

# Bandwidth keeps callback bodies small; anything this big is not a callback.
MAX_CALLBACK_BYTES = 1_000_000
# Carrier container parts of an MMS that are not attachments (PROVIDER_API.md §3).
_CONTAINER_SUFFIXES = (".smil", ".xml")


class MalformedCallback(ValueError):
    """The body is not a documented callback. The message never quotes the payload."""


class MessageEventType(enum.StrEnum):
    RECEIVED = "message-received"
    SENDING = "message-sending"
    SENT = "message-sent"
    DELIVERED = "message-delivered"
    FAILED = "message-failed"


# --- field readers: raise MalformedCallback naming the field, never its value -------------


def _req_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedCallback(f"{where}.{key} missing or not a string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedCallback(f"{where}.{key} is not a string")
    return value


def _opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedCallback(f"{where}.{key} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise MalformedCallback(f"{where}.{key} is not an integer")


def _opt_bool(obj: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedCallback(f"{where}.{key} is not a boolean")


def _time(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> datetime | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise MalformedCallback(f"{where}.{key} missing")
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise MalformedCallback(f"{where}.{key} is not an ISO-8601 timestamp") from None


def _str_list(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedCallback(f"{where}.{key} is not a list of strings")
    return tuple(value)


def _load(body: bytes | str) -> Any:
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes | bytearray):
        raise MalformedCallback("body is not bytes")
    if len(body) > MAX_CALLBACK_BYTES:
        raise MalformedCallback("body too large")
    if not body.strip():
        raise MalformedCallback("empty body")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise MalformedCallback("body is not UTF-8") from None
    except ValueError:
        raise MalformedCallback("body is not JSON") from None


# --- messaging ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class MessageEvent:
    """One event of a messaging callback (status or inbound).

    `to` is the recipient this status is about (outbound) or our number that received it
    (inbound); `to_numbers` is the message's full recipient list. `text` is "" on status
    callbacks (the provider does not keep it). Dedupe on `dedupe_key`.
    """

    type: str
    time: datetime
    description: str
    to: str
    error_code: int | None
    message_id: str
    owner: str
    application_id: str
    direction: str  # "in" | "out"
    from_number: str
    to_numbers: tuple[str, ...]
    text: str
    media_urls: tuple[str, ...]
    tag: str | None
    segment_count: int
    message_time: datetime | None = None
    carrier_name: str | None = None
    priority: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, str, str]:
        """(message id, type, recipient): PROVIDER_API.md decision 4."""
        return (self.message_id, self.type, self.to)

    @property
    def is_inbound(self) -> bool:
        return self.type == MessageEventType.RECEIVED and self.direction == "in"

    @property
    def failure(self) -> Failure | None:
        """Our C8 reason for a message-failed event (errorCode missing → unknown error)."""
        if self.type != MessageEventType.FAILED:
            return None
        return failure_for_code(self.error_code if self.error_code is not None else 9999)

    @property
    def attachment_urls(self) -> tuple[str, ...]:
        """`media_urls` without the carrier's .smil/.xml container parts."""
        return tuple(
            u for u in self.media_urls if not u.lower().split("?")[0].endswith(_CONTAINER_SUFFIXES)
        )

    def __repr__(self) -> str:
        return (
            f"MessageEvent(type={self.type!r}, message_id={self.message_id!r}, "
            f"direction={self.direction!r}, to={mask_number(self.to)!r}, "
            f"from_number={mask_number(self.from_number)!r}, error_code={self.error_code!r}, "
            f"tag={self.tag!r}, media={len(self.media_urls)}, time={self.time.isoformat()!r})"
        )


def _message_event(raw: Any, index: int) -> MessageEvent:
    where = f"event[{index}]"
    if not isinstance(raw, dict):
        raise MalformedCallback(f"{where} is not an object")
    message = raw.get("message")
    if not isinstance(message, dict):
        raise MalformedCallback(f"{where}.message missing or not an object")
    mwhere = f"{where}.message"
    direction = _req_str(message, "direction", mwhere)
    if direction not in ("in", "out"):
        raise MalformedCallback(f"{mwhere}.direction is not in/out")
    to_numbers = _str_list(message, "to", mwhere)
    if not to_numbers:
        raise MalformedCallback(f"{mwhere}.to missing")
    segment_count = _opt_int(message, "segmentCount", mwhere)
    time = _time(raw, "time", where, required=True)
    assert time is not None
    return MessageEvent(
        type=_req_str(raw, "type", where),
        time=time,
        description=_opt_str(raw, "description", where) or "",
        to=_req_str(raw, "to", where),
        error_code=_opt_int(raw, "errorCode", where),
        message_id=_req_str(message, "id", mwhere),
        owner=_req_str(message, "owner", mwhere),
        application_id=_req_str(message, "applicationId", mwhere),
        direction=direction,
        from_number=_req_str(message, "from", mwhere),
        to_numbers=to_numbers,
        text=_opt_str(message, "text", mwhere) or "",
        media_urls=_str_list(message, "media", mwhere),
        tag=_opt_str(message, "tag", mwhere),
        segment_count=segment_count if segment_count is not None else 1,
        message_time=_time(message, "time", mwhere, required=False),
        carrier_name=_opt_str(raw, "carrierName", where),
        priority=_opt_str(message, "priority", mwhere),
    )


def parse_message_callbacks(body: bytes | str) -> list[MessageEvent]:
    """Parse a messaging callback: a JSON array of events (the documented envelope) or a
    bare event object. Returns at least one event; raises MalformedCallback otherwise."""
    data = _load(body)
    if isinstance(data, dict):
        items: list[Any] = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise MalformedCallback("body is neither an array nor an object")
    if not items:
        raise MalformedCallback("empty event array")
    return [_message_event(item, i) for i, item in enumerate(items)]


# --- toll-free verification ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class VerificationEvent:
    """A toll-free verification status webhook (one object per phone number). Either a
    status (VERIFIED / UNVERIFIED + denial fields / PENDING) or an error variant
    (`error_code` set, `status` None): the submission could not be processed."""

    account_id: str
    phone_number: str
    status: VerificationState | None
    internal_ticket_number: str | None = None
    denial_status_code: int | None = None
    decline_reason: str | None = None
    resubmit_allowed: bool | None = None
    blocked: bool = False
    blocked_reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.error_code is not None

    @property
    def dedupe_key(self) -> tuple[str, str, str, str]:
        return (
            self.phone_number,
            self.internal_ticket_number or "",
            self.status or f"error:{self.error_code}",
            str(self.denial_status_code or ""),
        )

    def __repr__(self) -> str:
        return (
            f"VerificationEvent(phone_number={mask_number(self.phone_number)!r}, "
            f"status={self.status!r}, denial_status_code={self.denial_status_code!r}, "
            f"error_code={self.error_code!r}, ticket={self.internal_ticket_number!r})"
        )


def parse_verification_callback(body: bytes | str) -> VerificationEvent:
    """Parse a toll-free verification webhook (a single JSON object)."""
    data = _load(body)
    if not isinstance(data, dict):
        raise MalformedCallback("verification callback is not an object")
    where = "verification"
    raw_status = data.get("status")
    status: VerificationState | None = None
    if raw_status is not None:
        if not isinstance(raw_status, str):
            raise MalformedCallback(f"{where}.status is not a string")
        try:
            status = VerificationState(raw_status.upper())
        except ValueError:
            raise MalformedCallback(f"{where}.status is not a known state") from None
    error_code = data.get("errorCode")
    if error_code is not None and (
        isinstance(error_code, bool) or not isinstance(error_code, str | int)
    ):
        raise MalformedCallback(f"{where}.errorCode is not a string")
    if status is None and error_code is None:
        raise MalformedCallback(f"{where} has neither status nor errorCode")
    errors = data.get("errors")
    if errors is None:
        error_list: tuple[str, ...] = ()
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        error_list = tuple(errors)
    else:
        raise MalformedCallback(f"{where}.errors is not a list of strings")
    return VerificationEvent(
        account_id=_opt_str(data, "accountId", where) or "",
        phone_number=_req_str(data, "phoneNumber", where),
        status=status,
        internal_ticket_number=_opt_str(data, "internalTicketNumber", where),
        denial_status_code=_opt_int(data, "denialStatusCode", where),
        decline_reason=_opt_str(data, "declineReasonDescription", where),
        resubmit_allowed=_opt_bool(data, "resubmitAllowed", where),
        blocked=bool(_opt_bool(data, "blocked", where)),
        blocked_reason=_opt_str(data, "blockedReason", where),
        error_code=None if error_code is None else str(error_code),
        error_message=_opt_str(data, "errorMessage", where),
        errors=error_list,
    )


# --- voice ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class VoiceEvent:
    """A voice callback: `initiate` (answer with BXML) or `disconnect` (`cause` set)."""

    event_type: str
    call_id: str
    from_number: str
    to: str
    account_id: str
    application_id: str
    direction: str | None = None
    cause: str | None = None
    event_time: datetime | None = None
    start_time: datetime | None = None
    error_message: str | None = None

    def __repr__(self) -> str:
        return (
            f"VoiceEvent(event_type={self.event_type!r}, call_id={self.call_id!r}, "
            f"from_number={mask_number(self.from_number)!r}, to={mask_number(self.to)!r}, "
            f"cause={self.cause!r})"
        )


def parse_voice_callback(body: bytes | str) -> VoiceEvent:
    """Parse a voice webhook (a single JSON object: initiate, disconnect, ...)."""
    data = _load(body)
    if not isinstance(data, dict):
        raise MalformedCallback("voice callback is not an object")
    where = "voice"
    return VoiceEvent(
        event_type=_req_str(data, "eventType", where),
        call_id=_req_str(data, "callId", where),
        from_number=_req_str(data, "from", where),
        to=_req_str(data, "to", where),
        account_id=_opt_str(data, "accountId", where) or "",
        application_id=_opt_str(data, "applicationId", where) or "",
        direction=_opt_str(data, "direction", where),
        cause=_opt_str(data, "cause", where),
        event_time=_time(data, "eventTime", where, required=False),
        start_time=_time(data, "startTime", where, required=False),
        error_message=_opt_str(data, "errorMessage", where),
    )
