"""DRF permissions: a member of a firm; admins for admin-only operations (T2)."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .models import ApiToken


class IsFirmMember(BasePermission):
    """Signed in (session or token) as a member of a firm; read-only tokens only read."""

    message = "Authentication with a member of a firm is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request._request, "firm", None) is None or not request.user.is_authenticated:
            return False
        membership = request._request.membership  # type: ignore[attr-defined]
        if request.user.pk != membership.user_id:
            return False
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and request.method not in SAFE_METHODS and not token.allows_writes:
            self.message = (
                "This API token is read-only; create a read and write token to change data."
            )
            return False
        return True


class IsFirmAdmin(IsFirmMember):
    """A firm member whose role is admin."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not request._request.membership.is_admin:  # type: ignore[attr-defined]
            self.message = "Only the firm's admins can do this."
            return False
        return True
