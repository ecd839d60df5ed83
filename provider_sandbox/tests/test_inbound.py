"""Injected inbound SMS/MMS and the media API."""

from __future__ import annotations

import pytest
import requests

from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, TF_NUMBER, Api, CallbackReceiver

PHONE = "+12025550143"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_inbound_sms_reaches_the_app(sandbox: SandboxProcess, receiver: CallbackReceiver) -> None:
    result = sandbox.control.inject_text(PHONE, TF_NUMBER, "STOP")
    assert result["media_urls"] == []
    receiver.wait_for(lambda r: bool(r.messaging_events(result["message_id"])))
    [event] = receiver.messaging_events(result["message_id"])
    assert event["type"] == "message-received"
    assert event["to"] == TF_NUMBER
    message = event["message"]
    assert message["direction"] == "in"
    assert message["owner"] == TF_NUMBER
    assert message["to"] == [TF_NUMBER]
    assert message["from"] == PHONE
    assert message["text"] == "STOP"
    assert message["segmentCount"] == 1
    assert "media" not in message
    [record] = sandbox.control.messages(direction="in")
    assert record["status"] == "received"


def test_inbound_mms_media_is_served_behind_auth(
    sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    result = sandbox.control.inject_text(
        PHONE, TF_NUMBER, "photo", media=[("my photo.png", "image/png", PNG)]
    )
    smil_url, image_url = result["media_urls"]
    assert smil_url.endswith("/0/0.smil")
    assert image_url == (
        f"{sandbox.url}/api/v2/users/{ACCOUNT}/media/{result['message_id']}/1/my_photo.png"
    )
    receiver.wait_for(lambda r: bool(r.messaging_events(result["message_id"])))
    [event] = receiver.messaging_events(result["message_id"])
    assert event["message"]["media"] == result["media_urls"]

    auth = (sandbox.username, sandbox.password)
    image = requests.get(image_url, auth=auth, timeout=5)
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["Content-Type"] == "image/png"
    smil = requests.get(smil_url, auth=auth, timeout=5)
    assert smil.headers["Content-Type"] == "application/smil"
    assert b"my_photo.png" in smil.content
    assert requests.get(image_url, timeout=5).status_code == 401


def test_inbound_to_a_number_we_do_not_own_is_refused(sandbox: SandboxProcess) -> None:
    with pytest.raises(requests.HTTPError) as error:
        sandbox.control.inject_text(PHONE, "+18335550100", "hello")
    assert error.value.response.status_code == 400
    assert "is not a number of account" in error.value.response.json()["error"]


def test_media_upload_list_download_delete(api: Api) -> None:
    url = api.url(f"/api/v2/users/{ACCOUNT}/media/uploads/a.jpg")
    put = api.session.put(url, data=b"jpeg-bytes", headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 204
    got = api.session.get(url, timeout=5)
    assert (got.content, got.headers["Content-Type"]) == (b"jpeg-bytes", "image/jpeg")
    listed = api.session.get(api.url(f"/api/v2/users/{ACCOUNT}/media"), timeout=5).json()
    assert {"contentLength": 10, "mediaName": "uploads/a.jpg", "content": url} in listed
    assert api.session.delete(url, timeout=5).status_code == 204
    assert api.session.get(url, timeout=5).status_code == 404
