"""Rendering helpers shared by the apps' views."""

from django.http import HttpRequest, HttpResponse, JsonResponse
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
