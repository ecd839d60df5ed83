"""Callback parsers: the documented envelopes in, frozen events out, MalformedCallback else."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texting.provider import (
    FailureReason,
    MalformedCallback,
    VerificationState,
    parse_message_callbacks,
    parse_timestamp,
    parse_verification_callback,
    parse_voice_callback,
)

DELIVERED = {
    "type": "message-delivered",
    "time": "2026-07-22T18:42:37.100Z",
    "description": "ok",
    "to": "+15554443333",
    "message": {
        "id": "1720000000123ab12cd34ef56gh78",
        "owner": "+18445550100",
        "applicationId": "93de2206-9669-4e07-948d-329f4b722ee2",
        "time": "2026-07-22T18:42:35.876Z",
        "segmentCount": 1,
        "direction": "out",
        "to": ["+15554443333"],
        "from": "+18445550100",
        "text": "",
        "tag": "order-8812",
    },
}
FAILED = {
    **DELIVERED,
    "type": "message-failed",
    "time": "2026-07-22T18:42:38Z",
    "description": "tfn-not-verified",
    "errorCode": 4795,
}
RECEIVED = {
    "type": "message-received",
    "time": "2026-07-22T18:20:16.000Z",
    "description": "Incoming message received",
    "to": "+18445550100",
    "message": {
        "id": "1720000001000kw2fuqty55yp2b2x",
        "owner": "+18445550100",
        "applicationId": "93de2206-9669-4e07-948d-329f4b722ee2",
        "time": "2026-07-22T18:20:16.502180Z",
        "segmentCount": 1,
        "direction": "in",
        "to": ["+18445550100"],
        "from": "+15554443333",
        "text": "STOP",
        "media": [
            "https://messaging.bandwidth.com/api/v2/users/9900000/media/172/0/image.jpg",
            "https://messaging.bandwidth.com/api/v2/users/9900000/media/172/1/smil.smil",
        ],
    },
}


def dumps(obj) -> bytes:
    return json.dumps(obj).encode()


def test_array_envelope_with_several_events():
    events = parse_message_callbacks(dumps([DELIVERED, FAILED, RECEIVED]))
    assert [e.type for e in events] == ["message-delivered", "message-failed", "message-received"]
    delivered, failed, received = events
    assert delivered.message_id == "1720000000123ab12cd34ef56gh78"
    assert delivered.tag == "order-8812"
    assert delivered.to == "+15554443333"
    assert delivered.to_numbers == ("+15554443333",)
    assert delivered.direction == "out"
    assert delivered.time == datetime(2026, 7, 22, 18, 42, 37, 100000, tzinfo=UTC)
    assert delivered.error_code is None and delivered.failure is None
    assert delivered.dedupe_key == (
        "1720000000123ab12cd34ef56gh78",
        "message-delivered",
        "+15554443333",
    )
    assert failed.error_code == 4795
    assert failed.failure.reason is FailureReason.BLOCKED_UNVERIFIED
    assert received.is_inbound and not delivered.is_inbound
    assert received.text == "STOP"
    assert received.message_time == datetime(2026, 7, 22, 18, 20, 16, 502180, tzinfo=UTC)
    assert len(received.media_urls) == 2
    assert received.attachment_urls == (RECEIVED["message"]["media"][0],)


def test_bare_object_is_accepted():
    (event,) = parse_message_callbacks(dumps(FAILED))
    assert event.type == "message-failed"


def test_str_body_and_unknown_keys_are_accepted():
    body = {**DELIVERED, "carrierName": "T-Mobile", "somethingNew": {"x": 1}}
    (event,) = parse_message_callbacks(json.dumps([body]))
    assert event.carrier_name == "T-Mobile"


def test_error_code_as_numeric_string():
    (event,) = parse_message_callbacks(dumps([{**FAILED, "errorCode": "4720"}]))
    assert event.failure.reason is FailureReason.UNREACHABLE_NUMBER


def test_failed_without_error_code_is_an_unknown_error():
    body = {k: v for k, v in FAILED.items() if k != "errorCode"}
    (event,) = parse_message_callbacks(dumps(body))
    assert event.failure.reason is FailureReason.UNKNOWN_ERROR


def test_repr_masks_numbers_and_omits_text():
    (event,) = parse_message_callbacks(dumps(RECEIVED))
    text = repr(event)
    assert "+15554443333" not in text and "3333" in text
    assert "STOP" not in text


def _without(obj: dict, *path: str) -> dict:
    copy = json.loads(json.dumps(obj))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"42",
        b'"a string"',
        b"[1]",
        b"[null]",
        dumps([{**DELIVERED, "message": "nope"}]),
        dumps([_without(DELIVERED, "message")]),
        dumps([_without(DELIVERED, "type")]),
        dumps([_without(DELIVERED, "time")]),
        dumps([_without(DELIVERED, "to")]),
        dumps([_without(DELIVERED, "message", "id")]),
        dumps([_without(DELIVERED, "message", "from")]),
        dumps([_without(DELIVERED, "message", "to")]),
        dumps([{**DELIVERED, "time": "yesterday"}]),
        dumps([{**DELIVERED, "time": "2026-13-01T00:00:00Z"}]),
        dumps([{**DELIVERED, "errorCode": "forty"}]),
        dumps([{**DELIVERED, "errorCode": True}]),
        dumps([{**DELIVERED, "message": {**DELIVERED["message"], "direction": "sideways"}}]),
        dumps([{**DELIVERED, "message": {**DELIVERED["message"], "media": [1, 2]}}]),
        dumps([DELIVERED, {"type": "message-delivered"}]),
    ],
)
def test_malformed_message_callbacks(body):
    with pytest.raises(MalformedCallback) as excinfo:
        parse_message_callbacks(body)
    # The reason names a field at most, never payload content.
    assert "+1555" not in str(excinfo.value)
    assert "order-8812" not in str(excinfo.value)


def test_malformed_reason_does_not_quote_the_payload():
    body = dumps([{**DELIVERED, "time": "+15554443333 secret text"}])
    with pytest.raises(MalformedCallback) as excinfo:
        parse_message_callbacks(body)
    assert "secret" not in str(excinfo.value) and "5554443333" not in str(excinfo.value)


def test_oversized_body_is_refused():
    with pytest.raises(MalformedCallback, match="too large"):
        parse_message_callbacks(b"[" + b" " * 1_000_001 + b"]")


# --- verification -------------------------------------------------------------------------


def test_verification_verified():
    event = parse_verification_callback(
        dumps(
            {
                "accountId": "9900000",
                "phoneNumber": "+18445550100",
                "status": "VERIFIED",
                "internalTicketNumber": "acde070d-8c4c-4f0d-9d8a-162843c10333",
            }
        )
    )
    assert event.status is VerificationState.VERIFIED
    assert event.phone_number == "+18445550100"
    assert not event.is_error
    assert "+18445550100" not in repr(event)


def test_verification_denied():
    event = parse_verification_callback(
        dumps(
            {
                "accountId": "9900000",
                "phoneNumber": "+18445550100",
                "status": "UNVERIFIED",
                "denialStatusCode": 511,
                "declineReasonDescription": "Disallowed Content - Gambling",
                "resubmitAllowed": False,
                "additionalDenialReasons": [],
                "internalTicketNumber": "acde070d",
                "blocked": True,
                "blockedReason": "spam",
            }
        )
    )
    assert event.status is VerificationState.UNVERIFIED
    assert event.denial_status_code == 511
    assert event.resubmit_allowed is False
    assert event.blocked and event.blocked_reason == "spam"


def test_verification_error_variant():
    event = parse_verification_callback(
        dumps(
            {
                "accountId": "9900000",
                "phoneNumber": "+18445550100",
                "errorCode": "400",
                "errorMessage": "cannot process request.",
                "errors": ["optInWorkflowImageURLs: Entries must be a valid array of objects."],
                "internalTicketNumber": "acde070d",
            }
        )
    )
    assert event.is_error and event.status is None
    assert event.error_code == "400"
    assert len(event.errors) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        dumps([{"phoneNumber": "+18445550100", "status": "VERIFIED"}]),
        dumps({"phoneNumber": "+18445550100"}),
        dumps({"status": "VERIFIED"}),
        dumps({"phoneNumber": "+18445550100", "status": "APPROVED"}),
        dumps({"phoneNumber": "+18445550100", "status": "VERIFIED", "resubmitAllowed": "maybe"}),
        dumps({"phoneNumber": "+18445550100", "errorCode": "400", "errors": "bad"}),
    ],
)
def test_malformed_verification_callbacks(body):
    with pytest.raises(MalformedCallback):
        parse_verification_callback(body)


# --- voice --------------------------------------------------------------------------------

INITIATE = {
    "eventType": "initiate",
    "eventTime": "2026-07-22T15:56:11.554Z",
    "accountId": "9900000",
    "applicationId": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
    "from": "+15551112222",
    "to": "+18445550100",
    "direction": "inbound",
    "callId": "c-95ac8d6e-1a31c52e",
    "callUrl": "https://voice.bandwidth.com/api/v2/accounts/9900000/calls/c-95ac8d6e",
    "startTime": "2026-07-22T15:56:11.3Z",
    "stirShaken": {"verstat": "TN-Verification-Passed"},
}


def test_voice_initiate_and_disconnect():
    event = parse_voice_callback(dumps(INITIATE))
    assert (event.event_type, event.call_id, event.from_number, event.to) == (
        "initiate",
        "c-95ac8d6e-1a31c52e",
        "+15551112222",
        "+18445550100",
    )
    assert event.start_time == datetime(2026, 7, 22, 15, 56, 11, 300000, tzinfo=UTC)
    assert event.cause is None
    gone = parse_voice_callback(dumps({**INITIATE, "eventType": "disconnect", "cause": "hangup"}))
    assert gone.cause == "hangup"
    assert "+15551112222" not in repr(gone)


@pytest.mark.parametrize(
    "body",
    [
        dumps([INITIATE]),
        dumps({k: v for k, v in INITIATE.items() if k != "callId"}),
        dumps({k: v for k, v in INITIATE.items() if k != "eventType"}),
        dumps({**INITIATE, "from": 15551112222}),
        dumps({**INITIATE, "eventTime": "noon"}),
    ],
)
def test_malformed_voice_callbacks(body):
    with pytest.raises(MalformedCallback):
        parse_voice_callback(body)


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-22T18:20:16Z", datetime(2026, 7, 22, 18, 20, 16, tzinfo=UTC)),
        ("2026-07-22T18:42:36.979Z", datetime(2026, 7, 22, 18, 42, 36, 979000, tzinfo=UTC)),
        ("2026-07-22T18:42:35.502180Z", datetime(2026, 7, 22, 18, 42, 35, 502180, tzinfo=UTC)),
        ("2026-07-22T18:42:35.502180123Z", datetime(2026, 7, 22, 18, 42, 35, 502180, tzinfo=UTC)),
        ("2026-07-22T18:42:35.5Z", datetime(2026, 7, 22, 18, 42, 35, 500000, tzinfo=UTC)),
        ("2026-07-22T18:42:35", datetime(2026, 7, 22, 18, 42, 35, tzinfo=UTC)),
        ("2026-07-22 18:42", datetime(2026, 7, 22, 18, 42, tzinfo=UTC)),
        (
            "2026-07-22T14:42:35-04:00",
            datetime(2026, 7, 22, 14, 42, 35, tzinfo=timezone(timedelta(hours=-4))),
        ),
        ("2026-07-22T20:12:35+0130", datetime(2026, 7, 22, 18, 42, 35, tzinfo=UTC)),
    ],
)
def test_lenient_timestamps(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-07-22",
        "2026-W30-1T00:00Z",
        "22/07/2026 18:00",
        "2026-07-22T25:00:00Z",
        "2026-07-22T18:00:00+24:00",
        "2026-07-22T18:00:00.Z",
        "2026-07-22T18:00:00.1234567890Z",
    ],
)
def test_bad_timestamps(text):
    with pytest.raises(ValueError):
        parse_timestamp(text)


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ),
    digits=st.sampled_from([0, 3, 6]),
    zulu=st.booleans(),
)
def test_timestamp_roundtrip_at_0_3_6_fraction_digits(moment, digits, zulu):
    timespec = {0: "seconds", 3: "milliseconds", 6: "microseconds"}[digits]
    text = moment.isoformat(timespec=timespec)
    if zulu:
        text = text.replace("+00:00", "Z")
    expected = moment.replace(
        microsecond=(moment.microsecond // 10 ** (6 - digits)) * 10 ** (6 - digits)
    )
    assert parse_timestamp(text) == expected


@given(st.text(max_size=40))
def test_timestamp_parser_only_raises_value_error(text):
    try:
        result = parse_timestamp(text)
    except ValueError:
        return
    assert result.tzinfo is not None
