"""Calendar entries API (E1–E4, A1): /api/v1/calendar_entries/ in Clio v4's shape.

List and create; read, change and delete one; cancel one. Every write goes through the
calendar services, which text the contact attendees with Notify via text (E2). Lookups
start from the request's firm, so another firm's id is 404 like a missing one (T1).
"""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from common.api.envelope import envelope, enveloped
from common.api.pagination import EnvelopeCursorPagination
from common.api.views import FirmAPIView

from .. import selectors, services
from ..models import CalendarEvent
from ..services import AttendeeSpec
from .serializers import (
    CalendarEntryCreateInput,
    CalendarEntryErrorOutput,
    CalendarEntryListFilter,
    CalendarEntryOutput,
    CalendarEntryUpdateInput,
)

TAGS = ["Calendar entries"]
_ERRORS: dict[int, Any] = {
    400: CalendarEntryErrorOutput,
    403: CalendarEntryErrorOutput,
    404: CalendarEntryErrorOutput,
}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 409: CalendarEntryErrorOutput}


def _attendee_specs(items: list[dict[str, Any]]) -> list[AttendeeSpec]:
    return [
        AttendeeSpec(
            user=item.get("user"),
            contact=item.get("contact"),
            notify_via_text=item["notify_via_text"],
        )
        for item in items
    ]


class CalendarEntryPagination(EnvelopeCursorPagination):
    ordering = ("starts_at", "id")


class _CalendarEntryApi(FirmAPIView):
    pagination_class = CalendarEntryPagination

    def get_queryset(self) -> QuerySet[CalendarEvent]:
        """The firm's live entries with their matter and attendees joined: a fixed number
        of queries per page, however many entries and attendees."""
        return selectors.event_detail_list(firm=self.firm)

    @property
    def actor(self) -> User:
        return self.membership.user

    def entry(self, event: CalendarEvent, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Re-read: the services record what they texted with .update(), after the save.
        fresh = self.get_queryset().get(pk=event.pk)
        return envelope(CalendarEntryOutput(fresh).data, status=status_code)


class CalendarEntryListApi(_CalendarEntryApi):
    """GET lists the firm's entries by start time; POST puts a new one on the calendar."""

    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_list",
        summary="List calendar entries (by start time)",
        parameters=[
            CalendarEntryListFilter,
            OpenApiParameter("limit", int, description="Entries per page, at most 200."),
        ],
        responses={200: CalendarEntryOutput(many=True), 400: CalendarEntryErrorOutput},
    )
    def get(self, request: Request) -> Response:
        # .dict(): a BooleanField reads a missing key of a QueryDict as an unticked box.
        filters = CalendarEntryListFilter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        entries = selectors.event_entry_list(
            firm=self.firm,
            ends_from=given.get("from"),
            starts_to=given.get("to"),
            matter_uuid=given.get("matter_id"),
            contact_uuid=given.get("contact_id"),
            updated_since=given.get("updated_since"),
            include_cancelled=given["include_cancelled"],
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(CalendarEntryOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_create",
        summary="Create a calendar entry",
        description="Each contact attendee with `notify_via_text` is texted the invitation "
        "now, or at 8:00 their time (see `pending_text`).",
        request=CalendarEntryCreateInput,
        responses={201: enveloped(CalendarEntryOutput), **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        payload = CalendarEntryCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        event = services.event_create(
            firm=self.firm,
            actor=self.actor,
            title=data["summary"],
            starts_at=data["start_at"],
            ends_at=data["end_at"],
            all_day=data["all_day"],
            location=data["location"],
            description=data["description"],
            matter=data["matter"],
            attendees=_attendee_specs(data["attendees"]),
        )
        return self.entry(event, status_code=status.HTTP_201_CREATED)


_RENAMED = {"summary": "title", "start_at": "starts_at", "end_at": "ends_at"}


class CalendarEntryDetailApi(_CalendarEntryApi):
    """GET reads one entry; PATCH changes the fields given; DELETE removes it."""

    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_retrieve",
        summary="Get a calendar entry",
        responses={200: enveloped(CalendarEntryOutput), 404: CalendarEntryErrorOutput},
    )
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(CalendarEntryOutput(self.get_object()).data)

    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_update",
        summary="Change a calendar entry",
        description="Only the fields given change. A new time, date or location texts an "
        "update to the contacts told before; `attendees` replaces the set. A cancelled "
        "entry cannot change (409).",
        request=CalendarEntryUpdateInput,
        responses={200: enveloped(CalendarEntryOutput), **_WRITE_ERRORS},
    )
    def patch(self, request: Request, id: UUID) -> Response:
        event: CalendarEvent = self.get_object()  # type: ignore[assignment]
        payload = CalendarEntryUpdateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        changes = {_RENAMED.get(k, k): v for k, v in payload.validated_data.items()}
        if "attendees" in changes:
            changes["attendees"] = _attendee_specs(changes["attendees"])
        event = services.event_update(firm=self.firm, actor=self.actor, event=event, **changes)
        return self.entry(event)

    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_delete",
        summary="Delete a calendar entry",
        description="A scheduled entry is cancelled first: the contacts told of it are "
        "texted the cancellation.",
        responses={204: None, 403: CalendarEntryErrorOutput, 404: CalendarEntryErrorOutput},
    )
    def delete(self, request: Request, id: UUID) -> Response:
        event: CalendarEvent = self.get_object()  # type: ignore[assignment]
        services.event_delete(firm=self.firm, actor=self.actor, event=event)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarEntryCancelApi(_CalendarEntryApi):
    @extend_schema(
        tags=TAGS,
        operation_id="calendar_entry_cancel",
        summary="Cancel a calendar entry",
        description="The entry stays, with status cancelled; the contacts told of it are "
        "texted the cancellation. 409 when it was cancelled already.",
        request=None,
        responses={
            200: enveloped(CalendarEntryOutput),
            403: CalendarEntryErrorOutput,
            404: CalendarEntryErrorOutput,
            409: CalendarEntryErrorOutput,
        },
    )
    def post(self, request: Request, id: UUID) -> Response:
        event: CalendarEvent = self.get_object()  # type: ignore[assignment]
        event = services.event_cancel(firm=self.firm, actor=self.actor, event=event)
        return self.entry(event)
