"""Where the provider lives and how we authenticate: one frozen value, built from settings.

Base URLs have the shape Bandwidth documents them (PROVIDER_API.md §0), without a trailing
slash:

    family         derived from PROVIDER_API_URL = {base}   override setting (a full base)
    messaging      {base}/api/v2                             PROVIDER_MESSAGING_URL
                                                             e.g. https://messaging.bandwidth.com/api/v2
    verification   {base}/api/v2                             PROVIDER_VERIFICATION_URL
                                                             e.g. https://api.bandwidth.com/api/v2
    numbers        {base}/api                                PROVIDER_NUMBERS_URL
                                                             e.g. https://dashboard.bandwidth.com/api
    oauth token    {base}/api/v1/oauth2/token                PROVIDER_OAUTH_URL (the full
                                                             token endpoint URL)
                                                             e.g. https://api.bandwidth.com/api/v1/oauth2/token

So the sandbox (one origin) needs only PROVIDER_API_URL; production may point each family
at its own host. Credentials: OAuth2 client credentials (PROVIDER_CLIENT_ID/_SECRET) are
used when set, else HTTP Basic (PROVIDER_USERNAME/_PASSWORD).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


class AuthMode(enum.StrEnum):
    OAUTH2 = "oauth2"
    BASIC = "basic"
    NONE = "none"


def _clean_base(url: str, name: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured(f"{name} must not have a query, fragment or credentials")
    return url


@dataclass(frozen=True)
class ProviderConfig:
    messaging_url: str
    verification_url: str
    numbers_url: str
    oauth_token_url: str
    account_id: str
    application_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    # Fetch a new OAuth token when less than this many seconds of its life remain.
    token_refresh_margin: float = 60.0
    # Wall-clock cap on one media download (a slow drip would otherwise reset the read
    # timeout on every chunk).
    media_deadline: float = 60.0

    def __post_init__(self) -> None:
        for name in ("messaging_url", "verification_url", "numbers_url", "oauth_token_url"):
            object.__setattr__(self, name, _clean_base(getattr(self, name), name))
        if not self.account_id or "/" in self.account_id:
            raise ImproperlyConfigured("PROVIDER_ACCOUNT_ID must be set (no slashes)")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ImproperlyConfigured("provider timeouts must be positive")

    @property
    def auth_mode(self) -> AuthMode:
        if self.client_id and self.client_secret:
            return AuthMode.OAUTH2
        if self.username and self.password:
            return AuthMode.BASIC
        return AuthMode.NONE

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) for requests."""
        return (self.connect_timeout, self.read_timeout)

    @classmethod
    def for_origin(cls, origin: str, **kwargs: Any) -> ProviderConfig:
        """All API families under one origin, as the sandbox serves them."""
        base = _clean_base(origin, "origin")
        return cls(
            messaging_url=f"{base}/api/v2",
            verification_url=f"{base}/api/v2",
            numbers_url=f"{base}/api",
            oauth_token_url=f"{base}/api/v1/oauth2/token",
            **kwargs,
        )

    @classmethod
    def from_settings(cls, settings: Any = None) -> ProviderConfig:
        """Build from Django settings (PROVIDER_*); ImproperlyConfigured if a base URL or
        the account id is missing."""
        if settings is None:
            from django.conf import settings as django_settings

            settings = django_settings

        def get(name: str, default: Any = "") -> Any:
            value = getattr(settings, name, default)
            return default if value is None else value

        origin = str(get("PROVIDER_API_URL")).strip().rstrip("/")

        def family(override: str, suffix: str) -> str:
            explicit = str(get(override)).strip()
            if explicit:
                return explicit
            if not origin:
                raise ImproperlyConfigured(f"set PROVIDER_API_URL or {override}")
            return origin + suffix

        return cls(
            messaging_url=family("PROVIDER_MESSAGING_URL", "/api/v2"),
            verification_url=family("PROVIDER_VERIFICATION_URL", "/api/v2"),
            numbers_url=family("PROVIDER_NUMBERS_URL", "/api"),
            oauth_token_url=family("PROVIDER_OAUTH_URL", "/api/v1/oauth2/token"),
            account_id=str(get("PROVIDER_ACCOUNT_ID")).strip(),
            application_id=str(get("PROVIDER_APPLICATION_ID")).strip(),
            client_id=str(get("PROVIDER_CLIENT_ID")),
            client_secret=str(get("PROVIDER_CLIENT_SECRET")),
            username=str(get("PROVIDER_USERNAME")),
            password=str(get("PROVIDER_PASSWORD")),
            connect_timeout=float(get("PROVIDER_CONNECT_TIMEOUT", 3.05)),
            read_timeout=float(get("PROVIDER_READ_TIMEOUT", 10.0)),
        )
