"""What every part of a running sandbox shares: config, store, live settings, faults, clock."""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from .config import SandboxConfig
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .store import Store

MESSAGING_PATH = "/webhooks/provider/messaging"
VERIFICATION_PATH = "/webhooks/provider/verification"
VOICE_PATH = "/webhooks/provider/voice"
REQUEST_LOG_SIZE = 1000
CALLBACK_PATHS = {
    "messaging": MESSAGING_PATH,
    "verification": VERIFICATION_PATH,
    "voice": VOICE_PATH,
}


class SettingsError(ValueError):
    """A runtime setting has the wrong type or range; the message is a sentence."""


@dataclass(frozen=True)
class RuntimeSettings:
    """The settings PUT /sandbox/settings may change while the sandbox runs."""

    callback_url: str | None
    block_unverified: bool
    verification_delay_seconds: float
    rate_limit_segments_per_second: float
    queue_size: int
    callback_retry_schedule: tuple[float, ...]
    token_ttl_seconds: int

    @classmethod
    def from_config(cls, config: SandboxConfig) -> RuntimeSettings:
        return cls(
            callback_url=_strip_slash(config.callback_url),
            block_unverified=config.block_unverified,
            verification_delay_seconds=config.verification_delay_seconds,
            rate_limit_segments_per_second=config.rate_limit_segments_per_second,
            queue_size=config.queue_size,
            callback_retry_schedule=tuple(config.callback_retry_schedule),
            token_ttl_seconds=config.token_ttl_seconds,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["callback_retry_schedule"] = list(self.callback_retry_schedule)
        return data

    def updated(self, changes: dict[str, Any]) -> RuntimeSettings:
        """A copy with `changes` applied; raises SettingsError naming the first bad key."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise SettingsError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            clean[key] = _check_setting(key, value)
        return replace(self, **clean)


def _strip_slash(url: str | None) -> str | None:
    return url.rstrip("/") if url else None


def _number(key: str, value: Any, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise SettingsError(f"{key} must be a number of at least {minimum:g}.")
    return float(value)


def _check_setting(key: str, value: Any) -> Any:
    if key == "callback_url":
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise SettingsError("callback_url must be an http(s) URL or null.")
        return _strip_slash(value)
    if key == "block_unverified":
        if not isinstance(value, bool):
            raise SettingsError("block_unverified must be true or false.")
        return value
    if key in ("queue_size", "token_ttl_seconds"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SettingsError(f"{key} must be a whole number of at least 0.")
        return value
    if key == "callback_retry_schedule":
        if not isinstance(value, list | tuple) or not value:
            raise SettingsError("callback_retry_schedule must be a non-empty list of seconds.")
        return tuple(_number(key, item, 0.0) for item in value)
    return _number(key, value, 0.0)


class Sandbox:
    """The shared services of one running sandbox; thread-safe.

    `public_url` is set by the server once the port is bound; `wake` is replaced by the
    dispatcher so that new callbacks are sent without waiting for its next poll.
    """

    def __init__(self, config: SandboxConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self._lock = threading.Lock()
        self._settings = RuntimeSettings.from_config(config)
        self.faults = FaultInjector(seed=config.fault_seed)
        if config.initial_faults:
            self.faults.update(dict(config.initial_faults))
        self.limiter = RateLimiter(config.rate_limit_segments_per_second, config.queue_size)
        self.public_url = config.public_url or f"http://{config.host}:{config.port}"
        # Set by the callback dispatcher: every thread looks for work / one sender does.
        self.wake: Callable[[], None] = lambda: None
        self.wake_sender: Callable[[], None] = lambda: None
        # The last API requests (not persisted): lets tests see e.g. that a token was reused.
        self._requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._generation = 0

    @property
    def settings(self) -> RuntimeSettings:
        with self._lock:
            return self._settings

    def update_settings(self, changes: dict[str, Any]) -> RuntimeSettings:
        with self._lock:
            new = self._settings.updated(changes)
            rate_changed = (
                new.rate_limit_segments_per_second != self._settings.rate_limit_segments_per_second
                or new.queue_size != self._settings.queue_size
            )
            self._settings = new
        if rate_changed:
            self.limiter.configure(new.rate_limit_segments_per_second, new.queue_size)
        self.wake()
        return new

    def reset(self) -> None:
        """Forget the state tests create; keep the configuration and live settings."""
        self.store.reset()
        self.faults.reset()
        with self._lock:
            self._requests.clear()
            self._generation += 1
        settings = self.settings
        self.limiter.configure(settings.rate_limit_segments_per_second, settings.queue_size)
        self.wake()

    @property
    def generation(self) -> int:
        """Bumped by every reset; a request that started before it is not logged after it."""
        with self._lock:
            return self._generation

    def log_request(
        self, method: str, path: str, auth: str | None, status: int, generation: int
    ) -> None:
        entry = {
            "time": iso(self.now()),
            "method": method,
            "path": path,
            "auth": auth,
            "status": status,
        }
        with self._lock:
            # A slow request (send_delay_seconds) may end after the reset of the next test.
            if generation == self._generation:
                self._requests.append(entry)

    def request_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    @staticmethod
    def now() -> float:
        return time.time()


def iso(timestamp: float) -> str:
    """ISO-8601 UTC with milliseconds and a Z, like Bandwidth's `time` fields."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_message_id(timestamp: float) -> str:
    """13-digit epoch milliseconds + 16 lowercase alphanumerics, Bandwidth's id shape."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
    return f"{int(timestamp * 1000):013d}{suffix}"
