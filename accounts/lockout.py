"""Sign-in lockout (django-axes): who is counted, from where, and what a locked-out
person sees. Settings: the AXES_* block of config/settings/base.py."""

import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class SignInLockoutBackend(AxesStandaloneBackend):
    """Axes' check, for sign-ins that come with a request (every browser sign-in does).

    Code that authenticates without a request (Django's test `Client.login`, a shell)
    has no address to count against and is passed on to the password check; axes itself
    would raise instead."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Never signs anyone in: raises AxesBackendPermissionDenied for a locked-out pair."""
        if request is None:
            return
        super().authenticate(request, username, password, **kwargs)


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The email being tried, in the form accounts are stored (lower case), so that
    changing its case does not start a fresh count."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field)
    if value is None:
        value = request.POST.get(field)
    return str(value).strip().lower() if value is not None else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with DJANGO_TRUSTED_PROXY_COUNT proxies in
    front, the X-Forwarded-For entry the outermost of them appended (counted from the
    right: entries further left are whatever the client sent). Falls back to REMOTE_ADDR
    when the header is shorter than that or not an address."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with our own page (axes' AXES_LOCKOUT_CALLABLE)."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    response = render(request, "registration/lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
