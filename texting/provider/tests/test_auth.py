"""OAuth2 client credentials (cached, refreshed early, re-fetched after a 401) and Basic."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from texting.provider import ProviderAuthError

from .conftest import CONTACT, OUR_NUMBER, api_requests


def send(client, tag="t"):
    return client.send_message(from_number=OUR_NUMBER, to=CONTACT, text="hi", tag=tag)


def test_token_is_fetched_once_and_reused(provider, fresh_sandbox, counting):
    issued_before = len(fresh_sandbox.control.tokens())  # tokens survive a sandbox reset
    send(provider, "a")
    send(provider, "b")
    provider.list_messages()
    provider.tfv_status(OUR_NUMBER)
    assert counting.token_requests() == 1
    assert len(fresh_sandbox.control.tokens()) == issued_before + 1
    assert {r["auth"] for r in api_requests(fresh_sandbox) if "oauth2" not in r["path"]} == {
        "bearer"
    }


def test_token_is_shared_by_clients_of_the_same_config(make_client, fresh_sandbox, counting):
    send(make_client(), "a")
    send(make_client(), "b")
    assert counting.token_requests() == 1


def test_concurrent_callers_fetch_one_token(make_client, fresh_sandbox, counting):
    client = make_client()
    errors = []

    def call():
        try:
            client.list_messages()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counting.token_requests() == 1


def test_token_is_refreshed_when_less_than_a_minute_is_left(provider, fresh_sandbox, counting):
    issued_before = len(fresh_sandbox.control.tokens())
    send(provider, "before")
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=3600 - 61)):
        send(provider, "61 s left")
    assert counting.token_requests() == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=3600 - 59)):
        send(provider, "59 s left")
    assert counting.token_requests() == 2
    assert len(fresh_sandbox.control.tokens()) == issued_before + 2


def test_refresh_margin_is_configurable(make_client, fresh_sandbox, counting):
    fresh_sandbox.control.set_settings(token_ttl_seconds=120)
    client = make_client(token_refresh_margin=119.0)
    send(client, "a")
    time.sleep(1.1)
    send(client, "b")
    assert counting.token_requests() == 2


def test_a_401_drops_the_token_and_retries_once_with_a_new_one(
    make_client, fresh_sandbox, counting
):
    # The sandbox expires tokens after 2 s; our clock is then set back, so the client still
    # believes its token is fresh — as with a token revoked at the provider.
    fresh_sandbox.control.set_settings(token_ttl_seconds=2)
    client = make_client(token_refresh_margin=0.0)
    client.list_messages()
    time.sleep(2.2)
    with time_machine.travel(datetime.now(UTC) - timedelta(seconds=60)):
        sent = send(client, "after-401")
    assert sent.tag == "after-401"
    assert counting.sent == [
        ("POST", "/api/v1/oauth2/token", 200),
        ("GET", "/api/v2/users/9900000/messages", 200),
        ("POST", "/api/v2/users/9900000/messages", 401),
        ("POST", "/api/v1/oauth2/token", 200),
        ("POST", "/api/v2/users/9900000/messages", 202),
    ]
    assert len(fresh_sandbox.control.messages(tag="after-401")) == 1


def test_a_second_401_is_an_auth_error(make_client, fresh_sandbox, counting):
    fresh_sandbox.control.set_settings(token_ttl_seconds=0)  # every token is born expired
    with pytest.raises(ProviderAuthError) as excinfo:
        send(make_client(), "never")
    assert excinfo.value.http_status == 401
    assert counting.sent == [
        ("POST", "/api/v1/oauth2/token", 200),
        ("POST", "/api/v2/users/9900000/messages", 401),
        ("POST", "/api/v1/oauth2/token", 200),
        ("POST", "/api/v2/users/9900000/messages", 401),
    ]
    assert fresh_sandbox.control.messages() == []


def test_basic_auth_works_without_a_token(basic_provider, fresh_sandbox, counting):
    send(basic_provider, "basic")
    basic_provider.list_messages()
    assert counting.token_requests() == 0
    assert [r["auth"] for r in api_requests(fresh_sandbox)] == ["basic", "basic"]
    assert len(fresh_sandbox.control.messages(tag="basic")) == 1


def test_basic_401_is_not_retried(make_client, counting):
    client = make_client(client_id="", client_secret="", username="sandbox", password="nope")
    with pytest.raises(ProviderAuthError):
        send(client)
    assert [status for _, _, status in counting.sent] == [401]


def test_oauth_is_used_when_both_credentials_are_set(make_client, fresh_sandbox, counting):
    client = make_client(username=fresh_sandbox.username, password=fresh_sandbox.password)
    send(client)
    assert counting.token_requests() == 1
    assert api_requests(fresh_sandbox)[-1]["auth"] == "bearer"
