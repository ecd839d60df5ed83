"""Toll-free verification: submit, review, denial on request, webhooks, blocking, resubmit."""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

import pytest

from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, TF_NUMBER, Api, CallbackReceiver

SUBMISSION: dict[str, Any] = {
    "phoneNumbers": [TF_NUMBER],
    "businessAddress": {
        "name": "Garcia & Associates LLP",
        "addr1": "1 Main St",
        "city": "Raleigh",
        "state": "NC",
        "zip": "27606",
        "url": "https://garcia.example",
    },
    "businessContact": {
        "firstName": "Ana",
        "lastName": "Garcia",
        "email": "ana@garcia.example",
        "phoneNumber": "+19195550123",
    },
    "messageVolume": 1000,
    "useCase": "Legal Services",
    "useCaseSummary": "Law firm texting its clients about their matters",
    "productionMessageContent": "Garcia & Associates: your hearing is on Tue 3pm.",
    "optInWorkflow": {
        "description": "Clients give their number at intake",
        "imageUrls": ["https://garcia.example/optin.png"],
    },
    "businessEntityType": "PRIVATE_PROFIT",
    "businessRegistrationNumber": "12-3456789",
    "businessRegistrationType": "EIN",
    "businessRegistrationIssuingCountry": "USA",
}
BASE = f"/api/v2/accounts/{ACCOUNT}"
STATUS_PATH = f"{BASE}/phoneNumbers/%2B18445550100/tollFreeVerification"


def _submit(api: Api, **changes: Any) -> Any:
    body = copy.deepcopy(SUBMISSION)
    body.update(changes)
    return api.session.post(api.url(f"{BASE}/tollFreeVerification"), json=body, timeout=5)


def _status(api: Api) -> dict[str, Any]:
    response = api.session.get(api.url(STATUS_PATH), timeout=5)
    assert response.status_code == 200
    return dict(response.json())


def _webhooks(receiver: CallbackReceiver) -> list[dict[str, Any]]:
    return [r.json for r in receiver.received("/webhooks/provider/verification")]


def test_never_submitted_number_is_unverified_without_submission(api: Api) -> None:
    status = _status(api)
    assert status["status"] == "UNVERIFIED"
    assert "submission" not in status


def test_submission_goes_pending_then_verified_with_webhooks(
    api: Api, receiver: CallbackReceiver
) -> None:
    response = _submit(api)
    assert response.status_code == 202
    assert response.content == b""
    assert _status(api)["status"] == "PENDING"
    receiver.wait_for(lambda r: len(_webhooks(r)) == 2)
    pending, verified = _webhooks(receiver)
    assert pending["status"] == "PENDING"
    assert verified == {
        "accountId": ACCOUNT,
        "phoneNumber": TF_NUMBER,
        "status": "VERIFIED",
        "internalTicketNumber": pending["internalTicketNumber"],
    }
    status = _status(api)
    assert status["status"] == "VERIFIED"
    assert status["submission"]["useCase"] == "Legal Services"
    request = receiver.received("/verification")[-1]
    assert request.headers["authorization"].startswith("Basic ")


def test_denial_is_asked_for_in_additional_information(
    api: Api, receiver: CallbackReceiver
) -> None:
    assert _submit(api, additionalInformation="SANDBOX_DENY=546").status_code == 202
    receiver.wait_for(lambda r: len(_webhooks(r)) == 2)
    denied = _webhooks(receiver)[-1]
    assert denied["status"] == "UNVERIFIED"
    assert denied["denialStatusCode"] == 546
    assert "Website is not accessible" in denied["declineReasonDescription"]
    assert denied["resubmitAllowed"] is True
    status = _status(api)
    assert (status["status"], status["denialStatusCode"]) == ("UNVERIFIED", 546)

    submission = {k: v for k, v in SUBMISSION.items() if k != "phoneNumbers"}
    resubmitted = api.session.put(api.url(STATUS_PATH), json={"submission": submission})
    assert resubmitted.status_code == 202
    assert _status(api)["status"] == "PENDING"


def test_resubmit_is_refused_unless_allowed(api: Api, sandbox: SandboxProcess) -> None:
    sandbox.control.set_verification(TF_NUMBER, "UNVERIFIED", denial_status_code=511)
    assert _status(api)["resubmitAllowed"] is False
    submission = {k: v for k, v in SUBMISSION.items() if k != "phoneNumbers"}
    response = api.session.put(api.url(STATUS_PATH), json={"submission": submission})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phoneNumbers": ["+12025550143"]}, "phoneNumbers[0]"),  # not toll-free
        ({"phoneNumbers": ["+18335550100"]}, "phoneNumbers[0]"),  # not ours
        ({"businessEntityType": "LLC"}, "businessEntityType"),
        ({"useCase": "Anything"}, "useCase"),
        ({"messageVolume": 5}, "messageVolume"),
        ({"businessRegistrationNumber": None}, "businessRegistrationNumber"),
        ({"businessEntityType": "SOLE_PROPRIETOR"}, "businessRegistrationNumber"),
        ({"optInWorkflow": {"description": "x", "imageUrls": "nope"}}, "optInWorkflow.imageUrls"),
        ({"businessAddress": {"name": "x"}}, "businessAddress.url"),
    ],
)
def test_invalid_submissions_get_400(api: Api, changes: dict[str, Any], field: str) -> None:
    response = _submit(api, **changes)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_subscription_gets_webhooks_with_basic_auth_and_hmac(
    api: Api, receiver: CallbackReceiver
) -> None:
    secret = "a-shared-secret-of-32-characters"
    created = api.session.post(
        api.url(f"{BASE}/tollFreeVerification/webhooks/subscriptions"),
        json={
            "callbackUrl": f"{receiver.url}/tfv-hook",
            "basicAuthentication": {"username": "u", "password": "p"},
            "sharedSecretKey": secret,
        },
        timeout=5,
    )
    assert created.status_code == 201
    assert created.json()["type"] == "TOLLFREE_VERIFICATION_STATUS"
    assert created.json()["basicAuthentication"] == {"username": "u", "password": None}
    _submit(api)
    receiver.wait_for(lambda r: len(r.received("/tfv-hook")) == 2)
    request = receiver.received("/tfv-hook")[-1]
    assert request.headers["authorization"] == "Basic dTpw"
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-bandwidth-signature-hmac-sha256"] == expected
    assert _webhooks(receiver) == []  # the default URL is not used while a subscription exists
    listed = api.session.get(api.url(f"{BASE}/tollFreeVerification/webhooks/subscriptions"))
    assert listed.json()["errors"] == []
    assert [sub["id"] for sub in listed.json()["data"]] == [created.json()["id"]]


def test_control_route_sets_status_and_fires_webhook(
    sandbox: SandboxProcess, receiver: CallbackReceiver, api: Api
) -> None:
    sandbox.control.set_verification(TF_NUMBER, "UNVERIFIED", denial_status_code=545)
    receiver.wait_for(lambda r: len(_webhooks(r)) == 1)
    assert _webhooks(receiver)[0]["denialStatusCode"] == 545
    assert _status(api)["status"] == "UNVERIFIED"


def test_use_cases_are_listed(api: Api) -> None:
    response = api.session.get(api.url("/api/v2/tollFreeVerification/useCases"), timeout=5)
    assert "Legal Services" in response.json()


def test_block_unverified_fails_sends_with_4795(
    api: Api, sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    sandbox.control.set_settings(block_unverified=True)
    blocked = api.send()
    assert blocked.status_code == 202  # the API accepts; the aggregator blocks
    receiver.wait_for(lambda r: bool(r.messaging_events(blocked.json()["id"])))
    [failed] = receiver.messaging_events(blocked.json()["id"])
    assert (failed["type"], failed["errorCode"]) == ("message-failed", 4795)

    sandbox.control.set_verification(TF_NUMBER, "VERIFIED")
    allowed = api.send().json()["id"]
    receiver.wait_for(
        lambda r: any(e["type"] == "message-delivered" for e in r.messaging_events(allowed))
    )


def test_pending_numbers_may_text_when_not_blocking(
    api: Api, sandbox: SandboxProcess, receiver: CallbackReceiver
) -> None:
    sandbox.control.set_verification(TF_NUMBER, "PENDING")
    message_id = api.send().json()["id"]
    receiver.wait_for(
        lambda r: any(e["type"] == "message-delivered" for e in r.messaging_events(message_id))
    )


def test_delete_forgets_the_submission(api: Api) -> None:
    _submit(api)
    assert api.session.delete(api.url(STATUS_PATH), timeout=5).status_code == 204
    assert "submission" not in _status(api)
    assert api.session.delete(api.url(STATUS_PATH), timeout=5).status_code == 404


def test_subscription_update_and_delete(api: Api, receiver: CallbackReceiver) -> None:
    subscriptions = api.url(f"{BASE}/tollFreeVerification/webhooks/subscriptions")
    created = api.session.post(subscriptions, json={"callbackUrl": f"{receiver.url}/one"}).json()
    one = f"{subscriptions}/{created['id']}"
    updated = api.session.put(one, json={"callbackUrl": f"{receiver.url}/two"}, timeout=5)
    assert updated.status_code == 200
    assert updated.json()["callbackUrl"].endswith("/two")
    assert api.session.delete(one, timeout=5).status_code == 204
    assert api.session.get(subscriptions, timeout=5).json()["data"] == []
    assert api.session.delete(one, timeout=5).status_code == 404
    bad = api.session.post(subscriptions, json={"callbackUrl": "ftp://x", "sharedSecretKey": "s"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"callbackUrl", "sharedSecretKey"}
