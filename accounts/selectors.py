"""Reads about firms and their members."""

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import ApiToken, Firm, Membership, User

TEXTING_PLANS = frozenset({Firm.Plan.ESSENTIALS, Firm.Plan.ADVANCED, Firm.Plan.COMPLETE})
TEXTING_REGIONS = frozenset({Firm.Region.NORTH_AMERICA})


@dataclass(frozen=True)
class TextingAvailability:
    """Whether the firm may text at all (T3) and, when not, the sentence that says why."""

    available: bool
    reason: str = ""


def texting_availability(*, firm: Firm) -> TextingAvailability:
    if firm.region not in TEXTING_REGIONS:
        return TextingAvailability(
            False,
            "Text messaging is available only to firms hosted in the North America region; "
            f"{firm.name} is hosted in the {firm.get_region_display()} region.",
        )
    if firm.plan not in TEXTING_PLANS:
        return TextingAvailability(
            False,
            "Text messaging is included in the Essentials, Advanced and Complete plans; "
            f"{firm.name} is on the {firm.get_plan_display()} plan.",
        )
    return TextingAvailability(True)


def member_list(*, firm: Firm) -> QuerySet[Membership]:
    return (
        Membership.objects.for_firm(firm)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def api_token_list(*, firm: Firm, user: User | None = None) -> QuerySet[ApiToken]:
    """The firm's tokens (newest first), or only one user's when `user` is given."""
    tokens = ApiToken.objects.for_firm(firm).select_related("user")
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens.order_by("revoked_at", "-created_at")
