"""Serializer fields that resolve references inside the request's firm only (T1)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Firm

_UUID = {"type": "string", "format": "uuid"}


@extend_schema_field(
    {"oneOf": [_UUID, {"type": "object", "properties": {"id": _UUID}, "required": ["id"]}]}
)
class FirmScopedRelatedField(serializers.RelatedField):  # type: ignore[type-arg]
    """Accepts `"<uuid>"` or `{"id": "<uuid>"}` (Clio's style) and finds it in the firm.

    The queryset is built per request from `firm` in the serializer context, so another
    firm's uuid reads exactly like a missing one: "not found".
    """

    default_error_messages = {
        "does_not_exist": "No {model} with id {value} was found.",
        "invalid": 'Give an id, as "<uuid>" or {{"id": "<uuid>"}}.',
    }

    def __init__(
        self, *, model_queryset: Callable[[Firm], QuerySet[Any]], model_name: str, **kwargs: Any
    ) -> None:
        self.model_queryset = model_queryset
        self.model_name = model_name
        kwargs.setdefault("queryset", None)
        if kwargs.get("read_only"):
            kwargs.pop("queryset")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.model_queryset(self.context["firm"])

    def to_internal_value(self, data: Any) -> Model:
        if isinstance(data, dict):
            data = data.get("id")
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(uuid=data)
        except (ObjectDoesNotExist, DjangoValidationError, ValueError):
            self.fail("does_not_exist", model=self.model_name, value=data)
        raise AssertionError("unreachable")

    def to_representation(self, value: Any) -> Any:
        return {"id": str(value.uuid)}
