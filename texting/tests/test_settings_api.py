"""/api/v1/texting/: the firm's texting status and settings, for admins (A1, S1–S4, T2)."""

from typing import Any

from django_scopes import scopes_disabled

from accounts.models import ApiToken, Firm, Membership, User
from accounts.tests.factories import MembershipFactory
from texting.models import TextingSettings

URL = "/api/v1/texting/"


def _settings(firm: Firm) -> TextingSettings:
    with scopes_disabled():
        return TextingSettings.objects.get(firm=firm)


def test_an_admin_reads_the_status_and_settings(
    api_client_for: Any, admin: User, firm: Firm
) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        TextingSettings.objects.create(
            firm=firm,
            alternative_email="desk@garcia.example",
            event_reminder_days=2,
            verification_status=TextingSettings.VerificationStatus.PENDING,
        )
    response = api_client_for(admin).get(URL)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "available": True,
        "unavailable_reason": "",
        "toll_free_number": "+18445550100",
        "verification_status": "pending",
        "verification_decline_reason": "",
        "alternative_phone": "",
        "alternative_email": "desk@garcia.example",
        "event_reminder_days": 2,
    }


def test_a_firm_without_texting_is_told_why(api_client_for: Any, admin: User, firm: Firm) -> None:
    firm.plan = Firm.Plan.EASYSTART
    firm.save()
    data = api_client_for(admin).get(URL).json()["data"]
    assert data["available"] is False and "Essentials" in data["unavailable_reason"]
    assert data["verification_status"] == "not_submitted"


def test_an_admin_changes_the_alternative_contact_and_reminders(
    api_client_for: Any, admin: User, firm: Firm
) -> None:
    client = api_client_for(admin)
    response = client.patch(
        URL, {"alternative_phone": "+12025550188", "event_reminder_days": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["alternative_phone"] == "+12025550188"
    row = _settings(firm)
    assert (row.alternative_phone_e164, row.event_reminder_days) == ("+12025550188", 3)

    assert client.patch(URL, {"event_reminder_days": None}, format="json").status_code == 200
    assert _settings(firm).event_reminder_days is None


def test_bad_settings_are_400_and_change_nothing(
    api_client_for: Any, admin: User, firm: Firm
) -> None:
    client = api_client_for(admin)
    client.patch(URL, {"alternative_email": "desk@garcia.example"}, format="json")
    for body in (
        {"alternative_phone": "+442071838750", "event_reminder_days": 5},  # not +1
        {"event_reminder_days": 31},
        {"alternative_phone": "", "alternative_email": ""},  # neither
    ):
        response = client.patch(URL, body, format="json")
        assert response.status_code == 400, body
        assert "error" in response.json()
    row = _settings(firm)
    assert (row.alternative_email, row.alternative_phone_e164) == ("desk@garcia.example", "")
    assert row.event_reminder_days is None


def test_staff_and_read_only_tokens_are_refused(
    api_client_for: Any, admin: User, member: User, firm: Firm
) -> None:
    assert api_client_for(member).get(URL).status_code == 403
    assert (
        api_client_for(member).patch(URL, {"event_reminder_days": 2}, format="json").status_code
        == 403
    )
    reader = api_client_for(admin, scope=ApiToken.Scope.READ)
    assert reader.get(URL).status_code == 200
    assert reader.patch(URL, {"event_reminder_days": 2}, format="json").status_code == 403
    with scopes_disabled():
        assert not TextingSettings.objects.filter(firm=firm, event_reminder_days=2).exists()


def test_each_firm_sees_and_changes_only_its_own(
    api_client_for: Any, admin: User, firm: Firm, other_firm: Firm
) -> None:
    their_admin = MembershipFactory(firm=other_firm, role=Membership.Role.ADMIN).user
    api_client_for(admin).patch(URL, {"alternative_email": "ours@garcia.example"}, format="json")
    theirs = api_client_for(their_admin)
    assert theirs.get(URL).json()["data"]["alternative_email"] == ""
    theirs.patch(URL, {"alternative_email": "theirs@other.example"}, format="json")
    assert _settings(firm).alternative_email == "ours@garcia.example"
