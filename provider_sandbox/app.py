"""The sandbox's WSGI application: routes, authentication, and the wire-level error bodies.

Every API route accepts HTTP Basic (the API user) or a Bearer token from the token endpoint;
a bad or missing credential is 401, a good one used on another account's path is 403. Routes
under /sandbox/ (except /sandbox/health) take the same credentials.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import control, media, messaging, numbers, verification
from .responses import forbidden, json_response, messaging_error, unauthorized
from .runtime import Sandbox

logger = logging.getLogger(__name__)

Handler = Callable[..., Response]
MAX_REQUEST_BYTES = 64 * 1024 * 1024

_API_RULES = [
    # (path, methods, endpoint)
    ("/api/v2/users/<account_id>/messages", ["POST"], "messages.send"),
    ("/api/v2/users/<account_id>/messages", ["GET"], "messages.list"),
    ("/api/v2/users/<account_id>/media", ["GET"], "media.list"),
    ("/api/v2/users/<account_id>/media/<path:media_id>", ["GET"], "media.get"),
    ("/api/v2/users/<account_id>/media/<path:media_id>", ["PUT"], "media.put"),
    ("/api/v2/users/<account_id>/media/<path:media_id>", ["DELETE"], "media.delete"),
    ("/api/v2/accounts/<account_id>/tollFreeVerification", ["POST"], "tfv.submit"),
    (
        "/api/v2/accounts/<account_id>/phoneNumbers/<phone>/tollFreeVerification",
        ["GET"],
        "tfv.status",
    ),
    (
        "/api/v2/accounts/<account_id>/phoneNumbers/<phone>/tollFreeVerification",
        ["PUT"],
        "tfv.resubmit",
    ),
    (
        "/api/v2/accounts/<account_id>/phoneNumbers/<phone>/tollFreeVerification",
        ["DELETE"],
        "tfv.delete",
    ),
    ("/api/v2/tollFreeVerification/useCases", ["GET"], "tfv.use_cases"),
    (
        "/api/v2/accounts/<account_id>/tollFreeVerification/webhooks/subscriptions",
        ["GET"],
        "tfv.subscriptions",
    ),
    (
        "/api/v2/accounts/<account_id>/tollFreeVerification/webhooks/subscriptions",
        ["POST"],
        "tfv.subscribe",
    ),
    (
        "/api/v2/accounts/<account_id>/tollFreeVerification/webhooks/subscriptions/<sub_id>",
        ["PUT"],
        "tfv.subscription_update",
    ),
    (
        "/api/v2/accounts/<account_id>/tollFreeVerification/webhooks/subscriptions/<sub_id>",
        ["DELETE"],
        "tfv.subscription_delete",
    ),
    # The numbers API lives under /api on dashboard.bandwidth.com and /api/v1 on api.bandwidth.com.
    ("/api/accounts/<account_id>/availableNumbers", ["GET"], "numbers.search"),
    ("/api/accounts/<account_id>/orders", ["POST"], "numbers.order"),
    ("/api/accounts/<account_id>/orders/<order_id>", ["GET"], "numbers.order_get"),
    ("/api/v1/accounts/<account_id>/availableNumbers", ["GET"], "numbers.search"),
    ("/api/v1/accounts/<account_id>/orders", ["POST"], "numbers.order"),
    ("/api/v1/accounts/<account_id>/orders/<order_id>", ["GET"], "numbers.order_get"),
    # Control API.
    ("/sandbox/reset", ["POST"], "control.reset"),
    ("/sandbox/faults", ["GET"], "control.faults"),
    ("/sandbox/faults", ["PUT"], "control.faults_put"),
    ("/sandbox/settings", ["GET"], "control.settings"),
    ("/sandbox/settings", ["PUT"], "control.settings_put"),
    ("/sandbox/numbers", ["GET"], "control.numbers"),
    ("/sandbox/numbers/<e164>", ["PUT"], "control.number_put"),
    ("/sandbox/verification/<e164>", ["PUT"], "control.verification_put"),
    ("/sandbox/inbound/messages", ["POST"], "control.inbound_message"),
    ("/sandbox/inbound/calls", ["POST"], "control.inbound_call"),
    ("/sandbox/messages", ["GET"], "control.messages"),
    ("/sandbox/callbacks", ["GET"], "control.callbacks"),
    ("/sandbox/calls", ["GET"], "control.calls"),
    ("/sandbox/tokens", ["GET"], "control.tokens"),
    ("/sandbox/requests", ["GET"], "control.requests"),
]

URL_MAP = Map(
    [
        Rule("/api/v1/oauth2/token", methods=["POST"], endpoint="oauth.token"),
        Rule("/sandbox/health", methods=["GET"], endpoint="control.health"),
        *(Rule(path, methods=methods, endpoint=endpoint) for path, methods, endpoint in _API_RULES),
    ],
    strict_slashes=False,
)


def _handlers(sb: Sandbox) -> dict[str, Handler]:
    """Endpoint name -> handler(request, **url values)."""
    return {
        "messages.send": lambda r, account_id: messaging.send(sb, r, account_id),
        "messages.list": lambda r, account_id: messaging.list_messages(sb, r, account_id),
        "media.list": lambda r, account_id: media.list_media(sb, r, account_id),
        "media.get": lambda r, account_id, media_id: media.download(sb, account_id, media_id),
        "media.put": lambda r, account_id, media_id: media.upload(sb, r, account_id, media_id),
        "media.delete": lambda r, account_id, media_id: media.delete(sb, account_id, media_id),
        "tfv.submit": lambda r, account_id: verification.submit(sb, r, account_id),
        "tfv.status": lambda r, account_id, phone: verification.status(sb, account_id, phone),
        "tfv.resubmit": lambda r, account_id, phone: verification.resubmit(
            sb, r, account_id, phone
        ),
        "tfv.delete": lambda r, account_id, phone: verification.delete(sb, account_id, phone),
        "tfv.use_cases": lambda r: verification.use_cases(),
        "tfv.subscriptions": lambda r, account_id: verification.list_subscriptions(sb, account_id),
        "tfv.subscribe": lambda r, account_id: verification.create_subscription(sb, r, account_id),
        "tfv.subscription_update": lambda r, account_id, sub_id: verification.update_subscription(
            sb, r, account_id, sub_id
        ),
        "tfv.subscription_delete": lambda r, account_id, sub_id: verification.delete_subscription(
            sb, account_id, sub_id
        ),
        "numbers.search": lambda r, account_id: numbers.search(sb, r, account_id),
        "numbers.order": lambda r, account_id: numbers.create_order(sb, r, account_id),
        "numbers.order_get": lambda r, account_id, order_id: numbers.get_order(
            sb, account_id, order_id
        ),
        "control.health": lambda r: control.health(),
        "control.reset": lambda r: control.reset(sb),
        "control.faults": lambda r: control.get_faults(sb),
        "control.faults_put": lambda r: control.put_faults(sb, r),
        "control.settings": lambda r: control.get_settings(sb),
        "control.settings_put": lambda r: control.put_settings(sb, r),
        "control.numbers": lambda r: control.list_numbers(sb),
        "control.number_put": lambda r, e164: control.own_number(sb, e164),
        "control.verification_put": lambda r, e164: control.put_verification(sb, r, e164),
        "control.inbound_message": lambda r: control.inbound_message(sb, r),
        "control.inbound_call": lambda r: control.inbound_call(sb, r),
        "control.messages": lambda r: control.list_messages(sb, r),
        "control.callbacks": lambda r: control.list_callbacks(sb, r),
        "control.calls": lambda r: control.list_calls(sb),
        "control.tokens": lambda r: control.list_tokens(sb),
        "control.requests": lambda r: json_response(list(sb.request_log())),
    }


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class SandboxApp:
    """WSGI callable. Thread-safe: all state lives in the Sandbox it wraps."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.handlers = _handlers(sandbox)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_REQUEST_BYTES
        generation = self.sandbox.generation
        auth_scheme, response = self._respond(request)
        self.sandbox.log_request(
            request.method,
            request.full_path.rstrip("?"),
            auth_scheme,
            response.status_code,
            generation,
        )
        return response(environ, start_response)

    def _respond(self, request: Request) -> tuple[str | None, Response]:
        adapter = URL_MAP.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return None, _not_found(request)
        except MethodNotAllowed:
            description = f"Request method '{request.method}' not supported"
            return None, messaging_error(405, "method-not-allowed", description)
        except HTTPException as exc:  # e.g. a redirect for a trailing slash
            return None, exc.get_response()  # type: ignore[return-value]
        if endpoint == "oauth.token":
            return "basic", self._token(request)
        scheme: str | None = None
        if endpoint != "control.health":
            scheme = self._authenticate(request)
            if scheme is None:
                return None, unauthorized()
            account = values.get("account_id")
            if account is not None and account != self.sandbox.config.account_id:
                return scheme, forbidden()
        try:
            return scheme, self.handlers[endpoint](request, **values)
        except HTTPException as exc:  # e.g. 413 from a body over MAX_REQUEST_BYTES
            return scheme, exc.get_response()  # type: ignore[return-value]
        except Exception:
            logger.exception("sandbox error on %s %s", request.method, endpoint)
            return scheme, messaging_error(500, "internal-server-error", "Something went wrong")

    def _authenticate(self, request: Request) -> str | None:
        """The scheme ("basic" or "bearer") of a valid credential, None otherwise."""
        auth = request.authorization
        config = self.sandbox.config
        if auth is None:
            return None
        if auth.type == "basic":
            ok = _same(auth.username or "", config.username) and _same(
                auth.password or "", config.password
            )
            return "basic" if ok else None
        if auth.type == "bearer" and auth.token:
            valid = self.sandbox.store.token_valid(auth.token, self.sandbox.now())
            return "bearer" if valid else None
        return None

    def _token(self, request: Request) -> Response:
        """POST /api/v1/oauth2/token: client credentials (Basic client_id:client_secret)."""
        auth = request.authorization
        config = self.sandbox.config
        if (
            auth is None
            or auth.type != "basic"
            or not _same(auth.username or "", config.client_id)
            or not _same(auth.password or "", config.client_secret)
        ):
            body = {"error": "invalid_client", "error_description": "Authentication Failed"}
            return json_response(body, 401, headers={"WWW-Authenticate": "Basic"})
        if request.form.get("grant_type") != "client_credentials":
            body = {
                "error": "unsupported_grant_type",
                "error_description": "grant_type must be client_credentials",
            }
            return json_response(body, 400)
        now = self.sandbox.now()
        ttl = self.sandbox.settings.token_ttl_seconds
        token = secrets.token_urlsafe(32)
        self.sandbox.store.add_token(token, now, now + ttl)
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": ttl})


def _not_found(request: Request) -> Response:
    """Spring-style 404, what Bandwidth's messaging API answers on an unknown path."""
    body = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": 404,
        "error": "Not Found",
        "message": "No message available",
        "path": request.path,
    }
    return json_response(body, 404)
