"""No SSRF through a forged media URL (issue 9): an inbound MMS callback names the URLs we
download with the provider's credentials, and anyone who can post a callback (or forge one)
chooses them. Only the provider's own media path of our account is ever fetched.

Each test posts the callback to the real webhook endpoint with Basic auth, runs the
processing and media tasks, and proves "no request" with a local HTTP server that records
every request it gets. A guard on the socket layer records (and blocks) any connection or
name lookup beyond the loopback, so a hostile URL can never leave this machine even if the
check under test broke. texting/tests/test_media.py covers the genuine downloads.
"""

import base64
import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_scopes import scope

from accounts.models import Firm
from texting.models import Message, MessageMedia, ProviderEvent
from texting.services.media import NOT_DOWNLOADED
from texting.tasks import inbound_media_fetch_task, provider_event_process_task
from texting.tests.inbound import CLIENT_NUMBER, FIRM_NUMBER, texted_contact

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
TEXT = "Photo of the lease attached"


@dataclass
class Recorder:
    """A local HTTP server thread: answers every GET with `status` (and `location`), and
    records the path of each request it gets."""

    status: int = 200
    location: str = ""
    paths: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Recorder":
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.paths.append(self.path)
                self.send_response(recorder.status)
                if recorder.location:
                    self.send_header("Location", recorder.location)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(JPEG)))
                self.end_headers()
                self.wfile.write(JPEG)

            do_POST = do_HEAD = do_PUT = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder().start()
    yield server
    server.stop()


def _is_loopback(host: object) -> bool:
    name = str(host).strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hosts beyond the loopback that anything in the test tried to look up or reach; the
    attempt is refused, so no packet leaves the machine whatever the code under test does."""
    attempts: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            attempts.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, "blocked by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(str(address[0]))
            raise ConnectionRefusedError("blocked by the test")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def _basic() -> str:
    raw = f"{django_settings.WEBHOOK_USERNAME}:{django_settings.WEBHOOK_PASSWORD}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def _inbound_callback(message_id: str, media: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "type": "message-received",
            "time": "2026-07-22T18:20:16.000Z",
            "description": "Incoming message received",
            "to": FIRM_NUMBER,
            "message": {
                "id": message_id,
                "owner": FIRM_NUMBER,
                "applicationId": "sandbox-application",
                "time": "2026-07-22T18:20:16.000Z",
                "segmentCount": 1,
                "direction": "in",
                "to": [FIRM_NUMBER],
                "from": CLIENT_NUMBER,
                "text": TEXT,
                "media": media,
            },
        }
    ]


def receive_through_the_webhook(
    client: Client, firm: Firm, media: list[str], message_id: str = "1720000001000ssrf0000000001"
) -> list[MessageMedia]:
    """Post the callback as the provider would, run the tasks; the message's media rows."""
    response = client.post(
        "/webhooks/provider/messaging",
        data=json.dumps(_inbound_callback(message_id, media)),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(),
    )
    assert response.status_code == 200
    with scope(firm=firm.id):
        event = ProviderEvent.objects.get(provider_message_id=message_id)
    provider_event_process_task(firm.id, event.id)
    with scope(firm=firm.id):
        message = Message.objects.get(provider_message_id=message_id)
    inbound_media_fetch_task(firm.id, message.id)
    with scope(firm=firm.id):
        message.refresh_from_db()
        assert message.body == TEXT  # the text is kept whatever happened to the media
        assert message.media_fetched_at is not None
        return list(MessageMedia.objects.filter(message=message).order_by("position"))


def _refused(media: list[MessageMedia]) -> list[tuple[bool, str | None, bool]]:
    return [(m.accepted, m.metadata.get("refused_type"), bool(m.file)) for m in media]


@pytest.fixture
def media_path(sandbox: Any) -> str:
    """The path of this account's media at the provider: the only path ever fetched."""
    return f"/api/v2/users/{sandbox.account_id}/media/"


@pytest.fixture
def genuine(texting_firm: Firm, sandbox: Any, settings: Any, tmp_path: Any) -> str:
    """The media URL of a JPEG the provider really holds, texted by the firm's contact."""
    settings.MEDIA_ROOT = tmp_path
    texted_contact(texting_firm)
    injected = sandbox.control.inject_text(
        CLIENT_NUMBER, FIRM_NUMBER, "", media=[("lease.jpg", "image/jpeg", JPEG)]
    )
    return next(url for url in injected["media_urls"] if url.endswith(".jpg"))


def _media_requests(sandbox: Any, before: int) -> list[str]:
    return [
        r.get("path", "")
        for r in sandbox.control.requests()[before:]
        if "/media/" in r.get("path", "")
    ]


@pytest.mark.django_db
def test_forged_media_urls_are_refused_and_nothing_else_is_ever_requested(
    texting_firm: Firm,
    sandbox: Any,
    recorder: Recorder,
    outside: list[str],
    media_path: str,
    genuine: str,
) -> None:
    provider = genuine.split(media_path)[0]  # http://127.0.0.1:<sandbox port>
    provider_hostport = provider.removeprefix("http://")
    elsewhere = recorder.origin
    hostile = [
        f"{elsewhere}{media_path}x/1/a.jpg",  # same path, another server
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://169.254.169.254" + media_path + "x/1/a.jpg",
        f"{provider}/api/v2/users/1234567/media/x/1/a.jpg",  # another account
        f"{provider}/sandbox/messages",  # the provider, another path
        f"{provider}{media_path}../../../../sandbox/messages",
        f"{provider}{media_path}%2e%2e/%2e%2e/%2e%2e/%2e%2e/sandbox/messages",
        f"{provider}{media_path}x%2F..%2F..%2Fsandbox",
        "file:///etc/passwd",
        f"http://provider@{elsewhere.removeprefix('http://')}{media_path}x/1/a.jpg",
        f"http://{provider_hostport}@{elsewhere.removeprefix('http://')}{media_path}x/1/a.jpg",
        f"{elsewhere}\\@{provider_hostport}{media_path}x/1/a.jpg",
        f"http://provider@evil.example{media_path}x/1/a.jpg",
        f"http://{provider_hostport.replace('127.0.0.1', '127.0.0.1.')}{media_path}x/1/a.jpg",
        f"http://{provider_hostport.replace('127.0.0.1', '[::ffff:127.0.0.1]')}{media_path}x.jpg",
        f"https://{provider_hostport}{media_path}x/1/a.jpg",  # another scheme, same host
        f"{genuine}?next={elsewhere}/",
        f"{genuine}#{elsewhere}/",
        f"//{elsewhere.removeprefix('http://')}{media_path}x/1/a.jpg",
        f"gopher://{elsewhere.removeprefix('http://')}/_GET%20/",
    ]
    before = len(sandbox.control.requests())

    media = receive_through_the_webhook(Client(), texting_firm, [*hostile, genuine])

    assert _refused(media) == [(False, NOT_DOWNLOADED, False)] * len(hostile) + [(True, None, True)]
    assert recorder.paths == []
    assert outside == []
    # The genuine attachment, and nothing else, reached the provider's media path.
    assert _media_requests(sandbox, before) == [genuine.removeprefix(provider)]


@pytest.mark.django_db
def test_an_http_media_url_is_refused_when_the_provider_is_https(
    texting_firm: Firm,
    sandbox: Any,
    recorder: Recorder,
    outside: list[str],
    media_path: str,
    settings: Any,
) -> None:
    # The provider reached over TLS: a callback may not downgrade the download to plain
    # HTTP, where the credentials and the file would travel in the clear.
    hostport = recorder.origin.removeprefix("http://")
    settings.PROVIDER_MESSAGING_URL = f"https://{hostport}/api/v2"
    texted_contact(texting_firm)

    media = receive_through_the_webhook(
        Client(), texting_firm, [f"http://{hostport}{media_path}x/1/a.jpg"]
    )

    assert _refused(media) == [(False, NOT_DOWNLOADED, False)]
    assert recorder.paths == []
    assert outside == []


@pytest.mark.django_db
def test_the_host_is_compared_without_case_and_a_trailing_dot_is_another_host(
    texting_firm: Firm,
    sandbox: Any,
    recorder: Recorder,
    outside: list[str],
    media_path: str,
    settings: Any,
    genuine: str,
) -> None:
    port = genuine.split("127.0.0.1:")[1].split("/")[0]
    media_id = genuine.split(media_path)[1]
    settings.PROVIDER_MESSAGING_URL = f"http://localhost:{port}/api/v2"
    before = len(sandbox.control.requests())

    media = receive_through_the_webhook(
        Client(),
        texting_firm,
        [
            f"http://localhost.:{port}{media_path}{media_id}",
            f"http://LocalHost.:{recorder.origin.split(':')[-1]}{media_path}{media_id}",
            f"HTTP://LOCALHOST:{port}{media_path}{media_id}",  # the provider's own origin
        ],
    )

    assert _refused(media) == [(False, NOT_DOWNLOADED, False)] * 2 + [(True, None, True)]
    assert recorder.paths == []
    assert outside == []
    assert _media_requests(sandbox, before) == [f"{media_path}{media_id}"]


@pytest.mark.django_db
def test_a_redirect_from_the_providers_media_url_is_not_followed(
    texting_firm: Firm,
    sandbox: Any,
    recorder: Recorder,
    outside: list[str],
    media_path: str,
    settings: Any,
    request: pytest.FixtureRequest,
) -> None:
    # The sandbox never redirects a media download, so a stand-in provider origin does:
    # every GET gets a 302 to the recording server. requests would follow it (with our
    # Authorization header stripped only across hosts), so the client must not follow at all.
    redirector = Recorder(status=302, location=f"{recorder.origin}/latest/meta-data/").start()
    request.addfinalizer(redirector.stop)
    settings.PROVIDER_MESSAGING_URL = f"{redirector.origin}/api/v2"
    texted_contact(texting_firm)
    url = f"{redirector.origin}{media_path}x/1/a.jpg"

    media = receive_through_the_webhook(Client(), texting_firm, [url])

    assert _refused(media) == [(False, NOT_DOWNLOADED, False)]
    assert redirector.paths == [f"{media_path}x/1/a.jpg"]  # asked once, at the provider
    assert recorder.paths == []  # and the redirect was not followed
    assert outside == []


def test_the_recorder_and_the_guard_do_see_requests(recorder: Recorder, outside: list[str]) -> None:
    # The negative proofs above mean something only if these two would have noticed.
    import requests

    assert requests.get(f"{recorder.origin}/x", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get("http://169.254.169.254/latest/meta-data/", timeout=1)
    with pytest.raises(requests.ConnectionError):
        requests.get("http://evil.example/", timeout=1)
    assert recorder.paths == ["/x"]
    assert outside == ["169.254.169.254", "evil.example"]
