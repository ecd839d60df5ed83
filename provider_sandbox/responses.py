"""Response helpers producing the provider's real error bodies (PROVIDER_API.md sections 1, 5)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

JSON = "application/json"
XML = "application/xml; charset=utf-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype=JSON, headers=headers)


def messaging_error(
    status: int,
    error_type: str,
    description: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """`{"type", "description"}`, the body of every messaging and auth error."""
    return json_response({"type": error_type, "description": description}, status, headers)


def validation_error(field_errors: list[tuple[str, str]]) -> Response:
    """400 request-validation with the spec's `fieldErrors`."""
    body = {
        "type": "request-validation",
        "description": "Your request could not be accepted",
        "fieldErrors": [{"fieldName": name, "description": text} for name, text in field_errors],
    }
    return json_response(body, 400)


def unauthorized() -> Response:
    return messaging_error(401, "unauthorized", "Authentication Failed")


def forbidden() -> Response:
    return messaging_error(403, "forbidden", "Access Denied")


def tfv_error(status: int, description: str, errors: dict[str, Any] | None = None) -> Response:
    """The toll-free verification API's error body: `{"type", "description", "errors"}`."""
    types = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    body = {"type": types.get(status, "Error"), "description": description, "errors": errors or {}}
    return json_response(body, status)


def control_error(description: str, status: int = 400) -> Response:
    """Control API errors: one sentence saying what to fix."""
    return json_response({"error": description}, status)


def xml_response(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=status, content_type=XML, headers=headers)
