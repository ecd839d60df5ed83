"""A running sandbox: HTTP server (Werkzeug, threaded) + callback dispatcher over one store.

Plain Python; `SandboxServer(config)` binds the port at once (so `url` is known, also for
port 0), `start()` serves in background threads, `shutdown()` stops serving, lets the
dispatcher's sender threads finish the callbacks they are sending and closes the database.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import verification
from .app import SandboxApp
from .callbacks import CallbackDispatcher
from .config import SandboxConfig
from .masking import mask_numbers_in
from .runtime import Sandbox
from .store import Store

logger = logging.getLogger(__name__)


class MaskingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request log, with phone numbers in paths and queries masked."""

    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(type, "%s", mask_numbers_in(message % args if args else message))


class SandboxServer:
    """One sandbox process's worth of machinery; usable as a context manager."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.state_dir)
        self.sandbox = Sandbox(config, self.store)
        self.app = SandboxApp(self.sandbox)
        self.dispatcher = CallbackDispatcher(
            self.sandbox, tickers=[partial(verification.decide_due, self.sandbox)]
        )
        self._http: BaseWSGIServer = make_server(
            config.host,
            config.port,
            self.app,
            threaded=True,
            request_handler=MaskingRequestHandler,
        )
        host = "127.0.0.1" if config.host in ("", "0.0.0.0", "::") else config.host  # noqa: S104
        self.url = f"http://{host}:{self._http.server_port}"
        if not config.public_url:
            self.sandbox.public_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_port)

    def start(self) -> None:
        """Start the dispatcher and serve HTTP in a background thread."""
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="sandbox-http", daemon=True
        )
        self._thread.start()
        logger.info("provider sandbox serving on %s (state in %s)", self.url, self.config.state_dir)

    def shutdown(self) -> None:
        """Stop accepting requests, stop the dispatcher (in-flight POSTs finish), close the
        store. Idempotent."""
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(10)
            self._thread = None
        self._http.server_close()
        self.dispatcher.stop()
        self.store.close()
        logger.info("provider sandbox stopped")

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()
