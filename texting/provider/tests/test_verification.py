"""Toll-free verification: submit, status over time, denial and resubmission, webhooks."""

import pytest

from texting.provider import (
    BusinessAddress,
    BusinessContact,
    OptInWorkflow,
    ProviderRejected,
    VerificationRequest,
    VerificationState,
)

from .conftest import OUR_NUMBER, api_requests, wait_for


def request_for(number: str = OUR_NUMBER, **overrides) -> VerificationRequest:
    fields = {
        "phone_numbers": (number,),
        "business_address": BusinessAddress(
            name="Garcia & Associates LLP",
            addr1="1 Main St",
            city="Raleigh",
            state="NC",
            zip="27606",
            url="https://garcia-law.example",
        ),
        "business_contact": BusinessContact(
            first_name="Ana",
            last_name="Garcia",
            email="ana@garcia-law.example",
            phone_number="+19195550123",
        ),
        "message_volume": 1000,
        "use_case": "Legal Services",
        "use_case_summary": "Case updates and appointment reminders for clients who opted in.",
        "production_message_content": "Garcia & Associates: hearing Tue 3pm. STOP to opt out.",
        "opt_in_workflow": OptInWorkflow(
            description="Clients tick an SMS consent box on the intake form.",
            image_urls=("https://garcia-law.example/optin.png",),
        ),
        "business_entity_type": "PRIVATE_PROFIT",
        "business_registration_number": "12-3456789",
        "business_registration_type": "EIN",
        "business_registration_issuing_country": "USA",
        "privacy_policy_url": "https://garcia-law.example/privacy",
        "help_message_response": "Garcia & Associates: call 919-555-0123.",
        "age_gated_content": False,
    }
    fields.update(overrides)
    return VerificationRequest(**fields)


def test_never_submitted_number_is_unverified(provider):
    status = provider.tfv_status(OUR_NUMBER)
    assert status.status is VerificationState.UNVERIFIED
    assert not status.submitted and not status.denied


def test_submit_then_pending_then_verified(provider, fresh_sandbox):
    fresh_sandbox.control.set_settings(verification_delay_seconds=1.0)
    assert provider.tfv_submit(request_for()) is None
    pending = provider.tfv_status(OUR_NUMBER)
    assert pending.status is VerificationState.PENDING
    assert pending.phone_number == OUR_NUMBER
    assert pending.internal_ticket_number
    assert pending.submitted and pending.created is not None
    verified = wait_for(lambda: (s := provider.tfv_status(OUR_NUMBER)).verified and s, timeout=10)
    assert verified.status is VerificationState.VERIFIED
    assert verified.denial_status_code is None
    assert verified.internal_ticket_number == pending.internal_ticket_number


def test_a_plain_dict_submission_is_accepted(provider):
    provider.tfv_submit(request_for().to_json())
    assert provider.tfv_status(OUR_NUMBER).status is VerificationState.PENDING


def test_denial_allows_resubmission(provider, fresh_sandbox):
    provider.tfv_submit(request_for(additional_information="SANDBOX_DENY=546"))
    denied = wait_for(lambda: (s := provider.tfv_status(OUR_NUMBER)).denied and s)
    assert denied.status is VerificationState.UNVERIFIED
    assert denied.denial_status_code == 546
    assert "Website" in (denied.decline_reason or "")
    assert denied.resubmit_allowed

    provider.tfv_resubmit(OUR_NUMBER, request_for())
    assert provider.tfv_status(OUR_NUMBER).status is VerificationState.PENDING
    assert wait_for(lambda: provider.tfv_status(OUR_NUMBER).verified)


def test_denial_without_resubmission(provider):
    provider.tfv_submit(request_for(additional_information="SANDBOX_DENY=511"))
    denied = wait_for(lambda: (s := provider.tfv_status(OUR_NUMBER)).denied and s)
    assert denied.denial_status_code == 511 and not denied.resubmit_allowed
    with pytest.raises(ProviderRejected) as excinfo:
        provider.tfv_resubmit(OUR_NUMBER, request_for())
    assert excinfo.value.http_status == 400
    assert [fe.field for fe in excinfo.value.field_errors] == ["phoneNumber"]


def test_resubmitting_a_pending_number_is_refused(provider):
    provider.tfv_submit(request_for())
    with pytest.raises(ProviderRejected):
        provider.tfv_resubmit(OUR_NUMBER, request_for())


def test_submitting_twice_is_refused(provider):
    provider.tfv_submit(request_for())
    with pytest.raises(ProviderRejected) as excinfo:
        provider.tfv_submit(request_for())
    assert excinfo.value.field_errors[0].field == "phoneNumbers[0]"
    assert "8445550100" not in str(excinfo.value)


def test_invalid_submission_field_errors(provider):
    bad = request_for(message_volume=5, business_registration_type="SSN")
    with pytest.raises(ProviderRejected) as excinfo:
        provider.tfv_submit(bad)
    error = excinfo.value
    assert error.http_status == 400
    assert {fe.field for fe in error.field_errors} == {"messageVolume", "businessRegistrationType"}
    assert error.description == "cannot process request."


def test_unknown_number_is_not_found(provider):
    with pytest.raises(ProviderRejected) as excinfo:
        provider.tfv_status("+18445550177")
    assert excinfo.value.http_status == 404


def test_local_checks_make_no_request(provider, fresh_sandbox, counting):
    with pytest.raises(ProviderRejected):
        provider.tfv_status("8445550100")
    with pytest.raises(ProviderRejected):
        provider.tfv_submit(request_for(phone_numbers=()))
    with pytest.raises(ProviderRejected):
        provider.tfv_subscribe_webhook("https://app.example/hook", "u", "p", shared_secret="short")
    with pytest.raises(ProviderRejected):
        provider.tfv_subscribe_webhook("ftp://app.example/hook")
    assert counting.sent == [] and api_requests(fresh_sandbox) == []


def test_webhook_subscription(provider, fresh_sandbox):
    sub = provider.tfv_subscribe_webhook(
        "https://app.example/webhooks/provider/verification",
        "provider",
        "webhook-password",
        shared_secret="0123456789abcdef0123",
    )
    assert sub.id and sub.account_id == fresh_sandbox.account_id
    assert sub.callback_url == "https://app.example/webhooks/provider/verification"
    assert sub.type == "TOLLFREE_VERIFICATION_STATUS"
    assert sub.username == "provider"
    assert sub.created is not None
    (listed,) = provider.tfv_webhook_subscriptions()
    assert listed == sub
