"""Settings > Notifications (S5) and Web Push (C9): a member's badge and push preferences,
the JSON endpoints the page's script subscribes this browser with, and the service worker
and web app manifest served from the site root.

Every member may open the page (staff too), while the firm's texting is available; a firm
without texting is told why, like the other texting pages (T3).
"""

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from accounts.selectors import texting_availability
from common.exceptions import ApplicationError

from .exceptions import InvalidPushSubscription
from .notification_selectors import notification_preference_get, push_subscription_count
from .services.notifications import (
    notification_preferences_update,
    push_http_endpoints_allowed,
    push_subscription_delete,
    push_subscription_save,
)
from .settings_forms import NotificationPreferencesForm
from .webpush import push_subscription_parse, webpush_config

# A browser's subscription is a few hundred bytes; anything much larger is not one.
SUBSCRIPTION_MAX_BYTES = 4096
THEME_COLOR = "#14213d"  # the top bar's


@firm_member_required
def notification_settings(request: FirmRequest) -> HttpResponse:
    availability = texting_availability(firm=request.firm)
    context: dict[str, Any] = {"availability": availability}
    if not availability.available:
        return render(request, "texting/notifications.html", context)
    config = webpush_config()
    preference = notification_preference_get(firm=request.firm, user=request.user)
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={"badge_counts": preference.badge_counts, "push": preference.push},
        push_configured=config is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            notification_preferences_update(
                firm=request.firm, user=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your notification settings were saved.")
            return redirect("settings:notifications")
    context.update(
        form=form,
        preference=preference,
        vapid_public_key=config.public_key if config else "",
        subscriptions=push_subscription_count(firm=request.firm, user=request.user),
    )
    return render(request, "texting/notifications.html", context)


def _error(error: ApplicationError) -> JsonResponse:
    body = {"error": {"type": error.error_type, "message": error.message, "fields": error.fields}}
    return JsonResponse(body, status=error.status_code)


def _json_body(request: HttpRequest) -> Any:
    if len(request.body) > SUBSCRIPTION_MAX_BYTES:
        raise InvalidPushSubscription("This is not a push subscription: it is far too large.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidPushSubscription("Send the browser's push subscription as JSON.") from None


@require_POST
@firm_member_required
def push_subscribe(request: FirmRequest) -> JsonResponse:
    """Store this browser's subscription (the JSON of `PushSubscription.toJSON()`) for the
    member: 201 when new, 200 when known; 400 for anything that is not one (nothing stored),
    409 when push is not configured or the endpoint is another account's."""
    try:
        keys = push_subscription_parse(
            _json_body(request), allow_http=push_http_endpoints_allowed()
        )
        _, created = push_subscription_save(firm=request.firm, user=request.user, subscription=keys)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"data": {"subscribed": True}}, status=201 if created else 200)


@require_POST
@firm_member_required
def push_unsubscribe(request: FirmRequest) -> JsonResponse:
    """Forget one of the member's own subscriptions, named by its endpoint; 404 when they
    have none with it (another member's or firm's is not found, like a missing one)."""
    try:
        payload = _json_body(request)
        endpoint = payload.get("endpoint") if isinstance(payload, dict) else None
        if not isinstance(endpoint, str) or not endpoint:
            raise InvalidPushSubscription(
                "Name the subscription's endpoint.", fields={"endpoint": ["Required."]}
            )
        push_subscription_delete(firm=request.firm, user=request.user, endpoint=endpoint)
    except ApplicationError as exc:
        return _error(exc)
    return JsonResponse({"data": {"subscribed": False}})


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: shows pushed notifications and opens their conversation. Served from the
    root so its scope can be the whole site; public, like any script."""
    response = HttpResponse(
        render_to_string("texting/push/sw.js"), content_type="application/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; let that check reach us.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def web_manifest(request: HttpRequest) -> JsonResponse:
    """/manifest.webmanifest: lets a phone install the site as an app (push on iOS needs
    that), opening on Communications."""
    start = reverse("texting:communications")
    icons = [
        {"src": static(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    manifest = {
        "id": start,
        "name": "Firm Texting",
        "short_name": "Texting",
        "description": "Text messages with your firm's clients.",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": THEME_COLOR,
        "icons": icons,
    }
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response
