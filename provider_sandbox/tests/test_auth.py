"""Authentication of the provider API and the control API (real process, real HTTP)."""

from __future__ import annotations

import requests

from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, CLIENT_ID, CLIENT_SECRET, Api

UNAUTHORIZED = {"type": "unauthorized", "description": "Authentication Failed"}


def _token(
    sandbox: SandboxProcess,
    client_id: str = CLIENT_ID,
    secret: str = CLIENT_SECRET,
    grant: str = "client_credentials",
) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/api/v1/oauth2/token",
        auth=(client_id, secret),
        data={"grant_type": grant},
        timeout=5,
    )


def test_basic_auth_is_accepted(api: Api) -> None:
    assert api.send().status_code == 202


def test_wrong_or_missing_credentials_get_401(api: Api) -> None:
    url = api.url(f"/api/v2/users/{ACCOUNT}/messages")
    wrong = requests.get(url, auth=("sandbox", "wrong"), timeout=5)
    missing = requests.get(url, timeout=5)
    bearer = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=5)
    for response in (wrong, missing, bearer):
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_valid_credentials_on_another_account_get_403(api: Api) -> None:
    response = api.session.get(api.url("/api/v2/users/1234567/messages"), timeout=5)
    assert response.status_code == 403
    assert response.json() == {"type": "forbidden", "description": "Access Denied"}


def test_oauth2_token_works_as_bearer(sandbox: SandboxProcess, api: Api) -> None:
    response = _token(sandbox)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    listed = requests.get(
        api.url(f"/api/v2/users/{ACCOUNT}/messages"),
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=5,
    )
    assert listed.status_code == 200
    assert sandbox.control.requests()[-1]["auth"] == "bearer"
    assert len(sandbox.control.tokens()) >= 1


def test_oauth2_refuses_bad_client_and_bad_grant(sandbox: SandboxProcess) -> None:
    assert _token(sandbox, secret="wrong").status_code == 401
    assert _token(sandbox, grant="password").status_code == 400


def test_expired_token_gets_401(sandbox: SandboxProcess, api: Api) -> None:
    sandbox.control.set_settings(token_ttl_seconds=0)
    token = _token(sandbox).json()["access_token"]
    response = requests.get(
        api.url(f"/api/v2/users/{ACCOUNT}/messages"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 401


def test_control_api_needs_credentials_except_health(sandbox: SandboxProcess) -> None:
    assert requests.get(f"{sandbox.url}/sandbox/messages", timeout=5).status_code == 401
    health = requests.get(f"{sandbox.url}/sandbox/health", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"ok": True}


def test_unknown_path_gets_spring_style_404(api: Api) -> None:
    response = api.session.get(api.url("/api/v2/nowhere"), timeout=5)
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert response.json()["path"] == "/api/v2/nowhere"
