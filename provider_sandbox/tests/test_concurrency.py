"""Concurrent callback delivery: a pool of sender threads, each row claimed by one of them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from provider_sandbox import callbacks
from provider_sandbox.config import SandboxConfig
from provider_sandbox.server import SandboxServer
from provider_sandbox.store import Store
from provider_sandbox.testing import REPO_ROOT, SandboxProcess, running_sandbox

from .conftest import TF_NUMBER, Api, CallbackReceiver

PHONE = "+12025550143"


def _body(body: bytes) -> Hashable:
    return body


def _recipient_event(body: bytes) -> Hashable:
    """(message id, to) of a messaging callback: the events that must not overlap."""
    [event] = json.loads(body)
    return (event["message"]["id"], event["to"])


class SlowApp:
    """A local HTTP server playing a busy app: every POST takes `delay` seconds.

    It counts how many requests are in flight at once, and notes when a request arrives while
    another one with the same `key` is still in flight (an overlap). With `fail_first`, the
    first POST of each body gets 500 (then 200). `release()` ends every wait at once.
    """

    def __init__(
        self,
        delay: float = 0.2,
        *,
        fail_first: bool = False,
        key: Callable[[bytes], Hashable] = _body,
    ) -> None:
        self.delay = delay
        self.fail_first = fail_first
        self.key = key
        self.released = threading.Event()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.bodies: list[bytes] = []  # in arrival order
        self.overlaps: list[Hashable] = []
        self._busy: Counter[Hashable] = Counter()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = app._arrive(body)
                app.released.wait(app.delay)
                app._leave(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sandbox killed mid-request leaves a broken pipe behind; not our test

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _arrive(self, body: bytes) -> int:
        key = self.key(body)
        with self._lock:
            seen_before = body in self.bodies
            self.bodies.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self._busy[key]:
                self.overlaps.append(key)
            self._busy[key] += 1
        return 500 if self.fail_first and not seen_before else 200

    def _leave(self, body: bytes) -> None:
        with self._lock:
            self.in_flight -= 1
            self._busy[self.key(body)] -= 1

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.bodies)

    def wait_for(self, predicate: Callable[[SlowApp], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the app did not get what was expected: {self.bodies}")
            time.sleep(0.01)

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_app() -> Iterator[Callable[..., SlowApp]]:
    made: list[SlowApp] = []

    def make(delay: float = 0.2, **kwargs: Any) -> SlowApp:
        app = SlowApp(delay, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


def _message_ids(bodies: list[bytes]) -> list[str]:
    return [event["message"]["id"] for body in bodies for event in json.loads(body)]


def _inject_while_paused(sandbox: SandboxProcess, count: int) -> list[str]:
    """Queue `count` inbound-message callbacks behind the pause, so they all come due together."""
    control = sandbox.control
    control.set_faults(callbacks_paused=True)
    return [control.inject_text(PHONE, TF_NUMBER, f"text {n}")["message_id"] for n in range(count)]


def test_slow_app_gets_callbacks_concurrently_each_once(
    sandbox: SandboxProcess, slow_app: Callable[..., SlowApp]
) -> None:
    app = slow_app(0.2)
    sandbox.control.set_settings(callback_url=app.url)
    ids = _inject_while_paused(sandbox, 16)
    sandbox.control.set_faults(callbacks_paused=False)

    app.wait_for(lambda a: len(a.received()) >= 16)
    found = sandbox.control.wait_for_callbacks(
        lambda cbs: len(cbs) == 16 and all(cb["delivered"] for cb in cbs)
    )
    assert 2 <= app.max_in_flight <= 8  # they overlapped, up to the default of 8 at once
    assert sorted(_message_ids(app.received())) == sorted(ids)  # each exactly once
    assert [cb["attempts"] for cb in found] == [1] * 16


def test_callback_concurrency_bounds_the_callbacks_in_flight(
    tmp_path: Path, slow_app: Callable[..., SlowApp]
) -> None:
    app = slow_app(0.2)
    with running_sandbox(
        state_dir=tmp_path, callback_url=app.url, extra_args=["--callback-concurrency", "3"]
    ) as sandbox:
        sandbox.control.own_number(TF_NUMBER)
        ids = _inject_while_paused(sandbox, 9)
        sandbox.control.set_faults(callbacks_paused=False)
        app.wait_for(lambda a: len(a.received()) >= 9)
        sandbox.control.wait_for_callbacks(
            lambda cbs: len(cbs) == 9 and all(cb["delivered"] for cb in cbs)
        )
    assert app.max_in_flight == 3
    assert sorted(_message_ids(app.received())) == sorted(ids)


def test_callback_concurrency_must_be_at_least_one(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    command = [sys.executable, "manage.py", "run_provider_sandbox", "--port", "0"]
    result = subprocess.run(
        [*command, "--state-dir", str(tmp_path), "--callback-concurrency", "0"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "--callback-concurrency" in result.stderr


def test_a_retried_callback_is_never_sent_twice_at_once(
    sandbox: SandboxProcess, slow_app: Callable[..., SlowApp]
) -> None:
    app = slow_app(0.2, fail_first=True)  # slower than the 0.1 s first retry step
    sandbox.control.set_settings(callback_url=app.url)
    ids = _inject_while_paused(sandbox, 12)
    sandbox.control.set_faults(callbacks_paused=False)

    found = sandbox.control.wait_for_callbacks(
        lambda cbs: len(cbs) == 12 and all(cb["delivered"] for cb in cbs), timeout=15
    )
    assert app.overlaps == []
    assert app.max_in_flight >= 2
    assert Counter(_message_ids(app.received())) == dict.fromkeys(ids, 2)  # a 500, then a 200
    assert [cb["attempts"] for cb in found] == [2] * 12


def test_one_recipients_events_never_overlap_and_keep_their_order(
    api: Api, sandbox: SandboxProcess, slow_app: Callable[..., SlowApp]
) -> None:
    app = slow_app(0.2, key=_recipient_event)
    sandbox.control.set_settings(callback_url=app.url)
    sandbox.control.set_faults(callbacks_paused=True)
    # MMS: two events per recipient (message-sending, then the terminal one).
    picture = ["https://example.com/exhibit.png"]
    ids = [api.send(to=PHONE, media=picture).json()["id"] for _ in range(4)]
    sandbox.control.wait_for_callbacks(lambda cbs: len(cbs) == 8)
    time.sleep(0.3)  # every message's terminal event is due too
    sandbox.control.set_faults(callbacks_paused=False)

    app.wait_for(lambda a: len(a.received()) >= 8)
    assert app.overlaps == []  # 8 threads, 8 due events: the terminal ones waited
    assert app.max_in_flight >= 2  # different messages did overlap
    events = [event for body in app.received() for event in json.loads(body)]
    for message_id in ids:
        types = [e["type"] for e in events if e["message"]["id"] == message_id]
        assert types == ["message-sending", "message-delivered"]


def test_callbacks_claimed_by_a_killed_process_are_sent_after_restart(
    tmp_path: Path, receiver: CallbackReceiver, slow_app: Callable[..., SlowApp]
) -> None:
    receiver.reset()
    hanging = slow_app(60.0)  # answers nothing until released
    with running_sandbox(state_dir=tmp_path, callback_url=hanging.url) as first:
        first.control.own_number(TF_NUMBER)
        ids = _inject_while_paused(first, 3)
        first.control.set_faults(callbacks_paused=False)
        hanging.wait_for(lambda a: a.in_flight == 3)
        first.process.kill()  # dies mid-send: no attempt recorded, the claims stay behind
        first.process.wait(10)

    db = sqlite3.connect(tmp_path / "sandbox.sqlite3")
    try:
        rows = db.execute("SELECT state, claimed_at FROM callbacks").fetchall()
    finally:
        db.close()
    assert len(rows) == 3
    assert all(state == "pending" and claimed_at is not None for state, claimed_at in rows)
    hanging.release()

    with running_sandbox(state_dir=tmp_path, callback_url=receiver.url) as second:
        found = second.control.wait_for_callbacks(
            lambda cbs: len(cbs) == 3 and all(cb["delivered"] for cb in cbs)
        )
        assert [cb["attempts"] for cb in found] == [1, 1, 1]  # the killed POSTs never counted
        delivered = [e["message"]["id"] for r in receiver.received("/messaging") for e in r.json]
        assert sorted(delivered) == sorted(ids)


def test_shutdown_lets_in_flight_callbacks_finish_and_stops_every_thread(
    tmp_path: Path, slow_app: Callable[..., SlowApp]
) -> None:
    app = slow_app(1.0)
    config = SandboxConfig(port=0, state_dir=tmp_path, callback_url=app.url, callback_concurrency=4)
    server = SandboxServer(config)
    server.start()
    try:
        now = server.sandbox.now()
        for number in range(8):
            callbacks.enqueue(
                server.sandbox,
                kind="messaging",
                event_type="message-received",
                payload=[{"type": "message-received", "n": number}],
                due_at=now,
                message_id=f"m{number}",
                recipient=TF_NUMBER,
            )
        app.wait_for(lambda a: a.in_flight == 4)
    finally:
        server.shutdown()
    assert [t.name for t in server.dispatcher.threads if t.is_alive()] == []

    db = sqlite3.connect(tmp_path / "sandbox.sqlite3")  # not Store(): opening it drops claims
    try:
        rows = db.execute("SELECT state, attempts, claimed_at FROM callbacks").fetchall()
    finally:
        db.close()
    posted = len(app.received())
    assert posted >= 4
    # Every POST that was in flight finished and was recorded; nothing was left claimed.
    assert sorted((state, attempts) for state, attempts, _ in rows) == sorted(
        [("delivered", 1)] * posted + [("pending", 0)] * (8 - posted)
    )
    assert [claimed for _, _, claimed in rows] == [None] * 8
    assert posted < 8  # the stop came before the queue was empty


def _enqueue(store: Store, message_id: str, due_at: float, recipient: str = PHONE) -> int:
    return store.enqueue_callback(
        kind="messaging",
        event_type="message-sending",
        body=b"[]",
        due_at=due_at,
        now=due_at,
        message_id=message_id,
        recipient=recipient,
    )


def test_racing_threads_claim_each_callback_once(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ids = {_enqueue(store, f"m{n}", due_at=float(n)) for n in range(300)}
    claimed: list[int] = []
    start = threading.Barrier(8)

    def claim_all() -> None:
        start.wait()
        while (row := store.claim_due_callback(1000.0)) is not None:
            claimed.append(row.id)

    threads = [threading.Thread(target=claim_all) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    store.close()
    assert len(claimed) == len(ids)
    assert set(claimed) == ids


def test_claims_follow_due_order_and_wait_for_the_same_recipient(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        sending = _enqueue(store, "m1", due_at=1.0)
        delivered = _enqueue(store, "m1", due_at=2.0)
        other_recipient = _enqueue(store, "m1", due_at=2.5, recipient="+12025550144")
        other = _enqueue(store, "m2", due_at=3.0)
        later = _enqueue(store, "m3", due_at=50.0)

        claim = store.claim_due_callback
        first = claim(10.0)
        assert first is not None and first.id == sending and first.claimed_at == 10.0
        # m1's next event for that recipient waits while its first one is in flight.
        assert [row.id for row in (claim(10.0), claim(10.0)) if row] == [other_recipient, other]
        assert claim(10.0) is None  # `later` is not due yet
        assert store.next_callback_due_at() == 2.0  # due, waiting behind the claimed one

        store.record_attempt(
            sending, state="delivered", status=200, error=None, due_at=1.0, delivered_at=10.0
        )
        second = claim(10.0)
        assert second is not None and second.id == delivered
        store.release_callback(delivered)
        again = claim(11.0)
        assert again is not None and again.id == delivered
        assert store.next_callback_due_at() == 50.0
        assert later not in {first.id, second.id}
    finally:
        store.close()


def test_opening_the_store_releases_claims_of_a_dead_process(tmp_path: Path) -> None:
    store = Store(tmp_path)
    row_id = _enqueue(store, "m1", due_at=1.0)
    assert store.claim_due_callback(2.0) is not None
    assert store.claim_due_callback(2.0) is None
    store.close()  # as if the process had died: the claim is still in the file

    reopened = Store(tmp_path)
    try:
        row = reopened.claim_due_callback(2.0)
        assert row is not None and row.id == row_id and row.attempts == 0
    finally:
        reopened.close()
