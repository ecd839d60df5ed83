"""The request as views see it once FirmMiddleware and firm_member_required have run."""

from django.http import HttpRequest

from .models import ApiToken, Firm, Membership, User


class FirmRequest(HttpRequest):
    """For type checking only: views behind firm_member_required may rely on these."""

    firm: Firm
    membership: Membership
    api_token: ApiToken | None
    user: User  # type: ignore[assignment]
