"""Test harness: start a real sandbox process and drive it through its control API.

Imports nothing from the project's apps (and not Django, unless settings are already
configured, to read the test credentials from them).

    with running_sandbox(state_dir=tmp_path, callback_url=live_server.url) as sandbox:
        sandbox.control.own_number("+18445550100")
        ...  # point the client at sandbox.url
"""

from __future__ import annotations

import base64
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
LISTENING_PREFIX = "Provider sandbox listening on "
START_TIMEOUT_SECONDS = 30.0
# The credentials config/settings/test.py gives the sandbox; used when nothing else says.
TEST_CREDENTIALS = {
    "PROVIDER_ACCOUNT_ID": "9900000",
    "PROVIDER_USERNAME": "sandbox",
    "PROVIDER_PASSWORD": "sandbox-password",
    "WEBHOOK_USERNAME": "provider",
    "WEBHOOK_PASSWORD": "webhook-password",
    "PROVIDER_CLIENT_ID": "",
    "PROVIDER_CLIENT_SECRET": "",
    "PROVIDER_APPLICATION_ID": "",
}


class SandboxControl:
    """Client of the control API (/sandbox/...); raises requests.HTTPError on 4xx/5xx."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.url}/sandbox/{path}", timeout=self.timeout, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def reset(self) -> None:
        """Forget messages, callbacks, calls, media, faults, verification and owned numbers."""
        self._call("POST", "reset")

    def faults(self) -> dict[str, Any]:
        return dict(self._call("GET", "faults"))

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """E.g. set_faults(send_500_rate=1.0, duplicate_callbacks=True); returns all faults."""
        return dict(self._call("PUT", "faults", json=faults))

    def settings(self) -> dict[str, Any]:
        return dict(self._call("GET", "settings"))

    def set_settings(self, **settings: Any) -> dict[str, Any]:
        """E.g. set_settings(callback_url=live_server.url, block_unverified=True)."""
        return dict(self._call("PUT", "settings", json=settings))

    def own_number(self, e164: str) -> None:
        self._call("PUT", f"numbers/{quote(e164)}")

    def numbers(self) -> list[str]:
        return list(self._call("GET", "numbers"))

    def set_verification(
        self,
        e164: str,
        status: str,
        *,
        denial_status_code: int | None = None,
        decline_reason_description: str | None = None,
        resubmit_allowed: bool | None = None,
    ) -> dict[str, Any]:
        """Put a number in PENDING/VERIFIED/UNVERIFIED now and fire the webhook."""
        body: dict[str, Any] = {"status": status}
        if denial_status_code is not None:
            body["denialStatusCode"] = denial_status_code
        if decline_reason_description is not None:
            body["declineReasonDescription"] = decline_reason_description
        if resubmit_allowed is not None:
            body["resubmitAllowed"] = resubmit_allowed
        return dict(self._call("PUT", f"verification/{quote(e164)}", json=body))

    def inject_text(
        self,
        from_: str,
        to: str,
        text: str = "",
        media: Sequence[tuple[str, str, bytes]] = (),
    ) -> dict[str, Any]:
        """An inbound SMS/MMS; media items are (filename, content_type, bytes).

        Returns {"message_id", "media_urls"} (media_urls start with the carrier's .smil part).
        """
        body = {
            "from": from_,
            "to": to,
            "text": text,
            "media": [
                {
                    "filename": name,
                    "content_type": ctype,
                    "content_base64": base64.b64encode(content).decode(),
                }
                for name, ctype, content in media
            ],
        }
        return dict(self._call("POST", "inbound/messages", json=body))

    def inject_call(self, from_: str, to: str) -> dict[str, Any]:
        """An inbound call; returns {"call_id", "status", "bxml_valid", "spoken", "error"?...}."""
        return dict(self._call("POST", "inbound/calls", json={"from": from_, "to": to}))

    def messages(self, **filters: str) -> list[dict[str, Any]]:
        """The sandbox's record of messages; filters: to, from_ (or "from"), tag, direction, id."""
        if "from_" in filters:
            filters["from"] = filters.pop("from_")
        return list(self._call("GET", "messages", params=filters))

    def callbacks(self, **filters: str) -> list[dict[str, Any]]:
        """Every callback; filters: kind, event_type, message_id, recipient, state."""
        return list(self._call("GET", "callbacks", params=filters))

    def calls(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "calls"))

    def tokens(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "tokens"))

    def requests(self) -> list[dict[str, Any]]:
        """The last API requests: method, path, auth ("basic"/"bearer"/None), status."""
        return list(self._call("GET", "requests"))

    def wait_for_callbacks(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 10.0,
        **filters: str,
    ) -> list[dict[str, Any]]:
        """Poll callbacks() until predicate(callbacks) is true; return them.

        Raises TimeoutError (with the last list) when it is not true within `timeout`.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.callbacks(**filters)
            if predicate(found):
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"callbacks not as expected after {timeout}s: {found}")
            time.sleep(0.05)


@dataclass
class SandboxProcess:
    """A started sandbox: its URL, credentials and control client."""

    url: str
    process: subprocess.Popen[str]
    state_dir: Path
    account_id: str
    username: str
    password: str
    webhook_username: str
    webhook_password: str
    client_id: str
    client_secret: str
    stdout_reader: threading.Thread | None = None
    control: SandboxControl = field(init=False)

    def __post_init__(self) -> None:
        self.control = SandboxControl(self.url, self.username, self.password)

    @property
    def log_path(self) -> Path:
        return self.state_dir / "sandbox.log"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.stdout_reader is not None:
            self.stdout_reader.join(timeout)  # it ends at EOF, now that the process is gone
        if self.process.stdout:
            self.process.stdout.close()


def _credentials(env: Mapping[str, str]) -> dict[str, str]:
    """Per key: the given env, else a non-empty os.environ value, else Django settings if they
    are configured, else the test defaults."""
    django_settings: Any = None
    if "django" in sys.modules:
        from django.conf import settings

        if settings.configured:
            django_settings = settings
    result = {}
    for key, default in TEST_CREDENTIALS.items():
        value = env.get(key)
        if value is None:
            value = os.environ.get(key) or None
        if value is None and django_settings is not None:
            value = getattr(django_settings, key, None) or None
        result[key] = value if value is not None else default
    return result


def _read_listening_line(
    process: subprocess.Popen[str], timeout: float
) -> tuple[str, threading.Thread]:
    """The URL from the "listening on" line, and the thread that keeps draining stdout."""
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:  # keeps draining so the pipe never fills
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, name="sandbox-stdout", daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the sandbox did not start within {timeout:g}s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"the sandbox exited with code {process.wait()} before listening")
        if line.startswith(LISTENING_PREFIX):
            return line[len(LISTENING_PREFIX) :].strip(), reader


@contextmanager
def running_sandbox(
    *,
    state_dir: Path,
    callback_url: str | None = None,
    env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[SandboxProcess]:
    """Start `manage.py run_provider_sandbox --port 0` and stop it on exit.

    cwd is the repository root; the environment is inherited, with DJANGO_SETTINGS_MODULE
    defaulting to config.settings.test and `env` applied on top (e.g. PROVIDER_CLIENT_ID and
    PROVIDER_CLIENT_SECRET to enable OAuth2). Its log goes to `state_dir/sandbox.log`.
    """
    given = dict(env or {})
    creds = _credentials(given)
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **given}
    child_env.update(creds)  # both sides agree on the credentials
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "manage.py",
        "run_provider_sandbox",
        "--port",
        "0",
        "--state-dir",
        str(state_dir),
    ]
    if callback_url:
        command += ["--callback-url", callback_url]
    command += list(extra_args)
    with open(state_dir / "sandbox.log", "a") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
            command, cwd=REPO_ROOT, env=child_env, stdout=subprocess.PIPE, stderr=log, text=True
        )
    sandbox: SandboxProcess | None = None
    try:
        try:
            url, reader = _read_listening_line(process, START_TIMEOUT_SECONDS)
        except (TimeoutError, RuntimeError) as exc:
            log_tail = (state_dir / "sandbox.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}; end of {state_dir / 'sandbox.log'}:\n{log_tail}") from exc
        sandbox = SandboxProcess(
            url=url,
            process=process,
            state_dir=state_dir,
            account_id=creds["PROVIDER_ACCOUNT_ID"],
            username=creds["PROVIDER_USERNAME"],
            password=creds["PROVIDER_PASSWORD"],
            webhook_username=creds["WEBHOOK_USERNAME"],
            webhook_password=creds["WEBHOOK_PASSWORD"],
            client_id=creds["PROVIDER_CLIENT_ID"],
            client_secret=creds["PROVIDER_CLIENT_SECRET"],
            stdout_reader=reader,
        )
        yield sandbox
    finally:
        if sandbox is not None:
            sandbox.stop()
        elif process.poll() is None:
            process.kill()
            process.wait()
