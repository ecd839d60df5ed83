"""Inbound calls (PROVIDER_API.md section 7): initiate callback, BXML check, disconnect event.

The initiate callback is POSTed synchronously (the caller is waiting on the line), once, with
the voice timeout; the reply must be 200 with XML whose root is <Response> and whose verbs are
all known BXML verbs. The disconnect event then goes through the callback queue, so it is
retried like any other callback.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import requests

from . import callbacks
from .masking import mask_number
from .runtime import Sandbox, iso

MAX_BXML_BYTES = 64 * 1024
KNOWN_VERBS = frozenset({
    "Bridge", "Conference", "Forward", "Gather", "Hangup", "Pause", "PauseRecording",
    "PlayAudio", "Record", "Redirect", "ResumeRecording", "Ring", "SendDtmf", "SpeakSentence",
    "StartGather", "StartRecording", "StartStream", "StartTranscription", "StopGather",
    "StopRecording", "StopStream", "StopTranscription", "Tag", "Transfer",
})  # fmt: skip


@dataclass
class BxmlCheck:
    valid: bool
    spoken: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    error: str | None = None


def check_bxml(status: int | None, content_type: str, body: bytes) -> BxmlCheck:
    """Whether a reply to the initiate callback is BXML Bandwidth would execute."""
    if status != 200:
        return BxmlCheck(False, error=f"expected HTTP 200, got {status}")
    if "xml" not in content_type.lower():
        return BxmlCheck(False, error=f"expected an XML Content-Type, got '{content_type}'")
    if len(body) > MAX_BXML_BYTES:
        return BxmlCheck(False, error="BXML is larger than 64 KB")
    try:
        # Expat neither fetches external entities nor expands nested ones without limit.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        return BxmlCheck(False, error=f"not well-formed XML: {exc}")
    if root.tag != "Response":
        return BxmlCheck(False, error=f"root element must be <Response>, not <{root.tag}>")
    check = BxmlCheck(True)
    for verb in root:
        check.verbs.append(str(verb.tag))
        if verb.tag not in KNOWN_VERBS:
            return BxmlCheck(False, verbs=check.verbs, error=f"unknown BXML verb <{verb.tag}>")
        if verb.tag == "SpeakSentence":
            # The text may carry SSML tags; what the caller hears is the text inside them.
            check.spoken.append(re.sub(r"\s+", " ", "".join(verb.itertext())).strip())
    return check


def inject_call(sandbox: Sandbox, *, sender: str, to: str) -> dict[str, Any]:
    """Ring `to` from `sender`: run the call flow and return (and record) what happened."""
    now = sandbox.now()
    account = sandbox.config.account_id
    call_id = f"c-{uuid.uuid4().hex[:8]}-{uuid.uuid4()}"
    base = {
        "accountId": account,
        "applicationId": sandbox.config.effective_application_id,
        "from": sender,
        "to": to,
        "direction": "inbound",
        "callId": call_id,
        "callUrl": f"{sandbox.public_url}/api/v2/accounts/{account}/calls/{call_id}",
        "startTime": iso(now),
    }
    initiate = {"eventType": "initiate", "eventTime": iso(now), **base}
    row_id = sandbox.store.enqueue_callback(
        kind="voice",
        event_type="initiate",
        body=callbacks.encode(initiate),
        due_at=now,
        now=now,
        message_id=call_id,
        recipient=to,
        state="sending",
    )
    row = sandbox.store.get_callback(row_id)
    assert row is not None
    url = callbacks.target_url(sandbox, row)
    result: dict[str, Any] = {"call_id": call_id, "from": sender, "to": to, "time": iso(now)}
    if url is None:
        sandbox.store.mark_not_sent(row_id, "no callback URL configured")
        result.update(
            status="failed",
            bxml_valid=False,
            spoken=[],
            http_status=None,
            error="no callback URL configured",
        )
        sandbox.store.put_call(result, now)
        return result

    with requests.Session() as session:
        attempt = callbacks.post(sandbox, row, url, session, sandbox.config.voice_timeout)
    done = sandbox.now()
    sandbox.store.record_attempt(
        row_id,
        state="delivered" if attempt.delivered else "failed",
        status=attempt.status,
        error=attempt.error,
        due_at=now,
        delivered_at=done if attempt.delivered else None,
    )
    if attempt.response is None:
        check = BxmlCheck(False, error=attempt.error)
        bxml = ""
    else:
        content = attempt.response.content
        check = check_bxml(
            attempt.status, attempt.response.headers.get("Content-Type", ""), content
        )
        bxml = content[:MAX_BXML_BYTES].decode("utf-8", "replace")
    result.update(
        status="completed" if check.valid else "failed",
        bxml_valid=check.valid,
        spoken=check.spoken,
        verbs=check.verbs,
        http_status=attempt.status,
        bxml=bxml,
    )
    if check.error:
        result["error"] = check.error

    disconnect = {
        "eventType": "disconnect",
        "eventTime": iso(done),
        **base,
        "answerTime": iso(now) if check.valid else None,
        "endTime": iso(done),
        # Bandwidth hangs up with application-error when the BXML cannot be executed.
        "cause": "hangup" if check.valid else "application-error",
        "errorMessage": None if check.valid else check.error,
        "errorId": None,
    }
    callbacks.enqueue(
        sandbox,
        kind="voice",
        event_type="disconnect",
        payload=disconnect,
        due_at=done,
        message_id=call_id,
        recipient=to,
    )
    sandbox.store.put_call(result, now)
    return result


def describe(result: dict[str, Any]) -> str:
    """Log-safe summary of a call."""
    return f"call {result['call_id']} to {mask_number(result['to'])}: {result['status']}"
