"""Authentication on every provider call: OAuth2 client credentials, or HTTP Basic.

OAuth2 (PROVIDER_API.md §0): `POST {oauth_token_url}` with `grant_type=client_credentials`
as a form and Basic client_id:client_secret; the JSON answer carries `access_token` and
`expires_in`. Tokens are cached per (token URL, client id, secret) in process memory, shared
by every ProviderClient of the process, guarded by a lock so concurrent callers fetch once,
and refreshed early when less than `config.token_refresh_margin` seconds of life remain.
A 401 from an API call makes the client drop that token and retry the call once with a
fresh one (ProviderClient._send).

Basic API users stop working at Bandwidth on 2026-12-02; Basic remains for the sandbox and
for accounts that have not moved yet.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from .config import AuthMode, ProviderConfig
from .errors import ProviderUnavailable
from .transport import close_quietly, raise_for_response, translate_exception

logger = logging.getLogger(__name__)

TOKEN_OPERATION = "oauth_token"
# Used when the token response has no usable expires_in: short, so we re-ask soon.
_DEFAULT_TOKEN_LIFETIME = 300.0


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float  # time.time() based, so tests can move the clock with time-machine


_CacheKey = tuple[str, str, str]
_tokens: dict[_CacheKey, _Token] = {}
_locks: dict[_CacheKey, threading.Lock] = {}
_registry_lock = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token (tests; credential rotation)."""
    with _registry_lock:
        _tokens.clear()


def _key(config: ProviderConfig) -> _CacheKey:
    secret = hashlib.sha256(config.client_secret.encode()).hexdigest()
    return (config.oauth_token_url, config.client_id, secret)


class TokenSource:
    """Hands out a valid access token for one config, fetching through `session`."""

    def __init__(self, config: ProviderConfig, session: requests.Session) -> None:
        self.config = config
        self.session = session
        self._key = _key(config)
        with _registry_lock:
            self._lock = _locks.setdefault(self._key, threading.Lock())

    def _cached(self) -> _Token | None:
        with _registry_lock:
            return _tokens.get(self._key)

    def get(self) -> str:
        token = self._cached()
        if token is not None and token.expires_at - time.time() > self.config.token_refresh_margin:
            return token.value
        with self._lock:
            # Another thread may have refreshed while we waited for the lock.
            token = self._cached()
            margin = self.config.token_refresh_margin
            if token is not None and token.expires_at - time.time() > margin:
                return token.value
            token = self._fetch()
            with _registry_lock:
                _tokens[self._key] = token
            return token.value

    def invalidate(self, value: str) -> None:
        """Drop `value` if it is still the cached token (the provider refused it)."""
        with _registry_lock:
            current = _tokens.get(self._key)
            if current is not None and current.value == value:
                del _tokens[self._key]

    def _fetch(self) -> _Token:
        started = time.time()
        resp: requests.Response | None = None
        try:
            resp = self.session.post(
                self.config.oauth_token_url,
                data={"grant_type": "client_credentials"},
                auth=HTTPBasicAuth(self.config.client_id, self.config.client_secret),
                headers={"Accept": "application/json"},
                timeout=self.config.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # Asking for a token has no side effect worth guarding: retryable either way.
            raise translate_exception(exc, operation=TOKEN_OPERATION, idempotent=True) from None
        try:
            raise_for_response(resp, TOKEN_OPERATION)
            try:
                body = resp.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise ProviderUnavailable("malformed token response", operation=TOKEN_OPERATION)
            value = body["access_token"]
            if not value:
                raise ProviderUnavailable("empty access token", operation=TOKEN_OPERATION)
            lifetime = body.get("expires_in")
            if isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
                lifetime = _DEFAULT_TOKEN_LIFETIME
        finally:
            close_quietly(resp)
        logger.info("provider oauth token fetched, expires_in=%s", lifetime)
        return _Token(value=value, expires_at=started + float(lifetime))


class BearerAuth(AuthBase):
    """Adds `Authorization: Bearer <token>` from a TokenSource."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.tokens.get()}"
        return r


def bearer_token_of(request: requests.PreparedRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    return header[7:] if header.startswith("Bearer ") else None


def build_auth(
    config: ProviderConfig, session: requests.Session
) -> tuple[AuthBase | None, TokenSource | None]:
    """The requests auth for this config (OAuth2 preferred), and its token source if any."""
    mode = config.auth_mode
    if mode is AuthMode.OAUTH2:
        tokens = TokenSource(config, session)
        return BearerAuth(tokens), tokens
    if mode is AuthMode.BASIC:
        return HTTPBasicAuth(config.username, config.password), None
    return None, None
