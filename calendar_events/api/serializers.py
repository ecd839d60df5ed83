"""Calendar entries API serializers, in Clio v4's calendar_entries names (`summary`,
`start_at`, `end_at`, attendees typed "Contact" or "User").

Every reference (matter, contact, user) is resolved inside the request's firm, so another
firm's uuid reads exactly like a missing one: "not found" (T1).
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Firm
from common.api.fields import FirmScopedRelatedField
from contacts.models import Contact
from matters.models import Matter

from ..models import CalendarEvent, EventAttendee
from ..selectors import event_user_choices

ATTENDEE_TYPES = [("Contact", "Contact"), ("User", "User")]
NOTICE_KINDS = [
    (EventAttendee.Notice.CREATED.value, "Invitation"),
    (EventAttendee.Notice.UPDATED.value, "Update"),
    (EventAttendee.Notice.CANCELLED.value, "Cancellation"),
]
CONFIRMATIONS = [
    ("confirmed", "Confirmed"),
    ("declined", "Declined"),
    ("no_response", "No response"),
]
STATUSES = [("scheduled", "Scheduled"), ("cancelled", "Cancelled")]


def _firm_matters(firm: Firm) -> QuerySet[Matter]:
    return Matter.objects.for_firm(firm)


def _firm_contacts(firm: Firm) -> QuerySet[Contact]:
    return Contact.objects.for_firm(firm)


def _enum(
    choices: list[tuple[str, str]], *, description: str, nullable: bool = False
) -> dict[str, Any]:
    """An enum kept inline (under allOf, which the schema's enum hook leaves alone): `type`
    and `status` name other choice sets on other resources, and named enum components for
    them would collide. The description keeps drf-spectacular from unwrapping the allOf."""
    values: list[str | None] = [value for value, _ in choices]
    inner: dict[str, Any] = {"type": "string", "enum": values}
    if nullable:
        inner["nullable"] = True
        values.append(None)
    schema: dict[str, Any] = {"allOf": [inner], "description": description}
    if nullable:
        schema["nullable"] = True
    return schema


@extend_schema_field(_enum(ATTENDEE_TYPES, description="A firm user or a contact."))
class AttendeeTypeField(serializers.ChoiceField):
    """ "Contact" or "User" (Clio's spelling); input in any case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ATTENDEE_TYPES, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.strip().capitalize()
        return super().to_internal_value(data)


# --- Output ---------------------------------------------------------------------------------


class CalendarEntryMatterOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    display_number = serializers.CharField()


class CalendarEntryPersonOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    name = serializers.CharField()


def _person(uuid: Any, name: str) -> dict[str, Any]:
    return {"id": str(uuid), "name": name}


class CalendarEntryAttendeeOutput(serializers.Serializer):  # type: ignore[type-arg]
    """One attendee and what it was texted (E2, E3) and answered (E4)."""

    id = serializers.UUIDField(source="uuid", help_text="The attendee's own id.")
    type = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    notify_via_text = serializers.BooleanField()
    notified_at = serializers.DateTimeField(
        allow_null=True, help_text="When the last invitation, update or cancellation was texted."
    )
    notified_kind = serializers.SerializerMethodField()
    pending_text = serializers.SerializerMethodField()
    reminder_sent_at = serializers.DateTimeField(allow_null=True)
    confirmation = serializers.SerializerMethodField()
    confirmation_at = serializers.DateTimeField(source="responded_at", allow_null=True)
    text_problem = serializers.SerializerMethodField()

    @extend_schema_field(_enum(ATTENDEE_TYPES, description="A firm user or a contact."))
    def get_type(self, attendee: EventAttendee) -> str:
        return "Contact" if attendee.is_contact else "User"

    @extend_schema_field(CalendarEntryPersonOutput(allow_null=True))
    def get_contact(self, attendee: EventAttendee) -> dict[str, Any] | None:
        contact = attendee.contact
        return None if contact is None else _person(contact.uuid, contact.name)

    @extend_schema_field(CalendarEntryPersonOutput(allow_null=True))
    def get_user(self, attendee: EventAttendee) -> dict[str, Any] | None:
        user = attendee.user
        if user is None:
            return None
        return _person(user.uuid, user.get_full_name() or user.email)

    @extend_schema_field(
        _enum(NOTICE_KINDS, nullable=True, description="What was last texted, or null.")
    )
    def get_notified_kind(self, attendee: EventAttendee) -> str | None:
        return attendee.notified_kind or None

    @extend_schema_field(
        _enum(
            NOTICE_KINDS,
            nullable=True,
            description="A text waiting to go (e.g. until 8:00 recipient time), or null.",
        )
    )
    def get_pending_text(self, attendee: EventAttendee) -> str | None:
        return attendee.pending_notice or None

    @extend_schema_field(_enum(CONFIRMATIONS, description="The contact's Y/N reply (E4)."))
    def get_confirmation(self, attendee: EventAttendee) -> str:
        return attendee.response or "no_response"

    @extend_schema_field(
        {
            "type": "string",
            "nullable": True,
            "description": "Why the last automated text could not be created, or null.",
        }
    )
    def get_text_problem(self, attendee: EventAttendee) -> str | None:
        return attendee.text_problem or None


class CalendarEntryOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    summary = serializers.CharField(source="title")
    description = serializers.CharField()
    location = serializers.CharField()
    start_at = serializers.DateTimeField(source="starts_at")
    end_at = serializers.DateTimeField(
        source="ends_at", help_text="For an all-day entry, 00:00 after its last day."
    )
    all_day = serializers.BooleanField()
    status = serializers.SerializerMethodField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    matter = CalendarEntryMatterOutput(allow_null=True)
    attendees = CalendarEntryAttendeeOutput(many=True, source="attendees.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(_enum(STATUSES, description="Cancelled entries stay listed."))
    def get_status(self, event: CalendarEvent) -> str:
        return "cancelled" if event.is_cancelled else "scheduled"


class CalendarEntryErrorOutput(serializers.Serializer):  # type: ignore[type-arg]
    """`{"error": {...}}` as every API error (common/api/errors.py)."""

    error = serializers.DictField(
        help_text='{"type": str, "message": the sentence to show, "fields": {name: [str]}}'
    )


# --- Input ----------------------------------------------------------------------------------


class CalendarEntryListFilter(serializers.Serializer):  # type: ignore[type-arg]
    """Query parameters of the list. `from` is a Python keyword, so it is added in get_fields."""

    to = serializers.DateTimeField(
        required=False, help_text="Only entries that start at or before this time."
    )
    matter_id = serializers.UUIDField(required=False, help_text="Only this matter's entries.")
    contact_id = serializers.UUIDField(
        required=False, help_text="Only entries this contact attends."
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only entries changed (or whose attendees changed) at or after."
    )
    include_cancelled = serializers.BooleanField(
        required=False, default=True, help_text="false leaves cancelled entries out."
    )

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(
            required=False, help_text="Only entries that end at or after this time."
        )
        return fields


class CalendarEntryAttendeeInput(serializers.Serializer):  # type: ignore[type-arg]
    """A firm user or a contact of the firm; only a contact can be notified via text (E2)."""

    type = AttendeeTypeField()
    id = serializers.UUIDField()
    notify_via_text = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        firm = self.context["firm"]
        if attrs["type"] == "Contact":
            contact = _firm_contacts(firm).filter(uuid=attrs["id"]).first()
            if contact is None:
                raise serializers.ValidationError(
                    {"id": [f"No contact with id {attrs['id']} was found."]}
                )
            return {"contact": contact, "notify_via_text": attrs["notify_via_text"]}
        if attrs["notify_via_text"]:
            raise serializers.ValidationError(
                {"notify_via_text": ["Only contacts can be notified via text."]}
            )
        user = event_user_choices(firm=firm).filter(uuid=attrs["id"]).first()
        if user is None:
            raise serializers.ValidationError({"id": [f"No user with id {attrs['id']} was found."]})
        return {"user": user, "notify_via_text": False}


class EntryDateTimeField(serializers.DateTimeField):
    """A start or end between 1900 and 2999: before 1900 the firm's time zone has a local
    mean time offset in seconds (-04:56:02), which is no RFC 3339 date-time on the way out
    (found by tests/test_api_fuzz.py); no entry is that old or a millennium away."""

    def to_internal_value(self, value: Any) -> Any:
        parsed = super().to_internal_value(value)
        if not 1900 <= parsed.year <= 2999:
            raise serializers.ValidationError("Give a date between 1900 and 2999.")
        return parsed


def _matter_field(**kwargs: Any) -> FirmScopedRelatedField:
    return FirmScopedRelatedField(
        model_queryset=_firm_matters,
        model_name="matter",
        allow_null=True,
        help_text='{"id": "<uuid>"}, a bare uuid, or null.',
        **kwargs,
    )


class CalendarEntryCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    summary = serializers.CharField(max_length=200, help_text="The entry's title.")
    start_at = EntryDateTimeField(help_text="Without an offset: the firm's time zone.")
    end_at = EntryDateTimeField(
        help_text="At or after start_at. All-day: the last day, or 00:00 after it."
    )
    all_day = serializers.BooleanField(default=False)
    location = serializers.CharField(max_length=300, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, allow_blank=True, default="")
    matter = _matter_field(default=None)
    attendees = CalendarEntryAttendeeInput(many=True, default=list)


class CalendarEntryUpdateInput(serializers.Serializer):  # type: ignore[type-arg]
    """Only the fields given change; `attendees`, when given, replaces the set (attendees
    who stay keep what they were texted and answered)."""

    summary = serializers.CharField(max_length=200, required=False)
    start_at = EntryDateTimeField(required=False)
    end_at = EntryDateTimeField(required=False)
    all_day = serializers.BooleanField(required=False)
    location = serializers.CharField(max_length=300, allow_blank=True, required=False)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    matter = _matter_field(required=False)
    attendees = CalendarEntryAttendeeInput(many=True, required=False)
