"""A request id for every HTTP request, in its log lines and its response (issue 9).

The id comes from the `X-Request-ID` header a proxy or load balancer set, when it is a sane
token, or is made here; it is put in a context variable the log filter reads
(common.logging), carried into the tasks the request enqueues (config/celery.py), and sent
back in the response's `X-Request-ID`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from .logging import request_id_var
from .metrics import WEBHOOK_PATH_PREFIX, webhook_latency_observe

HEADER = "X-Request-ID"
# Anything else (too long, spaces, quotes, newlines that would forge log lines) is replaced.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_for(request: HttpRequest) -> str:
    """The incoming id when it is sane, a new uuid4 (hex) otherwise."""
    incoming = request.headers.get(HEADER, "")
    if _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every log line of the request carries the id.

    It also times provider webhooks for the latency histogram (common.metrics): being the
    outermost middleware, it sees the whole handling, every other middleware included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs a 4xx/5xx response after the middleware
        # returned; `request_finished` clears it once the response is closed.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        if request.path.startswith(WEBHOOK_PATH_PREFIX):
            webhook_latency_observe(request.path, time.perf_counter() - started)
        return response


def _request_id_cleared(**kwargs: Any) -> None:
    request_id_var.set(None)


request_finished.connect(_request_id_cleared, dispatch_uid="common.request_id.cleared")
