"""Structured logs (issue 9): JSON lines with request and task ids, phone numbers masked."""

import base64
import io
import json
import logging
import os
import re
import string
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Firm
from common.logging import mask_phone_numbers, request_id_var, task_id_var

FIRM_NUMBER = "+18445550100"
CLIENT_NUMBER = "+12025550143"
Lines = Callable[[], list[dict[str, Any]]]


def configured(kind: str, name: str) -> Any:
    """A formatter or filter exactly as settings.LOGGING builds it."""
    return import_string(settings.LOGGING[kind][name]["()"])()


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """What the production handler writes during the test, one parsed object per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        configured("formatters", settings.LOGGING["handlers"]["console"]["formatter"])
    )
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        handler.addFilter(configured("filters", name))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_logs_are_json_by_default() -> None:
    # LOG_FORMAT is unset in the test environment, as in production.
    assert settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_the_request_id_middleware_comes_first() -> None:
    # Any middleware before it would log (a redirect, a refusal) without the request's id.
    assert settings.MIDDLEWARE[0] == "common.request_id.RequestIdMiddleware"


def log_one_line(log_format: str) -> subprocess.CompletedProcess[str]:
    """A fresh process with LOG_FORMAT set logs one line through settings.LOGGING."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('texting.probe').warning('to %s', '+12025550143')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "LOG_FORMAT": log_format,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_log_format_plain_writes_one_readable_masked_line_to_stderr() -> None:
    result = log_one_line("plain")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING texting.probe \[- -\] to \*\*\*0143\n",
        result.stderr,
    )


def test_an_unknown_log_format_stops_the_process_naming_the_choices() -> None:
    result = log_one_line("xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or plain, not 'xml'" in result.stderr


def test_urllib3_keeps_its_request_lines_out_even_at_debug() -> None:
    """At DEBUG, urllib3 logs each request's path: a webhook receiver's may hold its
    credentials, a provider's a phone number."""
    code = (
        "import django, logging; django.setup(); "
        "print(logging.getLogger('urllib3.connectionpool').getEffectiveLevel(), "
        "logging.getLogger('texting').getEffectiveLevel())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(logging.WARNING), str(logging.DEBUG)]


@pytest.mark.django_db
def test_a_request_logs_json_lines_with_the_id_it_answers_with(json_lines: Lines) -> None:
    response = Client().get("/no-such-page")  # Django logs "Not Found" at WARNING

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = [line for line in json_lines() if line["logger"] == "django.request"]
    assert list(line)[:6] == ["time", "level", "logger", "message", "request_id", "task_id"]
    assert line["request_id"] == request_id and line["task_id"] is None
    assert line["level"] == "WARNING" and line["message"] == "Not Found: /no-such-page"
    assert line["status_code"] == 404
    assert line["time"].endswith("Z")
    assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert "request" not in line  # the request object (its repr has the query string)

    logging.getLogger("tests").warning("after the request")
    assert json_lines()[-1]["request_id"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["lb-7f3a.9_Z", "a" * 64])
def test_a_sane_incoming_request_id_is_kept(json_lines: Lines, incoming: str) -> None:
    response = Client().get("/no-such-page", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert [line["request_id"] for line in json_lines() if line["logger"] == "django.request"] == [
        incoming
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["", "a" * 65, "two words", 'quote"d', "x\\ny", "é", "id;drop"]
)
def test_an_unsafe_incoming_request_id_is_replaced(incoming: str) -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.fixture
def numbered_firm(firm: Firm) -> Firm:
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    return firm


def inbound_text_callback() -> list[dict[str, Any]]:
    return [
        {
            "type": "message-received",
            "time": "2026-07-22T18:20:16.000Z",
            "description": "Incoming message received",
            "to": FIRM_NUMBER,
            "message": {
                "id": "1720000001000logginglogginglo",
                "owner": FIRM_NUMBER,
                "applicationId": "app-1",
                "time": "2026-07-22T18:20:16.000Z",
                "segmentCount": 1,
                "direction": "in",
                "to": [FIRM_NUMBER],
                "from": CLIENT_NUMBER,
                "text": "Running ten minutes late",
            },
        }
    ]


def test_a_task_run_inside_a_request_logs_the_request_id_and_its_own_task_id(
    tasks_in_process: None, transactional_db: None, numbered_firm: Firm, json_lines: Lines
) -> None:
    # No test transaction: the webhook's commit runs the processing task at once, inside
    # the request (tasks run in process without a broker).
    response = Client().post(
        "/webhooks/provider/messaging",
        json.dumps(inbound_text_callback()),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"provider:webhook-password").decode(),
    )

    assert response.status_code == 200
    # A text from a number the firm never texted: the task logs that it dropped it.
    [dropped] = [line for line in json_lines() if line["message"] == "inbound text dropped"]
    assert dropped["request_id"] == response["X-Request-ID"]
    assert dropped["task_id"] is not None and dropped["task_id"] != dropped["request_id"]
    assert uuid.UUID(dropped["task_id"])  # Celery's id of the task
    assert dropped["firm_id"] == numbered_firm.id  # the service's own extra fields come along
    assert dropped["number"] == "***0143"
    # The task's ids do not outlive it, nor the request's its response.
    assert request_id_var.get() is None and task_id_var.get() is None


def test_a_phone_number_logged_through_a_logger_comes_out_masked(
    json_lines: Lines, caplog: pytest.LogCaptureFixture
) -> None:
    message_uuid = "5f0e8400-e29b-41d4-a716-446655440000"
    logger = logging.getLogger("texting.services.sending")
    logger.warning(
        "text to %s failed",
        CLIENT_NUMBER,
        extra={"callback": "(202) 555-0143", "numbers": ["202.555.0143"], "uuid": message_uuid},
    )

    [line] = [line for line in json_lines() if line["logger"] == "texting.services.sending"]
    assert line["message"] == "text to ***0143 failed"
    assert line["callback"] == "***0143" and line["numbers"] == ["***0143"]
    assert line["uuid"] == message_uuid
    # The record itself is left as logged: tests that look for a leak in caplog still can.
    assert CLIENT_NUMBER in caplog.records[-1].getMessage()


def test_a_number_in_a_traceback_and_in_plain_lines_is_masked(json_lines: Lines) -> None:
    logger = logging.getLogger("texting.services.sending")
    try:
        raise ValueError(f"provider refused {CLIENT_NUMBER}")
    except ValueError:
        logger.exception("send failed")
    [line] = [line for line in json_lines() if line["logger"] == "texting.services.sending"]
    assert "ValueError: provider refused ***0143" in line["exc_info"]
    assert "2025550143" not in json.dumps(line)

    plain = configured("formatters", "plain")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", (CLIENT_NUMBER,), None)
    assert plain.format(record).endswith("[- -] to ***0143")


# --- Masking, for any number in any form ---------------------------------------------------


def _runs(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=n, max_size=n)


e164 = st.integers(8, 15).flatmap(lambda n: _runs(n).map(lambda d: "+" + d))
bare = st.integers(10, 15).flatmap(_runs)
nanp = st.tuples(
    _runs(3), _runs(3), _runs(4), st.sampled_from(["({}) {}-{}", "{}-{}-{}", "{}.{}.{}"])
).map(lambda t: t[3].format(t[0], t[1], t[2]))
phone_numbers = st.one_of(e164, bare, nanp)
# Words around the number: no digits (they would be part of it), any punctuation between.
words = st.text(alphabet=string.ascii_letters + " _'\",;:!?", max_size=20)
before = st.sampled_from([" ", ":", "=", "(", "[", '"', "'", "/", ",", "\t", "\n", "-", "#"])
after = st.sampled_from([" ", ":", ")", "]", '"', "'", "/", ",", ".", ";", "\t", "\n", "-"])


@given(number=phone_numbers, head=words, sep1=before, sep2=after, tail=words)
def test_no_phone_number_survives_masking(
    number: str, head: str, sep1: str, sep2: str, tail: str
) -> None:
    masked = mask_phone_numbers(f"{head}{sep1}{number}{sep2}{tail}")
    last4 = re.sub(r"\D", "", number)[-4:]
    assert masked == f"{head}{sep1}***{last4}{sep2}{tail}"


@given(number=phone_numbers)
def test_a_number_alone_is_masked_to_its_last_four_digits(number: str) -> None:
    assert mask_phone_numbers(number) == "***" + re.sub(r"\D", "", number)[-4:]


digit_uuids = st.from_regex(r"\A[0-9]{8}-[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{12}\Z")
uuids = st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), digit_uuids)


@given(value=uuids, head=words, tail=words)
def test_a_uuid_is_left_as_it_is(value: str, head: str, tail: str) -> None:
    text = f"{head} message {value} {tail}"
    assert mask_phone_numbers(text) == text


@given(moment=st.datetimes(), short=st.integers(0, 999_999_999))
def test_timestamps_and_numbers_under_ten_digits_are_left_as_they_are(
    moment: datetime, short: int
) -> None:
    text = f"at {moment.isoformat()} code={short} {moment.isoformat(timespec='microseconds')}Z"
    assert mask_phone_numbers(text) == text
