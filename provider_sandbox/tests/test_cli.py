"""The sandbox_text and sandbox_call commands, end to end against a real sandbox."""

from __future__ import annotations

import os
import subprocess
import sys

from provider_sandbox.testing import REPO_ROOT, SandboxProcess

from .conftest import TF_NUMBER, CallbackReceiver


def _manage(sandbox: SandboxProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--sandbox-url", sandbox.url],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sandbox_text_injects_an_mms(
    sandbox: SandboxProcess, receiver: CallbackReceiver, tmp_path: object
) -> None:
    photo = os.path.join(str(tmp_path), "photo.jpg")
    with open(photo, "wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0jpeg")
    result = _manage(
        sandbox,
        "sandbox_text",
        "--from",
        "+12025550143",
        "--to",
        TF_NUMBER,
        "Here is the photo",
        "--media",
        photo,
    )
    assert result.returncode == 0, result.stderr
    message_id = result.stdout.strip()
    receiver.wait_for(lambda r: bool(r.messaging_events(message_id)))
    [event] = receiver.messaging_events(message_id)
    assert event["message"]["text"] == "Here is the photo"
    assert event["message"]["media"][1].endswith("/photo.jpg")


def test_sandbox_text_explains_a_refusal(sandbox: SandboxProcess) -> None:
    result = _manage(
        sandbox, "sandbox_text", "--from", "+12025550143", "--to", "+18335550100", "hi"
    )
    assert result.returncode != 0
    assert "is not a number of account" in result.stderr


def test_sandbox_call_prints_what_was_said(
    sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    result = _manage(sandbox, "sandbox_call", "--from", "+12025550143", "--to", TF_NUMBER)
    assert result.returncode == 0, result.stderr
    assert "Spoken: This number does not take calls. Please text it instead." in result.stdout
    assert "BXML valid: yes" in result.stdout

    receiver.voice_reply = (200, "application/xml", b"<Nope/>")
    bad = _manage(sandbox, "sandbox_call", "--from", "+12025550143", "--to", TF_NUMBER)
    assert bad.returncode != 0
    assert "BXML valid: no" in bad.stdout
