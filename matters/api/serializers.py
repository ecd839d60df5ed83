"""Input and output shapes of the matters API (Clio-style field names).

References are `{"id": "<uuid>"}` (or a bare uuid string) resolved inside the request's
firm by FirmScopedRelatedField, so another firm's uuid is "not found" (T1).
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Firm, User
from common.api.fields import FirmScopedRelatedField
from contacts.models import Contact
from matters.models import Matter
from matters.selectors import matter_attorney_choices


def _firm_contacts(firm: Firm) -> QuerySet[Contact]:
    return Contact.objects.for_firm(firm)


def _firm_attorneys(firm: Firm) -> QuerySet[User]:
    return matter_attorney_choices(firm=firm)


_REFERENCE_SCHEMA = {
    "oneOf": [
        {"type": "string", "format": "uuid"},
        {
            "type": "object",
            "properties": {"id": {"type": "string", "format": "uuid"}},
            "required": ["id"],
        },
    ]
}


@extend_schema_field(_REFERENCE_SCHEMA)
class ContactReferenceField(FirmScopedRelatedField):
    """One of the firm's contacts, as `{"id": "<uuid>"}` or `"<uuid>"`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model_queryset=_firm_contacts, model_name="contact", **kwargs)


@extend_schema_field(_REFERENCE_SCHEMA)
class AttorneyReferenceField(FirmScopedRelatedField):
    """One of the firm's users, as `{"id": "<uuid>"}` or `"<uuid>"`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model_queryset=_firm_attorneys, model_name="firm member", **kwargs)


# --- Output ---------------------------------------------------------------------------------


class MatterClientOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()


class MatterAttorneyOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.email


class MatterRelatedContactOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="contact.uuid", help_text="The contact's id.")
    name = serializers.CharField(source="contact.name")
    relationship = serializers.CharField()


class MatterOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    display_number = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Matter.Status.choices)
    client = MatterClientOutput()
    responsible_attorney = MatterAttorneyOutput(allow_null=True)
    open_date = serializers.DateField(allow_null=True)
    close_date = serializers.DateField(allow_null=True)
    related_contacts = MatterRelatedContactOutput(many=True, source="related_contacts.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- Input ----------------------------------------------------------------------------------


class MatterListFilter(serializers.Serializer):  # type: ignore[type-arg]
    query = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words matched against number, description and client name.",
    )
    status = serializers.ChoiceField(choices=Matter.Status.choices, required=False)
    client_id = serializers.UUIDField(required=False, help_text="Only this client's matters.")
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only matters changed at or after."
    )


class MatterRelatedContactInput(serializers.Serializer):  # type: ignore[type-arg]
    contact = ContactReferenceField()
    relationship = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class MatterCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    client = ContactReferenceField()
    description = serializers.CharField(max_length=500)
    display_number = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="Leave out to number the matter automatically (e.g. 00042-Garcia).",
    )
    status = serializers.ChoiceField(choices=Matter.Status.choices, default=Matter.Status.OPEN)
    responsible_attorney = AttorneyReferenceField(required=False, allow_null=True, default=None)
    open_date = serializers.DateField(required=False, allow_null=True, default=None)
    related_contacts = MatterRelatedContactInput(many=True, required=False, default=list)


class MatterUpdateInput(serializers.Serializer):  # type: ignore[type-arg]
    """Only the fields given change; `related_contacts`, when given, replaces the set."""

    client = ContactReferenceField(required=False)
    description = serializers.CharField(max_length=500, required=False)
    display_number = serializers.CharField(max_length=50, required=False)
    status = serializers.ChoiceField(choices=Matter.Status.choices, required=False)
    responsible_attorney = AttorneyReferenceField(required=False, allow_null=True)
    open_date = serializers.DateField(required=False, allow_null=True)
    related_contacts = MatterRelatedContactInput(many=True, required=False)
