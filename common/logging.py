"""Structured logs (issue 9): one JSON object per line, with the ids of the request and task
that wrote it, and never a full phone number.

- `request_id` / `task_id` live in context variables: common.request_id.RequestIdMiddleware
  sets the first for each HTTP request, config/celery.py sets both around each task (a task
  carries the id of the request that enqueued it in its message headers).
  `RequestContextFilter`, on the handlers, copies them onto every record.
- The formatters mask anything that looks like a phone number to its last four digits, in
  the message, in string `extra` values and in tracebacks. They mask a copy of the record:
  the record every handler shares (pytest's caplog included) keeps what the code logged, so
  a test can still catch a service that logs a number.
- Message bodies cannot be recognised by their shape: code must never log them (STYLE.md
  section 10); common/testing/logscan.py checks the whole test run's logs for them.
"""

from __future__ import annotations

import copy
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)

# --- Masking ------------------------------------------------------------------------------

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Alternatives are tried left to right at each position; a UUID is matched first and kept as
# it is, so its all-digit groups are never taken for a number.
_SENSITIVE = re.compile(
    rf"""
    (?P<uuid>(?<![0-9A-Za-z-]){_UUID}(?![0-9A-Za-z-]))
    # E.164, also URL-encoded ("%2B" in a logged query string); any length past 8 digits.
    | (?:\+|%2[Bb])[0-9]{{8,}}
    # North American forms: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, with an
    # optional +1 / 1- in front.
    | (?<![0-9A-Za-z])(?:\+?1[ .-]?)?(?:\([0-9]{{3}}\)[ ]?|[0-9]{{3}}[ .-])[0-9]{{3}}[ .-][0-9]{{4}}
      (?![0-9A-Za-z])
    # A bare run of 10-15 digits (not part of a longer word such as a provider message id).
    | (?<![0-9A-Za-z])[0-9]{{10,15}}(?![0-9A-Za-z])
    """,
    re.VERBOSE | re.ASCII,
)


def _masked(match: re.Match[str]) -> str:
    if match.group("uuid"):
        return match.group(0)
    digits = re.sub(r"[^0-9]", "", match.group(0).removeprefix("%2B").removeprefix("%2b"))
    return "***" + digits[-4:]


def mask_phone_numbers(text: str) -> str:
    """`text` with every phone-number-like run replaced by "***" and its last four digits.

    UUIDs, ISO timestamps and numbers under ten digits (ids, counts, error codes) are left
    as they are.
    """
    return _SENSITIVE.sub(_masked, text)


# A record's own attributes; everything else on it came from `extra`.
_STANDARD_ATTRS = frozenset(RESERVED_ATTRS) | {"message", "asctime"}


def _masked_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked_value(item) for key, item in value.items()}
    # Anything else would be written as its str() (an exception, a model instance).
    return mask_phone_numbers(str(value))


def _masked_record(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of the record with the final message, string extras and the traceback masked."""
    masked = copy.copy(record)
    masked.msg = mask_phone_numbers(record.getMessage())
    masked.args = None
    for key, value in record.__dict__.items():
        if key not in _STANDARD_ATTRS:
            setattr(masked, key, _masked_value(value))
    if record.exc_info and not record.exc_text:
        masked.exc_text = logging.Formatter().formatException(record.exc_info)
    if masked.exc_text:
        masked.exc_text = mask_phone_numbers(masked.exc_text)
    masked.exc_info = None  # exc_text carries it, masked
    if record.stack_info:
        masked.stack_info = mask_phone_numbers(record.stack_info)
    return masked


# --- Filter and formatters ----------------------------------------------------------------


def log_time(created: float) -> str:
    """A log line's `time`: `created` (seconds since the epoch) in ISO 8601, UTC, to the
    millisecond ("2025-01-31T09:30:00.123Z"); gunicorn's access lines use it too."""
    return (
        datetime.fromtimestamp(created, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` (None outside a request or a task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = task_id_var.get()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """time (ISO 8601, UTC), level, logger, message, request_id, task_id, then the record's
    `extra` fields (firm_id, message_id, ...), and exc_info for a traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(_masked_record(record))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = log_time(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        log_data["request_id"] = getattr(record, "request_id", None)
        log_data["task_id"] = getattr(record, "task_id", None)
        super().add_fields(log_data, record, message_dict)
        # Django's request logger passes the request object: its repr holds the query string.
        log_data.pop("request", None)


class PlainFormatter(logging.Formatter):
    """One readable line for a terminal (LOG_FORMAT=plain), masked like the JSON one."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(task_id)s] %(message)s",
            defaults={"request_id": "-", "task_id": "-"},
        )

    def format(self, record: logging.LogRecord) -> str:
        masked = _masked_record(record)
        for key in ("request_id", "task_id"):
            if getattr(masked, key, None) is None:
                setattr(masked, key, "-")
        return super().format(masked)
