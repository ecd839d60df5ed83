"""Rate limits per API token (per user for session-authenticated calls), in Django's cache.

The rate is `settings.API_RATE_LIMIT` ("600/min"), read on every request so tests and
deployments can change it without touching REST_FRAMEWORK. Over the limit, DRF raises
Throttled: common.api.errors renders it as a 429 `rate_limited` error with `Retry-After`.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module while it loads
    from rest_framework.views import APIView


class ApiTokenRateThrottle(SimpleRateThrottle):
    scope = "api"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def get_rate(self) -> str | None:
        return str(settings.API_RATE_LIMIT) if settings.API_RATE_LIMIT else None

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        from accounts.models import ApiToken  # models are not ready when DRF imports this

        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.uuid}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.uuid}"
        else:
            return None  # refused by authentication anyway; nothing to count
        return self.cache_format % {"scope": self.scope, "ident": ident}
