"""Rendering helpers shared by the apps' views, and the operational endpoints."""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def render_coming_soon(
    request: HttpRequest, *, title: str, heading: str, explanation: str
) -> HttpResponse:
    """A page whose capability is built by a later issue; says what will be here."""
    return render(
        request,
        "common/coming_soon.html",
        {"title": title, "heading": heading, "explanation": explanation},
    )


def _api_error(request: HttpRequest, status: int, error_type: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"type": error_type, "message": message, "fields": {}}}, status=status
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: the API's JSON error envelope under /api/, the page otherwise."""
    if request.path.startswith("/api/"):
        return _api_error(request, 404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: never a traceback; JSON under /api/."""
    if request.path.startswith("/api/"):
        return _api_error(request, 500, "server_error", "Something went wrong on our side.")
    return render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers (no database, no network)."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker, storage and worker heartbeat; 503 naming what failed."""
    from .health import readiness

    result = readiness()
    response = JsonResponse(
        {"status": "ready" if result.ready else "not_ready", "checks": result.checks},
        status=200 if result.ready else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


def _bearer_token_matches(request: HttpRequest, expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time, whatever was sent.
    token_ok = hmac.compare_digest(given.strip().encode(), expected.encode())
    return scheme.lower() == "bearer" and token_ok


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (common/metrics.py) for `Authorization: Bearer <METRICS_TOKEN>`;
    401 otherwise, and 404 while METRICS_TOKEN is unset (metrics disabled)."""
    from .metrics import CONTENT_TYPE, metrics_exposition

    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    if not _bearer_token_matches(request, expected):
        response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    response = HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
