"""The control API's own rules: settings validation, reset, and the records it keeps."""

from __future__ import annotations

import pytest
import requests

from provider_sandbox.testing import SandboxProcess

from .conftest import TF_NUMBER, Api


def test_settings_are_changed_and_validated(sandbox: SandboxProcess) -> None:
    settings = sandbox.control.set_settings(verification_delay_seconds=2, queue_size=5)
    assert (settings["verification_delay_seconds"], settings["queue_size"]) == (2.0, 5)
    with pytest.raises(requests.HTTPError) as error:
        sandbox.control.set_settings(queue_size=-1)
    assert "queue_size" in error.value.response.json()["error"]
    with pytest.raises(requests.HTTPError):
        sandbox.control.set_settings(no_such_setting=True)


def test_reset_forgets_state_but_keeps_settings(sandbox: SandboxProcess, api: Api) -> None:
    sandbox.control.set_settings(queue_size=7)
    sandbox.control.set_faults(send_429_rate=0.5)
    api.send()
    sandbox.control.reset()
    assert sandbox.control.messages() == []
    assert sandbox.control.callbacks() == []
    assert sandbox.control.numbers() == []
    assert sandbox.control.faults()["send_429_rate"] == 0.0
    assert sandbox.control.settings()["queue_size"] == 7


def test_own_number_refuses_non_e164(sandbox: SandboxProcess) -> None:
    with pytest.raises(requests.HTTPError):
        sandbox.control.own_number("8445550100")
    assert sandbox.control.numbers() == [TF_NUMBER]


def test_messages_filters(sandbox: SandboxProcess, api: Api) -> None:
    api.send(to="+12025550143", tag="a")
    api.send(to="+12025550144", tag="b")
    sandbox.control.inject_text("+12025550143", TF_NUMBER, "hi")
    assert [m["tag"] for m in sandbox.control.messages(to="+12025550144")] == ["b"]
    assert len(sandbox.control.messages(direction="out")) == 2
    assert len(sandbox.control.messages(from_="+12025550143")) == 1
