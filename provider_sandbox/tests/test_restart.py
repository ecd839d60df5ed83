"""A restart keeps owned numbers, messages, media, verification and pending callbacks."""

from __future__ import annotations

from pathlib import Path

import requests

from provider_sandbox.testing import running_sandbox

from .conftest import ACCOUNT, TF_NUMBER, CallbackReceiver


def test_restart_keeps_state_and_delivers_pending_callbacks(
    tmp_path: Path, receiver: CallbackReceiver
) -> None:
    receiver.reset()
    with running_sandbox(state_dir=tmp_path, callback_url=receiver.url) as first:
        control = first.control
        control.own_number(TF_NUMBER)
        control.set_verification(TF_NUMBER, "VERIFIED")
        control.set_faults(callbacks_paused=True)  # faults are not kept: they end with the run
        sent = requests.post(
            f"{first.url}/api/v2/users/{ACCOUNT}/messages",
            auth=(first.username, first.password),
            json={"applicationId": "a", "from": TF_NUMBER, "to": "+12025550143", "text": "hi"},
            timeout=5,
        ).json()["id"]
        inbound = control.inject_text(
            "+12025550143", TF_NUMBER, "pic", [("a.gif", "image/gif", b"GIF89a")]
        )
        assert receiver.messaging_events(sent) == []

    with running_sandbox(state_dir=tmp_path, callback_url=receiver.url) as second:
        control = second.control
        assert control.numbers() == [TF_NUMBER]
        assert {m["id"] for m in control.messages()} == {sent, inbound["message_id"]}
        status = requests.get(
            f"{second.url}/api/v2/accounts/{ACCOUNT}/phoneNumbers/{TF_NUMBER}/tollFreeVerification",
            auth=(second.username, second.password),
            timeout=5,
        ).json()
        assert status["status"] == "VERIFIED"
        media_url = inbound["media_urls"][1].replace(first.url, second.url)
        media = requests.get(media_url, auth=(second.username, second.password), timeout=5)
        assert media.content == b"GIF89a"
        # The callbacks held back by the pause are still queued, and now delivered.
        receiver.wait_for(
            lambda r: any(e["type"] == "message-delivered" for e in r.messaging_events(sent))
        )
        receiver.wait_for(lambda r: bool(r.messaging_events(inbound["message_id"])))
