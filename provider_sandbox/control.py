"""Control API under /sandbox/: what tests and the CLI use to drive and inspect the sandbox.

Everything here is sandbox-only (Bandwidth has no such routes). Errors are 400
`{"error": "<sentence>"}`. See docs/provider-sandbox.md for each route with an example.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from werkzeug.wrappers import Request, Response

from . import messaging, verification, voice
from .callbacks import target_url
from .faults import FaultsError
from .masking import mask_number
from .media import MAX_MEDIA_BYTES, store_inbound_parts
from .responses import control_error, json_response
from .runtime import Sandbox, SettingsError, iso, new_message_id
from .validation import is_e164

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10


def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def health() -> Response:
    return json_response({"ok": True})


def reset(sandbox: Sandbox) -> Response:
    sandbox.reset()
    logger.info("sandbox reset")
    return json_response({"ok": True})


def get_faults(sandbox: Sandbox) -> Response:
    return json_response(sandbox.faults.as_dict())


def put_faults(sandbox: Sandbox, request: Request) -> Response:
    body = _body(request)
    if body is None:
        return control_error("Send a JSON object of fault settings.")
    try:
        faults = sandbox.faults.update(body)
    except FaultsError as exc:
        return control_error(str(exc))
    sandbox.wake()  # e.g. callbacks were just resumed
    return json_response(faults)


def get_settings(sandbox: Sandbox) -> Response:
    return json_response(sandbox.settings.as_dict())


def put_settings(sandbox: Sandbox, request: Request) -> Response:
    body = _body(request)
    if body is None:
        return control_error("Send a JSON object of settings.")
    try:
        settings = sandbox.update_settings(body)
    except SettingsError as exc:
        return control_error(str(exc))
    return json_response(settings.as_dict())


def own_number(sandbox: Sandbox, e164: str) -> Response:
    if not is_e164(e164):
        return control_error(f"'{e164}' is not an E.164 number such as +18445550100.")
    sandbox.store.own_number(sandbox.config.account_id, e164, sandbox.now())
    return json_response({"number": e164, "owned": True})


def list_numbers(sandbox: Sandbox) -> Response:
    return json_response(sandbox.store.owned_numbers(sandbox.config.account_id))


def put_verification(sandbox: Sandbox, request: Request, e164: str) -> Response:
    body = _body(request)
    if body is None:
        return control_error('Send a JSON object such as {"status": "VERIFIED"}.')
    phone = verification.normalize_phone(e164)
    if not is_e164(phone):
        return control_error(f"'{e164}' is not an E.164 number such as +18445550100.")
    status = body.get("status")
    if status not in verification.STATUSES:
        return control_error("status must be one of PENDING, VERIFIED, UNVERIFIED.")
    code = body.get("denialStatusCode")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        return control_error("denialStatusCode must be an integer such as 546.")
    reason = body.get("declineReasonDescription")
    if reason is not None and not isinstance(reason, str):
        return control_error("declineReasonDescription must be a string.")
    resubmit = body.get("resubmitAllowed")
    if resubmit is not None and not isinstance(resubmit, bool):
        return control_error("resubmitAllowed must be true or false.")
    record = verification.set_status(
        sandbox, sandbox.config.account_id, phone, status, code, reason, resubmit
    )
    return json_response(verification.public_status(record))


def _attachments(raw: Any) -> list[tuple[str, str, bytes]] | str:
    """Decoded (filename, content_type, bytes) triples, or a sentence saying what is wrong."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ATTACHMENTS:
        return f"media must be a list of at most {MAX_ATTACHMENTS} attachments."
    parts = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            return f"media[{index}] must be an object with filename, content_type, content_base64."
        filename, content_type = item.get("filename"), item.get("content_type")
        if (
            not isinstance(filename, str)
            or not isinstance(content_type, str)
            or "/" not in content_type
        ):
            return f"media[{index}] needs a filename and a content_type such as image/jpeg."
        try:
            content = base64.b64decode(item.get("content_base64") or "", validate=True)
        except (binascii.Error, TypeError):
            return f"media[{index}].content_base64 is not valid base64."
        if len(content) > MAX_MEDIA_BYTES:
            return f"media[{index}] is larger than 3.5 MB."
        parts.append((filename, content_type, content))
    return parts


def inbound_message(sandbox: Sandbox, request: Request) -> Response:
    """POST /sandbox/inbound/messages: a text (or MMS) from a phone to one of our numbers."""
    body = _body(request)
    if body is None:
        return control_error("Send a JSON object with from, to, text and optional media.")
    sender, to, text = body.get("from"), body.get("to"), body.get("text") or ""
    account = sandbox.config.account_id
    if not is_e164(sender):
        return control_error(f"from '{sender}' is not an E.164 number such as +12025550143.")
    if not is_e164(to):
        return control_error(f"to '{to}' is not an E.164 number such as +18445550100.")
    if not sandbox.store.is_owned(account, to):
        return control_error(
            f"to '{to}' is not a number of account {account}: "
            f"order it or PUT /sandbox/numbers/{to}."
        )
    if not isinstance(text, str) or len(text) > messaging.MAX_TEXT:
        return control_error(f"text must be a string of at most {messaging.MAX_TEXT} characters.")
    attachments = _attachments(body.get("media"))
    if isinstance(attachments, str):
        return control_error(attachments)
    if not text and not attachments:
        return control_error("Give a text, media, or both.")
    now = sandbox.now()
    message_id = new_message_id(now)
    media_urls = (
        store_inbound_parts(sandbox, account, message_id, attachments, has_text=bool(text))
        if attachments
        else []
    )
    messaging.record_inbound(
        sandbox,
        account_id=account,
        sender=sender,
        to=to,
        text=text,
        media=media_urls,
        message_id=message_id,
        now=now,
    )
    logger.info(
        "injected inbound %s from %s to %s (%d media)",
        message_id,
        mask_number(sender),
        mask_number(to),
        len(media_urls),
    )
    return json_response({"message_id": message_id, "media_urls": media_urls}, 201)


def inbound_call(sandbox: Sandbox, request: Request) -> Response:
    """POST /sandbox/inbound/calls: run an inbound call against the app's voice webhook."""
    body = _body(request)
    if body is None:
        return control_error("Send a JSON object with from and to.")
    sender, to = body.get("from"), body.get("to")
    if not is_e164(sender) or not is_e164(to):
        return control_error("from and to must be E.164 numbers such as +12025550143.")
    if not sandbox.store.is_owned(sandbox.config.account_id, to):
        return control_error(f"to '{to}' is not a number of account {sandbox.config.account_id}.")
    result = voice.inject_call(sandbox, sender=sender, to=to)
    logger.info("%s", voice.describe(result))
    return json_response(result)


def list_messages(sandbox: Sandbox, request: Request) -> Response:
    keys = ("to", "from", "tag", "direction", "id")
    filters = {key: request.args[key] for key in keys if key in request.args}
    return json_response(messaging.record_list(sandbox, filters))


def list_callbacks(sandbox: Sandbox, request: Request) -> Response:
    """Every callback (oldest first); filters: kind, event_type, message_id, recipient, state."""
    keys = ("kind", "event_type", "message_id", "recipient", "state")
    filters = {key: request.args[key] for key in keys if key in request.args}
    items = []
    for row in sandbox.store.all_callbacks():
        view: dict[str, Any] = {
            "id": row.id,
            "kind": row.kind,
            "event_type": row.event_type,
            "message_id": row.message_id,
            "recipient": row.recipient,
            "target": target_url(sandbox, row),
            "state": row.state,
            "attempts": row.attempts,
            "last_status": row.last_status,
            "last_error": row.last_error,
            "delivered": row.state == "delivered",
            "delivered_at": iso(row.delivered_at) if row.delivered_at else None,
            "created_at": iso(row.created_at),
            "due_at": iso(row.due_at),
            "duplicate": row.duplicate,
            "payload": json.loads(row.body),
        }
        if all(str(view[key]) == value for key, value in filters.items()):
            items.append(view)
    return json_response(items)


def list_calls(sandbox: Sandbox) -> Response:
    return json_response(sandbox.store.all_calls())


def list_tokens(sandbox: Sandbox) -> Response:
    """OAuth2 tokens issued (last four characters only), so tests can count token requests."""
    tokens = [
        {"token_suffix": token[-4:], "issued_at": iso(issued), "expires_at": iso(expires)}
        for token, issued, expires in sandbox.store.all_tokens()
    ]
    return json_response(tokens)
