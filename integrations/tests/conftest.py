"""Local HTTP receivers for the webhook tests: the one docs/webhooks.md gives to integrators
(its exact code, read from the doc), and a scripted one that answers as told."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_scopes import scope

from accounts.models import Firm, User
from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.services import webhook_endpoint_create
from integrations.tasks import webhook_deliver_task

DOC = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


def doc_receiver_code() -> str:
    """The receiver of docs/webhooks.md, exactly as the doc prints it."""
    text = DOC.read_text()
    start = text.index("```python\nimport hashlib") + len("```python\n")
    return text[start : text.index("```", start)]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DocReceiver(_Server):
    """docs/webhooks.md's receiver, run as written; `handled` is what its `handle` got."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__name__": "webhook_receiver"}
        exec(doc_receiver_code(), self.namespace)
        self.handled: list[tuple[str, dict[str, Any]]] = []
        self.namespace["handle"] = lambda event_id, event: self.handled.append((event_id, event))

        class Quiet(self.namespace["Receiver"]):  # type: ignore[name-defined,misc]
            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Quiet)

    def use_secret(self, secret: str) -> None:
        self.namespace["SECRET"] = secret.encode()


@dataclass
class ScriptedReceiver:
    """Answers the statuses in `script` in turn (then 200) and records every request."""

    script: list[int] = field(default_factory=list)
    received: list[Request] = field(default_factory=list)

    def start(self) -> "ScriptedReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Request(self.path, headers, body))
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(Handler)
        self.url = self._server.url
        return self


@pytest.fixture
def doc_receiver() -> Iterator[DocReceiver]:
    receiver = DocReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def scripted() -> Iterator[ScriptedReceiver]:
    receiver = ScriptedReceiver().start()
    yield receiver
    receiver._server.stop()


def endpoint_for(
    firm: Firm, url: str, events: list[str], actor: User | None = None
) -> tuple[WebhookEndpoint, str]:
    with scope(firm=firm.id):
        return webhook_endpoint_create(firm=firm, actor=actor, url=url, events=events)


def deliveries_of(firm: Firm, **filters: Any) -> list[WebhookDelivery]:
    with scope(firm=firm.id):
        return list(
            WebhookDelivery.objects.filter(**filters)
            .select_related("event", "endpoint")
            .order_by("id")
        )


def deliver_pending(firm: Firm) -> list[WebhookDelivery]:
    """Run the deliver task, as a worker would, for every pending delivery of `firm`."""
    for delivery in deliveries_of(firm, status=WebhookDelivery.Status.PENDING):
        webhook_deliver_task(firm.id, delivery.id)
    return deliveries_of(firm)


def enqueued_deliveries(callbacks: list[Any]) -> list[tuple[Any, ...]]:
    """Args of each `webhook_deliver_task.delay_on_commit(...)` captured."""
    return [
        tuple(cb.args)
        for cb in callbacks
        if getattr(cb.func, "__self__", None) is not None
        and cb.func.__self__.name == "integrations.webhook_deliver"
    ]
