"""HTTP-level failures the sandbox produces: auth, faults, rate limit, a slow accepted send."""

import pytest

from texting.provider import (
    ErrorKind,
    OutcomeUnknown,
    ProviderAuthError,
    ProviderRejected,
    ProviderUnavailable,
)

from .conftest import CONTACT, OUR_NUMBER, api_requests


def send(client, tag="t-1", text="hi"):
    return client.send_message(from_number=OUR_NUMBER, to=CONTACT, text=text, tag=tag)


def test_wrong_basic_password_is_an_auth_error(make_client, fresh_sandbox):
    client = make_client(client_id="", client_secret="", username="sandbox", password="wrong")
    with pytest.raises(ProviderAuthError) as excinfo:
        send(client)
    error = excinfo.value
    assert error.http_status == 401 and error.final and error.kind is ErrorKind.FINAL
    assert error.error_type == "unauthorized"
    assert isinstance(error, ProviderRejected)
    assert fresh_sandbox.control.messages() == []


def test_wrong_oauth_secret_fails_at_the_token_endpoint(make_client, fresh_sandbox, counting):
    with pytest.raises(ProviderAuthError) as excinfo:
        send(make_client(client_secret="wrong"))
    assert excinfo.value.operation == "oauth_token"
    assert excinfo.value.http_status == 401
    assert excinfo.value.error_type == "invalid_client"
    assert counting.paths() == ["/api/v1/oauth2/token"]  # the send never left
    assert fresh_sandbox.control.messages() == []


def test_other_account_id_is_forbidden(make_client, fresh_sandbox):
    with pytest.raises(ProviderAuthError) as excinfo:
        send(make_client(account_id="1111111"))
    assert excinfo.value.http_status == 403
    assert excinfo.value.error_type == "forbidden"
    assert fresh_sandbox.control.messages() == []


def test_500_is_retryable_and_nothing_was_sent(provider, fresh_sandbox):
    fresh_sandbox.control.set_faults(send_500_rate=1.0)
    with pytest.raises(ProviderUnavailable) as excinfo:
        send(provider)
    error = excinfo.value
    assert error.http_status == 500 and error.retryable and not error.final
    assert error.retry_after is None
    assert fresh_sandbox.control.messages() == []


def test_429_is_retryable_with_retry_after(provider, fresh_sandbox):
    fresh_sandbox.control.set_faults(send_429_rate=1.0)
    with pytest.raises(ProviderUnavailable) as excinfo:
        send(provider)
    error = excinfo.value
    assert error.http_status == 429 and error.retryable
    assert error.retry_after == 1.0
    assert error.error_type == "max-message-queue-size-exceeded"
    assert "retry after 1 s" in str(error)
    assert fresh_sandbox.control.messages() == []


def test_full_queue_of_the_real_rate_limit_is_429(provider, fresh_sandbox):
    fresh_sandbox.control.set_settings(rate_limit_segments_per_second=0.5, queue_size=1)
    send(provider, tag="first")
    with pytest.raises(ProviderUnavailable) as excinfo:
        for n in range(5):
            send(provider, tag=f"more-{n}")
    assert excinfo.value.http_status == 429
    assert excinfo.value.retry_after is not None and excinfo.value.retry_after > 0
    fresh_sandbox.control.set_settings(rate_limit_segments_per_second=10.0, queue_size=900)


def test_answer_slower_than_the_read_timeout_is_outcome_unknown_yet_accepted(
    make_client, fresh_sandbox
):
    fresh_sandbox.control.set_faults(send_delay_seconds=1.5)
    client = make_client(read_timeout=0.4)
    with pytest.raises(OutcomeUnknown) as excinfo:
        send(client, tag="slow-1", text="did this go?")
    error = excinfo.value
    assert error.outcome_unknown and not error.retryable and not error.final
    assert "did this go" not in str(error)
    # The provider did accept it: this is why a timeout must never trigger a blind re-send.
    (record,) = fresh_sandbox.control.messages(tag="slow-1")
    assert record["to"] == [CONTACT]


def test_every_call_carries_the_connect_and_read_timeout(make_client, fresh_sandbox, counting):
    client = make_client(connect_timeout=1.25, read_timeout=4.5)
    send(client)
    client.list_messages()
    client.tfv_status(OUR_NUMBER)
    client.search_toll_free()
    injected = fresh_sandbox.control.inject_text(
        CONTACT, OUR_NUMBER, media=[("a.gif", "image/gif", b"GIF89a")]
    )
    client.download_media(injected["media_urls"][1], max_bytes=100)
    assert len(counting.timeouts) == 6  # token, send, list, status, search, media
    assert set(counting.timeouts) == {(1.25, 4.5)}
    assert {ua.split("/")[0] for ua in counting.user_agents} == {"firm-texting"}
    assert [r["status"] for r in api_requests(fresh_sandbox)][:2] == [200, 202]


def test_transport_errors_are_not_chained_to_the_request(make_client, fresh_sandbox):
    fresh_sandbox.control.set_faults(send_delay_seconds=1.0)
    with pytest.raises(OutcomeUnknown) as excinfo:
        send(make_client(read_timeout=0.3), text="private words")
    error = excinfo.value
    assert error.__cause__ is None and error.__suppress_context__
    assert "private words" not in str(error) and "5554443333" not in str(error)
