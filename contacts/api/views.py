"""Contacts API (/api/v1/contacts/): list, create, retrieve, update, relate.

One class per operation; two operations that share a path are joined by a small class that
inherits both (ContactCollectionApi, ContactItemApi), so each keeps its own schema. Querysets
come from the firm of the request; another firm's contact is 404 like a missing one (T1).
Service ValidationErrors become 400s whose `fields` use the input paths, e.g.
`phone_numbers[0].number`.
"""

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.envelope import envelope, enveloped
from common.api.schema import ERROR_SCHEMA
from common.api.views import FirmAPIView

from .. import selectors, services
from ..models import Contact, EmailAddress, PhoneNumber
from .serializers import (
    ContactCreateInput,
    ContactListFilter,
    ContactOutput,
    ContactRelationshipAddInput,
    ContactUpdateInput,
)

TAGS = ["Contacts"]


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:  # type: ignore[type-arg]
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _service_kwargs(validated: dict[str, Any]) -> dict[str, Any]:
    """Input serializer data as contact service arguments (lists as tuples).

    In a PATCH nested defaults are not applied, so missing keys get them here; a missing number
    reaches the service, which names the field.
    """
    kwargs = dict(validated)
    if "phone_numbers" in kwargs:
        kwargs["phone_numbers"] = [
            services.PhoneNumberInput(
                p.get("name", PhoneNumber.Label.MOBILE),
                p.get("number", ""),
                p.get("texting", False),
            )
            for p in kwargs["phone_numbers"]
        ]
    if "email_addresses" in kwargs:
        kwargs["email_addresses"] = [
            services.EmailAddressInput(
                e.get("name", EmailAddress.Label.WORK),
                e.get("address", ""),
                e.get("primary", False),
            )
            for e in kwargs["email_addresses"]
        ]
    return kwargs


class _ContactApi(FirmAPIView):
    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.contact_list(firm=self.firm, with_details=True)

    def get_object(self) -> Contact:
        return cast(Contact, super().get_object())

    def _output(self, contact: Contact, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Re-read with the prefetches, so the output shows exactly what was stored.
        fresh = self.get_queryset().get(pk=contact.pk)
        return envelope(
            ContactOutput(fresh, context=self.get_serializer_context()).data, status=status_code
        )


class ContactListApi(_ContactApi):
    @extend_schema(
        tags=TAGS,
        operation_id="contacts_list",
        description="The firm's contacts, newest first, cursor-paginated (`limit` up to 200).",
        summary="List contacts",
        parameters=[ContactListFilter],
        responses=ContactOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = _validated(ContactListFilter(data=request.query_params))
        contacts = selectors.contact_list(
            firm=self.firm,
            query=filters.get("query"),
            type=filters.get("type"),
            updated_since=filters.get("updated_since"),
            with_details=True,
        )
        page = self.paginate_queryset(contacts)
        data = ContactOutput(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class ContactCreateApi(_ContactApi):
    @extend_schema(
        tags=TAGS,
        operation_id="contacts_create",
        description=(
            "Numbers are stored in E.164; a texting number must be North American (+1). "
            "Invalid input is a 400 whose `fields` name the input path, e.g. "
            "`phone_numbers[0].number`, and creates nothing."
        ),
        summary="Create a contact",
        request=ContactCreateInput,
        responses={201: enveloped(ContactOutput)},
    )
    def post(self, request: Request) -> Response:
        payload = _validated(ContactCreateInput(data=request.data))
        contact = services.contact_create(firm=self.firm, **_service_kwargs(payload))
        return self._output(contact, status_code=status.HTTP_201_CREATED)


class ContactCollectionApi(ContactListApi, ContactCreateApi):
    """GET lists, POST creates: two operations on /contacts/."""


class ContactDetailApi(_ContactApi):
    @extend_schema(
        tags=TAGS,
        operation_id="contacts_retrieve",
        description="Another firm's contact is 404, like a missing one.",
        summary="Get a contact",
        responses=enveloped(ContactOutput),
    )
    def get(self, request: Request, id: str) -> Response:
        contact = self.get_object()
        return envelope(ContactOutput(contact, context=self.get_serializer_context()).data)


class ContactUpdateApi(_ContactApi):
    def _update(self, request: Request, *, partial: bool) -> Response:
        contact = self.get_object()
        input_class = ContactUpdateInput if partial else ContactCreateInput
        payload = _validated(input_class(data=request.data, partial=partial))
        contact = services.contact_update(
            firm=self.firm, contact=contact, **_service_kwargs(payload)
        )
        return self._output(contact)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_partial_update",
        description=(
            "Fields not sent keep their value; `phone_numbers` or `email_addresses`, "
            "when sent, replace the whole list."
        ),
        summary="Change a contact (only the fields sent)",
        request=ContactUpdateInput,
        responses=enveloped(ContactOutput),
    )
    def patch(self, request: Request, id: str) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_update",
        description=(
            "Like PATCH, but fields not sent become blank and lists not sent become empty."
        ),
        summary="Replace a contact (fields not sent become blank, lists empty)",
        request=ContactCreateInput,
        responses=enveloped(ContactOutput),
    )
    def put(self, request: Request, id: str) -> Response:
        return self._update(request, partial=False)


class ContactItemApi(ContactDetailApi, ContactUpdateApi):
    """GET reads, PATCH/PUT change: operations on /contacts/{id}/."""


class ContactRelationshipAddApi(_ContactApi):
    @extend_schema(
        tags=TAGS,
        operation_id="contacts_related_contacts_create",
        description=(
            "The relationship shows on both contacts. Another firm's contact is "
            '"not found" (400); contacts already related are a 409.'
        ),
        summary="Relate another contact to this one",
        request=ContactRelationshipAddInput,
        responses={
            201: enveloped(ContactOutput),
            409: OpenApiResponse(ERROR_SCHEMA, description="Already related (`conflict`)."),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        contact = self.get_object()
        payload = _validated(
            ContactRelationshipAddInput(data=request.data, context=self.get_serializer_context())
        )
        services.contact_relationship_add(
            firm=self.firm,
            contact=contact,
            related_contact=payload["related_contact"],
            description=payload["description"],
        )
        return self._output(contact, status_code=status.HTTP_201_CREATED)


class ContactRelationshipRemoveApi(_ContactApi):
    @extend_schema(
        tags=TAGS,
        operation_id="contacts_related_contacts_destroy",
        description=("Removes the relationship whichever contact it was added from."),
        summary="Remove a related contact",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, id: str, related_id: str) -> Response:
        contact = self.get_object()
        related = get_object_or_404(selectors.contact_list(firm=self.firm), uuid=related_id)
        services.contact_relationship_remove(
            firm=self.firm, contact=contact, related_contact=related
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
