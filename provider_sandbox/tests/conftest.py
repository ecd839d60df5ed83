"""Fixtures for the sandbox's own tests: one real sandbox process for the session, a tiny
callback receiver standing in for the app, and an API client speaking to the sandbox."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from provider_sandbox.testing import SandboxProcess, running_sandbox

ACCOUNT = "9900000"
TF_NUMBER = "+18445550100"
CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"
VALID_BXML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response>'
    b'<SpeakSentence voice="susan">This number does not take calls. '
    b"Please text it instead.</SpeakSentence><Hangup/></Response>"
)
# Short everything, so the whole module runs in well under a minute.
FAST_SETTINGS: dict[str, Any] = {
    "block_unverified": False,
    "verification_delay_seconds": 0.3,
    "rate_limit_segments_per_second": 1000,
    "queue_size": 900,
    "callback_retry_schedule": [0.1, 0.2, 0.4],
    "token_ttl_seconds": 3600,
}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> dict[str, Any]:
        """The single event of a messaging callback (the envelope is a one-element array)."""
        payload = self.json
        assert isinstance(payload, list) and len(payload) == 1
        return dict(payload[0])


class CallbackReceiver:
    """A local HTTP server playing the app: records every POST, answers 200 unless told."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._scripted: list[int] = []
        self.voice_reply: tuple[int, str, bytes] = (
            200,
            "application/xml; charset=utf-8",
            VALID_BXML,
        )
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                item = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, content_type, reply = receiver._reply(item)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _reply(self, item: Received) -> tuple[int, str, bytes]:
        with self._lock:
            self._received.append(item)
            if item.path.endswith("/voice") and item.json.get("eventType") == "initiate":
                return self.voice_reply
            status = self._scripted.pop(0) if self._scripted else 200
        return status, "text/plain", b""

    def fail_next(self, *statuses: int) -> None:
        """Answer the next callbacks with these statuses (then 200 again)."""
        with self._lock:
            self._scripted.extend(statuses)

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self._scripted.clear()
            self.voice_reply = (200, "application/xml; charset=utf-8", VALID_BXML)

    def received(self, path_suffix: str = "") -> list[Received]:
        with self._lock:
            return [item for item in self._received if item.path.endswith(path_suffix)]

    def messaging_events(self, message_id: str) -> list[dict[str, Any]]:
        return [
            item.event
            for item in self.received("/webhooks/provider/messaging")
            if item.event["message"]["id"] == message_id
        ]

    def wait_for(self, predicate: Callable[[CallbackReceiver], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver did not get what was expected: {self._received}")
            time.sleep(0.02)


class Api:
    """The sandbox's provider API, called the way a client would (Basic auth by default)."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.base = sandbox.url
        self.session = requests.Session()
        self.session.auth = (sandbox.username, sandbox.password)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def send(self, **body: Any) -> requests.Response:
        message = {
            "applicationId": "app-1",
            "from": TF_NUMBER,
            "to": ["+12025550143"],
            "text": "Hello",
        }
        message.update({key.rstrip("_"): value for key, value in body.items()})
        return self.session.post(
            self.url(f"/api/v2/users/{ACCOUNT}/messages"), json=message, timeout=10
        )


@pytest.fixture(scope="session")
def receiver() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="session")
def sandbox_process(
    tmp_path_factory: pytest.TempPathFactory, receiver: CallbackReceiver
) -> Iterator[SandboxProcess]:
    state_dir: Path = tmp_path_factory.mktemp("sandbox-state")
    with running_sandbox(
        state_dir=state_dir,
        callback_url=receiver.url,
        env={"PROVIDER_CLIENT_ID": CLIENT_ID, "PROVIDER_CLIENT_SECRET": CLIENT_SECRET},
        extra_args=["--verification-delay", "0.3", "--callback-retry-schedule", "0.1,0.2,0.4"],
    ) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess, receiver: CallbackReceiver) -> SandboxProcess:
    """The session's sandbox, reset to a blank state that owns TF_NUMBER."""
    control = sandbox_process.control
    control.reset()
    control.set_settings(callback_url=receiver.url, **FAST_SETTINGS)
    receiver.reset()
    control.own_number(TF_NUMBER)
    return sandbox_process


@pytest.fixture
def api(sandbox: SandboxProcess) -> Api:
    return Api(sandbox)
