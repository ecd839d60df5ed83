"""FirmMiddleware: resolve the request's firm once and run the rest of the request in its scope."""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_scopes import scope

from .audit import request_client_ip
from .lockout import client_ip
from .models import Membership
from .resolution import api_token_resolve, membership_for_user

BEARER_PREFIX = "bearer "


class FirmMiddleware:
    """Sets request.firm, request.membership and request.api_token, then opens the scope.

    An `Authorization: Bearer` header decides alone (a session cookie is then ignored);
    otherwise the signed-in user's membership does, re-read on every request so a removed
    user loses access at once. Requests with neither run with no scope: any firm-owned
    query they make raises ScopeError.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.firm = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        request.api_token = None  # type: ignore[attr-defined]
        request.api_token_rejected = False  # type: ignore[attr-defined]

        membership: Membership | None = None
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith(BEARER_PREFIX):
            resolved = api_token_resolve(authorization[len(BEARER_PREFIX) :].strip())
            if resolved is None:
                request.api_token_rejected = True  # type: ignore[attr-defined]
                return self.get_response(request)
            request.api_token, membership = resolved  # type: ignore[attr-defined]
        elif request.user.is_authenticated:
            membership = membership_for_user(request.user)  # type: ignore[arg-type]

        if membership is None:
            return self.get_response(request)

        request.membership = membership  # type: ignore[attr-defined]
        request.firm = membership.firm  # type: ignore[attr-defined]
        timezone.activate(zoneinfo.ZoneInfo(membership.firm.time_zone))
        client_ip_token = request_client_ip.set(client_ip(request))
        try:
            with scope(firm=membership.firm_id):
                return self.get_response(request)
        finally:
            request_client_ip.reset(client_ip_token)
            timezone.deactivate()
