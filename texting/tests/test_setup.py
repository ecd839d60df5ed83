"""Settings > Text Messaging (S1–S4, T2, T3, C6): the setup flow against the provider sandbox
over HTTP, the settings forms, and the dropped-texts log."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Firm
from texting.exceptions import NotFirmAdmin, SetupFailed
from texting.models import DroppedInbound, TextingSettings, VerificationSubmission
from texting.provider import ProviderClient
from texting.services.setup import SetupDetails, texting_setup_submit

BASE = "/settings/text-messaging/"
BUSINESS = {
    "legal_name": "Garcia & Associates PLLC",
    "dba": "Garcia Law",
    "entity_type": "PRIVATE_PROFIT",
    "ein": "12-3456789",
    "address_line1": "1 Main St",
    "address_line2": "Suite 200",
    "city": "Raleigh",
    "state": "NC",
    "postal_code": "27606",
    "website": "https://garcia-law.example",
    "contact_first_name": "Ana",
    "contact_last_name": "Garcia",
    "contact_email": "ana@garcia-law.example",
    "contact_phone": "(919) 555-0123",
    "alternative_phone": "202-555-0188",
    "alternative_email": "office@garcia-law.example",
}
VERIFICATION = {
    "use_case": "Legal Services",
    "use_case_summary": "Calendar notifications and conversations with clients.",
    "monthly_volume": "500",
    "sample_message": "Garcia Law: Reminder of your consultation on Tue at 10 AM. Reply Y or N.",
    "opt_in_description": "Clients tick an SMS consent box on the signed intake form.",
    "opt_in_image_url": "https://garcia-law.example/intake-consent.png",
}
DETAILS = SetupDetails(
    legal_name="Garcia & Associates PLLC",
    address_line1="1 Main St",
    city="Raleigh",
    state="NC",
    postal_code="27606",
    website="https://garcia-law.example",
    entity_type="PRIVATE_PROFIT",
    ein="12-3456789",
    contact_first_name="Ana",
    contact_last_name="Garcia",
    contact_email="ana@garcia-law.example",
    contact_phone_e164="+19195550123",
    use_case="Legal Services",
    use_case_summary="Calendar notifications and conversations with clients.",
    monthly_volume=500,
    sample_message="Garcia Law: Reminder of your consultation. Reply Y or N.",
    opt_in_description="Clients tick an SMS consent box on the signed intake form.",
    opt_in_image_url="https://garcia-law.example/intake-consent.png",
    alternative_phone_e164="+12025550188",
)


def _api_requests(sandbox: Any) -> list[dict[str, Any]]:
    """What the app asked the provider's APIs (not the tests' control calls)."""
    return [r for r in sandbox.control.requests() if not r["path"].startswith("/sandbox/")]


def _orders(sandbox: Any) -> list[dict[str, Any]]:
    return [
        r for r in sandbox.control.requests() if r["method"] == "POST" and "/orders" in r["path"]
    ]


def _tfv_requests(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.control.requests() if "tollFreeVerification" in r["path"]]


def _complete_setup(client: Any) -> Any:
    assert client.post(f"{BASE}get-started/", BUSINESS).status_code == 302
    assert client.post(f"{BASE}get-started/verification/", VERIFICATION).status_code == 302
    review = client.get(f"{BASE}get-started/review/")
    assert review.status_code == 200
    assert "Garcia &amp; Associates PLLC" in review.content.decode()
    return client.post(f"{BASE}get-started/review/")


def _texting_settings(firm: Firm) -> TextingSettings | None:
    with scope(firm=firm.id):
        return TextingSettings.objects.for_firm(firm).first()


# --- the setup flow (S1, S2, S3) ----------------------------------------------------------------


def test_setup_orders_a_number_and_files_verification(client_for, admin, firm, sandbox) -> None:
    client = client_for(admin)
    response = _complete_setup(client)
    assert response.status_code == 302 and response["Location"] == BASE

    firm.refresh_from_db()
    number = firm.toll_free_number_e164
    assert number and number.startswith("+18")
    assert sandbox.control.numbers() == [number]
    assert len(_orders(sandbox)) == 1
    [submit] = [r for r in _tfv_requests(sandbox) if r["method"] == "POST"]
    assert submit["status"] == 202
    # The provider holds the request for the firm's new number.
    with ProviderClient.from_settings() as provider:
        status = provider.tfv_status(number)
    assert status.submitted

    settings = _texting_settings(firm)
    assert settings is not None
    assert settings.verification_status == TextingSettings.VerificationStatus.PENDING
    assert settings.verification_submitted_at is not None
    assert settings.alternative_phone_e164 == "+12025550188"
    assert settings.alternative_email == "office@garcia-law.example"
    assert settings.setup_claimed_at is None and settings.number_order_id == ""
    with scope(firm=firm.id):
        [submission] = VerificationSubmission.objects.for_firm(firm)
    assert submission.phone_number_e164 == number and submission.ein == "12-3456789"
    assert submission.contact_phone_e164 == "+19195550123" and submission.submitted_by == admin

    page = client.get(BASE).content.decode()
    assert 'id="verification-status">Pending<' in page
    assert number in page
    assert "submit-verification" not in page


def test_submitting_twice_orders_one_number(client_for, admin, firm, sandbox) -> None:
    client = client_for(admin)
    _complete_setup(client)
    # A second Submit (double click, back button) finds the setup done.
    client.post(f"{BASE}get-started/", BUSINESS)
    again = client.post(f"{BASE}get-started/review/")
    assert again.status_code == 302
    with scope(firm=firm.id):
        texting_setup_submit(firm=firm, actor=admin, details=DETAILS)
        assert VerificationSubmission.objects.for_firm(firm).count() == 1
    assert len(_orders(sandbox)) == 1
    assert len(sandbox.control.numbers()) == 1
    assert len([r for r in _tfv_requests(sandbox) if r["method"] == "POST"]) == 1


def test_a_retry_finishes_the_order_an_earlier_attempt_placed(admin, firm, sandbox, settings):
    # An earlier attempt placed the order and stored its id, then died before assigning.
    with ProviderClient.from_settings() as provider:
        [candidate] = provider.search_toll_free("8**", 1)
        order = provider.order_numbers(
            [candidate], site_id=settings.PROVIDER_SITE_ID, peer_id=settings.PROVIDER_PEER_ID
        )
    with scope(firm=firm.id):
        TextingSettings.objects.create(firm=firm, number_order_id=order.id)
        texting_setup_submit(firm=firm, actor=admin, details=DETAILS)
    firm.refresh_from_db()
    assert firm.toll_free_number_e164 == candidate
    assert len(_orders(sandbox)) == 1  # the earlier one only
    assert sandbox.control.numbers() == [candidate]


def test_provider_unreachable_changes_nothing(client_for, admin, firm, sandbox, settings) -> None:
    settings.PROVIDER_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = _complete_setup(client_for(admin))
    assert response.status_code == 200
    assert "could not be reached" in response.content.decode()
    firm.refresh_from_db()
    assert firm.toll_free_number_e164 is None
    settings_row = _texting_settings(firm)
    assert settings_row is not None
    assert settings_row.verification_status == TextingSettings.VerificationStatus.NOT_SUBMITTED
    assert settings_row.setup_claimed_at is None  # a retry is not told "in progress"
    with scope(firm=firm.id):
        assert not VerificationSubmission.objects.for_firm(firm).exists()


def test_a_firm_set_up_earlier_submits_only_the_verification(
    client_for, admin, texting_firm, sandbox
) -> None:
    client = client_for(admin)
    page = client.get(BASE).content.decode()
    assert "submit-verification" in page and "Not submitted" in page
    assert "Verify your toll-free number" in client.get(f"{BASE}verification/").content.decode()
    _complete_setup(client)
    texting_firm.refresh_from_db()
    assert texting_firm.toll_free_number_e164 == "+18445550100"
    assert _orders(sandbox) == []
    settings = _texting_settings(texting_firm)
    assert settings is not None
    assert settings.verification_status == TextingSettings.VerificationStatus.PENDING


def test_a_refused_verification_shows_why_and_changes_nothing(admin, firm, sandbox) -> None:
    # The firm's number is not one the provider's account owns: the provider refuses (400).
    firm.toll_free_number_e164 = "+18885550199"
    firm.save()
    with scope(firm=firm.id), pytest.raises(SetupFailed) as refused:
        texting_setup_submit(firm=firm, actor=admin, details=DETAILS)
    assert "refused the verification request" in refused.value.message
    settings = _texting_settings(firm)
    assert settings is not None
    assert settings.verification_status == TextingSettings.VerificationStatus.NOT_SUBMITTED
    assert settings.alternative_phone_e164 == ""
    with scope(firm=firm.id):
        assert not VerificationSubmission.objects.for_firm(firm).exists()


def test_a_rejected_firm_resubmits(client_for, admin, texting_firm, sandbox) -> None:
    with scope(firm=texting_firm.id):
        texting_setup_submit(firm=texting_firm, actor=admin, details=DETAILS)
    sandbox.control.set_verification(
        "+18445550100",
        "UNVERIFIED",
        denial_status_code=546,
        decline_reason_description="Website is not accessible",
        resubmit_allowed=True,
    )
    with scope(firm=texting_firm.id):
        TextingSettings.objects.for_firm(texting_firm).update(
            verification_status=TextingSettings.VerificationStatus.REJECTED,
            verification_denial_code=546,
            verification_decline_reason="Website is not accessible",
        )
    client = client_for(admin)
    page = client.get(BASE).content.decode()
    assert "Rejected" in page and "Website is not accessible" in page
    _complete_setup(client)
    assert [r["status"] for r in _tfv_requests(sandbox) if r["method"] == "PUT"] == [202]
    settings = _texting_settings(texting_firm)
    assert settings is not None
    assert settings.verification_status == TextingSettings.VerificationStatus.PENDING
    assert settings.verification_decline_reason == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alternative_phone", "+44 20 7946 0958", "US or Canadian number"),
        ("contact_phone", "12345", "valid phone number"),
        ("website", "http://garcia-law.example", "https://"),
        ("ein", "", "only sole proprietors leave it out"),
        ("contact_email", "not-an-email", "valid email"),
    ],
)
def test_invalid_details_are_refused_and_change_nothing(
    client_for, admin, firm, sandbox, field, value, message
) -> None:
    client = client_for(admin)
    response = client.post(f"{BASE}get-started/", {**BUSINESS, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    # No draft was kept: the later steps send the admin back to the first.
    assert client.get(f"{BASE}get-started/review/")["Location"] == f"{BASE}get-started/"
    assert client.post(f"{BASE}get-started/review/")["Location"] == f"{BASE}get-started/"
    firm.refresh_from_db()
    assert firm.toll_free_number_e164 is None
    assert _texting_settings(firm) is None
    assert _api_requests(sandbox) == []


def test_both_alternative_contacts_empty_is_refused(client_for, admin, firm, sandbox) -> None:
    data = {**BUSINESS, "alternative_phone": "", "alternative_email": ""}
    response = client_for(admin).post(f"{BASE}get-started/", data)
    assert "Give a phone number or an email" in response.content.decode()


def test_invalid_verification_step_is_refused(client_for, admin, firm, sandbox) -> None:
    client = client_for(admin)
    client.post(f"{BASE}get-started/", BUSINESS)
    response = client.post(
        f"{BASE}get-started/verification/", {**VERIFICATION, "monthly_volume": "5"}
    )
    assert response.status_code == 200
    assert "greater than or equal to 10" in response.content.decode()
    assert client.get(f"{BASE}get-started/review/")["Location"] == (
        f"{BASE}get-started/verification/"
    )


# --- who may (T2, T3, T1) -----------------------------------------------------------------------

PAGES = [
    "",
    "get-started/",
    "verification/",
    "get-started/verification/",
    "get-started/review/",
    "details/",
    "reminders/",
    "templates/",
    "dropped-texts/",
]


@pytest.mark.parametrize("page", PAGES)
def test_staff_get_403_everywhere(client_for, member, page) -> None:
    client = client_for(member)
    assert client.get(BASE + page).status_code == 403
    assert client.post(BASE + page, BUSINESS).status_code == 403


def test_staff_cannot_set_up_through_the_service(member, firm, sandbox) -> None:
    with scope(firm=firm.id), pytest.raises(NotFirmAdmin):
        texting_setup_submit(firm=firm, actor=member, details=DETAILS)
    assert _api_requests(sandbox) == []


@pytest.mark.parametrize(
    ("plan", "region", "reason"),
    [
        (Firm.Plan.ESSENTIALS, Firm.Region.EU, "only to firms hosted in the North America"),
        (Firm.Plan.EASYSTART, Firm.Region.NORTH_AMERICA, "Essentials, Advanced and Complete"),
    ],
)
def test_firm_without_texting_sees_the_reason_and_no_forms(
    client_for, admin, firm, plan, region, reason
) -> None:
    firm.plan, firm.region = plan, region
    firm.save()
    client = client_for(admin)
    page = client.get(BASE)
    assert page.status_code == 200
    html = page.content.decode()
    assert reason in html
    assert '<form method="post"' not in html.split('id="texting-unavailable"')[1]
    assert "get-started" not in html
    for sub in PAGES[1:]:
        refused = client.post(BASE + sub, {**BUSINESS, "days": "3"})
        assert refused.status_code == 403 and reason in refused.content.decode()
    assert _texting_settings(firm) is None


def test_another_firms_admin_sees_none_of_this_firms_setup(
    client_for, outsider, texting_firm, unscoped
) -> None:
    TextingSettings.objects.create(firm=texting_firm, alternative_email="office@garcia.example")
    page = client_for(outsider).get(BASE).content.decode()
    assert "+18445550100" not in page and "(844) 555-0100" not in page
    details = client_for(outsider).get(f"{BASE}details/").content.decode()
    assert "office@garcia.example" not in details


# --- Your details, event reminders, templates (S4) ----------------------------------------------


def test_your_details_are_saved(client_for, admin, firm) -> None:
    client = client_for(admin)
    response = client.post(
        f"{BASE}details/",
        {"alternative_phone": "(416) 555-0134", "alternative_email": "desk@garcia.example"},
    )
    assert response.status_code == 302
    settings = _texting_settings(firm)
    assert settings is not None
    assert settings.alternative_phone_e164 == "+14165550134"
    assert settings.alternative_email == "desk@garcia.example"
    assert "desk@garcia.example" in client.get(f"{BASE}details/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alternative_phone": "+44 20 7946 0958", "alternative_email": ""}, "(+1)"),
        ({"alternative_phone": "", "alternative_email": "nope"}, "valid email"),
        ({"alternative_phone": "", "alternative_email": ""}, "Give a phone number or an email"),
    ],
)
def test_invalid_details_change_nothing(client_for, admin, firm, unscoped, data, message) -> None:
    TextingSettings.objects.create(firm=firm, alternative_email="kept@garcia.example")
    response = client_for(admin).post(f"{BASE}details/", data)
    assert response.status_code == 200 and message in response.content.decode()
    settings = TextingSettings.objects.get(firm=firm)
    assert settings.alternative_email == "kept@garcia.example"
    assert settings.alternative_phone_e164 == ""


def test_event_reminders_are_saved_and_turned_off(client_for, admin, firm) -> None:
    client = client_for(admin)
    assert client.post(f"{BASE}reminders/", {"days": "3"}).status_code == 302
    settings = _texting_settings(firm)
    assert settings is not None and settings.event_reminder_days == 3
    assert "3 days before the event" in client.get(BASE).content.decode()
    assert client.post(f"{BASE}reminders/", {"days": ""}).status_code == 302
    settings = _texting_settings(firm)
    assert settings is not None and settings.event_reminder_days is None


@pytest.mark.parametrize("days", ["0", "31", "45", "soon"])
def test_reminder_days_outside_1_to_30_are_refused(client_for, admin, firm, unscoped, days):
    TextingSettings.objects.create(firm=firm, event_reminder_days=2)
    response = client_for(admin).post(f"{BASE}reminders/", {"days": days})
    assert response.status_code == 200
    assert "between 1 and 30" in response.content.decode()
    assert TextingSettings.objects.get(firm=firm).event_reminder_days == 2


def test_templates_are_rendered_with_the_firms_data(client_for, admin, firm, unscoped) -> None:
    TextingSettings.objects.create(
        firm=firm, alternative_phone_e164="+12025550188", alternative_email="desk@garcia.example"
    )
    html = client_for(admin).get(f"{BASE}templates/").content.decode()
    for kind in ("created", "updated", "cancelled", "reminder"):
        start = html.index(f'data-template="{kind}"')
        text = html[start : html.index("</blockquote>", start)]
        assert "Garcia &amp; Associates" in text
        assert "(202) 555-0188" in text and "desk@garcia.example" in text
        assert ("Reply Y to confirm or N to decline" in text) == (kind in ("created", "reminder"))
    assert "<textarea" not in html and "<form" not in html.split("Text message templates</h2>")[1]


# --- dropped inbound texts (C6, T1) -------------------------------------------------------------


def _dropped(firm: Firm, sender: str, minutes_ago: int, reason: str = "unknown_sender") -> None:
    with scopes_disabled():
        DroppedInbound.objects.create(
            firm=firm,
            sender_e164=sender,
            reason=reason,
            received_at=timezone.now() - timedelta(minutes=minutes_ago),
            provider_message_id=f"{firm.id}-{sender}-{minutes_ago}",
        )


def test_dropped_texts_of_this_firm_only_newest_first(
    client_for, admin, firm, other_firm, django_assert_max_num_queries
) -> None:
    _dropped(firm, "+12025550101", 60)
    _dropped(firm, "+12025550102", 5, reason="never_texted")
    _dropped(other_firm, "+13125550199", 1)
    client = client_for(admin)
    with django_assert_max_num_queries(12):
        html = client.get(f"{BASE}dropped-texts/").content.decode()
    assert html.index("(202) 555-0102") < html.index("(202) 555-0101")
    assert "A contact the firm has not texted yet" in html
    assert "(312) 555-0199" not in html


def test_dropped_texts_are_paginated(client_for, admin, firm) -> None:
    for minute in range(30):
        _dropped(firm, f"+120255501{minute:02d}", minute)
    client = client_for(admin)
    first = client.get(f"{BASE}dropped-texts/").content.decode()
    second = client.get(f"{BASE}dropped-texts/?page=2").content.decode()
    assert "Page 1 of 2" in first and "(202) 555-0100" in first
    assert "(202) 555-0129" in second and "(202) 555-0129" not in first
