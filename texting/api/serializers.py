"""Texting API serializers: conversations and messages as PRODUCT.md "Interfaces" names them."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.fields import FirmScopedRelatedField
from contacts.models import Contact

from ..models import Conversation, Message, MessageMedia
from ..provider.failure_reasons import GUIDANCE, FailureReason, offers_retry


class TextMessageCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    """Send a text to a contact's texting number. Texts from the firm carry no attachments."""

    contact_id = FirmScopedRelatedField(
        model_queryset=lambda firm: Contact.objects.for_firm(firm),
        model_name="contact",
        required=False,
        help_text='The contact\'s id ("<uuid>" or {"id": "<uuid>"}).',
    )
    contact = FirmScopedRelatedField(
        model_queryset=lambda firm: Contact.objects.for_firm(firm),
        model_name="contact",
        required=False,
        help_text='Clio style: {"id": "<uuid>"}; same as contact_id.',
    )
    body = serializers.CharField(
        max_length=2048,
        trim_whitespace=False,
        allow_blank=False,
        help_text="Up to 2048 characters (the provider's limit).",
    )
    media = serializers.JSONField(
        required=False, write_only=True, help_text="Not accepted: texts from the firm are SMS only."
    )

    def validate_media(self, value: Any) -> Any:
        if value:
            raise serializers.ValidationError(
                "Texts from the firm cannot carry attachments; share documents through the "
                "secure client portal instead."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        contact = attrs.get("contact_id") or attrs.get("contact")
        if contact is None:
            raise serializers.ValidationError({"contact_id": ["Choose the contact to text."]})
        attrs["recipient"] = contact
        return attrs


class MediaOutput(serializers.Serializer):  # type: ignore[type-arg]
    position = serializers.IntegerField()
    accepted = serializers.BooleanField()
    filename = serializers.CharField(allow_null=True)
    content_type = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    not_accepted_type = serializers.CharField(
        allow_null=True, help_text='For refused attachments: "attachment not accepted (<this>)".'
    )
    url = serializers.CharField(allow_null=True, help_text="Download link; needs your token.")


def media_output(media: MessageMedia) -> dict[str, Any]:
    meta = media.metadata or {}
    return {
        "position": media.position,
        "accepted": media.accepted,
        "filename": meta.get("filename"),
        "content_type": meta.get("content_type"),
        "size": meta.get("size"),
        "not_accepted_type": None if media.accepted else meta.get("refused_type"),
        "url": reverse("api:text-message-media", args=[media.message.uuid, media.position])
        if media.accepted
        else None,
    }


class TextMessageOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    conversation_id = serializers.UUIDField(source="conversation.uuid")
    contact_id = serializers.UUIDField(source="conversation.contact.uuid")
    failure_reason = serializers.SerializerMethodField()
    failure_guidance = serializers.SerializerMethodField()
    retry_allowed = serializers.SerializerMethodField()
    retry_of_id = serializers.UUIDField(source="retry_of.uuid", allow_null=True, default=None)
    sent_by = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation_id",
            "contact_id",
            "direction",
            "body",
            "status",
            "failure_reason",
            "failure_guidance",
            "retry_allowed",
            "retry_of_id",
            "segments",
            "sent_by",
            "media",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=FailureReason.choices, allow_null=True))
    def get_failure_reason(self, message: Message) -> str | None:
        return message.failure_reason or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_guidance(self, message: Message) -> str | None:
        if not message.failure_reason:
            return None
        return GUIDANCE.get(FailureReason(message.failure_reason))

    @extend_schema_field(serializers.BooleanField())
    def get_retry_allowed(self, message: Message) -> bool:
        return (
            message.status == Message.Status.FAILED
            and bool(message.failure_reason)
            and offers_retry(FailureReason(message.failure_reason))
            and not hasattr(message, "retried_by")
        )

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_sent_by(self, message: Message) -> dict[str, str] | None:
        if message.sent_by is None:
            return None
        return {"id": str(message.sent_by.uuid), "name": str(message.sent_by)}

    @extend_schema_field(MediaOutput(many=True))
    def get_media(self, message: Message) -> list[dict[str, Any]]:
        return [media_output(m) for m in message.media.all()]


class ConversationOutput(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    contact = serializers.SerializerMethodField()
    unread_count = serializers.IntegerField(source="unread", default=0)
    last_message = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "contact",
            "unread_count",
            "last_message",
            "last_message_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.DictField())
    def get_contact(self, conversation: Conversation) -> dict[str, str]:
        return {"id": str(conversation.contact.uuid), "name": conversation.contact.name}

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_last_message(self, conversation: Conversation) -> dict[str, Any] | None:
        message = conversation.last_message
        if message is None:
            return None
        return {
            "id": str(message.uuid),
            "direction": message.direction,
            "status": message.status,
            "preview": message.body[:120],
            "created_at": message.created_at,
        }


class UnreadCountOutput(serializers.Serializer):  # type: ignore[type-arg]
    unread = serializers.IntegerField()


class ConversationListFilter(serializers.Serializer):  # type: ignore[type-arg]
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="Only conversations changed at or after, a new text or its last text's "
        "status included.",
    )


class TextMessageListFilter(serializers.Serializer):  # type: ignore[type-arg]
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only texts changed (a status included) at or after."
    )
