"""gunicorn's settings in production: `gunicorn config.wsgi -c python:config.gunicorn`.

Access lines are JSON like the app's own log lines, and carry nothing a log must not hold:
no query string (a search for a client's number is in it), no referrer or user agent, and
a payment link's token cut out of its path (anyone with it could pay the firm's bill page
and read the amount due). Numbers that still look like phones are masked.
"""

import json
import re
import time
from typing import Any

from gunicorn.glogging import Logger

from common.logging import JsonFormatter, log_time, mask_phone_numbers

accesslog = "-"
logger_class = "config.gunicorn.AccessJsonLogger"
# gunicorn's own lines (worker boot, timeouts) go to stderr; the app's to stdout.
errorlog = "-"

_PAY_TOKEN = re.compile(r"^/pay/[^/]+")


def path_for_log(path: str) -> str:
    """The request path as an access line may show it."""
    return mask_phone_numbers(_PAY_TOKEN.sub("/pay/<token>", path or ""))


class AccessJsonLogger(Logger):
    """gunicorn's Logger with one JSON object per request instead of the Apache line, and
    its own lines (workers booting, timeouts) as JSON through the app's formatter."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in resp.headers)
        method, path = environ.get("REQUEST_METHOD", ""), path_for_log(environ.get("PATH_INFO", ""))
        line = {
            "time": log_time(time.time()),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{method} {path} {status}",
            "method": method,
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": headers.get("x-request-id"),
        }
        self.access_log.info(json.dumps(line))
