"""Reads for Settings > Text Messaging (S1–S4, C6): kept apart from selectors.py, which the
Communications pages use, so the settings pages have one small module to read."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import Firm

from .models import DroppedInbound, TextingSettings, VerificationSubmission
from .notification_texts import LABELS, NotificationKind, notification_text, sample_event


def dropped_inbound_list(*, firm: Firm) -> QuerySet[DroppedInbound]:
    """The firm's dropped inbound texts (C6), newest first. Rows hold no body."""
    return DroppedInbound.objects.for_firm(firm).order_by("-received_at", "-id")


def verification_submission_latest(*, firm: Firm) -> VerificationSubmission | None:
    """The firm's most recent verification submission, to prefill a resubmission."""
    return VerificationSubmission.objects.for_firm(firm).order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class TemplatePreview:
    kind: str
    label: str
    text: str


def notification_template_previews(
    *, firm: Firm, settings: TextingSettings, now: datetime
) -> list[TemplatePreview]:
    """The four calendar notification texts (S4) as the firm's clients would read them,
    filled with the firm's name and alternative contact and an example event."""
    event = sample_event(now=now, time_zone=firm.time_zone)
    return [
        TemplatePreview(
            kind=kind.value,
            label=LABELS[kind],
            text=notification_text(
                kind,
                firm_name=firm.name,
                time_zone=firm.time_zone,
                event=event,
                alternative_phone_e164=settings.alternative_phone_e164,
                alternative_email=settings.alternative_email,
            ),
        )
        for kind in NotificationKind
    ]
