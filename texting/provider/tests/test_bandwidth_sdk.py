"""Bandwidth's own Python SDK (bandwidth-sdk) pointed at the sandbox must work unchanged.

The SDK hard-codes per-operation servers, so it is pointed at the sandbox with
`Configuration(host=..., ignore_operation_servers=True)` (PROVIDER_API.md §8); the OAuth
token URL is configurable (`access_token_url`).
"""

import json

import pytest

bandwidth = pytest.importorskip("bandwidth")

from bandwidth import ApiClient, Configuration  # noqa: E402
from bandwidth.api.media_api import MediaApi  # noqa: E402
from bandwidth.api.messages_api import MessagesApi  # noqa: E402
from bandwidth.api.toll_free_verification_api import TollFreeVerificationApi  # noqa: E402
from bandwidth.exceptions import ApiException  # noqa: E402
from bandwidth.models.message_request import MessageRequest  # noqa: E402
from bandwidth.models.status_callback import StatusCallback  # noqa: E402
from bandwidth.models.webhook_subscription_request_schema import (  # noqa: E402
    WebhookSubscriptionRequestSchema,
)

from .conftest import APPLICATION_ID, CLIENT_ID, CLIENT_SECRET, CONTACT, OUR_NUMBER  # noqa: E402


def sdk_config(sandbox, **overrides) -> Configuration:
    options = {
        "host": f"{sandbox.url}/api/v2",
        "username": sandbox.username,
        "password": sandbox.password,
        "ignore_operation_servers": True,
        **overrides,
    }
    return Configuration(**options)


def message_request(to: str = CONTACT) -> MessageRequest:
    return MessageRequest(
        application_id=APPLICATION_ID,
        to=[to],
        var_from=OUR_NUMBER,
        text="Sent by the Bandwidth SDK",
        tag="sdk-1",
    )


def test_sdk_sends_a_message_and_reads_the_202_body(fresh_sandbox):
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        response = MessagesApi(api_client).create_message_with_http_info(
            fresh_sandbox.account_id, message_request()
        )
    assert response.status_code == 202
    message = response.data
    assert message.id and message.owner == OUR_NUMBER
    assert message.to == [CONTACT] and message.var_from == OUR_NUMBER
    assert message.tag == "sdk-1" and message.segment_count == 1
    assert message.time is not None
    (record,) = fresh_sandbox.control.messages(tag="sdk-1")
    assert record["id"] == message.id


def test_sdk_with_oauth2_client_credentials(fresh_sandbox):
    config = sdk_config(
        fresh_sandbox,
        username=None,
        password=None,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        access_token_url=f"{fresh_sandbox.url}/api/v1/oauth2/token",
    )
    with ApiClient(config) as api_client:
        message = MessagesApi(api_client).create_message(
            fresh_sandbox.account_id, message_request()
        )
    assert message.id
    assert fresh_sandbox.control.requests()[-1]["auth"] == "bearer"


def test_sdk_wrong_credentials_is_a_clean_401(fresh_sandbox):
    config = sdk_config(fresh_sandbox, password="wrong")
    with ApiClient(config) as api_client, pytest.raises(ApiException) as excinfo:
        MessagesApi(api_client).create_message(fresh_sandbox.account_id, message_request())
    assert excinfo.value.status == 401
    assert json.loads(excinfo.value.body)["type"] == "unauthorized"
    assert fresh_sandbox.control.messages() == []


def test_sdk_invalid_destination_is_a_clean_400(fresh_sandbox):
    with ApiClient(sdk_config(fresh_sandbox)) as api_client, pytest.raises(ApiException) as excinfo:
        MessagesApi(api_client).create_message(
            fresh_sandbox.account_id, message_request(to="+1555")
        )
    assert excinfo.value.status == 400
    body = json.loads(excinfo.value.body)
    assert body["type"] == "request-validation"
    assert body["fieldErrors"][0]["fieldName"] == "to"


def test_sdk_reads_a_toll_free_verification_status(fresh_sandbox):
    fresh_sandbox.control.set_verification(
        OUR_NUMBER, "UNVERIFIED", denial_status_code=546, resubmit_allowed=True
    )
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        status = TollFreeVerificationApi(api_client).get_toll_free_verification_status(
            fresh_sandbox.account_id, OUR_NUMBER
        )
    assert status.phone_number == OUR_NUMBER
    assert status.status == "UNVERIFIED"
    assert status.denial_status_code == 546 and status.resubmit_allowed is True


def test_sdk_downloads_inbound_media(fresh_sandbox):
    injected = fresh_sandbox.control.inject_text(
        CONTACT, OUR_NUMBER, media=[("a.png", "image/png", b"\x89PNG\r\n\x1a\npng-bytes")]
    )
    media_id = injected["media_urls"][1].split("/media/", 1)[1]
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        content = MediaApi(api_client).get_media(fresh_sandbox.account_id, media_id)
    assert bytes(content) == b"\x89PNG\r\n\x1a\npng-bytes"


def test_sdk_lists_messages(fresh_sandbox):
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        api = MessagesApi(api_client)
        sent = api.create_message(fresh_sandbox.account_id, message_request())
        page = api.list_messages(fresh_sandbox.account_id, message_id=sent.id)
    assert [m.message_id for m in page.messages] == [sent.id]


def test_sdk_models_read_the_sandbox_callbacks(fresh_sandbox):
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        sent = MessagesApi(api_client).create_message(fresh_sandbox.account_id, message_request())
    (callback, *_) = fresh_sandbox.control.callbacks(message_id=sent.id)
    (event,) = callback["payload"]  # the real envelope: a one-element array
    model = StatusCallback.from_dict(event)
    assert model.message.id == sent.id and model.to == CONTACT


def test_sdk_lists_tfv_webhook_subscriptions(fresh_sandbox):
    with ApiClient(sdk_config(fresh_sandbox)) as api_client:
        api = TollFreeVerificationApi(api_client)
        created = api.create_webhook_subscription(
            fresh_sandbox.account_id,
            WebhookSubscriptionRequestSchema(callback_url="https://app.example.com/hook"),
        )
        listed = api.list_webhook_subscriptions(fresh_sandbox.account_id)
    assert created.id
    assert [s.id for s in listed.data] == [created.id]
