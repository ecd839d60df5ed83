"""The schema of the conventions every API view shares (FirmAPIView.schema).

Every GET documents `fields` and `If-None-Match`, its `ETag` and the 304 answer; every
operation documents the errors any endpoint can answer, in the `{"error": ...}` shape:
401 (no, unknown or revoked token), 403 (a read-only token writing, a non-admin on an
admin endpoint), 404 (an id in the path that is not the firm's), 400 (a request body, a
query or `fields` that is not valid) and the 429 of the rate limit. Declared once here so a
new view gets them; a view's own `responses` for a code win.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from .selection import PARAMETER

FIELDS = OpenApiParameter(
    PARAMETER,
    str,
    description=(
        "Comma-separated names of the fields to return for each object in `data`, e.g. "
        "`id,name`; nested objects take their own list in braces, e.g. `contact{id}`. "
        "An unknown name is a 400."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The `ETag` of a previous response: 304 with no body while it is unchanged.",
)
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message", "fields"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERROR_SCHEMA = _ERROR  # for a view's own `responses`, e.g. a 409 of one operation
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before the next request.",
    }
}
_FORBIDDEN = (
    "Not allowed (`forbidden`): a read-only token writing, or a non-admin on an admin endpoint."
)
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Send as If-None-Match."}}


class FirmAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "GET":
            parameters += [FIELDS, IF_NONE_MATCH]  # ignored by file downloads
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies = dict(super()._get_response_bodies(direction))
        if direction != "response":
            return bodies
        json_2xx = [
            body
            for code, body in bodies.items()
            if code.startswith("2") and "application/json" in body.get("content", {})
        ]
        if self.method == "GET" and json_2xx:  # a file download is streamed, not tagged
            for body in json_2xx:
                body.setdefault("headers", {}).update(_ETAG)
            bodies.setdefault(
                "304", {"description": "Not modified: If-None-Match names the current ETag."}
            )
        errors = {"401": "No valid API token (`unauthorized`).", "403": _FORBIDDEN}
        if (json_2xx and self.method == "GET") or self._has_request_body():
            errors["400"] = "The query, `fields` or request body is not valid (`invalid_request`)."
        if "{" in self.path:
            errors["404"] = "No such object in the firm (`not_found`)."
        for code, description in sorted(errors.items()):
            bodies.setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": _ERROR}}},
            )
        bodies.setdefault(
            "429",
            {
                "description": "Over the token's rate limit (`rate_limited`).",
                "headers": _RETRY_AFTER,
                "content": {"application/json": {"schema": _ERROR}},
            },
        )
        return bodies

    def _has_request_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
