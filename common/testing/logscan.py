"""pytest plugin: the logs of the whole test run hold no message body and no phone number
(issue 9's security test).

At the start of the session a file handler on the root logger writes every record at the
configured level (LOG_LEVEL) through the production formatter and filter (common.logging)
to var/test-logs/<run>.log; the real Celery worker the suite starts when REDIS_URL is set
writes its own log next to it (common/testing/worker.py reads FIRM_TEXTING_TEST_LOG_PREFIX).
Meanwhile every message body and phone number the tests create is collected. At the end
all of the run's log files are scanned for any collected body of 12+ characters (shorter
ones, "Y", "STOP", "revoke", also occur in URLs and code), any collected number written out
in full, and any unmasked E.164 number; one is enough to fail the run, with the file and
line named (never the secret).

Records the level filters out before any handler (a test inside `caplog.at_level(WARNING)`
silences INFO) are not written, so they are not scanned: the run's other tests cover them.
The suite does not use pytest-xdist; under it each worker would scan only its own log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
LOG_DIR = ROOT / "var" / "test-logs"
# Other processes of the run (the Celery worker) write to "<prefix>-<name>.log".
LOG_PREFIX_ENV = "FIRM_TEXTING_TEST_LOG_PREFIX"
MIN_BODY_CHARS = 12
MIN_PHONE_DIGITS = 10
KEEP_LOGS_DAYS = 7

_UNMASKED_E164 = re.compile(r"\+[0-9]{10,15}(?![0-9])")
_NEEDLE_PREFIX = min(MIN_BODY_CHARS, MIN_PHONE_DIGITS)  # every needle is at least this long


@dataclass(frozen=True)
class Leak:
    path: Path
    line: int
    what: str  # described without the secret itself: "a message body (14 characters)"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _masked(number: str) -> str:
    return "***" + re.sub(r"[^0-9]", "", number)[-4:]


def phone_forms(number: str) -> set[str]:
    """The ways a number may be written out in full: E.164, its digits, and for +1 numbers
    the ten national digits and the usual (202) 555-0143 / 202-555-0143 / 202.555.0143."""
    digits = re.sub(r"[^0-9]", "", number)
    forms = {number, digits}
    if digits.startswith("1") and len(digits) == 11:
        area, exchange, line = digits[1:4], digits[4:7], digits[7:]
        forms |= {
            digits[1:],
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
        }
    return forms


@dataclass
class Collected:
    """What the run's tests created that must never be logged."""

    bodies: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def add_body(self, body: str | None) -> None:
        if body and len(body.strip()) >= MIN_BODY_CHARS:
            self.bodies.add(body)

    def add_phone(self, number: str | None) -> None:
        if number and len(re.sub(r"[^0-9]", "", number)) >= MIN_PHONE_DIGITS:
            self.phones.add(number)

    def needles(self) -> dict[str, str]:
        """Each string to look for, with how to name it in a report."""
        found: dict[str, str] = {}
        for number in self.phones:
            for form in phone_forms(number):
                found.setdefault(form, f"phone number {_masked(number)} in full")
        for body in self.bodies:
            what = f"a message body ({len(body)} characters)"
            # As written, and as a JSON log line escapes it (quotes, newlines, non-ASCII).
            for form in (body, json.dumps(body)[1:-1], json.dumps(body, ensure_ascii=False)[1:-1]):
                found.setdefault(form, what)
        return found


class _Matcher:
    """Finds any of many fixed strings in a line: candidates by their first characters."""

    def __init__(self, needles: dict[str, str]) -> None:
        self._index: dict[str, list[tuple[str, str]]] = {}
        for needle, what in needles.items():
            self._index.setdefault(needle[:_NEEDLE_PREFIX], []).append((needle, what))

    def find(self, line: str) -> list[str]:
        found = []
        index = self._index
        for start in range(len(line) - _NEEDLE_PREFIX + 1):
            candidates = index.get(line[start : start + _NEEDLE_PREFIX])
            if candidates:
                found += [what for needle, what in candidates if line.startswith(needle, start)]
        return found


def scan(paths: Iterable[Path], collected: Collected) -> list[Leak]:
    """Every line of `paths` holding a collected body or number, or an unmasked E.164."""
    matcher = _Matcher(collected.needles())
    leaks = []
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                found = dict.fromkeys(matcher.find(line))
                for match in _UNMASKED_E164.finditer(line):
                    found.setdefault(f"unmasked phone number {_masked(match.group(0))}")
                leaks += [Leak(path, number, what) for what in found]
    return leaks


# --- The plugin ---------------------------------------------------------------------------


@dataclass
class _Run:
    log_path: Path
    handler: logging.Handler
    collected: Collected = field(default_factory=Collected)
    leaks: list[Leak] | None = None
    lines: int = 0

    @property
    def paths(self) -> list[Path]:
        return sorted(self.log_path.parent.glob(f"{self.log_path.stem}*.log"))


_run: _Run | None = None


def _old_logs_removed() -> None:
    cutoff = time.time() - KEEP_LOGS_DAYS * 24 * 3600
    for path in LOG_DIR.glob("*.log"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another run removed it first


def _collectors_connected(collected: Collected) -> None:
    from django.db.models.signals import post_save

    from contacts.models import PhoneNumber
    from texting.models import Message
    from texting.signals import inbound_texts_stored

    def message_saved(instance: Message, **kwargs: Any) -> None:
        collected.add_body(instance.body)
        collected.add_phone(instance.from_e164)
        collected.add_phone(instance.to_e164)

    def inbound_stored(messages: Iterable[Message] = (), **kwargs: Any) -> None:
        # Inbound texts are bulk-inserted: no post_save for them.
        for message in messages:
            message_saved(message)

    def phone_saved(instance: PhoneNumber, **kwargs: Any) -> None:
        collected.add_phone(instance.number_e164)

    post_save.connect(message_saved, sender=Message, weak=False, dispatch_uid="logscan.message")
    post_save.connect(phone_saved, sender=PhoneNumber, weak=False, dispatch_uid="logscan.phone")
    inbound_texts_stored.connect(inbound_stored, weak=False, dispatch_uid="logscan.inbound")


def pytest_sessionstart(session: pytest.Session) -> None:
    global _run
    from django.conf import settings

    from common.logging import JsonFormatter, RequestContextFilter

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    _old_logs_removed()
    worker = getattr(session.config, "workerinput", {}).get("workerid", "")
    name = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}" + (f"-{worker}" if worker else "")
    path = LOG_DIR / f"{name}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(settings.LOG_LEVEL)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logging.getLogger().addHandler(handler)
    os.environ[LOG_PREFIX_ENV] = str(path.with_suffix(""))
    _run = _Run(log_path=path, handler=handler)
    _collectors_connected(_run.collected)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A logging.config.dictConfig() anywhere would have detached the handler.
    if _run is not None and _run.handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(_run.handler)


def _line_count(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _run is None:
        return
    logging.getLogger().removeHandler(_run.handler)
    _run.handler.close()
    paths = _run.paths
    _run.lines = sum(_line_count(path) for path in paths)
    _run.leaks = scan(paths, _run.collected)
    if _run.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _run is None or _run.leaks is None:
        return
    collected = _run.collected
    counts = (
        f"{_run.lines} lines in {len(_run.paths)} file(s); "
        f"{len(collected.bodies)} bodies and {len(collected.phones)} numbers looked for"
    )
    try:
        shown = _run.log_path.relative_to(ROOT)
    except ValueError:
        shown = _run.log_path
    if not _run.leaks:
        terminalreporter.write_line(f"log scan: clean ({counts}): {shown}")
        return
    terminalreporter.write_sep("=", "log scan: message bodies or phone numbers logged", red=True)
    for leak in _run.leaks[:50]:
        terminalreporter.write_line(str(leak), red=True)
    if len(_run.leaks) > 50:
        terminalreporter.write_line(f"... and {len(_run.leaks) - 50} more")
    terminalreporter.write_line(f"({counts})")
