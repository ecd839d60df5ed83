"""Provider webhooks (P3): authenticate, store once, tolerate any order, answer fast."""

import base64
import json
from xml.etree import ElementTree

import pytest
from django.test import Client

from texting.models import ProviderEvent, TextingSettings
from texting.selectors import provider_message_status

FIRM_NUMBER = "+18445550100"
OTHER_FIRM_NUMBER = "+18445550111"
CLIENT_NUMBER = "+12025550143"


def basic(user: str = "provider", password: str = "webhook-password") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def status_callback(
    event_type: str,
    *,
    message_id: str = "1720000000123ab12cd34ef56gh78",
    owner: str = FIRM_NUMBER,
    error_code: int | None = None,
) -> dict:
    event = {
        "type": event_type,
        "time": "2026-07-22T18:42:37.100Z",
        "description": "ok",
        "to": CLIENT_NUMBER,
        "message": {
            "id": message_id,
            "owner": owner,
            "applicationId": "app-1",
            "time": "2026-07-22T18:42:35.876Z",
            "segmentCount": 1,
            "direction": "out",
            "to": [CLIENT_NUMBER],
            "from": owner,
            "text": "",
            "tag": "our-message-uuid",
        },
    }
    if error_code is not None:
        event["errorCode"] = error_code
    return event


def inbound_callback(text: str = "Thanks, see you Tuesday") -> dict:
    return {
        "type": "message-received",
        "time": "2026-07-22T18:20:16.000Z",
        "description": "Incoming message received",
        "to": FIRM_NUMBER,
        "message": {
            "id": "1720000001000kw2fuqty55yp2b2x",
            "owner": FIRM_NUMBER,
            "applicationId": "app-1",
            "time": "2026-07-22T18:20:16.000Z",
            "segmentCount": 1,
            "direction": "in",
            "to": [FIRM_NUMBER],
            "from": CLIENT_NUMBER,
            "text": text,
        },
    }


@pytest.fixture
def numbered_firms(firm, other_firm):
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    other_firm.toll_free_number_e164 = OTHER_FIRM_NUMBER
    other_firm.save()
    return firm, other_firm


def post(client: Client, path: str, body: object, auth: str | None = None):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        f"/webhooks/provider/{path}",
        data=data,
        content_type="application/json; charset=utf-8",
        **headers,
    )


@pytest.mark.parametrize("path", ["messaging", "verification", "voice"])
@pytest.mark.parametrize(
    "auth",
    [
        None,
        basic(password="wrong"),
        basic(user="someone"),
        basic(password="WEBHOOK-PASSWORD"),
        "Bearer abc",
        "Basic not-base64!",
    ],
)
def test_wrong_or_missing_credentials_get_401_and_store_nothing(
    client, numbered_firms, unscoped, path, auth
) -> None:
    response = post(client, path, [inbound_callback()], auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert ProviderEvent.objects.count() == 0


@pytest.mark.parametrize("path", ["messaging", "verification", "voice"])
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'[{"type": "message-received"}]', b'"a string"', b'{"eventType": 5}'],
)
def test_malformed_bodies_get_400_and_store_nothing(
    client, numbered_firms, unscoped, path, body
) -> None:
    response = post(client, path, body, basic())
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_oversized_body_is_refused(client, numbered_firms, unscoped) -> None:
    response = post(client, "messaging", b"[" + b" " * (1024 * 1024 + 10) + b"]", basic())
    assert response.status_code == 413
    assert ProviderEvent.objects.count() == 0


def test_get_is_not_allowed(client) -> None:
    assert client.get("/webhooks/provider/messaging").status_code == 405


def test_inbound_text_is_stored_once_however_often_it_is_delivered(
    client, numbered_firms, unscoped, django_capture_on_commit_callbacks
) -> None:
    firm, _ = numbered_firms
    with django_capture_on_commit_callbacks() as enqueued:
        first = post(client, "messaging", [inbound_callback()], basic())
    second = post(client, "messaging", [inbound_callback()], basic())
    assert first.status_code == second.status_code == 200
    assert first.json() == {"received": 1, "stored": 1}
    assert second.json() == {"received": 1, "stored": 0}
    assert len(enqueued) == 1  # one processing task, for the one stored event
    event = ProviderEvent.objects.get()
    assert event.firm == firm and event.event_type == "message-received"
    assert event.payload["text"] == "Thanks, see you Tuesday"


def test_a_bare_object_is_accepted_like_a_one_element_array(
    client, numbered_firms, unscoped
) -> None:
    response = post(client, "messaging", inbound_callback(), basic())
    assert response.json()["stored"] == 1


def test_callback_for_a_number_of_no_firm_is_acknowledged_and_dropped(
    client, numbered_firms, unscoped
) -> None:
    response = post(
        client, "messaging", [status_callback("message-delivered", owner="+18885550199")], basic()
    )
    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 0}
    assert ProviderEvent.objects.count() == 0


def test_events_land_in_the_firm_that_owns_the_number_only(
    client, numbered_firms, unscoped
) -> None:
    firm, other = numbered_firms
    post(
        client,
        "messaging",
        [
            status_callback("message-delivered", message_id="m-a"),
            status_callback("message-delivered", message_id="m-b", owner=OTHER_FIRM_NUMBER),
        ],
        basic(),
    )
    assert set(ProviderEvent.objects.values_list("firm_id", "provider_message_id")) == {
        (firm.id, "m-a"),
        (other.id, "m-b"),
    }


@pytest.mark.parametrize(
    "order",
    [
        ["message-sending", "message-sent", "message-delivered"],
        ["message-delivered", "message-sending", "message-sent"],
        ["message-sent", "message-delivered", "message-sending", "message-delivered"],
    ],
)
def test_out_of_order_and_repeated_callbacks_end_in_the_right_state(
    client, numbered_firms, firm_scope, order
) -> None:
    firm, _ = numbered_firms
    for event_type in order:
        post(client, "messaging", [status_callback(event_type)], basic())
    with firm_scope():
        assert (
            provider_message_status(firm=firm, provider_message_id="1720000000123ab12cd34ef56gh78")
            == "message-delivered"
        )
        assert ProviderEvent.objects.count() == 3


def test_a_failure_keeps_its_error_code(client, numbered_firms, firm_scope) -> None:
    firm, _ = numbered_firms
    post(client, "messaging", [status_callback("message-failed", error_code=4720)], basic())
    post(client, "messaging", [status_callback("message-sending")], basic())
    with firm_scope():
        event = ProviderEvent.objects.get(event_type="message-failed")
        assert event.error_code == 4720 and event.tag == "our-message-uuid"
        assert (
            provider_message_status(firm=firm, provider_message_id=event.provider_message_id)
            == "message-failed"
        )


def verification_payload(**fields) -> dict:
    return {
        "accountId": "9900000",
        "phoneNumber": FIRM_NUMBER,
        "internalTicketNumber": "acde070d-8c4c-4f0d-9d8a-162843c10333",
        **fields,
    }


def _process_stored_events(firm) -> None:
    """Run the processing task for every unprocessed event, as the worker would."""
    from django_scopes import scope

    from texting.tasks import provider_event_process_task

    with scope(firm=firm.id):
        pending = list(
            ProviderEvent.objects.filter(processed_at__isnull=True).values_list("id", flat=True)
        )
    for event_id in pending:
        provider_event_process_task(firm.id, event_id)


def test_verification_webhook_updates_the_firms_status(client, numbered_firms, firm_scope) -> None:
    firm, _ = numbered_firms
    post(client, "verification", verification_payload(status="PENDING"), basic())
    _process_stored_events(firm)
    with firm_scope():
        assert TextingSettings.objects.get().verification_status == "pending"
    post(
        client,
        "verification",
        verification_payload(
            status="UNVERIFIED",
            denialStatusCode=546,
            declineReasonDescription="Website is not accessible",
            resubmitAllowed=True,
        ),
        basic(),
    )
    _process_stored_events(firm)
    with firm_scope():
        settings = TextingSettings.objects.get()
        assert settings.verification_status == "rejected"
        assert settings.verification_denial_code == 546
        assert settings.verification_decline_reason == "Website is not accessible"
    post(client, "verification", verification_payload(status="VERIFIED"), basic())
    _process_stored_events(firm)
    with firm_scope():
        settings = TextingSettings.objects.get()
        assert settings.verification_status == "verified"
        assert settings.verification_denial_code is None


def test_processing_an_event_twice_applies_it_once(numbered_firms, firm_scope, client) -> None:
    from texting.tasks import provider_event_process_task

    firm, _ = numbered_firms
    post(client, "verification", verification_payload(status="VERIFIED"), basic())
    with firm_scope():
        event = ProviderEvent.objects.get()
    provider_event_process_task(firm.id, event.id)
    with firm_scope():
        first = TextingSettings.objects.get().verification_updated_at
    provider_event_process_task(firm.id, event.id)
    with firm_scope():
        assert TextingSettings.objects.get().verification_updated_at == first
        assert ProviderEvent.objects.get().processed_at is not None


def voice_initiate(to: str = FIRM_NUMBER) -> dict:
    return {
        "eventType": "initiate",
        "eventTime": "2026-07-22T15:56:11.554Z",
        "accountId": "9900000",
        "applicationId": "app-1",
        "from": CLIENT_NUMBER,
        "to": to,
        "direction": "inbound",
        "callId": "c-95ac8d6e-1a31c52e",
        "callUrl": "https://voice.example/calls/c-95ac8d6e-1a31c52e",
        "startTime": "2026-07-22T15:56:11.300Z",
    }


def test_callers_hear_the_firm_and_its_alternative_contact(
    client, numbered_firms, unscoped
) -> None:
    firm, _ = numbered_firms
    firm.name = "Garcia & Patel <LLP>"
    firm.save()
    TextingSettings.objects.create(
        firm=firm,
        alternative_phone_e164="+12025550188",
        alternative_email="office@garcia.example.com",
    )
    response = post(client, "voice", voice_initiate(), basic())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["SpeakSentence", "Hangup"]
    spoken = root.find("SpeakSentence").text
    assert "Garcia & Patel <LLP>" in spoken  # escaped in the XML, intact when parsed
    assert "(202) 555-0188" in spoken and "office@garcia.example.com" in spoken
    assert "cannot be completed" in spoken


def test_a_call_to_an_unknown_number_still_gets_valid_bxml(client, numbered_firms) -> None:
    response = post(client, "voice", voice_initiate(to="+18885550199"), basic())
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response" and root.find("Hangup") is not None


def test_disconnect_is_acknowledged_and_recorded_once(client, numbered_firms, unscoped) -> None:
    disconnect = {**voice_initiate(), "eventType": "disconnect", "cause": "hangup"}
    assert post(client, "voice", disconnect, basic()).status_code == 204
    assert post(client, "voice", disconnect, basic()).status_code == 204
    assert ProviderEvent.objects.filter(kind="voice", event_type="disconnect").count() == 1
