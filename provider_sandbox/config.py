"""The sandbox's configuration: one frozen value built at start-up (no Django needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Compressed version of "retry for 24 h": fast enough for tests and demos, still a backoff.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)

# Callbacks POSTed at the same time (one sender thread each), like the real provider does.
DEFAULT_CALLBACK_CONCURRENCY = 8

# Used in payloads the sandbox originates (inbound messages, calls) when no application id is
# configured; sends then accept any applicationId.
DEFAULT_APPLICATION_ID = "sandbox-application"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a sandbox process is started with.

    Values that may change while it runs (callback URL, rate limit, ...) start from here and
    are then held by `runtime.RuntimeSettings`; this object never changes.
    """

    host: str = "127.0.0.1"
    port: int = 8025
    # The app's base URL; callbacks go to {callback_url}/webhooks/provider/{messaging,...}.
    # None: callbacks are recorded but never sent.
    callback_url: str | None = None
    state_dir: Path = Path("var/provider-sandbox")
    account_id: str = "9900000"
    # Empty: any applicationId is accepted on send (DEFAULT_APPLICATION_ID in inbound events).
    application_id: str = ""
    username: str = "sandbox"
    password: str = "sandbox-password"
    # OAuth2 client credentials; empty client_id disables the token endpoint (401).
    client_id: str = ""
    client_secret: str = ""
    token_ttl_seconds: int = 3600
    # Basic auth the sandbox puts on every callback; empty username means no Authorization.
    webhook_username: str = ""
    webhook_password: str = ""
    verification_delay_seconds: float = 5.0
    block_unverified: bool = False
    rate_limit_segments_per_second: float = 10.0
    queue_size: int = 900
    callback_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    callback_retry_window_seconds: float = 24 * 60 * 60
    callback_timeout: float = 10.0
    # Sender threads, i.e. callbacks in flight at once (at least 1); fixed for the run.
    callback_concurrency: int = DEFAULT_CALLBACK_CONCURRENCY
    # How long the app has to answer a voice initiate callback (Bandwidth's default).
    voice_timeout: float = 15.0
    # Seed of the RNG behind fault rates, so a test run is reproducible.
    fault_seed: int = 0
    # Fault settings applied at start (same keys as PUT /sandbox/faults).
    initial_faults: dict[str, object] = field(default_factory=dict, hash=False)
    # Base URL used in media links; None: http://{host}:{bound port}.
    public_url: str | None = None

    @property
    def effective_application_id(self) -> str:
        return self.application_id or DEFAULT_APPLICATION_ID
