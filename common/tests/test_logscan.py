"""The log scan of the test run (common/testing/logscan.py): finds what leaked, and only that."""

import json
import logging
from pathlib import Path

import pytest

from common.testing import logscan
from common.testing.logscan import Collected, scan
from texting.tests.factories import MessageFactory

BODY = 'He said "call me" at noon\nthanks'
NUMBER = "+12025550143"


def log_file(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "run.log"
    path.write_text(
        "".join(
            (json.dumps(line) if isinstance(line, dict) else str(line)) + "\n" for line in lines
        ),
        encoding="utf-8",
    )
    return path


def collected() -> Collected:
    found = Collected()
    found.add_body(BODY)
    found.add_phone(NUMBER)
    return found


def test_a_leaked_body_and_a_leaked_number_are_found_by_file_and_line(tmp_path: Path) -> None:
    path = log_file(
        tmp_path,
        {"message": "text queued", "message_id": 7},
        {"message": "inbound text", "text": BODY},  # JSON-escaped quotes and newline
        {"message": f"to {NUMBER}"},
        "plain line: calling (202) 555-0143 now",
        {"message": "bare 2025550143 digits"},
    )

    leaks = scan([path], collected())

    assert [(leak.line, leak.what) for leak in leaks] == [
        (2, f"a message body ({len(BODY)} characters)"),
        (3, "phone number ***0143 in full"),
        (3, "unmasked phone number ***0143"),
        (4, "phone number ***0143 in full"),
        (5, "phone number ***0143 in full"),
    ]
    # A report names the place, never the secret.
    report = "\n".join(str(leak) for leak in leaks)
    assert str(path) + ":2:" in report
    assert BODY not in report and "2025550143" not in report and "thanks" not in report


def test_masked_numbers_uuids_and_timestamps_are_not_leaks(tmp_path: Path) -> None:
    path = log_file(
        tmp_path,
        {
            "time": "2026-07-22T18:42:37.100Z",
            "message": "provider accepted to=***0143 tag=1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "provider_message_id": "1720000000123ab12cd34ef56gh78",
            "firm_id": 12,
        },
    )
    assert scan([path], collected()) == []


def test_an_unmasked_number_nobody_collected_is_still_a_leak(tmp_path: Path) -> None:
    path = log_file(tmp_path, {"message": "forwarded to +447911123456"})
    [leak] = scan([path], Collected())
    assert leak.what == "unmasked phone number ***3456"


def test_short_bodies_and_short_numbers_are_not_looked_for(tmp_path: Path) -> None:
    found = Collected()
    for body in ("Y", "STOP", "ok   ", ""):
        found.add_body(body)
    found.add_phone("+1202555")  # too short to be masked, too short to look for
    path = log_file(tmp_path, {"message": "Y STOP ok +1202555 received"})
    assert found.bodies == set() and found.phones == set()
    assert scan([path], found) == []


def test_every_file_of_the_run_is_scanned(tmp_path: Path) -> None:
    web = log_file(tmp_path, {"message": "clean"})
    worker = tmp_path / "run-worker.log"
    worker.write_text(f"[worker] sending {BODY[:20]}\n{json.dumps({'text': BODY})}\n")
    [leak] = scan([web, worker], collected())
    assert (leak.path, leak.line) == (worker, 2)


# --- The running session's plugin ---------------------------------------------------------


def test_this_run_writes_its_log_lines_through_the_production_formatter() -> None:
    run = logscan._run
    assert run is not None, "the plugin is registered from the root conftest.py"
    logging.getLogger("texting.tests").warning("log scan probe", extra={"probe": NUMBER})
    run.handler.flush()
    last = run.log_path.read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last)["message"] == "log scan probe"
    assert json.loads(last)["probe"] == "***0143"


@pytest.mark.django_db
def test_this_run_collects_the_bodies_and_numbers_the_tests_create() -> None:
    run = logscan._run
    assert run is not None
    message = MessageFactory(body="Bring the signed retainer on Friday", to_e164="+12025550177")
    assert message.body in run.collected.bodies
    assert "+12025550177" in run.collected.phones
