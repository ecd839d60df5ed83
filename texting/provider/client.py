"""The provider client: everything the product does with the SMS provider goes through it.

A thin client on `requests` for Bandwidth's published APIs (PROVIDER_API.md): messaging
(send, list, media download), toll-free verification, and toll-free number search/order
(XML). One `requests.Session` per client; `(connect, read)` timeout on every call;
redirects never followed; responses become frozen dataclasses (types.py); failures become
the exception family of errors.py (see transport.py for the mapping).

Logging: ids, status codes and masked numbers (last 4 digits) only — never message text.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, unquote, urlsplit

import requests

from .auth import bearer_token_of, build_auth
from .config import ProviderConfig
from .errors import (
    FieldError,
    MediaTooLarge,
    OutcomeUnknown,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from .failure_reasons import FailureReason
from .protocol import SmsProvider
from .session import EnvironmentOnceSession
from .transport import close_quietly, raise_for_response, translate_exception
from .types import (
    AvailableNumbers,
    MalformedResponse,
    MediaFile,
    MessagePage,
    NumberOrder,
    SentMessage,
    VerificationRequest,
    VerificationStatus,
    WebhookSubscription,
)
from .util import checked_media_url, e164_to_nanp, is_e164, mask_number

logger = logging.getLogger(__name__)

__all__ = ["ProviderClient", "SmsProvider"]

T = TypeVar("T")

MAX_RECIPIENTS = 10
MAX_TEXT_CHARS = 2048
MAX_TAG_CHARS = 1024
PRIORITIES = ("default", "high")
USER_AGENT = "firm-texting/0.1 (+python-requests)"

# Query parameters of GET /users/{accountId}/messages (Bandwidth spec), by snake_case name.
_LIST_FILTERS = (
    "messageId",
    "sourceTn",
    "destinationTn",
    "messageStatus",
    "messageDirection",
    "carrierName",
    "messageType",
    "errorCode",
    "fromDateTime",
    "toDateTime",
    "campaignId",
    "fromBwLatency",
    "bwQueued",
    "product",
    "location",
    "callingNumberCountryA3",
    "calledNumberCountryA3",
    "fromSegmentCount",
    "toSegmentCount",
    "fromMessageSize",
    "toMessageSize",
    "sort",
    "pageToken",
    "limit",
    "limitTotalCount",
)
_SNAKE_TO_CAMEL = {re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower(): n for n in _LIST_FILTERS}

_TF_PATTERN_RE = re.compile(r"^8[0-9*]{2}$")
_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SECRET_RE = re.compile(r"^[\x21-\x7e]{16,64}$")


def _reject(operation: str, *errors: FieldError, reason: FailureReason | None = None) -> NoReturn:
    raise ProviderRejected(
        "; ".join(f"{e.field}: {e.description}" for e in errors) or "invalid request",
        operation=operation,
        error_type="local-validation",
        field_errors=errors,
        failure_reason=reason,
    )


def _safe_filename(segment: str) -> str:
    name = unquote(segment).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:255] or "media"


def _format_filter(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("list_messages datetimes must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


class ProviderClient:
    """Bandwidth (or the provider sandbox) over HTTP. Thread-safe enough for one client
    per worker thread; cheap to build per task with `from_settings()` (tokens are cached
    per process, not per client)."""

    def __init__(self, config: ProviderConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session if session is not None else EnvironmentOnceSession()
        if str(self.session.headers.get("User-Agent", "")).startswith("python-requests"):
            self.session.headers["User-Agent"] = USER_AGENT
        self._auth, self._tokens = build_auth(config, self.session)
        account = quote(config.account_id, safe="")
        self._messaging = f"{config.messaging_url}/users/{account}"
        self._tfv = f"{config.verification_url}/accounts/{account}"
        self._numbers = f"{config.numbers_url}/accounts/{account}"

    @classmethod
    def from_settings(cls, session: requests.Session | None = None) -> ProviderClient:
        return cls(ProviderConfig.from_settings(), session=session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def media_prefix(self) -> str:
        """Only URLs under this prefix are ever fetched by download_media."""
        return f"{self._messaging}/media/"

    # --- transport ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        idempotent: bool,
        json: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One API call, with one re-try after a 401 under OAuth (fresh token). Raises the
        classified ProviderError; returns the 2xx response (caller closes if streaming)."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        for attempt in (1, 2):
            try:
                resp = self.session.request(
                    method,
                    url,
                    json=json,
                    data=data,
                    params=params,
                    headers=all_headers,
                    auth=self._auth,
                    timeout=self.config.timeout,
                    allow_redirects=False,
                    stream=stream,
                )
            except requests.RequestException as exc:
                error = translate_exception(exc, operation=operation, idempotent=idempotent)
                logger.warning(
                    "provider %s failed before a response: %s (%s)",
                    operation,
                    error.kind,
                    type(exc).__name__,
                )
                # Not chained: a requests exception carries the request (URL, body with
                # the message text and numbers), which must not reach logs or Sentry.
                raise error from None
            if resp.status_code == 401 and self._tokens is not None and attempt == 1:
                # The token may have been revoked or expired early; a 401 means the request
                # was not processed, so one re-try with a fresh token is safe even for a POST.
                used = bearer_token_of(resp.request)
                if used:
                    self._tokens.invalidate(used)
                close_quietly(resp)
                logger.info("provider %s got 401; retrying once with a new token", operation)
                continue
            break
        try:
            raise_for_response(resp, operation)
        except ProviderError as error:
            close_quietly(resp)
            logger.warning(
                "provider %s -> HTTP %s %s %s",
                operation,
                resp.status_code,
                error.kind,
                getattr(error, "error_type", ""),
            )
            raise
        logger.debug("provider %s -> HTTP %s", operation, resp.status_code)
        return resp

    def _parse(
        self,
        resp: requests.Response,
        parse: Callable[[requests.Response], T],
        *,
        operation: str,
        idempotent: bool,
    ) -> T:
        """Turn a 2xx body into a result. Unreadable after a non-idempotent call means the
        provider accepted something we cannot identify: outcome unknown, not a re-send."""
        try:
            return parse(resp)
        except (MalformedResponse, ValueError) as exc:
            reason = str(exc) if isinstance(exc, MalformedResponse) else "body is not JSON"
            logger.warning("provider %s: unreadable 2xx body (%s)", operation, reason)
            if idempotent:
                raise ProviderUnavailable(
                    f"unreadable response: {reason}",
                    operation=operation,
                    http_status=resp.status_code,
                ) from None
            raise OutcomeUnknown(
                f"accepted but unreadable response: {reason}",
                operation=operation,
                http_status=resp.status_code,
            ) from None
        finally:
            close_quietly(resp)

    # --- messaging ---------------------------------------------------------------------------

    def send_message(
        self,
        *,
        from_number: str,
        to: str | Sequence[str],
        text: str,
        tag: str,
        priority: str = "default",
    ) -> SentMessage:
        """Queue one SMS (group MMS when several recipients). Validates locally first
        (E.164, ≤10 unique recipients, 1..2048 chars of text, tag 1..1024 chars, priority):
        ProviderRejected without any network call. 202 → SentMessage (queued only; the
        outcome comes by callback with our `tag`).

        Raises ProviderRejected/ProviderAuthError (final), ProviderUnavailable (retry),
        OutcomeUnknown (sent, answer lost: wait for the callback carrying `tag`).
        """
        op = "send_message"
        recipients = [to] if isinstance(to, str) else list(to)
        errors: list[FieldError] = []
        reason: FailureReason | None = None
        if not self.config.application_id:
            errors.append(FieldError("applicationId", "PROVIDER_APPLICATION_ID is not set"))
        if not is_e164(from_number):
            errors.append(FieldError("from", "not an E.164 number"))
        if not recipients:
            errors.append(FieldError("to", "no recipient"))
        elif len(recipients) > MAX_RECIPIENTS:
            errors.append(FieldError("to", f"more than {MAX_RECIPIENTS} recipients"))
        invalid = [r for r in recipients if not is_e164(r)]
        if invalid:
            errors.append(FieldError("to", f"{len(invalid)} recipient(s) not E.164"))
            reason = FailureReason.UNREACHABLE_NUMBER
        elif len(set(recipients)) != len(recipients):
            errors.append(FieldError("to", "duplicate recipients"))
        if not isinstance(text, str) or not text:
            errors.append(FieldError("text", "empty"))
        elif len(text) > MAX_TEXT_CHARS:
            errors.append(FieldError("text", f"longer than {MAX_TEXT_CHARS} characters"))
        if not isinstance(tag, str) or not tag:
            errors.append(FieldError("tag", "empty (every send carries our id as tag)"))
        elif len(tag) > MAX_TAG_CHARS:
            errors.append(FieldError("tag", f"longer than {MAX_TAG_CHARS} characters"))
        if priority not in PRIORITIES:
            errors.append(FieldError("priority", "not default/high"))
        if errors:
            logger.info("provider %s refused locally: %s", op, [e.field for e in errors])
            _reject(op, *errors, reason=reason)

        body = {
            "applicationId": self.config.application_id,
            "to": recipients,
            "from": from_number,
            "text": text,
            "tag": tag,
            "priority": priority,
        }
        resp = self._send(
            "POST", f"{self._messaging}/messages", operation=op, idempotent=False, json=body
        )
        sent = self._parse(
            resp, lambda r: SentMessage.from_json(r.json()), operation=op, idempotent=False
        )
        logger.info(
            "provider %s accepted id=%s to=%s segments=%s tag=%s",
            op,
            sent.id,
            ",".join(mask_number(n) for n in sent.to),
            sent.segment_count,
            (sent.tag or "")[:64],
        )
        return sent

    def list_messages(self, **filters: Any) -> MessagePage:
        """`GET /users/{accountId}/messages` — metadata only (no text). Filters by the API's
        names in snake_case or camelCase (`destination_tn=`, `message_status=`,
        `from_date_time=` aware datetime, `page_token=`, `limit=` ...)."""
        op = "list_messages"
        params: dict[str, str] = {}
        for key, value in filters.items():
            name = key if key in _LIST_FILTERS else _SNAKE_TO_CAMEL.get(key)
            if name is None:
                raise TypeError(f"list_messages() got an unknown filter {key!r}")
            if value is not None:
                params[name] = _format_filter(value)
        resp = self._send(
            "GET", f"{self._messaging}/messages", operation=op, idempotent=True, params=params
        )
        return self._parse(
            resp, lambda r: MessagePage.from_json(r.json()), operation=op, idempotent=True
        )

    def _checked_media_url(self, media_url: str, operation: str) -> tuple[str, str]:
        try:
            return checked_media_url(self.media_prefix, media_url)
        except ValueError as exc:
            logger.warning("provider %s refused a media URL: %s", operation, exc)
            raise ProviderRejected(
                f"media URL refused: {exc}", operation=operation, error_type="forbidden-media-url"
            ) from None

    def download_media(self, media_url: str, *, max_bytes: int) -> MediaFile:
        """Download one media file of an inbound MMS, with API credentials.

        Only URLs whose origin and path prefix equal `{messaging}/users/{accountId}/media/`
        are fetched; anything else raises ProviderRejected(error_type="forbidden-media-url")
        before any request. Streams and aborts with MediaTooLarge past `max_bytes` (also
        when Content-Length already says so). `content_type` is the declared type without
        parameters (guessed from the file name when absent or application/octet-stream);
        `filename` is the URL's last segment. Network failures are ProviderUnavailable.
        """
        op = "download_media"
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        url, media_id = self._checked_media_url(media_url, op)
        deadline = time.monotonic() + self.config.media_deadline
        resp = self._send(
            "GET", url, operation=op, idempotent=True, stream=True, headers={"Accept": "*/*"}
        )
        try:
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise MediaTooLarge(operation=op, max_bytes=max_bytes, declared=int(declared))
            chunks: list[bytes] = []
            total = 0
            for chunk in resp.iter_content(chunk_size=64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise MediaTooLarge(operation=op, max_bytes=max_bytes)
                if time.monotonic() > deadline:
                    raise ProviderUnavailable("media download too slow", operation=op)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise translate_exception(exc, operation=op, idempotent=True) from None
        except MediaTooLarge:
            logger.warning("provider %s aborted: larger than %s bytes", op, max_bytes)
            raise
        finally:
            close_quietly(resp)
        filename = _safe_filename(media_id.rsplit("/", 1)[-1])
        content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        logger.info("provider %s ok bytes=%s type=%s", op, total, content_type)
        return MediaFile(
            content=b"".join(chunks),
            content_type=content_type,
            filename=filename,
            media_id=media_id,
        )

    # --- toll-free verification --------------------------------------------------------------

    def _tfv_number_url(self, phone_number: str, operation: str) -> str:
        if not is_e164(phone_number):
            _reject(operation, FieldError("phoneNumber", "not an E.164 number"))
        return f"{self._tfv}/phoneNumbers/{quote(phone_number, safe='')}/tollFreeVerification"

    def tfv_submit(self, request: VerificationRequest | Mapping[str, Any]) -> None:
        """Submit a toll-free verification request (202, empty body). The number goes
        PENDING; the decision comes by webhook (tfv_subscribe_webhook) or tfv_status."""
        op = "tfv_submit"
        body = request.to_json() if isinstance(request, VerificationRequest) else dict(request)
        numbers = body.get("phoneNumbers")
        if not isinstance(numbers, list) or not 1 <= len(numbers) <= 10:
            _reject(op, FieldError("phoneNumbers", "1 to 10 toll-free numbers"))
        elif not all(is_e164(n) for n in numbers):
            _reject(op, FieldError("phoneNumbers", "not E.164"))
        resp = self._send(
            "POST", f"{self._tfv}/tollFreeVerification", operation=op, idempotent=False, json=body
        )
        close_quietly(resp)
        logger.info("provider %s accepted numbers=%s", op, [mask_number(n) for n in numbers])

    def tfv_status(self, phone_number: str) -> VerificationStatus:
        """The number's verification status (PENDING / VERIFIED / UNVERIFIED + denial)."""
        op = "tfv_status"
        resp = self._send(
            "GET", self._tfv_number_url(phone_number, op), operation=op, idempotent=True
        )
        return self._parse(
            resp, lambda r: VerificationStatus.from_json(r.json()), operation=op, idempotent=True
        )

    def tfv_resubmit(
        self, phone_number: str, submission: VerificationRequest | Mapping[str, Any]
    ) -> None:
        """Resubmit a denied request (allowed only when `resubmit_allowed`, within 7 days of
        the decision; the provider refuses otherwise → ProviderRejected)."""
        op = "tfv_resubmit"
        url = self._tfv_number_url(phone_number, op)
        if isinstance(submission, VerificationRequest):
            body = submission.to_json(include_phone_numbers=False)
        else:
            body = {k: v for k, v in dict(submission).items() if k != "phoneNumbers"}
        resp = self._send("PUT", url, operation=op, idempotent=False, json={"submission": body})
        close_quietly(resp)
        logger.info("provider %s accepted number=%s", op, mask_number(phone_number))

    def tfv_subscribe_webhook(
        self,
        callback_url: str,
        username: str | None = None,
        password: str | None = None,
        shared_secret: str | None = None,
    ) -> WebhookSubscription:
        """Subscribe `callback_url` to verification status changes (one subscription covers
        the account). Basic credentials and the HMAC shared secret (16–64 printable ASCII)
        are optional."""
        op = "tfv_subscribe_webhook"
        parts = urlsplit(callback_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            _reject(op, FieldError("callbackUrl", "not an http(s) URL"))
        if (username is None) != (password is None):
            _reject(op, FieldError("basicAuthentication", "username and password go together"))
        if shared_secret is not None and not _SECRET_RE.fullmatch(shared_secret):
            _reject(op, FieldError("sharedSecretKey", "16-64 printable ASCII characters"))
        body: dict[str, Any] = {"callbackUrl": callback_url}
        if username is not None:
            body["basicAuthentication"] = {"username": username, "password": password}
        if shared_secret is not None:
            body["sharedSecretKey"] = shared_secret
        resp = self._send(
            "POST",
            f"{self._tfv}/tollFreeVerification/webhooks/subscriptions",
            operation=op,
            idempotent=False,
            json=body,
        )
        return self._parse(
            resp, lambda r: WebhookSubscription.from_json(r.json()), operation=op, idempotent=False
        )

    def tfv_webhook_subscriptions(self) -> list[WebhookSubscription]:
        op = "tfv_webhook_subscriptions"
        resp = self._send(
            "GET",
            f"{self._tfv}/tollFreeVerification/webhooks/subscriptions",
            operation=op,
            idempotent=True,
        )
        return self._parse(
            resp,
            lambda r: WebhookSubscription.list_from_json(r.json()),
            operation=op,
            idempotent=True,
        )

    # --- numbers (XML) -----------------------------------------------------------------------

    def search_toll_free(self, pattern: str = "8**", quantity: int = 1) -> list[str]:
        """Available toll-free numbers (E.164) matching a wildcard like `8**` or `84*`.
        Not reserved: order them with order_numbers()."""
        op = "search_toll_free"
        if not _TF_PATTERN_RE.fullmatch(pattern):
            _reject(op, FieldError("tollFreeWildCardPattern", "like 8** or 84*"))
        if not 1 <= quantity <= 5000:
            _reject(op, FieldError("quantity", "1 to 5000"))
        resp = self._send(
            "GET",
            f"{self._numbers}/availableNumbers",
            operation=op,
            idempotent=True,
            params={"tollFreeWildCardPattern": pattern, "quantity": str(quantity)},
            headers={"Accept": "application/xml"},
        )
        found = self._parse(
            resp, lambda r: AvailableNumbers.from_xml(r.content), operation=op, idempotent=True
        )
        return list(found.numbers)

    def order_numbers(
        self, numbers: Sequence[str], *, site_id: str, peer_id: str, name: str | None = None
    ) -> NumberOrder:
        """Order specific numbers (E.164 in, 10-digit on the wire). Poll order_status()
        until `done` (COMPLETE / PARTIAL / FAILED)."""
        op = "order_numbers"
        if isinstance(numbers, str):
            numbers = [numbers]
        if not numbers:
            _reject(op, FieldError("TelephoneNumberList", "no number"))
        try:
            ten_digit = [e164_to_nanp(n) for n in numbers]
        except ValueError:
            _reject(op, FieldError("TelephoneNumber", "not a +1 E.164 number"))
        if not site_id or not peer_id:
            _reject(op, FieldError("SiteId", "SiteId and PeerId are required"))
        root = ET.Element("Order")
        ET.SubElement(root, "Name").text = (name or "firm-texting")[:50]
        ET.SubElement(root, "SiteId").text = str(site_id)
        ET.SubElement(root, "PeerId").text = str(peer_id)
        kind = ET.SubElement(root, "ExistingTelephoneNumberOrderType")
        tn_list = ET.SubElement(kind, "TelephoneNumberList")
        for tn in ten_digit:
            ET.SubElement(tn_list, "TelephoneNumber").text = tn
        payload = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        resp = self._send(
            "POST",
            f"{self._numbers}/orders",
            operation=op,
            idempotent=False,
            data=payload,
            headers={"Content-Type": "application/xml", "Accept": "application/xml"},
        )
        location_id = resp.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        order = self._parse(
            resp,
            lambda r: NumberOrder.from_xml(r.content, fallback_id=location_id),
            operation=op,
            idempotent=False,
        )
        logger.info("provider %s id=%s status=%s", op, order.id, order.status)
        return order

    def order_status(self, order_id: str) -> NumberOrder:
        op = "order_status"
        if not _ORDER_ID_RE.fullmatch(order_id or ""):
            _reject(op, FieldError("orderId", "not an order id"))
        resp = self._send(
            "GET",
            f"{self._numbers}/orders/{order_id}",
            operation=op,
            idempotent=True,
            headers={"Accept": "application/xml"},
        )
        return self._parse(
            resp,
            lambda r: NumberOrder.from_xml(r.content, fallback_id=order_id),
            operation=op,
            idempotent=True,
        )
