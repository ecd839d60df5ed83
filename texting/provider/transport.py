"""HTTP status and transport failures → the provider exception family (errors.py).

Status mapping (PROVIDER_API.md §1, RELIABILITY.md §1.3):
    2xx                         success
    401, 403                    ProviderAuthError (final)
    429                         ProviderUnavailable with retry_after (Retry-After, if sent)
    5xx                         ProviderUnavailable (the provider says: not sent, not billed)
    3xx                         ProviderRejected (we never follow redirects: no credentials
                                or fetches end up somewhere we did not configure)
    other 4xx                   ProviderRejected with the body's type/description/fields

Transport failures:
    connect timeout, refused, DNS, TLS handshake   ProviderUnavailable (nothing was sent)
    read timeout / connection dropped after send   OutcomeUnknown on non-idempotent calls
                                                   (POST send), ProviderUnavailable on
                                                   idempotent ones (GET)
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import math
import time
import xml.etree.ElementTree as ET
from typing import Any

import requests
import urllib3.exceptions

from .errors import (
    FieldError,
    OutcomeUnknown,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from .failure_reasons import FailureReason

MAX_ERROR_BODY = 64 * 1024


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP-date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def _field_errors_from(body: dict[str, Any]) -> tuple[FieldError, ...]:
    out: list[FieldError] = []
    # Messaging: fieldErrors: [{fieldName, description}]
    for item in body.get("fieldErrors") or ():
        if isinstance(item, dict):
            out.append(FieldError(str(item.get("fieldName", "")), str(item.get("description", ""))))
    # Toll-free verification: errors: {"field.path": "msg" | ["msg", ...]}
    errors = body.get("errors")
    if isinstance(errors, dict):
        for name, msgs in errors.items():
            for msg in msgs if isinstance(msgs, list) else [msgs]:
                out.append(FieldError(str(name), str(msg)))
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                name = item.get("fieldName") or item.get("field") or ""
                desc = item.get("description") or item.get("message") or ""
                out.append(FieldError(str(name), str(desc)))
            elif isinstance(item, str):
                out.append(FieldError("", item))
    return tuple(out)


def _parse_error_body(resp: requests.Response) -> tuple[str, str, tuple[FieldError, ...]]:
    """(type, description, field_errors) from a JSON or XML error body; best effort."""
    raw = resp.content[:MAX_ERROR_BODY] if resp.content else b""
    ctype = resp.headers.get("Content-Type", "").lower()
    if not raw:
        return "", "", ()
    if "xml" in ctype or raw.lstrip().startswith(b"<"):
        if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
            return "", "", ()
        try:
            root = ET.fromstring(raw)  # noqa: S314 — DTDs refused above; provider's own body
        except ET.ParseError:
            return "", "", ()
        error = root.find(".//Error")
        if error is None:
            code = root.findtext(".//ErrorCode") or ""
            desc = root.findtext(".//Description") or root.findtext(".//ErrorMessage") or ""
            return code.strip(), desc.strip(), ()
        return (
            (error.findtext("Code") or "").strip(),
            (error.findtext("Description") or "").strip(),
            (),
        )
    try:
        body = json.loads(raw)
    except ValueError:
        return "", "", ()
    if not isinstance(body, dict):
        return "", "", ()
    # Messaging/TFV: {type, description, ...}; Spring 404: {timestamp,status,error,message,path}
    etype = body.get("type") or body.get("error") or ""
    desc = body.get("description") or body.get("error_description") or body.get("message") or ""
    return str(etype), str(desc), _field_errors_from(body)


# A 400 that names the destination is about the recipient: C8 "unreachable number".
_RECIPIENT_FIELDS = ("to",)


def _reason_for_field_errors(fields: tuple[FieldError, ...]) -> FailureReason | None:
    for fe in fields:
        name = fe.field.split("[")[0].split(".")[0]
        if name in _RECIPIENT_FIELDS:
            return FailureReason.UNREACHABLE_NUMBER
    return None


def raise_for_response(resp: requests.Response, operation: str) -> None:
    """Return if 2xx; otherwise raise the classified exception."""
    status = resp.status_code
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500:
        etype, desc, _ = _parse_error_body(resp)
        raise ProviderUnavailable(
            desc or ("rate limited" if status == 429 else "provider error"),
            operation=operation,
            http_status=status,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            error_type=etype,
        )
    if 300 <= status < 400:
        raise ProviderRejected(
            "unexpected redirect", operation=operation, http_status=status,
            error_type="unexpected-redirect",
        )  # fmt: skip
    etype, desc, fields = _parse_error_body(resp)
    if status in (401, 403):
        raise ProviderAuthError(
            desc or ("authentication failed" if status == 401 else "access denied"),
            operation=operation,
            http_status=status,
            error_type=etype or ("unauthorized" if status == 401 else "forbidden"),
            description=desc,
        )
    if 400 <= status < 500:
        raise ProviderRejected(
            desc or "request rejected",
            operation=operation,
            http_status=status,
            error_type=etype,
            description=desc,
            field_errors=fields,
            failure_reason=_reason_for_field_errors(fields),
        )
    raise ProviderUnavailable(
        f"unexpected status {status}", operation=operation, http_status=status
    )


def _nothing_was_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before the request left (refused, DNS, TLS, proxy)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.exceptions.ProxyError):
        return True
    reason: Any = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.ConnectTimeoutError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.SSLError,
    )


def translate_exception(
    exc: requests.RequestException, *, operation: str, idempotent: bool
) -> ProviderError:
    """Classify a transport failure. The caller raises the result `from None`: the requests
    exception holds the prepared request (URL and body), which must not travel further."""
    if isinstance(exc, requests.ConnectTimeout):
        return ProviderUnavailable("connect timeout", operation=operation)
    if isinstance(exc, requests.ReadTimeout):
        if idempotent:
            return ProviderUnavailable("read timeout", operation=operation)
        return OutcomeUnknown("read timeout after the request was sent", operation=operation)
    if isinstance(exc, requests.ConnectionError):
        if _nothing_was_sent(exc):
            return ProviderUnavailable("could not connect", operation=operation)
        if idempotent:
            return ProviderUnavailable("connection lost", operation=operation)
        return OutcomeUnknown("connection lost after the request was sent", operation=operation)
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        if idempotent:
            return ProviderUnavailable("response cut short", operation=operation)
        return OutcomeUnknown("response cut short", operation=operation)
    # InvalidURL, MissingSchema, ...: our bug, not sent.
    return ProviderRejected(f"request not sent ({type(exc).__name__})", operation=operation)


def close_quietly(resp: requests.Response | None) -> None:
    if resp is not None:
        with contextlib.suppress(Exception):
            resp.close()
