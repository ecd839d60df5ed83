"""Injected inbound calls: initiate callback, BXML check, disconnect event."""

from __future__ import annotations

import pytest

from provider_sandbox.testing import SandboxProcess

from .conftest import TF_NUMBER, CallbackReceiver

CALLER = "+12025550143"


def test_call_with_valid_bxml_records_what_was_said(
    sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    call = sandbox.control.inject_call(CALLER, TF_NUMBER)
    assert call["bxml_valid"] is True
    assert call["status"] == "completed"
    assert call["spoken"] == ["This number does not take calls. Please text it instead."]
    initiate = receiver.received("/webhooks/provider/voice")[0]
    assert initiate.json["eventType"] == "initiate"
    assert initiate.json["to"] == TF_NUMBER
    assert initiate.json["from"] == CALLER
    assert initiate.json["callId"] == call["call_id"]
    assert initiate.headers["authorization"].startswith("Basic ")
    receiver.wait_for(lambda r: len(r.received("/voice")) == 2)
    disconnect = receiver.received("/voice")[1].json
    assert (disconnect["eventType"], disconnect["cause"]) == ("disconnect", "hangup")
    assert disconnect["callId"] == call["call_id"]
    assert [c["call_id"] for c in sandbox.control.calls()] == [call["call_id"]]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ((200, "application/xml", b"<Bxml><Hangup/></Bxml>"), "root element"),
        ((200, "application/xml", b"<Response><Dance/></Response>"), "unknown BXML verb"),
        ((200, "application/xml", b"<Response><Hangup>"), "not well-formed"),
        ((200, "text/plain", b"<Response><Hangup/></Response>"), "Content-Type"),
        ((500, "application/xml", b"<Response><Hangup/></Response>"), "HTTP 200"),
    ],
)
def test_invalid_bxml_is_reported(
    sandbox: SandboxProcess, receiver: CallbackReceiver, reply: tuple, error: str
) -> None:
    receiver.voice_reply = reply
    call = sandbox.control.inject_call(CALLER, TF_NUMBER)
    assert call["bxml_valid"] is False
    assert call["status"] == "failed"
    assert error in call["error"]
    receiver.wait_for(lambda r: len(r.received("/voice")) == 2)
    assert receiver.received("/voice")[1].json["cause"] == "application-error"
