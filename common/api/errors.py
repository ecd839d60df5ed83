"""Every API error as {"error": {"type", "message", "fields"}} with the right status code."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_scopes import ScopeError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.exceptions import ApplicationError

_TYPES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": ["sentence", ...]} (nested fields dotted)."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if isinstance(key, int):  # DRF keys a list's item errors by index
                    walk(f"{prefix}[{key}]", sub)
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                if sub:
                    walk(f"{prefix}[{index}]" if prefix else str(index), sub)
        else:
            items = value if isinstance(value, list) else [value]
            fields.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in items)

    walk("", detail)
    return fields


def envelope_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = {"type": exc.error_type, "message": exc.message, "fields": exc.fields}
        return Response({"error": body}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError keyed by input path ("phone_numbers[0].number").
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    if isinstance(exc, ScopeError):  # never expected: a bug, not the caller's fault
        raise exc

    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "Some fields are not valid: " + ", ".join(sorted(fields)) + "."
        if list(fields) == ["non_field_errors"]:
            message = " ".join(fields["non_field_errors"])
    else:
        fields = {}
        reason = getattr(exc, "detail", None)
        message = str(reason) if reason else "Request failed."
    body = {
        "type": _TYPES.get(code, "error" if code >= 500 else "invalid_request"),
        "message": message,
        "fields": fields,
    }
    response.data = {"error": body}
    if code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Bearer"
    return response
