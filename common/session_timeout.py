"""Sign a browser session out when it has been idle too long, or is older than a working day.

Idle: SESSION_IDLE_TIMEOUT_MINUTES without a request the member made. The pages' background
polls (new messages, the unread badge) are not activity, or an inbox left open on an empty
office's screen would stay signed in for ever; they still end an expired session.
Absolute: SESSION_COOKIE_AGE after signing in, however active. (Django alone would not do
that: every save of the session pushes its expiry further out.)
The last activity is written to the session once per 1/120 of the idle timeout (once a
minute for two hours), not on every request: that is the timeout's precision.
Bearer-token API requests carry no session and are not concerned.

Both clocks start in the session store (SESSION_ENGINE is this module): Django's login()
gives a session its user by cycling its key, so the times are saved with the sign-in,
whichever way it happened (the sign-in page, a test's force_login).
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

SIGNED_IN_AT = "session_timeout.signed_in_at"
LAST_ACTIVITY = "session_timeout.last_activity"
WRITE_EVERY_MIN_SECONDS = 60

# Ids of the elements that poll with hx-trigger="every …" (htmx sends the id as HX-Trigger).
# accounts/tests/test_session_timeout.py checks every poller in the templates is listed.
BACKGROUND_POLLERS = frozenset({"thread", "unread-badge", "conversation-results"})


def is_background_poll(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Trigger") in BACKGROUND_POLLERS
    )


def _duration(minutes: int) -> str:
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


class SessionStore(CachedDbSessionStore):
    """Django's cached_db sessions, whose clocks start when a user signs in."""

    def cycle_key(self) -> None:
        # login() cycles the key of a session not yet signed in; a password change
        # (update_session_auth_hash) cycles a signed-in one, which keeps its clocks.
        signing_in = SESSION_KEY not in self
        super().cycle_key()
        if signing_in:
            now = int(time.time())
            self[SIGNED_IN_AT] = now
            self[LAST_ACTIVITY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return self.get_response(request)
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired:
                return expired
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponseBase | None:
        session = request.session
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        last_activity = session.get(LAST_ACTIVITY)
        if signed_in_at is None or last_activity is None:
            # Signed in before these clocks existed: they start now.
            session[SIGNED_IN_AT] = signed_in_at = signed_in_at or now
            session[LAST_ACTIVITY] = last_activity = now
        idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        if now - signed_in_at >= settings.SESSION_COOKIE_AGE:
            hours = _duration(settings.SESSION_COOKIE_AGE // 60)
            return self._sign_out(request, f"You were signed out: a sign-in lasts {hours}.")
        if now - last_activity >= idle_limit:
            idle = _duration(settings.SESSION_IDLE_TIMEOUT_MINUTES)
            return self._sign_out(request, f"You were signed out after {idle} without activity.")
        write_every = max(WRITE_EVERY_MIN_SECONDS, idle_limit // 120)
        if not is_background_poll(request) and now - last_activity >= write_every:
            session[LAST_ACTIVITY] = now
        return None

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponseBase | None:
        logout(request)
        if request.path.startswith("/api/"):
            return None  # carries on signed out: DRF answers 401/403 in its own format
        messages.info(request, reason)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.headers.get("HX-Request") == "true":
            # A whole-page visit to the sign-in page, not a swap of it into a fragment.
            return HttpResponseClientRedirect(login_url)
        if request.method == "GET":
            return redirect_to_login(request.get_full_path())
        return HttpResponseRedirect(login_url)
