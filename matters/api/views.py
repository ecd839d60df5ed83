"""Matters API: /api/v1/matters/ (list, create) and /api/v1/matters/<id>/ (read, update)."""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.envelope import envelope, enveloped
from common.api.views import FirmAPIView
from matters import selectors, services
from matters.models import Matter
from matters.services import RelatedContactSpec

from .serializers import MatterCreateInput, MatterListFilter, MatterOutput, MatterUpdateInput


def _related_specs(items: list[dict[str, Any]]) -> list[RelatedContactSpec]:
    return [
        RelatedContactSpec(contact=item["contact"], relationship=item.get("relationship", ""))
        for item in items
    ]


class _MatterApi(FirmAPIView):
    def get_queryset(self) -> QuerySet[Matter]:
        return selectors.matter_list(firm=self.firm, with_related_contacts=True)

    def _output(self, matter: Matter, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Re-read with the related contacts prefetched, as the list shows them.
        fresh = self.get_queryset().get(pk=matter.pk)
        return envelope(MatterOutput(fresh).data, status=status_code)


class MatterListApi(_MatterApi):
    """GET lists the firm's matters (cursor-paginated); POST opens a new matter."""

    @extend_schema(
        operation_id="matter_list", parameters=[MatterListFilter], responses=MatterOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        filters = MatterListFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        matters = selectors.matter_list(
            firm=self.firm,
            query=given.get("query"),
            status=given.get("status"),
            client_uuid=given.get("client_id"),
            updated_since=given.get("updated_since"),
            with_related_contacts=True,
        )
        page = self.paginate_queryset(matters)
        return self.get_paginated_response(MatterOutput(page, many=True).data)

    @extend_schema(
        operation_id="matter_create",
        request=MatterCreateInput,
        responses={201: enveloped(MatterOutput)},
    )
    def post(self, request: Request) -> Response:
        payload = MatterCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        matter = services.matter_create(
            firm=self.firm,
            actor=request.user,  # type: ignore[arg-type]
            client=data["client"],
            description=data["description"],
            display_number=data["display_number"],
            status=data["status"],
            responsible_attorney=data["responsible_attorney"],
            open_date=data["open_date"],
            related_contacts=_related_specs(data["related_contacts"]),
        )
        return self._output(matter, status_code=status.HTTP_201_CREATED)


class MatterDetailApi(_MatterApi):
    """GET reads one matter; PATCH changes the fields given."""

    @extend_schema(operation_id="matter_retrieve", responses=enveloped(MatterOutput))
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(MatterOutput(self.get_object()).data)

    @extend_schema(
        operation_id="matter_update", request=MatterUpdateInput, responses=enveloped(MatterOutput)
    )
    def patch(self, request: Request, id: UUID) -> Response:
        matter: Matter = self.get_object()  # type: ignore[assignment]
        payload = MatterUpdateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        if "related_contacts" in changes:
            changes["related_contacts"] = _related_specs(changes["related_contacts"])
        matter = services.matter_update(
            firm=self.firm,
            actor=request.user,  # type: ignore[arg-type]
            matter=matter,
            **changes,
        )
        return self._output(matter)
