"""Shared helpers of the benchmark scripts: processes, the bench database, the report.

Everything a benchmark starts is a real process on a free port of 127.0.0.1, started in its
own session so it (and its children: gunicorn and Celery pool processes) can be stopped by
its process-group id. Every wait is bounded by time. Nothing here imports the apps; the
scripts call `django_setup()` once the bench database exists.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import random
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = os.environ.get("BENCH_PG_BASE", "postgres://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("BENCH_REDIS_BASE", "redis://127.0.0.1:6379")

TOLL_FREE = "+18445550100"
ACCOUNT_ID = "9900000"
APPLICATION_ID = "bench-application"
PROVIDER_USER = "bench-provider"
PROVIDER_PASSWORD = "bench-provider-password"
WEBHOOK_USER = "bench-webhook"
WEBHOOK_PASSWORD = "bench-webhook-password"


# --- small utilities ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def provider_message_id() -> str:
    """Bandwidth's shape: 13 epoch-ms digits plus 16 lowercase alphanumerics."""
    tail = "".join(random.choices(string.ascii_lowercase + string.digits, k=16))
    return f"{int(time.time() * 1000)}{tail}"


def contact_number(i: int) -> str:
    """A distinct E.164 number per contact; the last four digits (1000-3999) are never one
    of the sandbox's failure codes (4720..9999), so every text is delivered."""
    return f"+1202{556 + i // 3000:03d}{1000 + i % 3000:04d}"


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- machine ------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    info: dict[str, str] = {}
    info["host"] = platform.node()
    info["nproc"] = str(os.cpu_count())
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                kb = int(line.split()[1])
                info["memory"] = f"{kb / 1024 / 1024:.1f} GiB"
                break
    info["kernel"] = platform.release()
    info["python"] = platform.python_version()
    try:
        import django

        info["django"] = django.get_version()
    except ImportError:
        pass
    for pkg in ("gunicorn", "celery", "psycopg"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            info[pkg] = version(pkg)
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(PG_ADMIN_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = str(row[0]) if row else "?"
    with contextlib.suppress(Exception):
        import redis

        info["redis"] = str(redis.Redis.from_url(REDIS_BASE).info("server")["redis_version"])
    return info


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class LoadSampler:
    """Samples the 1-minute load average and the busiest other processes while running."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(OSError, ValueError):
                self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 1)

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        return (
            f"1-min load average during the run: min {min(self.samples):.2f}, "
            f"mean {statistics.mean(self.samples):.2f}, max {max(self.samples):.2f} "
            f"({len(self.samples)} samples)"
        )


def other_busy_processes() -> str:
    """Processes not started by us that use CPU right now (e.g. another helper's tests)."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,ppid,pcpu,etimes,comm,args", "--sort=-pcpu"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "?"
    mine = {os.getpid()}
    rows = []
    for line in out[1:]:
        parts = line.split(None, 5)
        if len(parts) < 6 or int(parts[0]) in mine:
            continue
        if float(parts[2]) >= 5.0:
            rows.append(f"{parts[2]}% {parts[4]} ({parts[5][:80]})")
        if len(rows) >= 5:
            break
    return "; ".join(rows) or "none above 5% CPU"


# --- the environment of every process -------------------------------------------------------


@dataclass
class BenchEnv:
    """The production-like environment shared by gunicorn, Celery, the sandbox and us."""

    db_name: str
    redis_db: int
    provider_url: str = "http://127.0.0.1:9"  # replaced by the sandbox's URL when there is one
    rate_limit: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from cryptography.fernet import Fernet

        self.fernet_key = Fernet.generate_key().decode()
        self.secret_key = "bench-" + "".join(random.choices(string.ascii_letters, k=60))

    @property
    def database_url(self) -> str:
        return f"{PG_BASE}/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"{REDIS_BASE}/{self.redis_db}"

    def env(self, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PROVIDER_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "DJANGO_SECRET_KEY": self.secret_key,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "FIELD_ENCRYPTION_KEYS": self.fernet_key,
                "PROVIDER_API_URL": self.provider_url,
                "PROVIDER_ACCOUNT_ID": ACCOUNT_ID,
                "PROVIDER_APPLICATION_ID": APPLICATION_ID,
                "PROVIDER_USERNAME": PROVIDER_USER,
                "PROVIDER_PASSWORD": PROVIDER_PASSWORD,
                "PROVIDER_CLIENT_ID": "",
                "PROVIDER_CLIENT_SECRET": "",
                "PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND": str(self.rate_limit),
                "WEBHOOK_USERNAME": WEBHOOK_USER,
                "WEBHOOK_PASSWORD": WEBHOOK_PASSWORD,
                "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("DJANGO_READ_DOT_ENV_FILE", None)
        env.update(self.extra)
        env.update(more)
        return env


def django_setup(bench: BenchEnv) -> None:
    """Configure Django in this process against the bench database (once)."""
    os.environ.update(bench.env())
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    # The script's own queries and sends would log a line each; the servers keep INFO.
    logging.getLogger().setLevel(logging.WARNING)


# --- database and Redis -------------------------------------------------------------------


def bench_database_exists(bench: BenchEnv) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (bench.db_name,)
        ).fetchone()
    return row is not None


def bench_keys(
    bench: BenchEnv,
    keys_file: Path,
    *,
    reuse: bool,
    keep: bool,
    kept_db: str,
    kept: bool,
    log: Callable[[str], None],
) -> None:
    """--reuse-db takes the keys a --keep-db run saved (the kept rows are encrypted with
    them; `kept`: that run's database still exists); --keep-db saves this run's keys."""
    if reuse:
        if not kept or not keys_file.exists():
            raise SystemExit(f"--reuse-db: no database {kept_db} kept by --keep-db")
        keys = json.loads(keys_file.read_text())
        bench.fernet_key, bench.secret_key = keys["fernet_key"], keys["secret_key"]
        log(f"reusing {kept_db} and its keys from {keys_file}")
    elif keep:
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        keys_file.write_text(
            json.dumps({"fernet_key": bench.fernet_key, "secret_key": bench.secret_key})
        )
        keys_file.chmod(0o600)


@contextlib.contextmanager
def bench_database(
    bench: BenchEnv, log: Callable[[str], None], *, reuse: bool = False, keep: bool = False
) -> Iterator[None]:
    """Create the bench database, migrate it, flush the bench Redis db; drop both after.

    `reuse`: use the database as an earlier run with `keep` left it (migrated, not emptied).
    `keep`: leave the database there after the run, for a later `reuse`.
    """
    import psycopg
    import redis

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench.db_name}" WITH (FORCE)')

    if not reuse:
        drop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{bench.db_name}"')
    r = redis.Redis.from_url(bench.redis_url)
    r.flushdb()
    try:
        log(f"migrating {bench.db_name}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=bench.env(),
            check=True,
            timeout=600,
        )
        yield
    finally:
        with contextlib.suppress(Exception):
            r.flushdb()
        with contextlib.suppress(Exception):
            # Our own connection (Django's) must go first, or FORCE would still wait on it.
            from django.db import connections

            connections.close_all()
        if keep:
            log(f"kept {bench.db_name} (--keep-db); flushed redis db {bench.redis_db}")
        else:
            drop()
            log(f"dropped {bench.db_name}, flushed redis db {bench.redis_db}")


# --- processes ----------------------------------------------------------------------------


class Processes:
    """Started processes, each in its own session; stopped (group-wide) on exit."""

    def __init__(self, log_dir: Path, log: Callable[[str], None]) -> None:
        self.log_dir = log_dir
        self.log = log
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append((name, proc))
        self.log(f"started {name} (pid {proc.pid})")
        return proc

    def logfile(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def stop(self, name: str, timeout: float = 20.0) -> None:
        for n, proc in list(self.procs):
            if n == name:
                _stop_group(proc, timeout)
                self.procs.remove((n, proc))

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            _stop_group(proc, 20.0)
        self.procs.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def _stop_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Children of the group (gunicorn workers, pool processes) that outlived their parent.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def log_contains(path: Path, needle: str) -> bool:
    try:
        return needle in path.read_text(errors="replace")
    except OSError:
        return False


def start_sandbox(
    procs: Processes,
    env: dict[str, str],
    *,
    port: int,
    callback_url: str,
    state_dir: Path,
    extra_args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """`manage.py run_provider_sandbox` on `port`, its callbacks to `callback_url`; returns
    once it listens (at most 60 s)."""
    sandbox = procs.start(
        "sandbox",
        [
            sys.executable,
            "manage.py",
            "run_provider_sandbox",
            "--port",
            str(port),
            "--callback-url",
            callback_url,
            "--state-dir",
            str(state_dir),
            *extra_args,
        ],
        env,
    )

    def up() -> bool:
        if sandbox.poll() is not None:
            raise RuntimeError(f"sandbox exited: see {procs.logfile('sandbox')}")
        return log_contains(procs.logfile("sandbox"), "Provider sandbox listening on")

    wait_until(up, 60, "the sandbox")
    return sandbox


def start_gunicorn(
    procs: Processes,
    name: str,
    app: str,
    port: int,
    workers: int,
    env: dict[str, str],
    proc_check: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    argv = [
        str(VENV_BIN / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    proc = procs.start(name, argv, env)

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: see {procs.logfile(name)}")
        return port_open(port)

    wait_until(up, 60, f"{name} on port {port}")
    return proc


# The worker's CPU weight half the web tier's, as docker-compose.yml deploys it on a shared
# host (cpu_shares 512 against 1024): nice 3 is the kernel's weight 526 against 1024.
WORKER_NICE = 3


def start_celery(
    procs: Processes, name: str, concurrency: int, env: dict[str, str], nice: int = WORKER_NICE
) -> subprocess.Popen[bytes]:
    argv = [
        "nice",
        "-n",
        str(nice),
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}-{os.getpid()}@%h",
    ]
    proc = procs.start(name, argv, env)
    logfile = procs.logfile(name)

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: see {logfile}")
        return log_contains(logfile, " ready.")

    wait_until(ready, 90, f"{name} ready", interval=0.25)
    return proc


def _group_pids(pid: int) -> list[int]:
    try:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, timeout=5
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    return [pid, *map(int, out)]


def _proc_kb(path: str, field: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def group_memory_kb(pid: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, number of processes) over the process and its children, kB.

    RSS counts a page shared by the prefork parent and its children once per process; PSS
    splits it between them, so the PSS sum is the memory the tree really occupies.
    """
    rss = pss = count = 0
    for p in _group_pids(pid):
        r = _proc_kb(f"/proc/{p}/status", "VmRSS:")
        if r is None:
            continue
        rss += r
        pss += _proc_kb(f"/proc/{p}/smaps_rollup", "Pss:") or r
        count += 1
    return rss, pss, count


class RssSampler:
    """Peaks of the summed RSS and PSS of a process tree, sampled every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss, n = group_memory_kb(self.pid)
            if rss > self.peak_kb:
                self.peak_kb, self.peak_procs = rss, n
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)


def cpu_seconds_by_process(procs: Processes) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each started process group (with its
    children: gunicorn and Celery pool workers, living or exited), by PostgreSQL and Redis,
    and by this benchmark process. Diff two snapshots to see where a phase's CPU went."""
    groups = {proc.pid: name for name, proc in procs.procs}
    me = os.getpid()
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime + stime, and cutime + cstime: the CPU of children already reaped, such as
        # PostgreSQL backends whose connection closed during the phase.
        pgrp, used = int(fields[2]), sum(int(f) for f in fields[11:15])
        if int(entry) == me:
            name = "benchmark client"
        elif pgrp in groups:
            name = groups[pgrp]
        elif comm.startswith("postgres"):
            name = "postgresql"
        elif comm.startswith("redis"):
            name = "redis"
        else:
            continue
        totals[name] = totals.get(name, 0.0) + used / ticks_per_s
    return totals


def cpu_used_between(before: dict[str, float], after: dict[str, float]) -> str:
    """ "name 12.3 s, ..." largest first, for a report line."""
    used = {k: after[k] - before.get(k, 0.0) for k in after}
    parts = [f"{k} {v:.1f} s" for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v >= 0.05]
    return ", ".join(parts) or "none measured"


# --- HTTP load ------------------------------------------------------------------------------


@dataclass
class Result:
    status: int
    started: float  # when the request was meant to start (monotonic)
    sent: float  # when it was actually written
    done: float

    @property
    def latency(self) -> float:
        return self.done - self.started


async def _post(port: int, path: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One HTTP/1.1 POST on a fresh connection (gunicorn's sync workers close it anyway)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        head = [
            f"POST {path} HTTP/1.1",
            "Host: 127.0.0.1",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        status = int(status_line.split()[1])
        await asyncio.wait_for(reader.read(), timeout)  # Connection: close → until EOF
        return status
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def load_fixed_rate(
    port: int,
    path: str,
    make_body: Callable[[int], bytes],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    concurrency: int,
    on_sent: Callable[[int, float], None] | None = None,
    timeout: float = 30.0,
) -> list[Result]:
    """Open loop: request i is due at start + i/rate; at most `concurrency` in flight.

    Latency is measured from when the request was due (so a server that makes requests
    queue behind the concurrency cap is charged for the wait: no coordinated omission).
    """
    count = int(rate * seconds)
    sem = asyncio.Semaphore(concurrency)
    results: list[Result] = []
    loop = asyncio.get_running_loop()
    start = time.monotonic() + 0.05

    async def one(i: int) -> None:
        due = start + i / rate
        body = make_body(i)
        async with sem:
            sent = time.monotonic()
            if on_sent:
                on_sent(i, due)
            try:
                status = await _post(port, path, body, headers, timeout)
            except (TimeoutError, OSError, ValueError, IndexError):
                status = 0
            results.append(Result(status, due, sent, time.monotonic()))

    tasks = []
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(i)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + timeout + 30)
    return results


async def load_max(
    port: int,
    path: str,
    make_body: Callable[[int], bytes],
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
    max_requests: int = 1_000_000,
    on_sent: Callable[[int, float], None] | None = None,
    timeout: float = 30.0,
) -> tuple[list[Result], float]:
    """Closed loop: `concurrency` clients, each sending its next request when the previous
    one is answered, for `seconds` (or max_requests). Returns results and the elapsed time."""
    results: list[Result] = []
    counter = iter(range(max_requests))
    start = time.monotonic()
    end = start + seconds

    async def client() -> None:
        while time.monotonic() < end:
            i = next(counter, None)
            if i is None:
                return
            body = make_body(i)
            t = time.monotonic()
            if on_sent:
                on_sent(i, t)
            try:
                status = await _post(port, path, body, headers, timeout)
            except (TimeoutError, OSError, ValueError, IndexError):
                status = 0
            results.append(Result(status, t, t, time.monotonic()))

    await asyncio.wait_for(
        asyncio.gather(*(client() for _ in range(concurrency))), timeout=seconds + timeout + 30
    )
    elapsed = max(r.done for r in results) - start if results else seconds
    return results, elapsed


# --- report -------------------------------------------------------------------------------


def write_report(name: str, title: str, sections: list[tuple[str, str]]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now().astimezone()
    path = RESULTS_DIR / f"{name}-{now:%Y-%m-%d-%H%M}.md"
    lines = [f"# {title}", "", f"Run at {now:%Y-%m-%d %H:%M:%S %Z} (`{' '.join(sys.argv)}`).", ""]
    for heading, text in sections:
        lines += [f"## {heading}", "", text.rstrip(), ""]
    path.write_text("\n".join(lines))
    return path


def machine_section(
    info: dict[str, str],
    load_before: str,
    load_after: str,
    sampler: LoadSampler | None,
    others: str,
) -> str:
    rows = ["| | |", "|---|---|"]
    for key in (
        "host",
        "nproc",
        "cpu",
        "memory",
        "kernel",
        "python",
        "django",
        "postgresql",
        "redis",
        "gunicorn",
        "celery",
        "psycopg",
        "python speed",
    ):
        if key in info:
            rows.append(f"| {key} | {info[key]} |")
    rows.append(f"| load average before / after (1, 5, 15 min) | {load_before} / {load_after} |")
    if sampler is not None:
        rows.append(f"| load during the run | {sampler.summary()} |")
    rows.append(f"| other busy processes at the start | {others} |")
    return "\n".join(rows)


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=str)


def make_log(prefix: str) -> Callable[[str], None]:
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{prefix} {time.monotonic() - t0:7.1f}s] {msg}", flush=True)

    return log


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


# --- benchmark data (in this process, after django_setup) -----------------------------------


@dataclass(frozen=True)
class Seeded:
    firm_id: int
    sender_id: int
    contact_ids: list[int]
    numbers: list[str]


def seed_firm(*, contacts: int, members: int) -> Seeded:
    """One texting firm (toll-free number, Essentials, North America) with `members` staff and
    `contacts` contacts, each with its own texting number and a conversation the firm has
    texted (last_outbound_at set), as the inbound routing of C6 requires. Bulk inserts: this
    is the benchmark's fixture, not a path under test."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import Firm, Membership, User
    from contacts.models import Contact, PhoneNumber
    from texting.models import Conversation

    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        firm = Firm.objects.create(
            name="Benchmark & Partners LLP",
            plan=Firm.Plan.ESSENTIALS,
            region=Firm.Region.NORTH_AMERICA,
            toll_free_number_e164=TOLL_FREE,
        )
        users = []
        for i in range(members):
            user = User(email=f"bench{i}@example.com", first_name="Bench", last_name=f"User{i}")
            user.set_unusable_password()
            users.append(user)
        users = User.objects.bulk_create(users)
        Membership.objects.bulk_create(
            [
                Membership(
                    firm=firm,
                    user=u,
                    role=Membership.Role.ADMIN if i == 0 else Membership.Role.STAFF,
                )
                for i, u in enumerate(users)
            ]
        )
        people = []
        for i in range(contacts):
            c = Contact(
                firm=firm, type=Contact.Type.PERSON, first_name="Client", last_name=f"{i:05d}"
            )
            c.sort_name = c.compute_sort_name()
            people.append(c)
        people = Contact.objects.bulk_create(people, batch_size=1000)
        numbers = [contact_number(i) for i in range(contacts)]
        PhoneNumber.objects.bulk_create(
            [
                PhoneNumber(
                    firm=firm,
                    contact=c,
                    number_e164=n,
                    is_texting_number=True,
                    label=PhoneNumber.Label.MOBILE,
                )
                for c, n in zip(people, numbers, strict=True)
            ],
            batch_size=1000,
        )
        Conversation.objects.bulk_create(
            [
                Conversation(
                    firm=firm,
                    contact=c,
                    last_outbound_at=now - dt.timedelta(seconds=i),
                    last_message_at=now - dt.timedelta(seconds=i),
                )
                for i, c in enumerate(people)
            ],
            batch_size=1000,
        )
    return Seeded(firm.id, users[0].id, [c.id for c in people], numbers)
