"""Reads for texting."""

from accounts.models import Firm

from .models import ProviderEvent, TextingSettings

# Status callbacks arrive in any order; a later stage never gives way to an earlier one
# and a terminal result (delivered or failed) is final (PROVIDER_API.md §2).
_STAGE = {"message-sending": 1, "message-sent": 2, "message-delivered": 3, "message-failed": 3}


def texting_settings_get(*, firm: Firm) -> TextingSettings:
    """The firm's texting settings, or unsaved defaults when it has none yet."""
    return TextingSettings.objects.for_firm(firm).first() or TextingSettings(firm=firm)


def provider_message_status(*, firm: Firm, provider_message_id: str) -> str | None:
    """The furthest status the provider has reported for one of its message ids.

    Derived from the stored callbacks, so replays and reordering cannot move it backwards;
    between two terminal events (which the provider should never send) the first one wins.
    """
    events = (
        ProviderEvent.objects.for_firm(firm)
        .filter(
            kind=ProviderEvent.Kind.MESSAGING,
            provider_message_id=provider_message_id,
            event_type__in=list(_STAGE),
        )
        .order_by("created_at", "id")
        .values_list("event_type", flat=True)
    )
    best: str | None = None
    for event_type in events:
        if best is None or _STAGE[event_type] > _STAGE[best]:
            best = event_type
    return best
