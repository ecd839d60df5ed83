"""Provider callbacks: check Basic auth, parse, store once, enqueue, answer 2xx at once (P3).

The provider retries anything but a 2xx for a day, so everything we will never act on
(a number that is no firm's, a replay) still gets 200. Only wrong credentials (401),
bodies that are not the documented shape (400) and oversized bodies (413) are refused;
none of them stores anything.
"""

import base64
import binascii
import hmac
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .provider.callbacks import (
    MalformedCallback,
    parse_message_callbacks,
    parse_verification_callback,
    parse_voice_callback,
)
from .services import (
    messaging_events_record,
    verification_event_record,
    voice_event_answer,
)

logger = logging.getLogger(__name__)

# Bandwidth ignores responses over 16 kB and sends small bodies; a large one is not theirs.
MAX_BODY_BYTES = 1024 * 1024

View = Callable[[HttpRequest], HttpResponse]


def _credentials_match(request: HttpRequest) -> bool:
    """Basic auth against WEBHOOK_USERNAME/PASSWORD, compared in constant time."""
    expected_user = settings.WEBHOOK_USERNAME.encode()
    expected_password = settings.WEBHOOK_PASSWORD.encode()
    if not expected_user or not expected_password:
        return False  # unconfigured: refuse everything rather than accept anyone
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).partition(b":")
    except (binascii.Error, ValueError):
        return False
    # Both comparisons always run, so timing says nothing about which part was wrong.
    user_ok = hmac.compare_digest(user, expected_user)
    password_ok = hmac.compare_digest(password, expected_password)
    return user_ok and password_ok


def provider_webhook(view: View) -> View:
    """POST only, no CSRF (the provider has no session), Basic auth, size limit."""

    @csrf_exempt
    @require_POST
    def guarded(request: HttpRequest) -> HttpResponse:
        if not _credentials_match(request):
            response = JsonResponse({"error": "unauthorized"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="provider-webhooks"'
            return response
        if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
            return JsonResponse({"error": "body too large"}, status=413)
        try:
            return view(request)
        except MalformedCallback as error:
            logger.info("provider callback refused: %s", error, extra={"path": request.path})
            return JsonResponse({"error": "malformed callback", "reason": str(error)}, status=400)

    return guarded


@provider_webhook
def messaging(request: HttpRequest) -> HttpResponse:
    events = parse_message_callbacks(request.body)
    stored = messaging_events_record(events=events)
    return JsonResponse({"received": len(events), "stored": stored})


@provider_webhook
def verification(request: HttpRequest) -> HttpResponse:
    event = parse_verification_callback(request.body)
    stored = verification_event_record(event=event)
    return JsonResponse({"received": 1, "stored": int(stored)})


@provider_webhook
def voice(request: HttpRequest) -> HttpResponse:
    """Initiate events get the BXML that is read to the caller (C11); others just a 200."""
    event = parse_voice_callback(request.body)
    bxml = voice_event_answer(event=event)
    if bxml is None:
        return HttpResponse(status=204)
    return HttpResponse(bxml, content_type="application/xml; charset=utf-8")
