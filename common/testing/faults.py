"""The outbound pipeline under faults: the machinery shared by tests/test_faults.py (small, in
CI) and benchmarks/faults.py (1,000 texts) — RELIABILITY.md §8 items 1–4 and 22.

Real processes throughout: the provider sandbox (500s, 429s, duplicate and reordered
callbacks, and windows in which a send is accepted but answered after our read timeout), a
gunicorn serving the app's webhooks, a Celery worker that is SIGKILLed (its whole process
group) and restarted, Redis shut down without saving and started again, and a loop calling
`outbox_sweep` (what beat does every minute) so lost tasks are re-driven.

Afterwards `analyse` compares the sandbox's own record (accepted messages by `tag`, our
message uuid) with the app's rows, Jepsen-style, and explains every extra acceptance from the
pipeline's own decision log (common.testing.faultlog): a duplicate is acceptable only when
that text's answer was lost (OutcomeUnknown) and it was re-sent because no callback came in
TEXTING_OUTCOME_WAIT_SECONDS.

Imports Django models lazily: the benchmark configures Django before using them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS_MODULE = "common.testing.faults_settings"

# The machine's Redis (python-svc machine kind; CI uses the same one).
REDIS_START_COMMAND = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]

# Decision-log lines (texting/services/sending.py) the analysis reads.
LOST_ANSWER = "text sent but the answer was lost"
RESENT_AFTER_NO_CALLBACK = "no callback for a send whose answer was lost: sending again"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll until check() is true; return the seconds it took (TimeoutError after timeout)."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - not up yet
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(interval)


# --- Redis -------------------------------------------------------------------------------------


def redis_restartable(redis_url: str) -> bool:
    """True where the machine's restart command applies: local Redis on 6379, redis-server
    on PATH, its data and log directories present."""
    parsed = urlparse(redis_url)
    return (
        parsed.hostname in ("127.0.0.1", "localhost")
        and (parsed.port or 6379) == 6379
        and shutil.which("redis-server") is not None
        and shutil.which("redis-cli") is not None
        and os.access("/var/lib/redis", os.W_OK)
        and os.access("/var/log/redis", os.W_OK)
    )


def _redis_ping() -> bool:
    out = subprocess.run(
        ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True, timeout=5
    )
    return out.stdout.strip() == "PONG"


def redis_ensure_running() -> None:
    if not _redis_ping():
        subprocess.run(REDIS_START_COMMAND, check=False, timeout=10)
        _wait_for(_redis_ping, 20, "Redis")


def redis_restart_empty(down_seconds: float = 0.0) -> float:
    """SHUTDOWN NOSAVE, then start it again (every queue empty); returns the outage in s.

    Always leaves Redis running, even when something in between fails.
    """
    started = time.monotonic()
    try:
        subprocess.run(
            ["redis-cli", "-p", "6379", "shutdown", "nosave"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        _wait_for(lambda: not _redis_ping(), 10, "Redis shutdown")
        time.sleep(down_seconds)
    finally:
        redis_ensure_running()
    return time.monotonic() - started


# --- processes ---------------------------------------------------------------------------------


def _stop_group(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class WebServer:
    """gunicorn serving the app (the webhooks the sandbox calls back)."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        process = self.process

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {process.returncode}; see {self.log_path}"
                )
            # GET on a POST-only webhook: 405 means Django answered.
            return (
                requests.get(f"{self.url}/webhooks/provider/messaging", timeout=2).status_code > 0
            )

        _wait_for(up, timeout, "gunicorn", interval=0.2)

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)


class Worker:
    """A Celery worker process group that can be SIGKILLed and started again."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 2) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0

    def start(self, timeout: float = 90) -> float:
        """Start it and wait until it answers a ping; returns the seconds that took."""
        from config.celery import app

        self.generation += 1
        name = f"faults-{os.getpid()}-{self.generation}"
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        started = time.monotonic()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches every child
        )
        log.close()
        process = self.process

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited with {process.returncode}; see {self.log_path}")
            replies = app.control.ping(timeout=0.5) or []
            return any(name in host for reply in replies for host in reply)

        _wait_for(answers, timeout, "Celery worker", interval=0.05)
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL the main process and every pool child at once (no warm/soft shutdown)."""
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)


# --- background loops ------------------------------------------------------------------------


class _Loop(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()
        self.errors: Counter[str] = Counter()

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        from django.db import connection

        try:
            while not self._stop_event.is_set():
                try:
                    self.step()
                except Exception as exc:
                    self.errors[type(exc).__name__] += 1
                self._stop_event.wait(self.interval)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(30)


class Sweeper(_Loop):
    """What beat does every minute, every `interval` seconds: outbox_sweep()."""

    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.requeued = 0
        self.unknown = 0
        self.reconciled = 0
        self.runs = 0

    def step(self) -> None:
        from texting.services.outbox import outbox_sweep

        report = outbox_sweep()
        self.runs += 1
        self.requeued += report.requeued
        self.unknown += report.unknown
        self.reconciled += report.reconciled


class Progress(_Loop):
    """Samples the outbound texts' statuses (for recovery times and the timeline)."""

    def __init__(self, firm_id: int, interval: float = 0.25) -> None:
        super().__init__(interval)
        self.firm_id = firm_id
        self.samples: list[tuple[float, dict[str, int]]] = []

    def counts(self) -> dict[str, int]:
        from django.db.models import Count
        from django_scopes import scopes_disabled

        from texting.models import Message

        with scopes_disabled():
            rows = (
                Message.objects.filter(firm_id=self.firm_id, direction=Message.Direction.OUTBOUND)
                .values("status")
                .annotate(n=Count("id"))
            )
            return {row["status"]: row["n"] for row in rows}

    def step(self) -> None:
        self.samples.append((time.time(), self.counts()))

    @staticmethod
    def final(counts: dict[str, int]) -> int:
        return counts.get("delivered", 0) + counts.get("failed", 0)

    def recovery_after(self, at: float) -> float | None:
        """Seconds from a fault at `at` until one more text became final (None: none did)."""
        before = [s for s in self.samples if s[0] <= at]
        base = self.final(before[-1][1]) if before else 0
        for when, counts in self.samples:
            if when > at and self.final(counts) > base:
                return when - at
        return None


class DelayWindows(_Loop):
    """Accepted-then-timeout for a share of sends.

    The sandbox can only delay every 202 (`send_delay_seconds` applies to all sends), so
    this switches the delay on for `window` seconds at random moments (on average every
    `period` s) and off again; a send the sandbox accepts inside a window is answered after
    the app's PROVIDER_READ_TIMEOUT. Every switch reseeds the sandbox's fault RNG with the
    next seed of a fixed sequence, so the 500/429 draws stay reproducible.
    """

    def __init__(
        self, control: Any, *, delay: float, window: float, period: float, seed: int, base: dict
    ) -> None:
        super().__init__(0)
        self.control = control
        self.delay = delay
        self.window = window
        self.period = period
        self.rng = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self.seed = seed * 1000
        self.base = base
        self.windows: list[tuple[float, float]] = []

    def _set(self, delay: float) -> None:
        self.seed += 1
        self.control.set_faults(**self.base, send_delay_seconds=delay, seed=self.seed)

    def step(self) -> None:
        if self._stop_event.wait(self.rng.uniform(0.5, 1.5) * self.period):
            return
        on = time.time()
        self._set(self.delay)
        try:
            self._stop_event.wait(self.window)
        finally:
            self._set(0.0)
            self.windows.append((on, time.time()))


# --- the run -----------------------------------------------------------------------------------


@dataclass
class FaultPlan:
    texts: int = 1000
    kills: int = 10
    redis_restarts: int = 1
    seed: int = 7
    send_500_rate: float = 0.20
    send_429_rate: float = 0.05
    delay_share: float = 0.05  # the target share of sends answered after the read timeout
    read_timeout: float = 1.0  # the app's PROVIDER_READ_TIMEOUT
    send_delay: float = 2.0  # the sandbox's late 202 inside a delay window
    delay_window: float = 0.3
    rate_limit: float = 10.0  # segments/s, app and sandbox alike
    outcome_wait: float = 5.0  # TEXTING_OUTCOME_WAIT_SECONDS
    sweep_grace: float = 5.0  # TEXTING_SWEEP_GRACE_SECONDS
    stuck_sending: float = 8.0  # CELERY_TASK_TIME_LIMIT as the sweeper reads it
    sweep_interval: float = 1.0
    retry_backoff: int = 1  # TEXTING_RETRY_BACKOFF_SECONDS
    retry_backoff_max: int = 4
    worker_concurrency: int = 2
    fault_span: float = 60.0  # the kills and the Redis restart happen within this many s
    final_timeout: float = 600.0
    callback_retry_schedule: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)

    @property
    def delay_period(self) -> float:
        # About one send (per busy worker process) lands in each window.
        sends_per_second = self.rate_limit / (1 - self.send_500_rate - self.send_429_rate)
        return max(
            self.delay_window * 2,
            self.worker_concurrency / 2 / (self.delay_share * sends_per_second),
        )

    def app_env(self) -> dict[str, str]:
        """What the worker and web processes read (texting settings are environment-driven)."""
        return {
            "PROVIDER_READ_TIMEOUT": str(self.read_timeout),
            "PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND": str(self.rate_limit),
            "TEXTING_OUTCOME_WAIT_SECONDS": str(self.outcome_wait),
            "TEXTING_SWEEP_GRACE_SECONDS": str(self.sweep_grace),
            "TEXTING_RETRY_BACKOFF_SECONDS": str(self.retry_backoff),
            "TEXTING_RETRY_BACKOFF_MAX_SECONDS": str(self.retry_backoff_max),
        }

    def driver_settings(self) -> dict[str, Any]:
        """The same, for this process (it runs the sweeper)."""
        return {
            "PROVIDER_READ_TIMEOUT": self.read_timeout,
            "PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND": self.rate_limit,
            "TEXTING_OUTCOME_WAIT_SECONDS": self.outcome_wait,
            "TEXTING_SWEEP_GRACE_SECONDS": self.sweep_grace,
            # The sweeper's "stuck in SENDING" limit. Celery reads these too (tasks this
            # process publishes carry them), so the soft limit must stay below.
            "CELERY_TASK_TIME_LIMIT": self.stuck_sending,
            "CELERY_TASK_SOFT_TIME_LIMIT": self.stuck_sending * 0.8,
        }


@dataclass
class FaultEvent:
    kind: str  # "worker-kill" or "redis-restart"
    at: float
    restart_seconds: float  # kill → worker answers a ping again / Redis outage
    recovery_seconds: float | None = None  # fault → the next text finalised


@dataclass
class RunLog:
    queued_at: float = 0.0
    queue_seconds: float = 0.0
    drained_at: float | None = None
    faults: list[FaultEvent] = field(default_factory=list)
    sweeper: dict[str, int] = field(default_factory=dict)
    delay_windows: list[tuple[float, float]] = field(default_factory=list)
    loop_errors: dict[str, int] = field(default_factory=dict)


def process_env(
    *, database_url: str, redis_url: str, sandbox: Any, plan: FaultPlan, event_log: Path
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(plan.app_env())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "PROVIDER_API_URL": sandbox.url,
            "PROVIDER_ACCOUNT_ID": sandbox.account_id,
            "PROVIDER_USERNAME": sandbox.username,
            "PROVIDER_PASSWORD": sandbox.password,
            "PROVIDER_APPLICATION_ID": "sandbox-application",
            "WEBHOOK_USERNAME": sandbox.webhook_username,
            "WEBHOOK_PASSWORD": sandbox.webhook_password,
            "FAULTS_EVENT_LOG": str(event_log),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for family in ("MESSAGING", "NUMBERS", "VERIFICATION", "OAUTH"):
        env[f"PROVIDER_{family}_URL"] = ""
    return env


def sandbox_faults(plan: FaultPlan) -> dict[str, Any]:
    return {
        "send_500_rate": plan.send_500_rate,
        "send_429_rate": plan.send_429_rate,
        "duplicate_callbacks": True,
        "out_of_order_callbacks": True,
        "callbacks_paused": False,
    }


@contextmanager
def pipeline(
    *, plan: FaultPlan, sandbox: Any, env: dict[str, str], log_dir: Path
) -> Iterator[tuple[WebServer, Worker]]:
    """gunicorn (the sandbox's callbacks point at it) and a started worker; stopped after."""
    web = WebServer(env, log_dir / "gunicorn.log")
    worker = Worker(env, log_dir / "worker.log", concurrency=plan.worker_concurrency)
    try:
        web.start()
        sandbox.control.set_settings(
            callback_url=web.url,
            rate_limit_segments_per_second=plan.rate_limit,
            callback_retry_schedule=list(plan.callback_retry_schedule),
        )
        worker.start()
        yield web, worker
    finally:
        worker.stop()
        web.stop()


def inject_faults(
    *,
    plan: FaultPlan,
    worker: Worker,
    progress: Progress,
    done: Callable[[], bool],
    log: RunLog,
    redis_restart: bool,
) -> None:
    """Kill the worker `plan.kills` times and restart Redis `plan.redis_restarts` times, at
    seeded random moments within `plan.fault_span` s (earlier if the texts are done)."""
    rng = random.Random(plan.seed)  # noqa: S311 - reproducible, not secret
    kinds = ["worker-kill"] * plan.kills + (
        ["redis-restart"] * plan.redis_restarts if redis_restart else []
    )
    rng.shuffle(kinds)
    gaps = [rng.uniform(0.5, 1.5) for _ in kinds]
    scale = plan.fault_span / max(1.0, sum(gaps) + 1)
    for kind, gap in zip(kinds, gaps, strict=True):
        time.sleep(gap * scale)
        if done():
            break
        at = time.time()
        if kind == "worker-kill":
            worker.kill()
            restart = worker.start()
        else:
            restart = redis_restart_empty()
            # A worker that lost its broker may stop consuming while it looks alive
            # (celery#10205/#10302): it must answer a ping within the usual start time.
            try:
                _wait_for(lambda: _pings(worker), 30, "worker after the Redis restart")
            except TimeoutError:
                log.faults.append(FaultEvent("worker-deaf-after-redis", time.time(), 0.0))
                worker.kill()
                worker.start()
        log.faults.append(FaultEvent(kind, at, restart))
    del progress


def _pings(worker: Worker) -> bool:
    from config.celery import app

    name = f"faults-{os.getpid()}-{worker.generation}"
    replies = app.control.ping(timeout=0.5) or []
    return any(name in host for reply in replies for host in reply)


# --- the verdict -----------------------------------------------------------------------------


@dataclass
class TextVerdict:
    message_id: int
    tag: str
    status: str
    failure_reason: str
    attempts: int
    accepted: int  # times the sandbox accepted this tag
    lost_answers: int  # OutcomeUnknown decisions logged for it
    resent_after_no_callback: int  # re-sends after the wait (the ambiguous window)
    first_callback_after: float | None = (
        None  # s from the first acceptance to its first stored callback
    )


@dataclass
class Verdict:
    texts: int
    accepted: int  # texts the sandbox accepted at least once
    delivered: int
    failed_with_reason: int
    lost: list[TextVerdict]
    duplicates_ambiguous: list[TextVerdict]
    duplicates_unexplained: list[TextVerdict]
    phantom: list[TextVerdict]  # delivered in the app, never accepted by the sandbox
    lost_answer_texts: set[int]
    failure_reasons: Counter[str]
    sends_accepted_total: int
    sandbox_posts: dict[str, int]

    @property
    def duplicate_sends(self) -> int:
        return sum(v.accepted - 1 for v in self.duplicates_ambiguous + self.duplicates_unexplained)

    def line(self) -> str:
        return (
            f"accepted {self.accepted}, delivered {self.delivered}, failed-with-reason "
            f"{self.failed_with_reason}, lost {len(self.lost)}, duplicates "
            f"{len(self.duplicates_ambiguous) + len(self.duplicates_unexplained)} "
            f"({len(self.duplicates_ambiguous)} in the ambiguous window, "
            f"{len(self.duplicates_unexplained)} unexplained)"
        )


def read_event_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    events = []
    for raw in path.read_text().splitlines():
        try:
            events.append(json.loads(raw))
        except ValueError:
            continue  # a line cut by a SIGKILL
    return events


def analyse(*, firm_id: int, control: Any, event_log: Path) -> Verdict:
    from django_scopes import scopes_disabled

    from texting.models import Message, ProviderEvent

    with scopes_disabled():
        rows = list(
            Message.objects.filter(firm_id=firm_id, direction=Message.Direction.OUTBOUND).values(
                "id", "uuid", "status", "failure_reason", "attempts"
            )
        )
        stored_callbacks: dict[str, float] = {}
        for tag, created in (
            ProviderEvent.objects.filter(firm_id=firm_id)
            .exclude(tag="")
            .values_list("tag", "created_at")
        ):
            stamp = created.timestamp()
            stored_callbacks[tag] = min(stamp, stored_callbacks.get(tag, stamp))
    sent = [m for m in control.messages(direction="out")]
    by_tag: Counter[str] = Counter(m["tag"] for m in sent)
    first_accept: dict[str, float] = {}
    from datetime import datetime

    for m in sent:
        stamp = datetime.fromisoformat(m["time"].replace("Z", "+00:00")).timestamp()
        first_accept[m["tag"]] = min(stamp, first_accept.get(m["tag"], stamp))
    events = read_event_log(event_log)
    lost_answer: Counter[int] = Counter(
        int(e["message_id"])
        for e in events
        if e["msg"].startswith(LOST_ANSWER) and "message_id" in e
    )
    resent: Counter[int] = Counter(
        int(e["message_id"])
        for e in events
        if e["msg"] == RESENT_AFTER_NO_CALLBACK and "message_id" in e
    )
    posts = Counter(
        str(r["status"])
        for r in control.requests()
        if r["method"] == "POST" and "/messages" in r["path"]
    )

    verdicts = []
    for row in rows:
        tag = str(row["uuid"])
        cb = stored_callbacks.get(tag)
        first = first_accept.get(tag)
        verdicts.append(
            TextVerdict(
                message_id=row["id"],
                tag=tag,
                status=row["status"],
                failure_reason=row["failure_reason"] or "",
                attempts=row["attempts"],
                accepted=by_tag.get(tag, 0),
                lost_answers=lost_answer.get(row["id"], 0),
                resent_after_no_callback=resent.get(row["id"], 0),
                first_callback_after=(cb - first) if cb is not None and first is not None else None,
            )
        )
    delivered = [v for v in verdicts if v.status == "delivered" and v.accepted >= 1]
    failed = [v for v in verdicts if v.status == "failed" and v.failure_reason]
    final = {v.message_id for v in delivered + failed}
    dups = [v for v in verdicts if v.accepted > 1]
    ambiguous = [
        v
        for v in dups
        if v.resent_after_no_callback >= v.accepted - 1 and v.lost_answers >= v.accepted - 1
    ]
    return Verdict(
        texts=len(verdicts),
        accepted=sum(1 for v in verdicts if v.accepted >= 1),
        delivered=len(delivered),
        failed_with_reason=len(failed),
        lost=[v for v in verdicts if v.message_id not in final],
        duplicates_ambiguous=ambiguous,
        duplicates_unexplained=[v for v in dups if v not in ambiguous],
        phantom=[v for v in verdicts if v.status == "delivered" and v.accepted == 0],
        lost_answer_texts=set(lost_answer),
        failure_reasons=Counter(v.failure_reason for v in failed),
        sends_accepted_total=len(sent),
        sandbox_posts=dict(posts),
    )


def all_final(firm_id: int) -> Callable[[], bool]:
    def check() -> bool:
        from django_scopes import scopes_disabled

        from texting.models import Message

        with scopes_disabled():
            return not Message.objects.filter(
                firm_id=firm_id,
                direction=Message.Direction.OUTBOUND,
                status__in=("queued", "sending", "sent"),
            ).exists()

    return check


def queue_texts(firm: Any, count: int, *, contacts: int = 50) -> float:
    """Create `contacts` contacts with delivering numbers (+1 202 555 01xx: no sandbox
    failure code) and queue `count` texts round-robin through message_send, each in its own
    transaction (its deliver task is enqueued on commit). Returns the seconds it took."""
    from django.db import transaction
    from django_scopes import scope

    from texting.services.sending import message_send
    from texting.tests.factories import texting_contact

    started = time.monotonic()
    with scope(firm=firm.id):
        people = [
            texting_contact(firm, f"+12025550{100 + i:03d}") for i in range(min(contacts, 100))
        ]
        for i in range(count):
            with transaction.atomic():
                message_send(
                    firm=firm,
                    sender=None,
                    contact=people[i % len(people)],
                    body=f"Fault run text {i}: your hearing is confirmed.",
                )
    return time.monotonic() - started


def wait_final(firm_id: int, timeout: float) -> float | None:
    """Seconds until every outbound text is delivered or failed; None after `timeout`."""
    try:
        return _wait_for(all_final(firm_id), timeout, "final states", interval=0.5)
    except TimeoutError:
        return None


def wait_other_sessions_gone(timeout: float = 15.0) -> None:
    """Wait until no other connection uses this database (killed workers' backends linger a
    moment), so the test database can be dropped afterwards."""
    from django.db import connection

    def alone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            return int(cursor.fetchone()[0]) == 0

    with suppress(TimeoutError):
        _wait_for(alone, timeout, "other database sessions to end", interval=0.2)


def fill_recovery(log: RunLog, progress: Progress) -> None:
    for fault in log.faults:
        fault.recovery_seconds = progress.recovery_after(fault.at)
