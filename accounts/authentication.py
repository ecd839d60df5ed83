"""DRF authentication that reads what FirmMiddleware already resolved from the bearer token."""

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request


class FirmTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        django_request = request._request
        if getattr(django_request, "api_token_rejected", False):
            raise exceptions.AuthenticationFailed("The API token is unknown or was revoked.")
        token = getattr(django_request, "api_token", None)
        if token is None:
            return None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
