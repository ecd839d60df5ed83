"""Security headers Django has no setting for, and the one page whose CSP is wider.

The rest (CSP, nosniff, Referrer-Policy, COOP, X-Frame-Options, HSTS) comes from
settings: the "Security headers" section of config/settings/base.py and production.py.
"""

from collections.abc import Callable

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.views import SpectacularRedocView


class PermissionsPolicyMiddleware:
    """Permissions-Policy: every feature in settings.PERMISSIONS_POLICY is off for every
    page (`camera=()`). A view that needs one sets the header itself and keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


# The API reference (drf-spectacular's Redoc page, its script from our static files through
# drf-spectacular-sidecar) styles itself with injected <style> elements and runs its search
# in a blob: worker; only this page's policy allows that.
API_DOCS_CSP = {
    "style-src": ["'unsafe-inline'"],
    "worker-src": ["blob:"],
}
api_docs_view = csp_update(API_DOCS_CSP)(SpectacularRedocView.as_view(url_name="api-schema"))
