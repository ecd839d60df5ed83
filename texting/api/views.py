"""Texting API: conversations, messages, send, retry, mark read, media (PRODUCT.md A1).

Every lookup starts from the request's firm; another firm's id is 404 like a missing one.
Firms whose plan or region has no texting (T3) get 403 with the sentence that says why.
"""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsFirmMember
from accounts.selectors import texting_availability
from common.api.envelope import envelope, enveloped
from common.api.pagination import EnvelopeCursorPagination
from common.api.schema import ERROR_SCHEMA
from common.api.views import FirmAPIView
from contacts.models import Contact
from matters.models import Matter

from .. import selectors
from ..models import Conversation, Message
from ..services.reading import conversation_mark_read
from ..services.sending import message_retry, message_send
from .serializers import (
    ConversationListFilter,
    ConversationOutput,
    TextMessageCreateInput,
    TextMessageListFilter,
    TextMessageOutput,
    UnreadCountOutput,
)

TAGS = ["Text messages"]


class TextingAvailable(IsFirmMember):
    """A firm member, in a firm whose plan and region include texting (T3)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        availability = texting_availability(firm=request._request.firm)  # type: ignore[attr-defined]
        if not availability.available:
            self.message = availability.reason
            return False
        return True


class _TextingApi(FirmAPIView):
    permission_classes = [TextingAvailable]

    def conversations(self) -> QuerySet[Conversation]:
        return selectors.conversation_list(firm=self.firm, user=self.membership.user)

    def message_output(self, message: Message, *, status_code: int = 200) -> Response:
        return envelope(TextMessageOutput(message).data, status=status_code)


class ConversationPagination(EnvelopeCursorPagination):
    ordering = ("-last_message_at", "-id")


class ConversationListApi(_TextingApi):
    pagination_class = ConversationPagination
    serializer_class = ConversationOutput

    def get_queryset(self) -> QuerySet[Conversation]:
        params = self.request.query_params
        given = ConversationListFilter(data=params.dict())
        given.is_valid(raise_exception=True)
        contact = matter = None
        if params.get("contact_id"):
            contact = self._find(Contact.objects.for_firm(self.firm), params["contact_id"])
        if params.get("matter_id"):
            matter = self._find(Matter.objects.for_firm(self.firm), params["matter_id"])
        return selectors.conversation_list(
            firm=self.firm,
            user=self.membership.user,
            contact=contact,
            matter=matter,
            query=params.get("query", ""),
            updated_since=given.validated_data.get("updated_since"),
        )

    @staticmethod
    def _find(queryset: QuerySet[Any], raw_id: str) -> Any:
        try:
            return queryset.get(uuid=UUID(raw_id))
        except (ValueError, queryset.model.DoesNotExist):
            raise Http404 from None

    @extend_schema(
        tags=TAGS,
        summary="List conversations (newest activity first)",
        parameters=[
            OpenApiParameter(
                "contact_id",
                str,
                description="Conversations shown on this "
                "contact's record (C2): its own and its matters' clients'.",
            ),
            OpenApiParameter(
                "matter_id", str, description="The conversation of the matter's client."
            ),
            OpenApiParameter("query", str, description="Contact name or number."),
            ConversationListFilter,
        ],
        responses={
            200: ConversationOutput(many=True),
            404: OpenApiResponse(
                ERROR_SCHEMA, description="`contact_id` or `matter_id` names none of the firm's."
            ),
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ConversationOutput(page, many=True).data)


class ConversationDetailApi(_TextingApi):
    @extend_schema(tags=TAGS, summary="Get a conversation", responses=enveloped(ConversationOutput))
    def get(self, request: Request, id: UUID) -> Response:
        conversation = get_object_or_404(self.conversations(), uuid=id)
        return envelope(ConversationOutput(conversation).data)


class ConversationMessagesApi(_TextingApi):
    serializer_class = TextMessageOutput

    @extend_schema(
        tags=TAGS,
        summary="List a conversation's messages (newest first)",
        parameters=[TextMessageListFilter],
        responses=TextMessageOutput(many=True),
    )
    def get(self, request: Request, id: UUID) -> Response:
        conversation = get_object_or_404(self.conversations(), uuid=id)
        given = TextMessageListFilter(data=request.query_params.dict())
        given.is_valid(raise_exception=True)
        messages = selectors.message_thread(
            firm=self.firm,
            conversation=conversation,
            updated_since=given.validated_data.get("updated_since"),
        )
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(TextMessageOutput(page, many=True).data)


class ConversationReadApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Mark a conversation read for you",
        request=None,
        responses=enveloped(ConversationOutput),
    )
    def post(self, request: Request, id: UUID) -> Response:
        conversation = get_object_or_404(self.conversations(), uuid=id)
        conversation_mark_read(firm=self.firm, user=self.membership.user, conversation=conversation)
        return envelope(ConversationOutput(get_object_or_404(self.conversations(), uuid=id)).data)


class TextMessageCreateApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Send a text",
        description="Queues one SMS to the contact's texting number. Send an "
        "`Idempotency-Key` header (a UUID) so a retried request never texts twice.",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        request=TextMessageCreateInput,
        responses={201: enveloped(TextMessageOutput)},
    )
    def post(self, request: Request) -> Response:
        payload = TextMessageCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key")
        try:
            idempotency_key = UUID(key) if key else None
        except ValueError:
            raise serializers.ValidationError(
                {"Idempotency-Key": ["Give a UUID, e.g. 1b4e28ba-2fa1-11d2-883f-0016d3cca427."]}
            ) from None
        message = message_send(
            firm=self.firm,
            sender=self.membership.user,
            contact=payload.validated_data["recipient"],
            body=payload.validated_data["body"],
            idempotency_key=idempotency_key,
        )
        return self.message_output(message, status_code=status.HTTP_201_CREATED)


class TextMessageDetailApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Get a text (status and failure reason)",
        responses=enveloped(TextMessageOutput),
    )
    def get(self, request: Request, id: UUID) -> Response:
        return self.message_output(
            get_object_or_404(selectors.message_list(firm=self.firm), uuid=id)
        )


class TextMessageRetryApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Retry a failed text (a new attempt linked to it)",
        request=None,
        responses={
            201: enveloped(TextMessageOutput),
            409: OpenApiResponse(
                ERROR_SCHEMA, description="The text cannot be retried (`not_retryable`)."
            ),
        },
    )
    def post(self, request: Request, id: UUID) -> Response:
        failed = get_object_or_404(selectors.message_list(firm=self.firm), uuid=id)
        retry = message_retry(firm=self.firm, actor=self.membership.user, message=failed)
        return self.message_output(retry, status_code=status.HTTP_201_CREATED)


class TextMessageMediaApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Download an attachment a client sent",
        # The type the client sent (image/jpeg, text/plain, ...), else octet-stream.
        responses={(200, "*/*"): bytes},
    )
    def get(self, request: Request, id: UUID, position: int) -> FileResponse:
        message = get_object_or_404(selectors.message_list(firm=self.firm), uuid=id)
        media = get_object_or_404(message.media.all(), position=position, accepted=True)
        meta = media.metadata or {}
        return FileResponse(
            media.file.open("rb"),
            as_attachment=True,
            filename=meta.get("filename") or f"attachment-{position}",
            content_type=meta.get("content_type") or "application/octet-stream",
        )


class UnreadCountApi(_TextingApi):
    @extend_schema(
        tags=TAGS,
        summary="Your unread texts across the firm",
        responses=enveloped(UnreadCountOutput),
    )
    def get(self, request: Request) -> Response:
        return envelope(
            {"unread": selectors.unread_total(firm=self.firm, user=self.membership.user)}
        )
