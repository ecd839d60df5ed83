"""Outbound callbacks: test numbers, the envelope, retries and the callback faults."""

from __future__ import annotations

import base64
import time
from datetime import datetime

import pytest

from provider_sandbox.messaging import TERMINAL_AFTER_SECONDS
from provider_sandbox.outcomes import FAILURE_CODES
from provider_sandbox.testing import SandboxProcess

from .conftest import TF_NUMBER, Api, CallbackReceiver

DELIVERS = "+12025550143"
PICTURE = "https://example.com/hearing-notice.png"


def _seconds(iso_time: str) -> float:
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp()


def _terminal(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] in ("message-delivered", "message-failed")]


def _wait_terminal(receiver: CallbackReceiver, message_id: str, count: int = 1) -> None:
    receiver.wait_for(lambda r: len(_terminal(r.messaging_events(message_id))) >= count)


def test_normal_number_is_delivered(api: Api, receiver: CallbackReceiver) -> None:
    message_id = api.send(to=DELIVERS, tag="tag-1").json()["id"]
    _wait_terminal(receiver, message_id)
    events = receiver.messaging_events(message_id)
    assert [e["type"] for e in events] == ["message-delivered"]  # an SMS: no message-sending
    delivered = events[-1]
    assert delivered["to"] == DELIVERS
    assert delivered["description"] == "ok"
    assert "errorCode" not in delivered
    assert delivered["message"]["text"] == ""  # Bandwidth does not keep text
    assert delivered["message"]["tag"] == "tag-1"
    assert delivered["message"]["direction"] == "out"
    assert delivered["message"]["owner"] == TF_NUMBER


@pytest.mark.parametrize("code", sorted(FAILURE_CODES))
def test_test_number_fails_with_its_code(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess, code: int
) -> None:
    to = f"+1202555{code:04d}"
    message_id = api.send(to=to).json()["id"]
    _wait_terminal(receiver, message_id)
    [failed] = _terminal(receiver.messaging_events(message_id))
    assert failed["type"] == "message-failed"
    assert failed["errorCode"] == code
    assert failed["to"] == to
    assert failed["description"] == FAILURE_CODES[code].name
    recorded = sandbox.control.callbacks(message_id=message_id, event_type="message-failed")
    assert len(recorded) == 1
    [record] = sandbox.control.messages(id=message_id)
    assert record["status"] == "failed"
    assert record["recipients"][0]["error_code"] == code


def test_group_message_gets_one_terminal_event_per_recipient(
    api: Api, receiver: CallbackReceiver
) -> None:
    message_id = api.send(to=[DELIVERS, "+12025554720", "+12025550144"]).json()["id"]
    _wait_terminal(receiver, message_id, count=3)
    terminal = {e["to"]: e["type"] for e in _terminal(receiver.messaging_events(message_id))}
    assert terminal == {
        DELIVERS: "message-delivered",
        "+12025554720": "message-failed",
        "+12025550144": "message-delivered",
    }


def test_envelope_headers_and_basic_auth(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    message_id = api.send().json()["id"]
    _wait_terminal(receiver, message_id)
    request = receiver.received("/webhooks/provider/messaging")[-1]
    assert isinstance(request.json, list) and len(request.json) == 1
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["user-agent"] == "BandwidthAPI/v2"
    expected = base64.b64encode(
        f"{sandbox.webhook_username}:{sandbox.webhook_password}".encode()
    ).decode()
    assert request.headers["authorization"] == f"Basic {expected}"


def test_callbacks_are_retried_until_2xx(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    receiver.fail_next(500, 503)
    message_id = api.send().json()["id"]
    _wait_terminal(receiver, message_id)
    control = sandbox.control
    found = control.wait_for_callbacks(
        lambda cbs: all(cb["delivered"] for cb in cbs), message_id=message_id
    )
    [only] = found
    assert only["event_type"] == "message-delivered"
    assert only["attempts"] == 3
    assert only["last_status"] == 200
    sent = [e["type"] for e in receiver.messaging_events(message_id)]
    assert sent == ["message-delivered"] * 3  # two refused, one accepted


def test_unreachable_app_is_retried(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.control.set_settings(callback_url="http://127.0.0.1:9")  # nothing listens there
    message_id = api.send().json()["id"]
    found = sandbox.control.wait_for_callbacks(
        lambda cbs: bool(cbs) and cbs[0]["attempts"] >= 2, message_id=message_id
    )
    assert found[0]["state"] == "pending"
    assert found[0]["last_error"].startswith("connection error")


def test_duplicate_callbacks_fault_sends_each_twice(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    sandbox.control.set_faults(duplicate_callbacks=True)
    message_id = api.send().json()["id"]
    _wait_terminal(receiver, message_id, count=2)
    types = [e["type"] for e in receiver.messaging_events(message_id)]
    assert types == ["message-delivered", "message-delivered"]
    bodies = [
        r.body for r in receiver.received("/messaging") if r.event["type"] == "message-delivered"
    ]
    assert bodies[0] == bodies[1]


def test_out_of_order_fault_sends_terminal_first(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    sandbox.control.set_faults(out_of_order_callbacks=True)
    message_id = api.send(media=[PICTURE]).json()["id"]
    receiver.wait_for(lambda r: len(r.messaging_events(message_id)) == 2)
    types = [e["type"] for e in receiver.messaging_events(message_id)]
    assert types == ["message-delivered", "message-sending"]
    [record] = sandbox.control.messages(id=message_id)
    assert record["status"] == "delivered"  # the record is not downgraded by the late event


def test_out_of_order_fault_sends_an_sms_terminal_event_at_once(
    api: Api, sandbox: SandboxProcess
) -> None:
    in_order = api.send().json()["id"]
    sandbox.control.set_faults(out_of_order_callbacks=True)
    at_once = api.send().json()["id"]
    for message_id, delay in ((in_order, TERMINAL_AFTER_SECONDS), (at_once, 0.0)):
        [callback] = sandbox.control.callbacks(message_id=message_id)
        [record] = sandbox.control.messages(id=message_id)
        assert callback["event_type"] == "message-delivered"
        # Both sent within the rate's burst: each left the rate-limit queue when accepted.
        assert _seconds(callback["due_at"]) - _seconds(record["time"]) == pytest.approx(
            delay, abs=0.01
        )


def test_an_mms_gets_message_sending_before_its_terminal_event(
    api: Api, receiver: CallbackReceiver
) -> None:
    message_id = api.send(media=[PICTURE]).json()["id"]
    _wait_terminal(receiver, message_id)
    types = [e["type"] for e in receiver.messaging_events(message_id)]
    assert types == ["message-sending", "message-delivered"]


def test_pause_holds_callbacks_until_resumed(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    sandbox.control.set_faults(callbacks_paused=True)
    message_id = api.send().json()["id"]
    time.sleep(0.5)
    assert receiver.messaging_events(message_id) == []
    [record] = sandbox.control.messages(id=message_id)
    assert record["status"] == "delivered"  # the message went on; only its callbacks wait
    sandbox.control.set_faults(callbacks_paused=False)
    _wait_terminal(receiver, message_id)


def test_without_callback_url_callbacks_are_recorded_not_sent(
    api: Api, receiver: CallbackReceiver, sandbox: SandboxProcess
) -> None:
    sandbox.control.set_settings(callback_url=None)
    message_id = api.send().json()["id"]
    found = sandbox.control.wait_for_callbacks(
        lambda cbs: len(cbs) == 1 and all(cb["state"] == "not_sent" for cb in cbs),
        message_id=message_id,
    )
    assert found[0]["target"] is None
    assert receiver.messaging_events(message_id) == []
