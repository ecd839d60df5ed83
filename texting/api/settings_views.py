"""Texting settings and status API (A1, S1–S4): /api/v1/texting/, for the firm's admins.

GET says whether the firm can text and why not, its toll-free number, the verification
status, the alternative contact and the event reminder setting; PATCH changes the
alternative contact and the reminders through the same services as Settings > Text
Messaging. Staff get 403, as on those pages (T2).
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Firm
from accounts.permissions import IsFirmAdmin
from accounts.selectors import texting_availability
from common.api.envelope import envelope, enveloped
from common.api.views import FirmAPIView

from ..models import TextingSettings
from ..selectors import texting_settings_get
from ..services.setup import texting_settings_update


class TextingSettingsOutput(serializers.Serializer):  # type: ignore[type-arg]
    available = serializers.BooleanField(help_text="Whether the firm's plan and region text.")
    unavailable_reason = serializers.CharField(allow_blank=True)
    toll_free_number = serializers.CharField(allow_null=True)
    verification_status = serializers.ChoiceField(
        choices=TextingSettings.VerificationStatus.choices,
        help_text="Toll-free verification: not_submitted, pending, verified or rejected.",
    )
    verification_decline_reason = serializers.CharField(allow_blank=True)
    alternative_phone = serializers.CharField(allow_blank=True, help_text="E.164, or empty.")
    alternative_email = serializers.CharField(allow_blank=True)
    event_reminder_days = serializers.IntegerField(
        allow_null=True, help_text="Reminders this many days before events; null is off."
    )


class TextingSettingsUpdateInput(serializers.Serializer):  # type: ignore[type-arg]
    alternative_phone = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="E.164 (+1…), or empty."
    )
    alternative_email = serializers.EmailField(required=False, allow_blank=True)
    event_reminder_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=30
    )


def _output(firm: Firm) -> dict[str, Any]:
    availability = texting_availability(firm=firm)
    row = texting_settings_get(firm=firm)
    return TextingSettingsOutput(
        {
            "available": availability.available,
            "unavailable_reason": availability.reason,
            "toll_free_number": firm.toll_free_number_e164,
            "verification_status": row.verification_status,
            "verification_decline_reason": row.verification_decline_reason,
            "alternative_phone": row.alternative_phone_e164,
            "alternative_email": row.alternative_email,
            "event_reminder_days": row.event_reminder_days,
        }
    ).data


class TextingSettingsApi(FirmAPIView):
    """GET the firm's texting status and settings; PATCH the alternative contact and the
    event reminders (admins only)."""

    permission_classes = [IsFirmAdmin]

    @extend_schema(
        operation_id="texting_settings_retrieve", responses=enveloped(TextingSettingsOutput)
    )
    def get(self, request: Request) -> Response:
        return envelope(_output(self.firm))

    @extend_schema(
        operation_id="texting_settings_update",
        request=TextingSettingsUpdateInput,
        responses=enveloped(TextingSettingsOutput),
    )
    def patch(self, request: Request) -> Response:
        payload = TextingSettingsUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        names = {
            "alternative_phone": "alternative_phone_e164",
            "alternative_email": "alternative_email",
            "event_reminder_days": "event_reminder_days",
        }
        texting_settings_update(
            firm=self.firm,
            actor=self.membership.user,
            **{names[key]: value for key, value in given.items()},
        )
        return envelope(_output(self.firm))
