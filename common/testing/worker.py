"""A real Celery worker for integration tests, started as a separate process.

With REDIS_URL set (CI), tests that enqueue work see it done by a worker process that talks
to the same Redis and the same test database, as in production. Without REDIS_URL the
settings run tasks in process, and no worker is started.
"""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent.parent


def _database_url_for_worker() -> str:
    """The URL of the database the tests use right now (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("A separate worker process needs PostgreSQL (set DATABASE_URL).")
    credentials = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@contextmanager
def running_worker(*, timeout: float = 60.0) -> Iterator[subprocess.Popen[bytes]]:
    """Start `celery worker` against REDIS_URL and the test database; stop it afterwards."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["DATABASE_URL"] = _database_url_for_worker()
    hostname = f"test-worker-{os.getpid()}@%h"
    # Into the run's log directory at the production level, for the log scan
    # (common/testing/logscan.py); to the terminal, quieter, when no scan runs.
    log_prefix = os.environ.get("FIRM_TEXTING_TEST_LOG_PREFIX")
    log = open(f"{log_prefix}-worker.log", "ab") if log_prefix else None  # noqa: SIM115
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        f"--loglevel={settings.LOG_LEVEL if log else 'WARNING'}",
        "--without-gossip",
        "--without-mingle",
        "-n",
        hostname,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                seen = f"; its log: {log.name}" if log else ""
                raise RuntimeError(
                    f"The Celery worker exited with code {process.returncode}{seen}."
                )
            replies = app.control.ping(timeout=1.0) or []
            if any(hostname.split("@")[0] in name for reply in replies for name in reply):
                break
        else:
            raise RuntimeError("The Celery worker did not answer a ping within the timeout.")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            log.close()
