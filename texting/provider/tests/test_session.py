"""The provider client's session reads the proxy environment once per host, and still
applies it per host as requests does (NO_PROXY included)."""

from typing import Any

import pytest
import requests

from texting.provider.session import EnvironmentOnceSession

# Nothing listens here: a request sent through this "proxy" fails with a ProxyError.
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture
def proxied_env(monkeypatch: Any) -> Any:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    return monkeypatch


def test_proxies_and_no_proxy_apply_per_host(proxied_env: Any, sandbox: Any) -> None:
    session = EnvironmentOnceSession()
    assert session.get(f"{sandbox.url}/sandbox/health", timeout=5).ok  # NO_PROXY: direct
    port = sandbox.url.rsplit(":", 1)[1]
    with pytest.raises(requests.exceptions.ProxyError):  # another host: through the proxy
        session.get(f"http://localhost:{port}/sandbox/health", timeout=5)


def test_the_environment_is_read_once_per_host(proxied_env: Any, sandbox: Any) -> None:
    session = EnvironmentOnceSession()
    port = sandbox.url.rsplit(":", 1)[1]
    with pytest.raises(requests.exceptions.ProxyError):
        session.get(f"http://localhost:{port}/sandbox/health", timeout=5)
    proxied_env.delenv("HTTP_PROXY")
    with pytest.raises(requests.exceptions.ProxyError):  # the answer kept for this host
        session.get(f"http://localhost:{port}/sandbox/health", timeout=5)
    assert requests.Session().get(f"http://localhost:{port}/sandbox/health", timeout=5).ok
