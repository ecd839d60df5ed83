"""Transport failures over real sockets: what was sent decides final / retryable / unknown.

The sandbox produces HTTP-level faults (5xx, 429, a slow accepted send); these peers
produce what it cannot: a hang-up after the request was read, a silent peer, a closed
port, and answers that are not the documented shape.
"""

import pytest

from texting.provider import (
    ErrorKind,
    OutcomeUnknown,
    ProviderClient,
    ProviderConfig,
    ProviderRejected,
    ProviderUnavailable,
)

from .rawservers import answer, free_port, full_backlog, hang_up, never_answer, raw_server

FROM = "+18445550100"
TO = "+15554443333"


def client_for(origin: str, **overrides) -> ProviderClient:
    options = {
        "account_id": "9900000",
        "application_id": "app",
        "username": "u",
        "password": "p",
        "connect_timeout": 1.0,
        "read_timeout": 0.5,
        **overrides,
    }
    return ProviderClient(ProviderConfig.for_origin(origin, **options))


def send(client: ProviderClient):
    return client.send_message(from_number=FROM, to=TO, text="hello", tag="m-1")


def test_hang_up_after_a_post_was_sent_is_outcome_unknown():
    with raw_server(hang_up) as (origin, seen), pytest.raises(OutcomeUnknown) as excinfo:
        send(client_for(origin))
    assert len(seen) == 1 and b'"tag": "m-1"' in seen[0]  # the request did leave
    assert excinfo.value.kind is ErrorKind.OUTCOME_UNKNOWN
    assert excinfo.value.outcome_unknown and not excinfo.value.retryable


def test_hang_up_on_a_get_is_retryable():
    with raw_server(hang_up) as (origin, _), pytest.raises(ProviderUnavailable) as excinfo:
        client_for(origin).tfv_status("+18445550100")
    assert excinfo.value.retryable


def test_silent_peer_read_timeout_on_post_is_outcome_unknown():
    with (
        raw_server(never_answer) as (origin, seen),
        pytest.raises(OutcomeUnknown, match="read timeout"),
    ):
        send(client_for(origin, read_timeout=0.3))
    assert len(seen) == 1


def test_silent_peer_read_timeout_on_get_is_retryable():
    with (
        raw_server(never_answer) as (origin, _),
        pytest.raises(ProviderUnavailable, match="read timeout"),
    ):
        client_for(origin, read_timeout=0.3).list_messages()


def test_connection_refused_is_retryable():
    client = client_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailable, match="could not connect") as excinfo:
        send(client)
    assert excinfo.value.http_status is None


def test_connection_refused_while_fetching_an_oauth_token_is_retryable():
    client = client_for(f"http://127.0.0.1:{free_port()}", client_id="id", client_secret="s")
    with pytest.raises(ProviderUnavailable) as excinfo:
        send(client)
    assert excinfo.value.operation == "oauth_token"


def test_connect_timeout_is_retryable():
    with full_backlog() as origin:
        client = client_for(origin, connect_timeout=0.3)
        with pytest.raises(ProviderUnavailable, match="connect timeout") as excinfo:
            send(client)
    assert excinfo.value.retryable


def test_unreadable_202_is_outcome_unknown_not_a_resend():
    body = b"<html>gateway</html>"
    raw = (
        b"HTTP/1.1 202 Accepted\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    with raw_server(answer(raw)) as (origin, _), pytest.raises(OutcomeUnknown, match="unreadable"):
        send(client_for(origin))


def test_redirects_are_not_followed():
    raw = (
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with raw_server(answer(raw)) as (origin, seen), pytest.raises(ProviderRejected) as excinfo:
        client_for(origin).list_messages()
    assert excinfo.value.error_type == "unexpected-redirect"
    assert len(seen) == 1


def test_503_with_http_date_retry_after():
    raw = (
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    with raw_server(answer(raw)) as (origin, _), pytest.raises(ProviderUnavailable) as excinfo:
        send(client_for(origin))
    assert excinfo.value.http_status == 503
    assert excinfo.value.retry_after == 0.0  # a date in the past: retry now


def test_xml_error_body_of_the_numbers_api():
    body = (
        b"<?xml version='1.0'?><OrderResponse><ErrorList><Error><Code>5022</Code>"
        b"<Description>SiteId is required</Description></Error></ErrorList></OrderResponse>"
    )
    raw = (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    with raw_server(answer(raw)) as (origin, _), pytest.raises(ProviderRejected) as excinfo:
        client_for(origin).order_status("abc-123")
    assert excinfo.value.error_type == "5022"
    assert excinfo.value.description == "SiteId is required"


def test_server_field_error_on_to_carries_the_c8_reason_and_no_full_number():
    body = (
        b'{"type":"request-validation","description":"Your request could not be accepted",'
        b'"fieldErrors":[{"fieldName":"to","description":"\'+15554443333\' is not reachable"}]}'
    )
    raw = (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    with raw_server(answer(raw)) as (origin, _), pytest.raises(ProviderRejected) as excinfo:
        send(client_for(origin))
    error = excinfo.value
    assert error.failure_reason == "unreachable_number"
    assert error.field_errors[0].field == "to"
    assert "5554443333" not in str(error) and "***3333" in str(error)
    assert "5554443333" not in repr(error)
