"""Callbacks to the app: queued in SQLite, sent by a pool of sender threads in due-time order.

Guarantees: every queued callback is POSTed until the app answers 2xx, with the retry
schedule of the live settings (the last step repeats) for up to
`callback_retry_window_seconds`; a 3xx/4xx/5xx, a timeout or a refused connection all count as
"not delivered" (Bandwidth retries them too). Pending callbacks survive a restart because the
queue is the `callbacks` table. With no callback URL configured, a callback that comes due
is recorded as `not_sent` and never sent.

Concurrency: `callback_concurrency` sender threads (default 8) each claim the next due row
(`Store.claim_due_callback`: select and claim in one transaction), POST it with their own
`requests.Session`, and record the attempt, which ends the claim. So no row is ever sent by
two threads at once, rows are taken in due order, and while one event of a message's
recipient is in flight the next one for that recipient waits, so their order is kept (events
of different messages do overlap). A claim left by a process that died mid-send is released
when the store is opened, and the callback is sent again. One more thread runs the other
due work (`tickers`, e.g. verification decisions); none of them sends while the
`callbacks_paused` fault is on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests

from .masking import mask_number
from .runtime import CALLBACK_PATHS, Sandbox
from .store import CallbackRow

logger = logging.getLogger(__name__)

USER_AGENT = "BandwidthAPI/v2"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNATURE_HEADER = "x-bandwidth-signature-hmac-sha256"
# The copy of a duplicated callback follows the original this much later.
DUPLICATE_GAP_SECONDS = 0.05
# Every dispatcher thread polls at least this often (pause/unpause, clock jumps, other work).
MAX_IDLE_SECONDS = 0.5


def encode(payload: Any) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def enqueue(
    sandbox: Sandbox,
    *,
    kind: str,
    event_type: str,
    payload: Any,
    due_at: float,
    message_id: str | None = None,
    recipient: str | None = None,
    target_url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    hmac_secret: str | None = None,
) -> None:
    """Queue one callback; with the `duplicate_callbacks` fault on, queue it twice."""
    copies = 2 if sandbox.faults.snapshot().duplicate_callbacks else 1
    body = encode(payload)
    for copy in range(copies):
        sandbox.store.enqueue_callback(
            kind=kind,
            event_type=event_type,
            body=body,
            due_at=due_at + copy * DUPLICATE_GAP_SECONDS,
            now=sandbox.now(),
            message_id=message_id,
            recipient=recipient,
            target_url=target_url,
            username=username,
            password=password,
            hmac_secret=hmac_secret,
            duplicate=copy > 0,
        )
    sandbox.wake_sender()  # one sender is enough for one new row; waking all cost a claim each


@dataclass(frozen=True)
class Attempt:
    """What happened to one POST: `status` is None when no HTTP response came back."""

    status: int | None
    error: str | None
    response: requests.Response | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def target_url(sandbox: Sandbox, row: CallbackRow) -> str | None:
    if row.target_url:
        return row.target_url
    base = sandbox.settings.callback_url
    return f"{base}{CALLBACK_PATHS[row.kind]}" if base else None


def post(
    sandbox: Sandbox, row: CallbackRow, url: str, session: requests.Session, timeout: float
) -> Attempt:
    """POST the row's body to `url` the way Bandwidth does (headers, Basic auth, HMAC)."""
    headers = {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}
    if row.hmac_secret:
        digest = hmac.new(row.hmac_secret.encode(), row.body, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = digest
    auth: tuple[str, str] | None = None
    if row.username is not None:
        auth = (row.username, row.password or "")
    elif sandbox.config.webhook_username:
        auth = (sandbox.config.webhook_username, sandbox.config.webhook_password)
    try:
        response = session.post(
            url, data=row.body, headers=headers, auth=auth, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        return Attempt(None, "timeout", None)
    except requests.RequestException as exc:
        return Attempt(None, f"connection error ({type(exc).__name__})", None)
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Attempt(response.status_code, error, response)


class CallbackDispatcher:
    """The sender threads that POST due callbacks, plus one thread for other due work.

    Each ticker is called with the current time, does whatever is due, and returns when it
    next has work (or None). Verification decisions are such a ticker. `concurrency` is the
    number of sender threads (default: the config's `callback_concurrency`).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        tickers: Sequence[Callable[[float], float | None]] = (),
        concurrency: int | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.tickers = list(tickers)
        self.concurrency = (
            sandbox.config.callback_concurrency if concurrency is None else concurrency
        )
        if self.concurrency < 1:
            raise ValueError("callback concurrency must be at least 1")
        self._stop = threading.Event()
        # The ticker clears its event before looking for work, so a wake-up that comes while
        # it works is never lost. Senders share a condition and a count of wake-ups not yet
        # taken: a wake-up that comes while every sender is busy waits for the first one
        # done, and only as many senders as there is new work get up.
        self._ticker_wake = threading.Event()
        self._senders = threading.Condition()
        self._sender_calls = 0
        self._threads = [
            threading.Thread(target=self._run_tickers, name="sandbox-tickers", daemon=True)
        ] + [
            threading.Thread(
                target=self._run_sender, name=f"sandbox-callbacks-{number}", daemon=True
            )
            for number in range(1, self.concurrency + 1)
        ]
        sandbox.wake = self.wake
        sandbox.wake_sender = partial(self._wake_senders, 1)

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def wake(self) -> None:
        """Make every thread look for work now (settings or faults changed, stopping)."""
        self._ticker_wake.set()
        self._wake_senders(self.concurrency)

    def _wake_senders(self, count: int) -> None:
        with self._senders:
            self._sender_calls = min(self.concurrency, self._sender_calls + count)
            self._senders.notify(count)

    def _sender_idle(self, seconds: float) -> None:
        """Sleep up to `seconds`, or not at all if a wake-up is waiting to be taken."""
        with self._senders:
            if self._sender_calls == 0:
                self._senders.wait(seconds)
            if self._sender_calls > 0:
                self._sender_calls -= 1

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask every thread to finish its current POST and exit; wait up to `timeout` in all."""
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _run_tickers(self) -> None:
        while not self._stop.is_set():
            self._ticker_wake.clear()
            try:
                idle = self._tick()
            except Exception:  # keep running whatever one bad record did
                logger.exception("callback dispatcher ticker failed")
                idle = MAX_IDLE_SECONDS
            if idle > 0:
                self._ticker_wake.wait(idle)

    def _tick(self) -> float:
        """Run every ticker; return how long to sleep (0: more work is ready)."""
        now = self.sandbox.now()
        upcoming = [at for tick in self.tickers if (at := tick(now)) is not None]
        soonest = min(upcoming, default=now + MAX_IDLE_SECONDS)
        return max(0.0, min(soonest - now, MAX_IDLE_SECONDS))

    def _run_sender(self) -> None:
        session = requests.Session()  # one per thread: sessions are not thread-safe
        # Straight to the configured URL: requests would otherwise read the proxy variables
        # of the environment on every POST (a third of the sandbox's CPU per callback).
        session.trust_env = False
        try:
            while not self._stop.is_set():
                try:
                    idle = self._send_next(session)
                except Exception:  # keep dispatching whatever one bad row did
                    logger.exception("callback dispatcher step failed")
                    idle = MAX_IDLE_SECONDS
                if idle > 0:
                    self._sender_idle(idle)
        finally:
            session.close()

    def _send_next(self, session: requests.Session) -> float:
        """Claim and send the next due callback; return how long to sleep (0: try again now)."""
        sandbox = self.sandbox
        if sandbox.faults.snapshot().callbacks_paused:
            return MAX_IDLE_SECONDS  # unpausing wakes us
        now = sandbox.now()
        row = sandbox.store.claim_due_callback(now)
        if row is not None:
            try:
                self._deliver(row, session)
            except BaseException:
                sandbox.store.release_callback(row.id)
                raise
            finally:
                # A retry's new due time, or a recipient's next event no longer blocked: one
                # more sender looks, besides this one (it tries again at once).
                self._wake_senders(1)
            return 0.0
        next_at = sandbox.store.next_callback_due_at()
        if next_at is None or next_at <= now:
            # Nothing queued, or only rows waiting behind an in-flight one of their recipient:
            # the thread that finishes it wakes us.
            return MAX_IDLE_SECONDS
        return min(next_at - now, MAX_IDLE_SECONDS)

    def _deliver(self, row: CallbackRow, session: requests.Session) -> None:
        sandbox = self.sandbox
        store = sandbox.store
        url = target_url(sandbox, row)
        if url is None:
            store.mark_not_sent(row.id, "no callback URL configured")
            return
        settings = sandbox.settings
        attempt = post(sandbox, row, url, session, sandbox.config.callback_timeout)
        now = sandbox.now()
        if attempt.delivered:
            store.record_attempt(
                row.id,
                state="delivered",
                status=attempt.status,
                error=None,
                due_at=row.due_at,
                delivered_at=now,
            )
        elif now - row.created_at >= sandbox.config.callback_retry_window_seconds:
            store.record_attempt(
                row.id,
                state="failed",
                status=attempt.status,
                error=attempt.error,
                due_at=row.due_at,
                delivered_at=None,
            )
        else:
            schedule = settings.callback_retry_schedule
            delay = schedule[min(row.attempts, len(schedule) - 1)]
            store.record_attempt(
                row.id,
                state="pending",
                status=attempt.status,
                error=attempt.error,
                due_at=now + delay,
                delivered_at=None,
            )
        logger.info(
            "callback %s %s for %s attempt %d: %s",
            row.id,
            row.event_type,
            mask_number(row.recipient),
            row.attempts + 1,
            attempt.status if attempt.delivered else attempt.error,
        )
