"""Guards for server-rendered views: a signed-in firm member, or a firm admin (T2)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

View = Callable[..., HttpResponseBase]


def firm_member_required(view: View) -> View:
    """Signed in through the session and a member of a firm; request.firm is then set."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = getattr(request, "membership", None)
        if membership is None or membership.user_id != request.user.pk:
            raise PermissionDenied("Your account is not part of a firm.")
        return view(request, *args, **kwargs)

    return wrapped


def firm_admin_required(view: View) -> View:
    """As firm_member_required, and the member's role is admin (403 for staff)."""

    @firm_member_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.membership.is_admin:  # type: ignore[attr-defined]
            raise PermissionDenied("Only the firm's admins can open this page.")
        return view(request, *args, **kwargs)

    return wrapped
