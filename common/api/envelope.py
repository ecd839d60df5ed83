"""The {"data": ...} envelope for single objects, and its schema for drf-spectacular."""

from functools import cache
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.response import Response


def envelope(data: Any, *, status: int = 200, meta: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"data": data}
    if meta:
        body["meta"] = meta
    return Response(body, status=status)


@cache
def enveloped(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:  # type: ignore[type-arg]
    """Schema of `{"data": <serializer_class>}` for @extend_schema(responses=...)."""
    return inline_serializer(
        name=f"{serializer_class.__name__}Envelope",
        fields={"data": serializer_class()},
    )
