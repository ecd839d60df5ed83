"""Send faults (500, 429, slow responses) and the account rate limit."""

from __future__ import annotations

import pytest
import requests

from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, TF_NUMBER, Api, CallbackReceiver


def test_500_rate_one_always_fails_and_nothing_is_sent(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.control.set_faults(send_500_rate=1.0)
    response = api.send()
    assert response.status_code == 500
    assert set(response.json()) == {"type", "description"}
    assert sandbox.control.messages() == []


def test_429_rate_one_always_throttles(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.control.set_faults(send_429_rate=1.0)
    response = api.send()
    assert response.status_code == 429
    assert response.json()["type"] == "max-message-queue-size-exceeded"
    assert response.headers["Retry-After"] == "1"


def test_fault_rates_are_reproducible(api: Api, sandbox: SandboxProcess) -> None:
    def run() -> list[int]:
        sandbox.control.set_faults(send_500_rate=0.5)
        return [api.send().status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {202, 500}


def test_invalid_faults_are_refused(sandbox: SandboxProcess) -> None:
    with pytest.raises(requests.HTTPError) as error:
        sandbox.control.set_faults(send_500_rate=2)
    assert "between 0 and 1" in error.value.response.json()["error"]
    assert sandbox.control.faults()["send_500_rate"] == 0.0


def test_slow_response_times_out_but_the_message_was_accepted(
    api: Api, sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    sandbox.control.set_faults(send_delay_seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        api.session.post(
            api.url(f"/api/v2/users/{ACCOUNT}/messages"),
            json={
                "applicationId": "a",
                "from": TF_NUMBER,
                "to": ["+12025550143"],
                "text": "hi",
                "tag": "lost-response",
            },
            timeout=(5, 0.3),
        )
    [record] = sandbox.control.messages(tag="lost-response")
    receiver.wait_for(
        lambda r: any(e["type"] == "message-delivered" for e in r.messaging_events(record["id"]))
    )


def test_rate_limit_queues_then_refuses_with_429(
    api: Api, sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    sandbox.control.set_settings(rate_limit_segments_per_second=1, queue_size=2)
    statuses = [api.send(tag=f"burst-{n}").status_code for n in range(4)]
    assert statuses == [202, 202, 202, 429]  # one leaves now, two wait, the queue is full
    refused = api.send()
    assert refused.status_code == 429
    assert refused.json()["type"] == "max-message-queue-size-exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    # The queued message's events happen when it leaves the queue, about a second later.
    [queued] = sandbox.control.messages(tag="burst-1")
    assert queued["status"] == "accepted"


def test_rate_limit_counts_segments(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.control.set_settings(rate_limit_segments_per_second=2, queue_size=0)
    assert api.send(text="a" * 200).status_code == 202  # 2 segments: the whole burst
    assert api.send().status_code == 429
