"""Messaging API: send (with validation parity), list, and injected inbound messages.

A send is decided entirely when it is accepted: the rate limiter gives its departure time and
the destination (outcomes.py) or the unverified-toll-free switch gives each recipient's
events. Those events are stored with the message (so the sandbox's record shows the status
at any moment without a writer) and queued as callbacks at the same times.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from . import callbacks
from .masking import mask_number
from .outcomes import (
    EXPIRED,
    TOLL_FREE_NOT_VERIFIED,
    FailureCode,
    failure_for_destination,
    is_toll_free,
)
from .responses import json_response, messaging_error, validation_error
from .runtime import Sandbox, iso, new_message_id
from .segments import segment_count
from .validation import is_e164, parse_datetime

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 10
MAX_TEXT = 2048
MAX_TAG = 1024
MAX_MEDIA_URL = 4096
# A message is handed to the carrier when it leaves the queue; the terminal event follows.
TERMINAL_AFTER_SECONDS = 0.2

TERMINAL = ("message-delivered", "message-failed")
DESCRIPTIONS = {
    "message-sending": "Message is sending to carrier",
    "message-delivered": "ok",
    "message-received": "Incoming message received",
}
# Our record's status names, and the list API's messageStatus for each.
LIST_STATUS = {
    "accepted": "QUEUED",
    "sending": "SENDING",
    "delivered": "DELIVERED",
    "failed": "FAILED",
    "received": "RECEIVED",
}


class FieldErrors(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- send -----------------------------------------------------------------------------------


def _validate(sandbox: Sandbox, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The send request's fields, cleaned; raises FieldErrors listing every problem."""
    errors: list[tuple[str, str]] = []
    application_id = body.get("applicationId")
    if not isinstance(application_id, str) or not application_id:
        errors.append(("applicationId", "'applicationId' must not be empty"))
    elif sandbox.config.application_id and application_id != sandbox.config.application_id:
        errors.append(
            ("applicationId", f"'{application_id}' is not an application of this account")
        )

    raw_to = body.get("to")
    recipients: list[str] = []
    if isinstance(raw_to, str):
        raw_to = [raw_to]
    if not isinstance(raw_to, list) or not raw_to:
        errors.append(("to", "'to' must be a telephone number or a non-empty array of them"))
    else:
        if len(raw_to) > MAX_RECIPIENTS:
            errors.append(("to", f"'to' must have at most {MAX_RECIPIENTS} recipients"))
        for number in raw_to:
            if not is_e164(number):
                errors.append(("to", f"'{number}' is not a valid E.164 telephone number"))
            elif number in recipients:
                errors.append(("to", f"'{number}' appears more than once in 'to'"))
            else:
                recipients.append(number)

    sender = body.get("from")
    if not is_e164(sender):
        errors.append(("from", f"'{sender}' is not a valid E.164 telephone number"))
    elif not sandbox.store.is_owned(account_id, sender):
        errors.append(("from", f"'{sender}' is not a telephone number of account {account_id}"))

    text = body.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        errors.append(("text", "'text' must be a string"))
        text = ""
    elif len(text) > MAX_TEXT:
        errors.append(("text", f"'text' must be at most {MAX_TEXT} characters"))

    media = body.get("media") or []
    if not isinstance(media, list) or not all(isinstance(url, str) for url in media):
        errors.append(("media", "'media' must be an array of URLs"))
        media = []
    elif any(len(url) > MAX_MEDIA_URL for url in media):
        errors.append(("media", f"each media URL must be at most {MAX_MEDIA_URL} characters"))
    if not text and not media:
        errors.append(("text", "'text' or 'media' must be given"))

    tag = body.get("tag")
    if tag is not None and not isinstance(tag, str):
        errors.append(("tag", "'tag' must be a string"))
    elif tag is not None and len(tag) > MAX_TAG:
        errors.append(("tag", f"'tag' must be at most {MAX_TAG} characters"))

    priority = body.get("priority", "default")
    if priority not in ("default", "high"):
        errors.append(("priority", "'priority' must be one of: default, high"))

    expiration = body.get("expiration")
    expires_at: float | None = None
    if expiration is not None:
        moment = parse_datetime(expiration) if isinstance(expiration, str) else None
        if moment is None:
            errors.append(("expiration", "'expiration' must be an RFC-3339 date-time"))
        elif moment.timestamp() <= sandbox.now():
            errors.append(("expiration", "'expiration' must be in the future"))
        else:
            expires_at = moment.timestamp()

    if errors:
        raise FieldErrors(errors)
    return {
        "applicationId": application_id,
        "to": recipients,
        "from": sender,
        "text": text,
        "media": media,
        "tag": tag,
        "priority": priority,
        "expiration": expiration,
        "expires_at": expires_at,
    }


def _failure(
    sandbox: Sandbox, fields: dict[str, Any], to: str, departs: float
) -> FailureCode | None:
    if sandbox.settings.block_unverified and is_toll_free(fields["from"]):
        record = sandbox.store.get_verification(fields["from"])
        if not record or record.get("status") != "VERIFIED":
            return TOLL_FREE_NOT_VERIFIED
    if fields["expires_at"] is not None and departs > fields["expires_at"]:
        return EXPIRED
    return failure_for_destination(to)


def _events(
    failure: FailureCode | None, departs: float, out_of_order: bool, *, is_mms: bool
) -> list[dict[str, Any]]:
    """One recipient's events in logical order: the one terminal event, preceded for an MMS
    handed to the carrier by `message-sending`. Bandwidth sends `message-sending` for MMS
    only (with MMS delivery receipts, which the sandbox always has), never for SMS
    (PROVIDER_API.md, event types)."""
    terminal: dict[str, Any]
    if failure is None:
        terminal = {"type": "message-delivered", "description": DESCRIPTIONS["message-delivered"]}
    else:
        terminal = {
            "type": "message-failed",
            "description": failure.name,
            "errorCode": failure.code,
        }
    handed_to_carrier = failure is None or failure.carrier_side
    if not handed_to_carrier:
        return [{**terminal, "at": departs}]
    if not is_mms:
        # The fault, for a message with one event: it comes at once, racing the 202.
        return [{**terminal, "at": departs if out_of_order else departs + TERMINAL_AFTER_SECONDS}]
    sending_at, terminal_at = departs, departs + TERMINAL_AFTER_SECONDS
    if out_of_order:  # the fault: the terminal event is sent before the intermediate one
        sending_at, terminal_at = terminal_at, sending_at
    sending = {"type": "message-sending", "description": DESCRIPTIONS["message-sending"]}
    return [{**sending, "at": sending_at}, {**terminal, "at": terminal_at}]


def public_message(message: dict[str, Any], *, for_callback: bool = False) -> dict[str, Any]:
    """The `message` object of the 202 body and of callbacks (text "" on status callbacks)."""
    body: dict[str, Any] = {
        "id": message["id"],
        "owner": message["owner"],
        "applicationId": message["applicationId"],
        "time": message["time"],
        "segmentCount": message["segmentCount"],
        "direction": message["direction"],
        "to": message["to"],
        "from": message["from"],
        "text": "" if for_callback and message["direction"] == "out" else message["text"],
    }
    if message.get("media"):
        body["media"] = message["media"]
    if message["direction"] == "out":
        if message.get("tag") is not None:
            body["tag"] = message["tag"]
        body["priority"] = message["priority"]
        if message.get("expiration"):
            body["expiration"] = message["expiration"]
    return body


def send(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """POST /api/v2/users/{accountId}/messages."""
    if request.mimetype != "application/json":
        description = f"Content type '{request.content_type or ''}' not supported"
        return messaging_error(415, "unsupported-content-type", description)
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return validation_error([("body", "The request body is not valid JSON")])
    if not isinstance(body, dict):
        return validation_error([("body", "The request body must be a JSON object")])
    try:
        fields = _validate(sandbox, account_id, body)
    except FieldErrors as exc:
        return validation_error(exc.errors)

    faults = sandbox.faults.snapshot()
    if sandbox.faults.draw(faults.send_500_rate):
        return messaging_error(500, "internal-server-error", "Something went wrong (sandbox fault)")
    if sandbox.faults.draw(faults.send_429_rate):
        return _queue_full(sandbox, retry_after=1)

    now = sandbox.now()
    is_mms = bool(fields["media"])
    segments = segment_count(fields["text"], is_mms=is_mms)
    admission = sandbox.limiter.admit(segments * len(fields["to"]), now)
    if not admission.accepted:
        return _queue_full(sandbox, retry_after=admission.retry_after)

    message_id = new_message_id(now)
    message: dict[str, Any] = {
        "id": message_id,
        "accountId": account_id,
        "owner": fields["from"],
        "applicationId": fields["applicationId"],
        "time": iso(now),
        "segmentCount": segments,
        "direction": "out",
        "to": fields["to"],
        "from": fields["from"],
        "text": fields["text"],
        "media": fields["media"],
        "tag": fields["tag"],
        "priority": fields["priority"],
        "expiration": fields["expiration"],
        "recipients": [],
    }
    for to in fields["to"]:
        failure = _failure(sandbox, fields, to, admission.departs_at)
        events = _events(
            failure, admission.departs_at, faults.out_of_order_callbacks, is_mms=is_mms
        )
        message["recipients"].append({"to": to, "events": events})
    sandbox.store.insert_message(message, now)
    _queue_status_callbacks(sandbox, message)
    logger.info("accepted %s (%d segments)", describe(message), segments)

    if faults.send_delay_seconds:
        # Accepted and queued already: a client that times out first cannot know that.
        time.sleep(faults.send_delay_seconds)
    return json_response(public_message(message), 202)


def _queue_full(sandbox: Sandbox, retry_after: int) -> Response:
    settings = sandbox.settings
    description = (
        "The message queue of this account is full: the account may send "
        f"{settings.rate_limit_segments_per_second:g} segments per second and queue "
        f"{settings.queue_size} messages. Retry later."
    )
    headers = {"Retry-After": str(retry_after)}
    return messaging_error(429, "max-message-queue-size-exceeded", description, headers)


def _queue_status_callbacks(sandbox: Sandbox, message: dict[str, Any]) -> None:
    envelope_message = public_message(message, for_callback=True)
    for recipient in message["recipients"]:
        for event in recipient["events"]:
            payload: dict[str, Any] = {
                "type": event["type"],
                "time": iso(event["at"]),
                "description": event["description"],
                "to": recipient["to"],
            }
            if "errorCode" in event:
                payload["errorCode"] = event["errorCode"]
            payload["message"] = envelope_message
            callbacks.enqueue(
                sandbox,
                kind="messaging",
                event_type=event["type"],
                payload=[payload],
                due_at=event["at"],
                message_id=message["id"],
                recipient=recipient["to"],
            )


# --- inbound --------------------------------------------------------------------------------


def record_inbound(
    sandbox: Sandbox,
    *,
    account_id: str,
    sender: str,
    to: str,
    text: str,
    media: list[str],
    message_id: str,
    now: float,
) -> dict[str, Any]:
    """Store an injected inbound message and queue its `message-received` callback."""
    message: dict[str, Any] = {
        "id": message_id,
        "accountId": account_id,
        "owner": to,
        "applicationId": sandbox.config.effective_application_id,
        "time": iso(now),
        "segmentCount": segment_count(text, is_mms=bool(media)),
        "direction": "in",
        "to": [to],
        "from": sender,
        "text": text,
        "media": media,
        "tag": None,
        "priority": "default",
        "expiration": None,
        "recipients": [
            {
                "to": to,
                "events": [
                    {
                        "type": "message-received",
                        "at": now,
                        "description": DESCRIPTIONS["message-received"],
                    }
                ],
            }
        ],
    }
    sandbox.store.insert_message(message, now)
    payload = {
        "type": "message-received",
        "time": iso(now),
        "description": DESCRIPTIONS["message-received"],
        "to": to,
        "message": public_message(message, for_callback=True),
    }
    callbacks.enqueue(
        sandbox,
        kind="messaging",
        event_type="message-received",
        payload=[payload],
        due_at=now,
        message_id=message_id,
        recipient=to,
    )
    return message


# --- reading --------------------------------------------------------------------------------


def recipient_status(recipient: dict[str, Any], direction: str, now: float) -> dict[str, Any]:
    """Status of one recipient at `now`: the most advanced event that has happened."""
    happened = [event for event in recipient["events"] if event["at"] <= now]
    if direction == "in":
        return {"to": recipient["to"], "status": "received", "error_code": None}
    status, error_code = "accepted", None
    for event in happened:
        if event["type"] in TERMINAL:
            status = "delivered" if event["type"] == "message-delivered" else "failed"
            error_code = event.get("errorCode")
            break
        status = "sending"
    return {"to": recipient["to"], "status": status, "error_code": error_code}


def _overall(statuses: list[str]) -> str:
    if all(status == statuses[0] for status in statuses):
        return statuses[0]
    if any(status in ("accepted", "sending") for status in statuses):
        return "sending"
    return "failed"


def record_view(message: dict[str, Any], now: float) -> dict[str, Any]:
    """The sandbox's own record of a message, as GET /sandbox/messages shows it."""
    recipients = [recipient_status(r, message["direction"], now) for r in message["recipients"]]
    history = sorted(
        (
            {
                "time": iso(event["at"]),
                "type": event["type"],
                "to": r["to"],
                **({"error_code": event["errorCode"]} if "errorCode" in event else {}),
            }
            for r in message["recipients"]
            for event in r["events"]
            if event["at"] <= now
        ),
        key=lambda item: item["time"],
    )
    return {
        "id": message["id"],
        "direction": message["direction"],
        "from": message["from"],
        "to": message["to"],
        "text": message["text"],
        "media": message.get("media") or [],
        "tag": message.get("tag"),
        "priority": message.get("priority"),
        "application_id": message["applicationId"],
        "segment_count": message["segmentCount"],
        "time": message["time"],
        "status": _overall([r["status"] for r in recipients]),
        "recipients": recipients,
        "history": history,
    }


def record_list(sandbox: Sandbox, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every message (oldest first) matching `to`, `from`, `tag`, `direction`, `id`."""
    now = sandbox.now()
    result = []
    for message in sandbox.store.all_messages():
        if "to" in filters and filters["to"] not in message["to"]:
            continue
        if "from" in filters and filters["from"] != message["from"]:
            continue
        if "tag" in filters and filters["tag"] != message.get("tag"):
            continue
        if "direction" in filters and filters["direction"] != message["direction"]:
            continue
        if "id" in filters and filters["id"] != message["id"]:
            continue
        result.append(record_view(message, now))
    return result


def _list_item(message: dict[str, Any], recipient: dict[str, Any], now: float) -> dict[str, Any]:
    state = recipient_status(recipient, message["direction"], now)
    media = [url for url in message.get("media") or [] if not url.endswith((".smil", ".xml"))]
    outbound = message["direction"] == "out"
    product = "TOLL_FREE" if is_toll_free(message["owner"]) else "P2P"
    return {
        "messageId": message["id"],
        "accountId": message["accountId"],
        "sourceTn": message["from"],
        "destinationTn": recipient["to"],
        "messageStatus": LIST_STATUS[state["status"]],
        "messageDirection": "OUTBOUND" if outbound else "INBOUND",
        "messageType": "mms" if message.get("media") else "sms",
        "segmentCount": message["segmentCount"],
        "errorCode": state["error_code"] or 0,
        "receiveTime": message["time"],
        "carrierName": None,
        "messageSize": len(message["text"].encode()),
        "messageLength": len(message["text"]),
        "attachmentCount": len(media),
        "recipientCount": len(message["to"]),
        "campaignClass": None,
        "campaignId": None,
        "product": product,
    }


def list_messages(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """GET /api/v2/users/{accountId}/messages: one item per (message, recipient), newest first."""
    args = request.args
    errors: list[tuple[str, str]] = []
    try:
        limit = int(args.get("limit", "1000"))
        offset = int(args.get("pageToken", "0") or "0")
    except ValueError:
        return validation_error([("limit", "'limit' and 'pageToken' must be whole numbers")])
    if not 1 <= limit <= 10000:
        errors.append(("limit", "'limit' must be between 1 and 10000"))
    bounds = {}
    for name in ("fromDateTime", "toDateTime"):
        if name in args:
            moment = parse_datetime(args[name])
            if moment is None:
                errors.append((name, f"'{name}' must be an ISO-8601 date-time"))
            else:
                bounds[name] = moment.timestamp()
    if errors:
        return validation_error(errors)

    now = sandbox.now()
    items = []
    for message in reversed(sandbox.store.all_messages()):
        if message["accountId"] != account_id:
            continue
        created = parse_datetime(message["time"])
        created_ts = created.timestamp() if created else 0.0
        if "fromDateTime" in bounds and created_ts < bounds["fromDateTime"]:
            continue
        if "toDateTime" in bounds and created_ts > bounds["toDateTime"]:
            continue
        for recipient in message["recipients"]:
            item = _list_item(message, recipient, now)
            if _matches(item, args):
                items.append(item)
    page = items[offset : offset + limit]
    next_token = str(offset + limit) if offset + limit < len(items) else None
    prev_token = str(max(0, offset - limit)) if offset > 0 else None
    body = {
        "totalCount": len(items),
        "pageInfo": {
            "prevPage": f"pageToken={prev_token}&limit={limit}" if prev_token else None,
            "nextPage": f"pageToken={next_token}&limit={limit}" if next_token else None,
            "prevPageToken": prev_token,
            "nextPageToken": next_token,
        },
        "messages": page,
    }
    return json_response(body)


def _matches(item: dict[str, Any], args: Any) -> bool:
    simple = {
        "messageId": "messageId",
        "sourceTn": "sourceTn",
        "destinationTn": "destinationTn",
        "messageStatus": "messageStatus",
        "messageDirection": "messageDirection",
        "messageType": "messageType",
    }
    for arg, key in simple.items():
        if arg in args and str(item[key]) != args[arg]:
            return False
    return not ("errorCode" in args and str(item["errorCode"]) != args["errorCode"])


def describe(message: dict[str, Any]) -> str:
    """A log-safe one-liner (no text, numbers masked)."""
    return (
        f"{message['id']} from {mask_number(message['from'])} to "
        f"{', '.join(mask_number(to) for to in message['to'])}"
    )
