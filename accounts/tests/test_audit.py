"""The audit log (issue 9): every recording point writes exactly one event, a refused or
rolled-back action writes none, and Settings > Audit log shows a firm's admins their own."""

import io
import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import transaction
from django.test import Client, RequestFactory
from django_scopes import scope, scopes_disabled

from accounts.audit import audit_event_list, audit_record, request_client_ip
from accounts.models import ApiToken, AuditEvent, Firm, Membership, User
from accounts.services import api_token_create, member_create
from accounts.tests.factories import ApiTokenFactory
from common.crypto import DecryptionError
from common.exceptions import ApplicationError
from integrations.models import EventType, WebhookEndpoint
from integrations.services import webhook_endpoint_create, webhook_endpoint_deactivate
from texting.exceptions import InvalidSettings, NotFirmAdmin, SetupFailed
from texting.models import ProviderEvent, TextingSettings
from texting.services.setup import texting_settings_update, texting_setup_submit
from texting.tests.test_setup import DETAILS, _complete_setup

pytestmark = pytest.mark.django_db

PAGE = "/settings/audit-log/"
Action = AuditEvent.Action
Scope = Callable[[], AbstractContextManager[None]]


def events(firm: Firm) -> list[AuditEvent]:
    with scope(firm=firm.id):
        return list(AuditEvent.objects.for_firm(firm).order_by("id"))


def recorded(firm: Firm, action: str) -> list[AuditEvent]:
    return [event for event in events(firm) if event.action == action]


def assert_no_full_number(event: AuditEvent, number: str) -> None:
    digits = re.sub(r"\D", "", number)
    text = event.target + json.dumps(event.details)
    assert digits not in re.sub(r"\D", "", text)
    assert number not in text


# --- the service ----------------------------------------------------------------------------


def test_a_record_keeps_who_what_and_the_ip(firm: Firm, admin: User, firm_scope: Scope) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    with firm_scope():
        event = audit_record(
            firm=firm,
            actor=admin,
            action=Action.API_TOKEN_CREATED,
            target="Sync",
            details={"scope": "read"},
            request=request,
        )
    [stored] = events(firm)
    assert stored == event
    assert (stored.actor, stored.actor_email, stored.target) == (admin, admin.email, "Sync")
    assert stored.ip_address == "203.0.113.7" and stored.details == {"scope": "read"}


def test_without_an_actor_it_is_the_system_and_without_a_request_no_ip(firm: Firm) -> None:
    bad_ip = RequestFactory().get("/", REMOTE_ADDR="not-an-ip")
    audit_record(firm=firm, actor=None, action=Action.ENCRYPTION_KEYS_ROTATED)
    audit_record(firm=firm, actor=None, action=Action.ENCRYPTION_KEYS_ROTATED, request=bad_ip)
    assert [(e.actor_email, e.ip_address) for e in events(firm)] == [("system", None)] * 2


def test_the_record_survives_its_user(firm: Firm, admin: User) -> None:
    audit_record(firm=firm, actor=admin, action=Action.API_TOKEN_CREATED, target="Sync")
    email = admin.email
    with scopes_disabled():
        ApiToken.objects.filter(user=admin).delete()
        Membership.objects.filter(user=admin).delete()
    admin.delete()
    [event] = events(firm)
    assert event.actor is None and event.actor_email == email


def test_it_joins_the_callers_transaction(firm: Firm, admin: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(firm=firm, actor=admin, action=Action.API_TOKEN_CREATED)
        raise RuntimeError("the action failed after recording")
    assert events(firm) == []


def test_unknown_actions_and_large_details_are_refused(firm: Firm, admin: User) -> None:
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(firm=firm, actor=admin, action="texting.exploded")
    with pytest.raises(ValueError, match="small JSON object"):
        audit_record(
            firm=firm, actor=admin, action=Action.API_TOKEN_CREATED, details={"x": "y" * 3000}
        )
    assert events(firm) == []


def test_events_are_append_only(firm: Firm, admin: User) -> None:
    event = audit_record(firm=firm, actor=admin, action=Action.API_TOKEN_CREATED, target="A")
    event.target = "B"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert [e.target for e in events(firm)] == ["A"]


# --- API tokens -----------------------------------------------------------------------------


def test_creating_a_token_records_one_event(firm: Firm, member: User, client_for: Any) -> None:
    page = client_for(member).post("/settings/api-tokens/", {"name": "Sync", "scope": "read"})
    raw = re.search(r'id="new-token">([^<]+)<', page.content.decode()).group(1)  # type: ignore[union-attr]
    [event] = events(firm)
    assert (event.action, event.actor, event.target) == (Action.API_TOKEN_CREATED, member, "Sync")
    assert event.details["scope"] == "read"
    assert raw not in json.dumps(event.details) and raw[:10] not in json.dumps(event.details)


def test_an_action_in_a_request_records_the_clients_address(
    firm: Firm, member: User, client_for: Any
) -> None:
    client_for(member).post(
        "/settings/api-tokens/", {"name": "Sync", "scope": "read"}, REMOTE_ADDR="198.51.100.9"
    )
    [event] = events(firm)
    assert event.ip_address == "198.51.100.9"
    assert request_client_ip.get() is None  # the address does not outlive its request


def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(
    firm: Firm, admin: User, api_client_for: Any, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    client = api_client_for(admin)
    response = client.patch(
        "/api/v1/texting/",
        {"event_reminder_days": 3},
        format="json",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.50",  # the client wrote the first entry
    )
    assert response.status_code == 200
    [event] = recorded(firm, Action.TEXTING_SETTINGS_CHANGED)
    assert event.ip_address == "203.0.113.50"


def test_a_refused_token_records_nothing(
    firm: Firm, member: User, outsider: User, client_for: Any, firm_scope: Scope
) -> None:
    client_for(member).post("/settings/api-tokens/", {"name": "", "scope": "read"})
    with firm_scope(), pytest.raises(ApplicationError, match="not a member"):
        api_token_create(firm=firm, user=outsider, name="x")
    assert events(firm) == []


def test_revoking_records_one_event_and_revoking_again_none(
    firm: Firm, admin: User, member: User, client_for: Any
) -> None:
    token = ApiTokenFactory(user=member, name="Member sync")
    client = client_for(admin)
    assert client.post(f"/settings/api-tokens/{token.uuid}/revoke/").status_code == 302
    assert client.post(f"/settings/api-tokens/{token.uuid}/revoke/").status_code == 302
    [event] = events(firm)
    assert (event.action, event.actor, event.target) == (
        Action.API_TOKEN_REVOKED,
        admin,
        "Member sync",
    )
    assert event.details == {"token": str(token.uuid), "owner": member.email}


def test_staff_cannot_revoke_a_colleagues_token_and_nothing_is_recorded(
    firm: Firm, admin: User, member: User, client_for: Any
) -> None:
    token = ApiTokenFactory(user=admin)
    assert client_for(member).post(f"/settings/api-tokens/{token.uuid}/revoke/").status_code == 404
    assert events(firm) == []


# --- webhook endpoints ----------------------------------------------------------------------


def test_adding_an_endpoint_records_its_host_only(firm: Firm, admin: User, client_for: Any) -> None:
    url = "https://93.184.215.14/hooks/secret-path?key=abc123"
    response = client_for(admin).post(
        "/settings/webhooks/", {"url": url, "events": [EventType.TEXT_MESSAGE_RECEIVED]}
    )
    assert response.status_code == 200
    with scope(firm=firm.id):
        endpoint = WebhookEndpoint.objects.get()
    [event] = events(firm)
    assert (event.action, event.actor, event.target) == (
        Action.WEBHOOK_ENDPOINT_ADDED,
        admin,
        "93.184.215.14",
    )
    assert event.details == {"endpoint": str(endpoint.uuid), "events": ["text_message.received"]}
    text = event.target + json.dumps(event.details)
    assert "secret-path" not in text and "abc123" not in text and endpoint.secret not in text


def test_a_refused_endpoint_records_nothing(firm: Firm, admin: User, client_for: Any) -> None:
    client = client_for(admin)
    no_events = client.post("/settings/webhooks/", {"url": "https://93.184.215.14/h"})
    assert no_events.status_code == 200 and "field--error" in no_events.content.decode()
    bad_url = {"url": "ftp://93.184.215.14/h", "events": [EventType.TEXT_MESSAGE_RECEIVED]}
    bad = client.post("/settings/webhooks/", bad_url)
    assert bad.status_code == 200 and "field--error" in bad.content.decode()
    with scope(firm=firm.id):
        assert not WebhookEndpoint.objects.exists()
    assert events(firm) == []


def test_removing_an_endpoint_records_one_event(firm: Firm, admin: User, client_for: Any) -> None:
    with scope(firm=firm.id):
        endpoint, _ = webhook_endpoint_create(
            firm=firm,
            actor=admin,
            url="https://93.184.215.14/a",
            events=[EventType.TEXT_MESSAGE_RECEIVED],
        )
    response = client_for(admin).post(f"/settings/webhooks/{endpoint.uuid}/delete/")
    assert response.status_code == 302
    [removed] = recorded(firm, Action.WEBHOOK_ENDPOINT_REMOVED)
    assert (removed.actor, removed.target) == (admin, "93.184.215.14")
    assert len(events(firm)) == 2  # added, removed


def test_an_outsider_cannot_remove_an_endpoint_and_nothing_is_recorded(
    firm: Firm, other_firm: Firm, admin: User, outsider: User, client_for: Any
) -> None:
    with scope(firm=firm.id):
        endpoint, _ = webhook_endpoint_create(
            firm=firm,
            actor=admin,
            url="https://93.184.215.14/a",
            events=[EventType.TEXT_MESSAGE_RECEIVED],
        )
    response = client_for(outsider).post(f"/settings/webhooks/{endpoint.uuid}/delete/")
    assert response.status_code == 404
    assert recorded(firm, Action.WEBHOOK_ENDPOINT_REMOVED) == []
    assert events(other_firm) == []


def test_disabling_an_endpoint_records_once(firm: Firm, admin: User) -> None:
    with scope(firm=firm.id):
        endpoint, _ = webhook_endpoint_create(
            firm=firm,
            actor=admin,
            url="https://93.184.215.14/a",
            events=[EventType.TEXT_MESSAGE_RECEIVED],
        )
        webhook_endpoint_deactivate(firm=firm, endpoint=endpoint, actor=admin)
        webhook_endpoint_deactivate(firm=firm, endpoint=endpoint, actor=admin)
    [disabled] = recorded(firm, Action.WEBHOOK_ENDPOINT_DISABLED)
    assert (disabled.actor, disabled.target) == (admin, "93.184.215.14")


# --- members --------------------------------------------------------------------------------


def test_adding_a_member_records_one_event(firm: Firm, admin: User, firm_scope: Scope) -> None:
    with firm_scope():
        member_create(firm=firm, email="new@garcia.example", password="pw-123456", actor=admin)
    [event] = events(firm)
    assert (event.action, event.actor, event.target) == (
        Action.MEMBER_ADDED,
        admin,
        "new@garcia.example",
    )
    assert event.details == {"role": "staff"}


# --- texting setup (against the provider sandbox over HTTP) ---------------------------------


def test_setting_texting_up_records_the_number_and_the_verification(
    firm: Firm, admin: User, client_for: Any, sandbox: Any
) -> None:
    assert _complete_setup(client_for(admin)).status_code == 302
    firm.refresh_from_db()
    number = firm.toll_free_number_e164
    assert number
    assigned, submitted = events(firm)
    assert assigned.action == Action.TEXTING_NUMBER_ASSIGNED
    assert submitted.action == Action.TEXTING_VERIFICATION_SUBMITTED
    for event in (assigned, submitted):
        assert event.actor == admin
        assert event.target == f"toll-free number ending {number[-4:]}"
        assert_no_full_number(event, number)
        # Nor the contact numbers or the alternative number the admin entered.
        assert_no_full_number(event, DETAILS.contact_phone_e164)
        assert_no_full_number(event, DETAILS.alternative_phone_e164)


def test_a_firm_with_a_number_records_only_the_verification(
    texting_firm: Firm, admin: User
) -> None:
    with scope(firm=texting_firm.id):
        texting_setup_submit(firm=texting_firm, actor=admin, details=DETAILS)
        # Already pending: no provider call, nothing new to record.
        texting_setup_submit(firm=texting_firm, actor=admin, details=DETAILS)
    [event] = events(texting_firm)
    assert event.action == Action.TEXTING_VERIFICATION_SUBMITTED
    assert event.target == "toll-free number ending 0100"


def test_a_rejected_firm_resubmitting_records_a_resubmission(
    texting_firm: Firm, admin: User, sandbox: Any
) -> None:
    with scope(firm=texting_firm.id):
        texting_setup_submit(firm=texting_firm, actor=admin, details=DETAILS)
    sandbox.control.set_verification(
        "+18445550100", "UNVERIFIED", denial_status_code=546, resubmit_allowed=True
    )
    with scope(firm=texting_firm.id):
        TextingSettings.objects.for_firm(texting_firm).update(
            verification_status=TextingSettings.VerificationStatus.REJECTED
        )
        texting_setup_submit(firm=texting_firm, actor=admin, details=DETAILS)
    assert [e.action for e in events(texting_firm)] == [
        Action.TEXTING_VERIFICATION_SUBMITTED,
        Action.TEXTING_VERIFICATION_RESUBMITTED,
    ]


def test_a_failed_or_refused_setup_records_nothing(
    firm: Firm, admin: User, member: User, client_for: Any, sandbox: Any, settings: Any
) -> None:
    with scope(firm=firm.id), pytest.raises(NotFirmAdmin):
        texting_setup_submit(firm=firm, actor=member, details=DETAILS)
    settings.PROVIDER_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    assert _complete_setup(client_for(admin)).status_code == 200
    firm.refresh_from_db()
    assert firm.toll_free_number_e164 is None
    assert events(firm) == []


def test_a_refused_verification_records_nothing(firm: Firm, admin: User, sandbox: Any) -> None:
    firm.toll_free_number_e164 = "+18885550199"  # not the provider account's: refused
    firm.save()
    with scope(firm=firm.id), pytest.raises(SetupFailed):
        texting_setup_submit(firm=firm, actor=admin, details=DETAILS)
    assert events(firm) == []


# --- texting settings -----------------------------------------------------------------------


def test_saving_your_details_records_which_settings_changed_not_their_values(
    firm: Firm, admin: User, client_for: Any
) -> None:
    client = client_for(admin)
    data = {"alternative_phone": "(416) 555-0134", "alternative_email": "desk@garcia.example"}
    assert client.post("/settings/text-messaging/details/", data).status_code == 302
    # The same values again change nothing, so nothing more is recorded.
    assert client.post("/settings/text-messaging/details/", data).status_code == 302
    [event] = events(firm)
    assert (event.action, event.actor) == (Action.TEXTING_SETTINGS_CHANGED, admin)
    assert event.details == {"changed": ["alternative_phone", "alternative_email"]}
    assert event.target == "alternative phone, alternative email"
    assert_no_full_number(event, "+14165550134")
    assert "desk@garcia.example" not in event.target + json.dumps(event.details)


def test_saving_reminders_records_one_event(firm: Firm, admin: User, client_for: Any) -> None:
    client = client_for(admin)
    assert client.post("/settings/text-messaging/reminders/", {"days": "3"}).status_code == 302
    assert client.post("/settings/text-messaging/reminders/", {"days": "45"}).status_code == 200
    [event] = events(firm)
    assert event.action == Action.TEXTING_SETTINGS_CHANGED
    assert event.details == {"changed": ["event_reminder_days"]}


def test_an_api_patch_records_one_event_for_all_it_changed(
    firm: Firm, admin: User, member: User, api_client_for: Any
) -> None:
    body = {"alternative_phone": "+12025550188", "event_reminder_days": 3}
    assert api_client_for(member).patch("/api/v1/texting/", body, format="json").status_code == 403
    before = len(events(firm))  # api_client_for created two tokens, each recorded
    client = api_client_for(admin)
    assert client.patch("/api/v1/texting/", body, format="json").status_code == 200
    [event] = recorded(firm, Action.TEXTING_SETTINGS_CHANGED)
    assert event.actor == admin
    assert event.details == {"changed": ["alternative_phone", "event_reminder_days"]}
    assert_no_full_number(event, "+12025550188")
    assert len(events(firm)) == before + 2  # admin's token, then the settings change


def test_a_patch_that_rolls_back_records_nothing(
    firm: Firm, admin: User, firm_scope: Scope
) -> None:
    with firm_scope(), pytest.raises(InvalidSettings):
        # The contact part succeeds, then the reminders are refused: all or nothing.
        texting_settings_update(
            firm=firm, actor=admin, alternative_phone_e164="+12025550188", event_reminder_days=45
        )
    assert events(firm) == []
    with firm_scope():
        assert (
            not TextingSettings.objects.for_firm(firm)
            .filter(alternative_phone_e164="+12025550188")
            .exists()
        )


# --- the page -------------------------------------------------------------------------------


def _seed(firm: Firm, actor: User | None, n: int, action: str = Action.API_TOKEN_CREATED) -> None:
    for i in range(n):
        audit_record(firm=firm, actor=actor, action=action, target=f"token {i}")


def test_staff_cannot_open_the_page_nor_see_the_tab(
    firm: Firm, admin: User, member: User, client_for: Any
) -> None:
    assert client_for(member).get(PAGE).status_code == 403
    assert PAGE not in client_for(member).get("/settings/").content.decode()
    assert f'href="{PAGE}"' in client_for(admin).get("/settings/").content.decode()


def test_the_page_lists_newest_first_in_the_firms_time_zone(
    firm: Firm, admin: User, client_for: Any
) -> None:
    firm.time_zone = "America/Los_Angeles"
    firm.save()
    with time_machine.travel(datetime(2026, 3, 2, 17, 5, tzinfo=UTC), tick=False):
        audit_record(firm=firm, actor=admin, action=Action.API_TOKEN_CREATED, target="First")
    with time_machine.travel(datetime(2026, 3, 3, 17, 5, tzinfo=UTC), tick=False):
        audit_record(firm=firm, actor=None, action=Action.ENCRYPTION_KEYS_ROTATED)
    page = client_for(admin).get(PAGE).content.decode()
    rows = re.findall(r'<tr data-action="([^"]+)">', page)
    assert rows == [Action.ENCRYPTION_KEYS_ROTATED, Action.API_TOKEN_CREATED]
    assert "Mar 2, 2026 09:05" in page and "Mar 3, 2026 09:05" in page  # UTC-8
    assert "Encryption keys rotated" in page and "system" in page
    assert "API token created" in page and admin.email in page and "First" in page


def test_the_page_filters_by_action(firm: Firm, admin: User, client_for: Any) -> None:
    _seed(firm, admin, 2, Action.API_TOKEN_CREATED)
    _seed(firm, admin, 1, Action.API_TOKEN_REVOKED)
    page = client_for(admin).get(PAGE, {"action": Action.API_TOKEN_REVOKED}).content.decode()
    assert re.findall(r'<tr data-action="([^"]+)">', page) == [Action.API_TOKEN_REVOKED]


def test_an_unknown_action_is_a_form_error_and_lists_nothing(
    firm: Firm, admin: User, client_for: Any
) -> None:
    _seed(firm, admin, 2)
    response = client_for(admin).get(PAGE, {"action": "drop_table"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose an action from the list." in page
    assert re.findall(r'<tr data-action="', page) == []


def test_the_page_is_paginated_with_constant_queries(
    firm: Firm,
    admin: User,
    client_for: Any,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    client: Client = client_for(admin)
    _seed(firm, admin, 3)
    with django_assert_max_num_queries(9):
        client.get(PAGE)
    _seed(firm, admin, 70)
    with django_assert_max_num_queries(9):
        first = client.get(PAGE).content.decode()
    assert len(re.findall(r'<tr data-action="', first)) == 50
    assert "Page 1 of 2" in first and "73 entries" in first
    second = client.get(PAGE, {"page": "2"}).content.decode()
    assert len(re.findall(r'<tr data-action="', second)) == 23


def test_another_firms_admin_never_sees_these_events(
    firm: Firm, other_firm: Firm, admin: User, outsider: User, client_for: Any
) -> None:
    audit_record(firm=firm, actor=admin, action=Action.API_TOKEN_CREATED, target="Garcia sync")
    page = client_for(outsider).get(PAGE).content.decode()
    assert "Garcia sync" not in page and admin.email not in page
    assert "Nothing recorded yet." in page
    filtered = client_for(outsider).get(PAGE, {"action": Action.API_TOKEN_CREATED})
    assert "Garcia sync" not in filtered.content.decode()
    with scope(firm=other_firm.id):
        assert list(audit_event_list(firm=other_firm)) == []


# --- key rotation ---------------------------------------------------------------------------


def test_rotating_keys_records_one_event_per_firm_it_touched(
    firm: Firm, other_firm: Firm, settings: Any, unscoped: None
) -> None:
    third = Firm.objects.create(name="Untouched LLP")
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    for n in range(3):
        ProviderEvent.objects.create(
            firm=firm, kind="messaging", event_type="x", dedupe_key=f"a{n}", payload={"n": n}
        )
    ProviderEvent.objects.create(
        firm=other_firm, kind="messaging", event_type="x", dedupe_key="b", payload={"n": 9}
    )
    # Its signing secret is encrypted too: the firm's count adds up across tables.
    webhook_endpoint_create(
        firm=other_firm,
        actor=None,
        url="https://93.184.215.14/h",
        events=[EventType.TEXT_MESSAGE_RECEIVED],
    )
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out, stderr=io.StringIO())
    assert "Re-encrypted 5 value(s)" in out.getvalue()

    rotated = AuditEvent.objects.filter(action=Action.ENCRYPTION_KEYS_ROTATED)
    assert sorted(
        (e.firm_id, e.actor_id, e.actor_email, e.details["rows_reencrypted"]) for e in rotated
    ) == sorted([(firm.id, None, "system", 3), (other_firm.id, None, "system", 2)])
    assert not AuditEvent.objects.filter(firm=third).exists()

    # Nothing left to rotate: a second run records nothing.
    call_command("rotate_encryption_keys", stdout=io.StringIO(), stderr=io.StringIO())
    assert rotated.count() == 2


def test_a_rotation_that_stops_part_way_records_what_it_committed(
    firm: Firm, settings: Any, unscoped: None
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    for n in range(2):
        ProviderEvent.objects.create(
            firm=firm, kind="messaging", event_type="x", dedupe_key=f"a{n}", payload={"n": n}
        )
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # a key since lost
    ProviderEvent.objects.create(
        firm=firm, kind="messaging", event_type="x", dedupe_key="lost", payload={"n": 9}
    )
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    with pytest.raises(DecryptionError):
        call_command("rotate_encryption_keys", "--batch-size", "2", stderr=io.StringIO())
    [event] = AuditEvent.objects.filter(firm=firm, action=Action.ENCRYPTION_KEYS_ROTATED)
    assert event.details == {"rows_reencrypted": 2}
