"""Media download: injected MMS through the sandbox's media API, size limit, forged URLs."""

import json

import pytest

from texting.provider import (
    MediaTooLarge,
    ProviderClient,
    ProviderConfig,
    ProviderRejected,
    parse_message_callbacks,
)

from .conftest import CONTACT, OUR_NUMBER, api_requests
from .rawservers import answer, raw_server

JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + bytes(range(256)) * 40 + b"\xff\xd9"


@pytest.fixture
def mms(fresh_sandbox):
    return fresh_sandbox.control.inject_text(
        CONTACT,
        OUR_NUMBER,
        "Photo of the accident",
        media=[("scene photo.jpg", "image/jpeg", JPEG), ("notes.txt", "text/plain", b"hello")],
    )


def test_download_an_injected_attachment(provider, mms):
    smil_url, jpeg_url, text_url = mms["media_urls"]
    photo = provider.download_media(jpeg_url, max_bytes=1_000_000)
    assert photo.content == JPEG and photo.size == len(JPEG)
    assert photo.content_type == "image/jpeg"
    assert photo.filename == "scene_photo.jpg"  # as the sandbox stored it
    assert photo.media_id.endswith("/1/scene_photo.jpg")
    assert "xff" not in repr(photo)  # bytes stay out of logs

    notes = provider.download_media(text_url, max_bytes=100)
    assert (notes.content, notes.content_type, notes.filename) == (
        b"hello",
        "text/plain",
        "notes.txt",
    )

    smil = provider.download_media(smil_url, max_bytes=100_000)
    assert smil.content_type == "application/smil" and smil.content.startswith(b"<smil>")


def test_the_callback_media_urls_parse_and_download(provider, fresh_sandbox, mms):
    (callback,) = fresh_sandbox.control.callbacks(message_id=mms["message_id"])
    (event,) = parse_message_callbacks(json.dumps(callback["payload"]))
    assert event.is_inbound and event.text == "Photo of the accident"
    assert len(event.attachment_urls) == 2  # the .smil container part left out
    files = [provider.download_media(url, max_bytes=1_000_000) for url in event.attachment_urls]
    assert [f.content_type for f in files] == ["image/jpeg", "text/plain"]


def test_size_limit_aborts(provider, mms):
    with pytest.raises(MediaTooLarge) as excinfo:
        provider.download_media(mms["media_urls"][1], max_bytes=len(JPEG) - 1)
    error = excinfo.value
    assert error.final and error.max_bytes == len(JPEG) - 1
    assert error.declared_size == len(JPEG)
    assert isinstance(error, ProviderRejected) and error.error_type == "media-too-large"


def test_size_limit_aborts_while_streaming_without_a_declared_length():
    body = b"x" * 5000
    chunked = b"".join(
        b"%x\r\n" % len(body[i : i + 1000]) + body[i : i + 1000] + b"\r\n"
        for i in range(0, len(body), 1000)
    )
    raw = (
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunked + b"0\r\n\r\n"
    )
    with raw_server(answer(raw)) as (origin, _):
        config = ProviderConfig.for_origin(origin, account_id="9900000", username="u", password="p")
        client = ProviderClient(config)
        url = f"{origin}/api/v2/users/9900000/media/abc/1/big.png"
        with pytest.raises(MediaTooLarge) as excinfo:
            client.download_media(url, max_bytes=2500)
        assert excinfo.value.declared_size is None
        ok = client.download_media(url, max_bytes=5000)
    assert ok.size == 5000 and ok.filename == "big.png"


def test_missing_media_is_rejected(provider, fresh_sandbox):
    url = f"{provider.media_prefix}1795830000000aaaaaaaaaaaaaaaa/1/gone.jpg"
    with pytest.raises(ProviderRejected) as excinfo:
        provider.download_media(url, max_bytes=1000)
    assert excinfo.value.http_status == 404


def _forged(sandbox, mms) -> list[str]:
    real = mms["media_urls"][1]
    path = real.split(sandbox.url, 1)[1]
    port = int(sandbox.url.rsplit(":", 1)[1])
    media_path = "/api/v2/users/9900000/media/"
    return [
        "http://evil.example" + path,
        f"http://127.0.0.1:{port + 1}{path}",
        f"http://localhost:{port}{path}",  # same server, other spelling: not our origin
        f"https://127.0.0.1:{port}{path}",
        real.replace("/users/9900000/", "/users/1111111/"),
        real.replace(media_path, "/api/v2/users/9900000/mediafiles/"),
        real.replace(media_path, "/api/v2/users/9900000/messages/"),
        sandbox.url + media_path + "../messages",
        sandbox.url + media_path + "%2e%2e/%2e%2e/9900001/media/x",
        sandbox.url + media_path + "a/..%2F..%2Fmessages",
        sandbox.url + media_path,
        sandbox.url + media_path + "a%5C..%5C..%5Cmessages",
        f"http://2130706433:{port}{path}",  # 127.0.0.1 as a decimal host
        f"http://[::1]:{port}{path}",
        sandbox.url + media_path + "a//b.jpg",
        real + "?redirect=http://evil.example",
        real + "#frag",
        real.replace("http://", "http://sandbox:sandbox-password@"),
        real.replace("http://", "http://evil.example@"),
        "/api/v2/users/9900000/media/x/1/a.jpg",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        real + "\r\nX-Injected: 1",
        "",
    ]


def test_forged_media_urls_are_refused_without_a_request(provider, fresh_sandbox, mms, counting):
    fresh_sandbox.control.reset()  # clear the request log (the MMS stays in the list above)
    for url in _forged(fresh_sandbox, mms):
        with pytest.raises(ProviderRejected) as excinfo:
            provider.download_media(url, max_bytes=1_000_000)
        assert excinfo.value.error_type == "forbidden-media-url", url
        assert excinfo.value.http_status is None
    assert counting.sent == []
    assert api_requests(fresh_sandbox) == []
