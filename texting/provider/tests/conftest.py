"""A real provider sandbox process for the provider client's tests (no mocks).

One sandbox per test session, with OAuth2 client credentials enabled; every test starts
from `control.reset()`, our toll-free number owned, and an empty token cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from provider_sandbox.testing import SandboxProcess, running_sandbox
from texting.provider import ProviderClient, ProviderConfig, clear_token_cache

CLIENT_ID = "provider-client-tests"
CLIENT_SECRET = "provider-client-tests-secret"
APPLICATION_ID = "93de2206-9669-4e07-948d-329f4b722ee2"
OUR_NUMBER = "+18445550100"  # toll-free, owned by the account in every test
CONTACT = "+15554443333"  # delivers


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    state_dir = tmp_path_factory.mktemp("provider-sandbox")
    env = {"PROVIDER_CLIENT_ID": CLIENT_ID, "PROVIDER_CLIENT_SECRET": CLIENT_SECRET}
    with running_sandbox(state_dir=state_dir, env=env) as process:
        yield process


@pytest.fixture
def fresh_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.control.reset()
    sandbox.control.set_settings(
        block_unverified=False, verification_delay_seconds=0.3, token_ttl_seconds=3600
    )
    sandbox.control.own_number(OUR_NUMBER)
    clear_token_cache()
    return sandbox


class CountingAdapter(HTTPAdapter):
    """Our own instrumentation: records (method, path, status) of every request sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, int]] = []
        self.timeouts: list[Any] = []
        self.user_agents: list[str] = []

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.timeouts.append(kwargs.get("timeout"))
        self.user_agents.append(str(request.headers.get("User-Agent", "")))
        response = super().send(request, *args, **kwargs)
        self.sent.append((request.method or "", urlsplit(request.url).path, response.status_code))
        return response

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.sent if method is None or m == method]

    def token_requests(self) -> int:
        return sum(1 for _, p, _ in self.sent if p.endswith("/oauth2/token"))


@pytest.fixture
def counting() -> CountingAdapter:
    return CountingAdapter()


@pytest.fixture
def make_client(
    fresh_sandbox: SandboxProcess, counting: CountingAdapter
) -> Iterator[Callable[..., ProviderClient]]:
    """Build a client on the sandbox; keyword overrides go to ProviderConfig. Its session
    counts requests through `counting`."""
    clients: list[ProviderClient] = []

    def build(**overrides: Any) -> ProviderClient:
        options: dict[str, Any] = {
            "account_id": fresh_sandbox.account_id,
            "application_id": APPLICATION_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            **overrides,
        }
        session = requests.Session()
        session.mount("http://", counting)
        client = ProviderClient(ProviderConfig.for_origin(fresh_sandbox.url, **options), session)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def provider(make_client: Callable[..., ProviderClient]) -> ProviderClient:
    """An OAuth2 client on the sandbox."""
    return make_client()


@pytest.fixture
def basic_provider(
    make_client: Callable[..., ProviderClient], fresh_sandbox: SandboxProcess
) -> ProviderClient:
    """A client with HTTP Basic (the API user) instead of OAuth2."""
    return make_client(
        client_id="",
        client_secret="",
        username=fresh_sandbox.username,
        password=fresh_sandbox.password,
    )


def api_requests(sandbox: SandboxProcess) -> list[dict[str, Any]]:
    """The sandbox's log of provider API requests (control routes left out)."""
    return [r for r in sandbox.control.requests() if not r["path"].startswith("/sandbox/")]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
