"""Sending and listing messages against the sandbox, and every test number's failure."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from texting.provider import (
    FailureReason,
    ProviderRejected,
    SmsProvider,
    parse_message_callbacks,
)

from .conftest import APPLICATION_ID, CONTACT, OUR_NUMBER, api_requests, wait_for
from .test_failure_reasons import TEST_NUMBER_CODES


def test_send_returns_the_202_body_and_the_sandbox_records_our_tag(provider, fresh_sandbox):
    sent = provider.send_message(
        from_number=OUR_NUMBER, to=CONTACT, text="Your hearing moved to 3pm", tag="msg-0001"
    )
    assert len(sent.id) == 29 and sent.id[:13].isdigit()
    assert sent.owner == OUR_NUMBER and sent.from_number == OUR_NUMBER
    assert sent.application_id == APPLICATION_ID
    assert sent.to == (CONTACT,)
    assert sent.tag == "msg-0001" and sent.priority == "default"
    assert sent.segment_count == 1
    assert sent.time.tzinfo is not None

    (record,) = fresh_sandbox.control.messages(tag="msg-0001")
    assert record["id"] == sent.id
    assert record["text"] == "Your hearing moved to 3pm"
    assert record["to"] == [CONTACT] and record["from"] == OUR_NUMBER


def test_group_send_at_the_limits(provider, fresh_sandbox):
    recipients = [f"+1555444{n:04d}" for n in range(10)]  # the maximum
    sent = provider.send_message(
        from_number=OUR_NUMBER, to=recipients, text="hi", tag="t" * 1024, priority="high"
    )
    assert sent.to == tuple(recipients)
    assert sent.segment_count == 1  # a group message is an MMS
    assert sent.priority == "high"
    assert sent.tag == "t" * 1024


def test_unicode_text_segments(provider):
    sent = provider.send_message(from_number=OUR_NUMBER, to=CONTACT, text="ж" * 71, tag="ucs2")
    assert sent.segment_count == 2  # UCS-2: 70 in a single segment, 67 per part


def test_longest_text_is_accepted(provider):
    sent = provider.send_message(from_number=OUR_NUMBER, to=CONTACT, text="a" * 2048, tag="long")
    assert sent.segment_count == 14  # GSM-7: 153 per part


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"from_number": "8445550100"}, "from", None),
        ({"to": "5554443333"}, "to", FailureReason.UNREACHABLE_NUMBER),
        ({"to": "+1555444333"}, "to", FailureReason.UNREACHABLE_NUMBER),  # +1 and 9 digits
        ({"to": []}, "to", None),
        ({"to": [f"+1555444{n:04d}" for n in range(11)]}, "to", None),
        ({"to": [CONTACT, CONTACT]}, "to", None),
        ({"text": ""}, "text", None),
        ({"text": "a" * 2049}, "text", None),
        ({"tag": ""}, "tag", None),
        ({"tag": "t" * 1025}, "tag", None),
        ({"priority": "urgent"}, "priority", None),
    ],
)
def test_local_validation_refuses_without_a_request(
    provider, fresh_sandbox, counting, kwargs, field, reason
):
    args = {"from_number": OUR_NUMBER, "to": CONTACT, "text": "hi", "tag": "local", **kwargs}
    with pytest.raises(ProviderRejected) as excinfo:
        provider.send_message(**args)
    error = excinfo.value
    assert error.local and error.http_status is None and error.final
    assert error.error_type == "local-validation"
    assert [fe.field for fe in error.field_errors] == [field]
    assert error.failure_reason == reason
    assert counting.sent == []  # not even a token request
    assert api_requests(fresh_sandbox) == []
    assert fresh_sandbox.control.messages() == []


def test_missing_application_id_is_refused_locally(make_client, counting):
    with pytest.raises(ProviderRejected, match="applicationId"):
        make_client(application_id="").send_message(
            from_number=OUR_NUMBER, to=CONTACT, text="hi", tag="x"
        )
    assert counting.sent == []


def test_server_field_errors_are_parsed_and_redacted(provider, fresh_sandbox):
    not_ours = "+18445550199"
    with pytest.raises(ProviderRejected) as excinfo:
        provider.send_message(from_number=not_ours, to=CONTACT, text="secret words", tag="t-400")
    error = excinfo.value
    assert error.http_status == 400 and not error.local and error.final
    assert error.error_type == "request-validation"
    assert error.description == "Your request could not be accepted"
    assert [fe.field for fe in error.field_errors] == ["from"]
    assert error.failure_reason is None  # our configuration, not the recipient
    for text in (str(error), repr(error), *(fe.description for fe in error.field_errors)):
        assert "8445550199" not in text
        assert "secret words" not in text
    assert "***0199" in error.field_errors[0].description
    assert fresh_sandbox.control.messages() == []


def _terminal_callback(sandbox, message_id):
    def find():
        found = sandbox.control.callbacks(message_id=message_id)
        return [c for c in found if c["event_type"] in ("message-delivered", "message-failed")]

    (callback,) = wait_for(find)
    return callback


@pytest.mark.parametrize(("code", "reason"), sorted(TEST_NUMBER_CODES.items()))
def test_every_test_number_fails_with_its_c8_reason_end_to_end(
    provider, fresh_sandbox, code, reason
):
    if code == 4795:
        # Not a destination code at the real provider: an unverified toll-free sender.
        fresh_sandbox.control.set_settings(block_unverified=True)
        to = CONTACT
    else:
        to = f"+1555000{code}"
    sent = provider.send_message(from_number=OUR_NUMBER, to=to, text="hi", tag=f"code-{code}")
    callback = _terminal_callback(fresh_sandbox, sent.id)
    (event,) = parse_message_callbacks(json.dumps(callback["payload"]).encode())
    assert event.type == "message-failed"
    assert event.message_id == sent.id and event.tag == f"code-{code}"
    assert event.to == to and event.text == ""
    assert event.error_code == code
    assert event.failure.reason is reason
    assert event.failure.ambiguous is (code == 9902)


def test_delivered_destination(provider, fresh_sandbox):
    sent = provider.send_message(from_number=OUR_NUMBER, to=CONTACT, text="hi", tag="ok-1")
    callback = _terminal_callback(fresh_sandbox, sent.id)
    (event,) = parse_message_callbacks(json.dumps(callback["payload"]))
    assert event.type == "message-delivered" and event.failure is None
    assert event.dedupe_key == (sent.id, "message-delivered", CONTACT)


def test_verified_toll_free_number_is_not_blocked(provider, fresh_sandbox):
    fresh_sandbox.control.set_settings(block_unverified=True)
    fresh_sandbox.control.set_verification(OUR_NUMBER, "VERIFIED")
    sent = provider.send_message(from_number=OUR_NUMBER, to=CONTACT, text="hi", tag="verified")
    assert _terminal_callback(fresh_sandbox, sent.id)["event_type"] == "message-delivered"


def test_list_messages_filters_and_parses(provider, fresh_sandbox):
    ok = provider.send_message(from_number=OUR_NUMBER, to=CONTACT, text="hi", tag="l-1")
    bad = provider.send_message(from_number=OUR_NUMBER, to="+15550004720", text="hi", tag="l-2")
    for message_id in (ok.id, bad.id):
        wait_for(
            lambda mid=message_id: (
                fresh_sandbox.control.messages(id=mid)[0]["status"] in ("delivered", "failed")
            )
        )

    page = provider.list_messages(destination_tn="+15550004720")
    assert [m.message_id for m in page.messages] == [bad.id]
    (row,) = page.messages
    assert row.message_status == "FAILED" and row.error_code == 4720
    assert row.source_tn == OUR_NUMBER and row.message_direction == "OUTBOUND"
    assert page.total_count == 1

    by_id = provider.list_messages(messageId=ok.id)
    assert [(m.message_id, m.message_status) for m in by_id.messages] == [(ok.id, "DELIVERED")]
    everything = provider.list_messages(limit=10)
    assert {m.message_id for m in everything.messages} >= {ok.id, bad.id}
    since = provider.list_messages(from_date_time=datetime.now(UTC) + timedelta(minutes=1))
    assert since.messages == () and since.total_count == 0


def test_client_satisfies_the_protocol(provider):
    assert isinstance(provider, SmsProvider)


def test_list_messages_unknown_filter_is_a_programming_error(provider):
    with pytest.raises(TypeError):
        provider.list_messages(recipient="+15554443333")
