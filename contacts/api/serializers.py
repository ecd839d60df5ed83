"""Contacts API serializers: plain Input serializers that feed the services, Output for reads.

Field names follow Clio's v4 API where it has one: a phone number's label is `name`, its
texting flag `texting`; an email's `primary`. `type` is "person" or "company" on output and
accepted in any case on input ("Person" works, as Clio spells it).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.fields import FirmScopedRelatedField

from ..models import Contact, EmailAddress, PhoneNumber
from ..selectors import contact_list, related_contacts, texting_number


class ContactTypeField(serializers.ChoiceField):
    """ "person" or "company"; input is case-insensitive."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Contact.Type.choices, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.strip().lower()
        return super().to_internal_value(data)


# --- Input ---------------------------------------------------------------------------------


class PhoneNumberInput(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.ChoiceField(
        choices=PhoneNumber.Label.choices, default=PhoneNumber.Label.MOBILE, help_text="Label."
    )
    number = serializers.CharField(
        max_length=40,
        help_text="As typed; stored in E.164. A texting number must be North American (+1).",
    )
    texting = serializers.BooleanField(
        default=False, help_text="The number texts go to; at most one per contact."
    )


class EmailAddressInput(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.ChoiceField(
        choices=EmailAddress.Label.choices, default=EmailAddress.Label.WORK, help_text="Label."
    )
    address = serializers.CharField(max_length=254)
    primary = serializers.BooleanField(
        default=False, help_text="At most one; without one, the first address is primary."
    )


class ContactCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    """A new contact. `phone_numbers` and `email_addresses` list every number and address."""

    type = ContactTypeField(default=Contact.Type.PERSON)
    prefix = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    middle_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    company_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone_numbers = PhoneNumberInput(many=True, required=False, default=list)
    email_addresses = EmailAddressInput(many=True, required=False, default=list)


class ContactUpdateInput(ContactCreateInput):
    """Changes to a contact (PATCH: only the fields sent change). A list sent replaces the set."""


_UUID = {"type": "string", "format": "uuid"}


@extend_schema_field(
    {"oneOf": [_UUID, {"type": "object", "properties": {"id": _UUID}, "required": ["id"]}]}
)
class ContactReferenceField(FirmScopedRelatedField):
    """One of the firm's contacts, as "<uuid>" or {"id": "<uuid>"}."""


class ContactRelationshipAddInput(serializers.Serializer):  # type: ignore[type-arg]
    related_contact = ContactReferenceField(
        model_queryset=lambda firm: contact_list(firm=firm),
        model_name="contact",
        help_text='The other contact: "<uuid>" or {"id": "<uuid>"}.',
    )
    description = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text='How they are related, e.g. "Spouse".',
    )


class ContactListFilter(serializers.Serializer):  # type: ignore[type-arg]
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Matches names, company, email addresses and phone digits.",
    )
    type = ContactTypeField(required=False, allow_blank=True)
    updated_since = serializers.DateTimeField(
        required=False, help_text="ISO 8601; contacts changed at or after this time."
    )


# --- Output --------------------------------------------------------------------------------


class PhoneNumberOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(source="label", read_only=True)
    number = serializers.CharField(source="number_e164", read_only=True)
    texting = serializers.BooleanField(source="is_texting_number", read_only=True)

    class Meta:
        model = PhoneNumber
        fields = ["id", "name", "number", "texting"]


class EmailAddressOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(source="label", read_only=True)
    primary = serializers.BooleanField(source="is_primary", read_only=True)

    class Meta:
        model = EmailAddress
        fields = ["id", "name", "address", "primary"]


class ContactRelatedContactOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="contact.uuid")
    name = serializers.CharField(source="contact.name")
    description = serializers.CharField()


class ContactOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A contact in full. Read it from contact_list(with_details=True) to avoid per-row queries."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(read_only=True)
    phone_numbers = PhoneNumberOutput(many=True, read_only=True)
    email_addresses = EmailAddressOutput(many=True, read_only=True)
    texting_number = serializers.SerializerMethodField()
    related_contacts = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "type",
            "name",
            "prefix",
            "first_name",
            "middle_name",
            "last_name",
            "company_name",
            "title",
            "phone_numbers",
            "email_addresses",
            "texting_number",
            "related_contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="E.164, or null."))
    def get_texting_number(self, contact: Contact) -> str | None:
        number = texting_number(contact)
        return number.number_e164 if number else None

    @extend_schema_field(ContactRelatedContactOutput(many=True))
    def get_related_contacts(self, contact: Contact) -> list[dict[str, Any]]:
        related = related_contacts(firm=self.context["firm"], contact=contact)
        return ContactRelatedContactOutput(related, many=True).data  # type: ignore[return-value]
