"""Web Push (C9): the one place that talks to browsers' push services.

A browser subscribes with our VAPID public key and gives us its endpoint (a URL at its
push service: Google's, Mozilla's, Apple's, ...) and two keys. We send each notification
as an HTTP POST to that endpoint, encrypted to the browser's keys (aes128gcm, RFC 8291) and
signed with our VAPID private key (RFC 8292), through `pywebpush`.

What the push service answers decides what happens to the subscription:

    2xx        sent
    404, 410   GONE: the browser dropped the subscription; the caller deletes it
    429, 5xx   RETRYABLE, as are connection errors and timeouts (a duplicate is harmless:
               notifications carry a per-conversation tag and replace each other)
    other 4xx  FAILED: a bad request or our keys refused; retrying unchanged cannot help

Subscriptions arrive from the browser as `PushSubscription.toJSON()` and become a frozen
`SubscriptionKeys` here, after checks that keep the endpoint from pointing the server at
anything but a push service on the internet (https on a DNS name, no redirects followed).
"""

import base64
import binascii
import enum
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from .exceptions import InvalidPushSubscription

# Seconds: connect (a little over a multiple of 3, the TCP retransmit window) and read.
TIMEOUT = (3.05, 10.0)
ENDPOINT_MAX_LENGTH = 1000
P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04, x, y
AUTH_BYTES = 16
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


@dataclass(frozen=True)
class WebPushConfig:
    public_key: str
    private_key: str
    subject: str
    ttl_seconds: int


def webpush_config() -> WebPushConfig | None:
    """The server's VAPID identity, or None when push is not configured (any key unset)."""
    public = settings.WEBPUSH_VAPID_PUBLIC_KEY
    private = settings.WEBPUSH_VAPID_PRIVATE_KEY
    subject = settings.WEBPUSH_VAPID_SUBJECT
    if not (public and private and subject):
        return None
    return WebPushConfig(
        public_key=public,
        private_key=private,
        subject=subject,
        ttl_seconds=settings.WEBPUSH_TTL_SECONDS,
    )


# --- Subscriptions as the browser sends them ----------------------------------------------------


@dataclass(frozen=True)
class SubscriptionKeys:
    """A browser's push subscription: where to send, and the keys to encrypt to (base64url,
    unpadded)."""

    endpoint: str
    p256dh: str
    auth: str


def _b64url_bytes(value: object) -> bytes | None:
    if not isinstance(value, str) or not _BASE64URL.match(value):
        return None
    unpadded = value.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        return None


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _endpoint_error(endpoint: object, *, allow_http: bool) -> str:
    if not isinstance(endpoint, str) or not endpoint:
        return "The subscription has no endpoint."
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        return f"The endpoint is longer than {ENDPOINT_MAX_LENGTH} characters."
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return "The endpoint is not a URL."
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes or not host or parts.username or parts.password:
        return "The endpoint must be an https:// URL of a push service."
    if allow_http:
        return ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "The endpoint must name a push service, not an IP address."
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "The endpoint must be a push service on the internet."
    return ""


def push_subscription_parse(payload: Any, *, allow_http: bool) -> SubscriptionKeys:
    """What `PushSubscription.toJSON()` gave, checked: an https endpoint (http and IP hosts
    only when `allow_http`), a P-256 public key and a 16-byte auth secret. Raises
    InvalidPushSubscription with the fields at fault."""
    if not isinstance(payload, dict):
        raise InvalidPushSubscription("Send the browser's push subscription as a JSON object.")
    fields: dict[str, list[str]] = {}
    endpoint = payload.get("endpoint")
    endpoint_error = _endpoint_error(endpoint, allow_http=allow_http)
    if endpoint_error:
        fields["endpoint"] = [endpoint_error]
    keys = payload.get("keys")
    keys = keys if isinstance(keys, dict) else {}
    p256dh = _b64url_bytes(keys.get("p256dh"))
    if p256dh is None or len(p256dh) != P256DH_BYTES or p256dh[0] != 4:
        fields["keys.p256dh"] = ["Must be a P-256 public key (65 bytes, base64url)."]
    else:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
        except ValueError:
            fields["keys.p256dh"] = ["Must be a point on the P-256 curve."]
    auth = _b64url_bytes(keys.get("auth"))
    if auth is None or len(auth) != AUTH_BYTES:
        fields["keys.auth"] = ["Must be a 16-byte auth secret (base64url)."]
    if fields:
        raise InvalidPushSubscription("This is not a valid push subscription.", fields=fields)
    assert isinstance(endpoint, str) and p256dh is not None and auth is not None
    return SubscriptionKeys(endpoint=endpoint, p256dh=_unpadded(p256dh), auth=_unpadded(auth))


# --- Sending ---------------------------------------------------------------------------------


class PushOutcome(enum.StrEnum):
    SENT = "sent"
    GONE = "gone"
    RETRYABLE = "retryable"
    FAILED = "failed"


@dataclass(frozen=True)
class PushResult:
    outcome: PushOutcome
    status_code: int | None = None


class PushSender:
    """Sends notifications with one VAPID key and one HTTP session, so a batch of them
    reuses its connections to each push service. Use as a context manager."""

    def __init__(self, config: WebPushConfig) -> None:
        self.config = config
        self._vapid = Vapid.from_string(private_key=config.private_key)
        self._session = requests.Session()
        # A push service never redirects; following one would let an endpoint send the
        # server elsewhere.
        self._session.max_redirects = 0

    def __enter__(self) -> "PushSender":
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.close()

    def send(
        self, *, subscription: SubscriptionKeys, payload: dict[str, Any], topic: str
    ) -> PushResult:
        """POST one encrypted notification. `topic` (at most 32 base64url characters) lets
        the push service replace an older notification of the same topic not yet delivered.
        Never raises for what the push service or the network does."""
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=self._vapid,
                # A new dict each time: pywebpush fills in `aud` (the endpoint's origin) and
                # `exp` in place.
                vapid_claims={"sub": self.config.subject},
                content_encoding="aes128gcm",
                ttl=self.config.ttl_seconds,
                headers={"Urgency": "high", "Topic": topic},
                timeout=TIMEOUT,
                requests_session=self._session,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                return PushResult(PushOutcome.GONE, status)
            if status is not None and (status == 429 or status >= 500):
                return PushResult(PushOutcome.RETRYABLE, status)
            return PushResult(PushOutcome.FAILED, status)
        except requests.TooManyRedirects:
            return PushResult(PushOutcome.FAILED)
        except requests.RequestException:
            return PushResult(PushOutcome.RETRYABLE)
        except (ValueError, TypeError):  # keys the encryption refuses
            return PushResult(PushOutcome.FAILED)
        return PushResult(PushOutcome.SENT)


def vapid_key_pair() -> tuple[str, str]:
    """A new VAPID key pair as the settings want it: (public, private), base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _unpadded(public), _unpadded(private)
