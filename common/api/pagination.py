"""Cursor pagination in Clio's envelope: {"data": [...], "meta": {"paging": {...}}}."""

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

MAX_LIMIT = 200


class EnvelopeCursorPagination(CursorPagination):
    """Stable under inserts (a cursor, not an offset); `limit` up to 200 per page."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    ordering = ("-created_at", "-id")
    cursor_query_param = "cursor"

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF answers a cursor it cannot read with 404; it is a bad query parameter (400).
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: ["Not a cursor from meta.paging; start without one."]}
            ) from None

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "data": data,
                "meta": {
                    "paging": {"next": self.get_next_link(), "previous": self.get_previous_link()},
                    "records": len(data),
                },
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": schema,
                "meta": {
                    "type": "object",
                    "properties": {
                        "paging": {
                            "type": "object",
                            "properties": {"next": link, "previous": link},
                        },
                        "records": {"type": "integer"},
                    },
                },
            },
        }
