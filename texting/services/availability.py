"""The guard every texting write starts with: the firm's plan and region offer texting (T3)."""

from accounts.models import Firm
from accounts.selectors import texting_availability

from ..exceptions import TextingUnavailable


def texting_available_require(*, firm: Firm) -> None:
    """Raise TextingUnavailable, with the reason the firm is shown, when it cannot text."""
    availability = texting_availability(firm=firm)
    if not availability.available:
        raise TextingUnavailable(availability.reason)
