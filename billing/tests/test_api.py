"""Billing API (B1–B5, A1): time entries, bills, bank accounts and payment links in Clio v4's
shape, money in integer cents, firm-scoped, in the {"data", "meta"} envelope."""

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from rest_framework.test import APIClient

from accounts.models import ApiToken, Firm, User
from accounts.tests.factories import MembershipFactory
from billing.gateway import SUCCESS_CARD, Card
from billing.models import Activity, BankAccount, Bill, BillLineItem, PaymentLink
from billing.services import (
    bill_generate,
    payment_link_create,
    payment_link_find,
    payment_submit,
    timekeeper_rate_set,
)
from billing.tests.factories import account_for, activity_for, issued_bill_for
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.models import Matter
from matters.tests.factories import MatterFactory
from texting.tests.factories import ConversationFactory

Scope = Callable[[], AbstractContextManager[None]]
MaxQueries = Callable[[int], AbstractContextManager[object]]

ACTIVITIES = reverse("api:activity-list")
BILLS = reverse("api:bill-list")
ACCOUNTS = reverse("api:bank-account-list")
LINKS = reverse("api:payment-link-list")
MISSING = "00000000-0000-0000-0000-000000000000"
VISA = Card(SUCCESS_CARD, 12, 2031, "123")


def activity_url(activity: Activity) -> str:
    return reverse("api:activity-detail", args=[activity.uuid])


def bill_url(bill: Bill) -> str:
    return reverse("api:bill-detail", args=[bill.uuid])


def issue_url(bill: Bill) -> str:
    return reverse("api:bill-issue", args=[bill.uuid])


def account_url(account: BankAccount) -> str:
    return reverse("api:bank-account-detail", args=[account.uuid])


def link_url(link: PaymentLink) -> str:
    return reverse("api:payment-link-detail", args=[link.uuid])


def revoke_url(link: PaymentLink) -> str:
    return reverse("api:payment-link-revoke", args=[link.uuid])


@pytest.fixture
def api(api_client_for: Callable[..., APIClient], member: User) -> APIClient:
    return api_client_for(member)


@pytest.fixture
def outsider_api(api_client_for: Callable[..., APIClient], outsider: User) -> APIClient:
    return api_client_for(outsider)


@pytest.fixture
def client_contact(firm: Firm) -> Contact:
    return ContactFactory(firm=firm, first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(client_contact: Contact) -> Matter:
    return MatterFactory(client=client_contact, display_number="00042-Reyes")


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["data"]]


def _entry(matter: Matter, /, **fields: Any) -> dict[str, Any]:
    return {
        "matter": {"id": str(matter.uuid)},
        "date": "2026-11-20",
        "quantity": 5400,
        "rate_cents": 300_00,
        "description": "Reviewed the lease",
        **fields,
    }


def _draft_bill(firm: Firm, *, user: User, matter: Matter, minutes: int = 60) -> Bill:
    activity_for(firm, user=user, matter=matter, minutes=minutes)
    with scope(firm=firm.id):
        return bill_generate(firm=firm, actor=user, matter=matter)


def _pay(firm: Firm, link: PaymentLink, cents: int) -> None:
    with scope(firm=firm.id):
        payment_submit(
            firm=firm,
            link=link,
            amount_cents=cents,
            card=VISA,
            payer_name="Ana Reyes",
            attempt_key=uuid.uuid4(),
        )


def _link(firm: Firm, account: BankAccount, **kwargs: Any) -> tuple[PaymentLink, str]:
    with scope(firm=firm.id):
        return payment_link_create(firm=firm, actor=None, account=account, **kwargs)


# --- Activities -----------------------------------------------------------------------------


def test_post_records_a_time_entry_for_the_tokens_user(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    response = api.post(ACTIVITIES, _entry(matter), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    with firm_scope():
        activity = Activity.objects.get()
    assert (activity.user, activity.matter, activity.quantity_seconds) == (member, matter, 5400)
    assert data["id"] == str(activity.uuid)
    assert data["type"] == "TimeEntry"
    assert (data["date"], data["quantity"], data["rate_cents"], data["total_cents"]) == (
        "2026-11-20",
        5400,
        300_00,
        450_00,
    )
    assert (data["description"], data["billable"], data["billed"]) == (
        "Reviewed the lease",
        True,
        False,
    )
    assert data["bill"] is None and data["conversation"] is None
    assert data["matter"] == {"id": str(matter.uuid), "display_number": "00042-Reyes"}
    assert data["user"] == {"id": str(member.uuid), "name": member.get_full_name()}
    assert set(data) == {
        "id",
        "type",
        "date",
        "quantity",
        "rate_cents",
        "total_cents",
        "description",
        "billable",
        "billed",
        "bill",
        "matter",
        "user",
        "conversation",
        "created_at",
        "updated_at",
    }


def test_post_defaults_the_rate_to_the_users_rate_and_the_date_to_today(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    colleague = MembershipFactory(firm=firm).user
    conversation = ConversationFactory(contact=matter.client)
    with firm_scope():
        timekeeper_rate_set(firm=firm, actor=member, user=colleague, rate_cents=250_00)

    response = api.post(
        ACTIVITIES,
        {
            "matter": str(matter.uuid),
            "user": {"id": str(colleague.uuid)},
            "quantity": 1800,
            "description": "Texted the client",
            "billable": False,
            "conversation": {"id": str(conversation.uuid)},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["user"]["id"] == str(colleague.uuid)
    assert (data["rate_cents"], data["total_cents"], data["billable"]) == (250_00, 0, False)
    assert data["date"] == timezone.localdate().isoformat()
    assert data["conversation"] == {"id": str(conversation.uuid)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 24 * 3600 + 1}, "quantity"),
        ({"quantity": "an hour"}, "quantity"),
        ({"rate_cents": -1}, "rate_cents"),
        ({"rate_cents": 10_000_01}, "rate_cents"),
        ({"description": "   "}, "description"),
        ({"date": "tomorrow"}, "date"),
        ({"matter": MISSING}, "matter"),
        ({"matter": None}, "matter"),
        ({"user": {"id": MISSING}}, "user"),
        ({"conversation": "not-a-uuid"}, "conversation"),
    ],
)
def test_invalid_time_entries_are_400_with_the_field_and_create_nothing(
    matter: Matter, api: APIClient, unscoped: None, change: dict[str, Any], field: str
) -> None:
    response = api.post(ACTIVITIES, _entry(matter, **change), format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert list(error["fields"]) == [field], error
    assert error["type"] == "invalid_request" and error["message"]
    assert Activity.objects.count() == 0


def test_get_patch_and_delete_an_unbilled_entry(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    activity = activity_for(firm, user=member, matter=matter, minutes=30)
    other_matter = MatterFactory(client=matter.client)

    read = api.get(activity_url(activity))
    changed = api.patch(
        activity_url(activity),
        {"quantity": 7200, "rate_cents": 100_00, "matter": {"id": str(other_matter.uuid)}},
        format="json",
    )
    deleted = api.delete(activity_url(activity))

    assert read.status_code == 200
    assert read.json()["data"]["quantity"] == 1800
    assert changed.status_code == 200, changed.json()
    data = changed.json()["data"]
    assert (data["quantity"], data["rate_cents"], data["total_cents"]) == (7200, 100_00, 200_00)
    assert data["matter"]["id"] == str(other_matter.uuid)
    assert data["description"] == "Reviewed the lease"  # not given, not changed
    assert deleted.status_code == 204
    assert api.get(activity_url(activity)).status_code == 404
    with firm_scope():
        assert not Activity.objects.exists()


def test_a_patch_with_a_bad_field_is_400_and_changes_nothing(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    activity = activity_for(firm, user=member, matter=matter, minutes=30)

    response = api.patch(
        activity_url(activity), {"description": "New", "quantity": -5}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["quantity"]
    with firm_scope():
        activity.refresh_from_db()
    assert activity.description == "Reviewed the lease"


def test_a_billed_entry_cannot_change_or_go(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    bill = _draft_bill(firm, user=member, matter=matter)
    with firm_scope():
        activity = Activity.objects.get()

    read = api.get(activity_url(activity))
    changed = api.patch(activity_url(activity), {"description": "Rewritten"}, format="json")
    deleted = api.delete(activity_url(activity))

    assert read.json()["data"]["billed"] is True
    assert read.json()["data"]["bill"] == {"id": str(bill.uuid)}
    assert (changed.status_code, deleted.status_code) == (409, 409)
    assert changed.json()["error"]["type"] == "activity_billed"
    assert "on a bill" in deleted.json()["error"]["message"]
    with firm_scope():
        activity.refresh_from_db()
    assert activity.description == "Reviewed the lease"


def test_the_activity_list_filters_by_matter_user_billed_and_updated_since(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    colleague = MembershipFactory(firm=firm).user
    other_matter = MatterFactory(client=matter.client)
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        old = activity_for(firm, user=colleague, matter=other_matter, date=date(2026, 1, 5))
    billed = activity_for(firm, user=member, matter=matter, date=date(2026, 11, 21))
    with scope(firm=firm.id):
        bill_generate(firm=firm, actor=member, matter=matter)
    unbilled = activity_for(firm, user=member, matter=matter, date=date(2026, 11, 22))
    since = timezone.now() - timedelta(hours=1)

    def ids(**params: str) -> list[str]:
        return _ids(api.get(ACTIVITIES, params))

    assert ids() == [str(unbilled.uuid), str(billed.uuid), str(old.uuid)]  # newest date first
    assert ids(matter_id=str(matter.uuid)) == [str(unbilled.uuid), str(billed.uuid)]
    assert ids(user_id=str(colleague.uuid)) == [str(old.uuid)]
    assert ids(billed="true") == [str(billed.uuid)]
    assert ids(billed="false") == [str(unbilled.uuid), str(old.uuid)]
    assert ids(updated_since=since.isoformat()) == [str(unbilled.uuid), str(billed.uuid)]
    assert ids(matter_id=MISSING) == []


def test_the_activity_list_is_cursor_paginated(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    made = [
        activity_for(firm, user=member, matter=matter, date=date(2026, 11, day))
        for day in (3, 1, 5, 2, 4)
    ]

    seen: list[str] = []
    url: str | None = f"{ACTIVITIES}?limit=2"
    pages = 0
    while url:
        body: dict[str, Any] = api.get(url).json()
        assert body["meta"]["records"] == len(body["data"]) <= 2
        seen += [row["id"] for row in body["data"]]
        url = body["meta"]["paging"]["next"]
        pages += 1

    assert pages == 3
    assert seen == [str(a.uuid) for a in sorted(made, key=lambda a: a.date, reverse=True)]


def test_a_bad_filter_is_400(api: APIClient) -> None:
    activities = api.get(ACTIVITIES, {"billed": "maybe", "user_id": "nope"})
    bills = api.get(BILLS, {"state": "void"})

    assert (activities.status_code, bills.status_code) == (400, 400)
    assert set(activities.json()["error"]["fields"]) == {"billed", "user_id"}
    assert set(bills.json()["error"]["fields"]) == {"state"}


# --- Bills ----------------------------------------------------------------------------------


def test_post_bill_takes_the_matters_unbilled_billable_entries_and_totals_them(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    first = activity_for(firm, user=member, matter=matter, minutes=90, date=date(2026, 11, 2))
    second = activity_for(
        firm, user=member, matter=matter, minutes=20, rate_cents=150_00, date=date(2026, 11, 3)
    )
    free = activity_for(firm, user=member, matter=matter, billable=False)
    elsewhere = activity_for(firm, user=member, matter=MatterFactory(client=matter.client))

    response = api.post(BILLS, {"matter": {"id": str(matter.uuid)}}, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["state"] == "draft" and data["number"] == 1
    assert (data["total_cents"], data["paid_cents"], data["balance_cents"]) == (500_00, 0, 500_00)
    assert data["matter"] == {"id": str(matter.uuid), "display_number": "00042-Reyes"}
    assert data["client"] == {"id": str(matter.client.uuid), "name": "Ana Reyes"}
    assert data["issued_at"] == timezone.localdate().isoformat()
    assert data["due_at"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    assert data["payments"] == []
    lines = data["line_items"]
    assert [line["activity"]["id"] for line in lines] == [str(first.uuid), str(second.uuid)]
    assert [(line["quantity"], line["rate_cents"], line["total_cents"]) for line in lines] == [
        (5400, 300_00, 450_00),
        (1200, 150_00, 50_00),
    ]
    assert lines[0]["user_name"] == member.get_full_name()
    assert lines[0]["date"] == "2026-11-02"
    with firm_scope():
        bill = Bill.objects.get()
        assert {a.uuid for a in Activity.objects.filter(bill=bill)} == {first.uuid, second.uuid}
        assert Activity.objects.get(pk=free.pk).bill_id is None
        assert Activity.objects.get(pk=elsewhere.pk).bill_id is None
    assert data["id"] == str(bill.uuid)


def test_post_bill_takes_the_dates_given(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    activity_for(firm, user=member, matter=matter)

    backwards = api.post(
        BILLS,
        {"matter": str(matter.uuid), "issued_at": "2026-12-01", "due_at": "2026-11-30"},
        format="json",
    )
    response = api.post(
        BILLS,
        {"matter": str(matter.uuid), "issued_at": "2026-12-01", "due_at": "2026-12-15"},
        format="json",
    )

    assert backwards.status_code == 400
    assert list(backwards.json()["error"]["fields"]) == ["due_at"]
    assert response.status_code == 201, response.json()
    assert (response.json()["data"]["issued_at"], response.json()["data"]["due_at"]) == (
        "2026-12-01",
        "2026-12-15",
    )


def test_nothing_to_bill_is_409_and_makes_no_bill(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    activity_for(firm, user=member, matter=matter, billable=False)

    response = api.post(BILLS, {"matter": {"id": str(matter.uuid)}}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "nothing_to_bill"
    assert "no unbilled billable time" in response.json()["error"]["message"]
    with firm_scope():
        assert not Bill.objects.exists()


def test_issue_a_draft_and_a_second_issue_is_409(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    bill = _draft_bill(firm, user=member, matter=matter)

    first = api.post(issue_url(bill))
    second = api.post(issue_url(bill))

    assert first.status_code == 200, first.json()
    assert first.json()["data"]["state"] == "awaiting_payment"
    assert second.status_code == 409
    assert second.json()["error"]["type"] == "bill_state"
    assert api.get(bill_url(bill)).json()["data"]["state"] == "awaiting_payment"


def test_delete_a_draft_unbills_its_entries(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    bill = _draft_bill(firm, user=member, matter=matter)

    response = api.delete(bill_url(bill))

    assert response.status_code == 204
    assert api.get(bill_url(bill)).status_code == 404
    with firm_scope():
        assert not Bill.objects.exists() and not BillLineItem.objects.exists()
        assert Activity.objects.get().bill_id is None
    [entry] = api.get(ACTIVITIES, {"billed": "false"}).json()["data"]
    assert entry["billed"] is False and entry["bill"] is None


def test_an_issued_bill_cannot_be_deleted(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)

    response = api.delete(bill_url(bill))

    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only a draft bill can be deleted."
    with firm_scope():
        assert Bill.objects.filter(pk=bill.pk).exists()


def test_a_bill_shows_its_payments_and_balance(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)  # $450.00
    account = account_for(firm)
    link, _ = _link(firm, account, bill=bill)
    _pay(firm, link, 200_00)

    data = api.get(bill_url(bill)).json()["data"]

    assert (data["total_cents"], data["paid_cents"], data["balance_cents"]) == (
        450_00,
        200_00,
        250_00,
    )
    [payment] = data["payments"]
    assert payment["amount_cents"] == 200_00
    assert payment["bank_account"] == {"id": str(account.uuid)}
    assert (payment["payer_name"], payment["card_last4"]) == ("Ana Reyes", "4242")


def test_the_bill_list_filters_by_matter_and_state(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    issued = issued_bill_for(firm, user=member, matter=matter)
    other_matter = MatterFactory(client=matter.client)
    draft = _draft_bill(firm, user=member, matter=other_matter)

    def ids(**params: str) -> list[str]:
        return _ids(api.get(BILLS, params))

    assert ids() == [str(draft.uuid), str(issued.uuid)]  # newest number first
    assert ids(matter_id=str(matter.uuid)) == [str(issued.uuid)]
    assert ids(state="draft") == [str(draft.uuid)]
    assert ids(state="awaiting_payment") == [str(issued.uuid)]
    assert ids(state="paid") == []


# --- Bank accounts --------------------------------------------------------------------------


def test_create_list_and_read_bank_accounts(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    created = api.post(ACCOUNTS, {"name": "IOLTA Trust", "type": "trust"}, format="json")
    operating = account_for(firm, name="Operating")
    link, _ = _link(firm, operating)
    _pay(firm, link, 75_00)

    assert created.status_code == 201, created.json()
    data = created.json()["data"]
    assert (data["name"], data["type"], data["balance_cents"]) == ("IOLTA Trust", "trust", 0)
    assert set(data) == {"id", "name", "type", "balance_cents", "created_at", "updated_at"}
    listed = api.get(ACCOUNTS).json()["data"]
    assert [(row["name"], row["type"]) for row in listed] == [
        ("IOLTA Trust", "trust"),
        ("Operating", "operating"),
    ]
    read = api.get(account_url(operating)).json()["data"]
    assert (read["id"], read["balance_cents"]) == (str(operating.uuid), 75_00)


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({"name": "Operating account", "type": "operating"}, "name", "invalid_bank_account"),
        ({"name": "Savings", "type": "savings"}, "type", "invalid_request"),
        ({"name": "  ", "type": "trust"}, "name", "invalid_request"),
        ({"type": "trust"}, "name", "invalid_request"),
    ],
)
def test_invalid_bank_accounts_are_400(
    firm: Firm,
    api: APIClient,
    firm_scope: Scope,
    body: dict[str, str],
    field: str,
    error_type: str,
) -> None:
    account_for(firm)  # "Operating account"

    response = api.post(ACCOUNTS, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (list(error["fields"]), error["type"]) == ([field], error_type)
    with firm_scope():
        assert BankAccount.objects.count() == 1


# --- Payment links --------------------------------------------------------------------------


def test_a_charge_link_returns_a_url_that_finds_the_link(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    account = account_for(firm, kind="trust")
    expires = timezone.now() + timedelta(days=7)

    response = api.post(
        LINKS,
        {
            "bank_account": {"id": str(account.uuid)},
            "matter": {"id": str(matter.uuid)},
            "expires_at": expires.isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["url"].startswith("http://testserver/pay/") and data["url"].endswith("/")
    token = data["url"].removeprefix("http://testserver/pay/").removesuffix("/")
    found = payment_link_find(token)
    assert found is not None
    found_firm, link = found
    assert found_firm == firm and data["id"] == str(link.uuid)
    assert (data["kind"], data["state"], data["bill"]) == ("charge", "usable", None)
    assert data["bank_account"] == {"id": str(account.uuid), "name": account.name, "type": "trust"}
    assert data["matter"] == {"id": str(matter.uuid), "display_number": "00042-Reyes"}
    assert data["created_by"] == {"id": str(member.uuid), "name": member.get_full_name()}
    assert datetime.fromisoformat(data["expires_at"]) == expires
    assert data["revoked_at"] is None


def test_a_bill_link_pays_the_bills_balance(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    account = account_for(firm)

    response = api.post(
        LINKS,
        {"bank_account": str(account.uuid), "bill": {"id": str(bill.uuid)}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["kind"] == "bill"
    assert data["bill"] == {"id": str(bill.uuid), "number": bill.number, "balance_cents": 450_00}
    assert data["matter"]["id"] == str(matter.uuid)  # the bill's matter


def test_the_link_list_and_detail_never_show_the_token(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    account = account_for(firm)
    created = api.post(LINKS, {"bank_account": str(account.uuid)}, format="json").json()["data"]
    token = created["url"].rstrip("/").rsplit("/", 1)[-1]
    with scope(firm=firm.id):
        link = PaymentLink.objects.get()

    listed = api.get(LINKS)
    read = api.get(link_url(link))

    assert _ids(listed) == [created["id"]]
    assert read.status_code == 200
    for response in (listed, read):
        body = response.content.decode()
        assert token not in body and token[:8] not in body
        assert link.token_hash not in body
    assert "url" not in read.json()["data"]
    assert set(read.json()["data"]) == set(created) - {"url"}


def test_revoke_makes_the_link_unusable_and_is_idempotent(
    firm: Firm, api: APIClient, firm_scope: Scope
) -> None:
    link, _ = _link(firm, account_for(firm))

    first = api.post(revoke_url(link))
    second = api.post(revoke_url(link))

    assert first.status_code == 200, first.json()
    assert first.json()["data"]["state"] == "revoked"
    assert first.json()["data"]["revoked_at"] is not None
    assert second.status_code == 200
    assert second.json()["data"]["revoked_at"] == first.json()["data"]["revoked_at"]
    with firm_scope():
        link.refresh_from_db()
    assert link.revoked_at is not None


def test_a_links_state_says_why_it_takes_no_payment(
    firm: Firm, member: User, matter: Matter, api: APIClient
) -> None:
    account = account_for(firm)
    bill = issued_bill_for(firm, user=member, matter=matter)
    paid, _ = _link(firm, account, bill=bill)
    _pay(firm, paid, 450_00)
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        expired, _ = _link(firm, account, expires_at=timezone.now() + timedelta(days=1))
    usable, _ = _link(firm, account)

    states = {row["id"]: row["state"] for row in api.get(LINKS).json()["data"]}
    filtered = _ids(api.get(LINKS, {"bill_id": str(bill.uuid)}))

    assert states == {
        str(paid.uuid): "paid",
        str(expired.uuid): "expired",
        str(usable.uuid): "usable",
    }
    assert filtered == [str(paid.uuid)]


@pytest.mark.parametrize("case", ["draft_bill", "past_expiry", "no_account"])
def test_invalid_payment_links_are_400_and_make_nothing(
    firm: Firm, member: User, matter: Matter, api: APIClient, firm_scope: Scope, case: str
) -> None:
    account = account_for(firm)
    draft = _draft_bill(firm, user=member, matter=matter)
    body, field = {
        "draft_bill": ({"bank_account": str(account.uuid), "bill": str(draft.uuid)}, None),
        "past_expiry": (
            {"bank_account": str(account.uuid), "expires_at": "2020-01-01T00:00:00Z"},
            "expires_at",
        ),
        "no_account": ({"matter": str(matter.uuid)}, "bank_account"),
    }[case]

    response = api.post(LINKS, body, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["message"]
    assert list(error["fields"]) == ([field] if field else [])
    if case == "draft_bill":
        assert error["type"] == "invalid_payment_link"
        assert error["message"] == "Issue the bill before asking the client to pay it."
    with firm_scope():
        assert not PaymentLink.objects.exists()


# --- Tokens ---------------------------------------------------------------------------------


def test_a_read_only_token_can_read_but_not_write(
    firm: Firm,
    member: User,
    matter: Matter,
    api_client_for: Callable[..., APIClient],
    firm_scope: Scope,
) -> None:
    activity = activity_for(firm, user=member, matter=matter)
    other = MatterFactory(client=matter.client)
    activity_for(firm, user=member, matter=other)
    draft = _draft_bill(firm, user=member, matter=MatterFactory(client=matter.client))
    account = account_for(firm)
    link, _ = _link(firm, account)
    read_only = api_client_for(member, ApiToken.Scope.READ)

    writes = [
        read_only.post(ACTIVITIES, _entry(matter), format="json"),
        read_only.patch(activity_url(activity), {"description": "x"}, format="json"),
        read_only.delete(activity_url(activity)),
        read_only.post(BILLS, {"matter": str(other.uuid)}, format="json"),
        read_only.post(issue_url(draft)),
        read_only.delete(bill_url(draft)),
        read_only.post(ACCOUNTS, {"name": "Trust", "type": "trust"}, format="json"),
        read_only.post(LINKS, {"bank_account": str(account.uuid)}, format="json"),
        read_only.post(revoke_url(link)),
    ]

    assert [w.status_code for w in writes] == [403] * len(writes)
    assert all(w.json()["error"]["type"] == "forbidden" for w in writes)
    assert "read-only" in writes[0].json()["error"]["message"]
    for url in (ACTIVITIES, BILLS, ACCOUNTS, LINKS, activity_url(activity), bill_url(draft)):
        assert read_only.get(url).status_code == 200
    with firm_scope():
        assert Activity.objects.count() == 3 and Bill.objects.get().state == "draft"
        assert BankAccount.objects.count() == 1 and PaymentLink.objects.count() == 1
        assert PaymentLink.objects.get().revoked_at is None
        assert Activity.objects.get(pk=activity.pk).description == "Reviewed the lease"


# --- Query counts ---------------------------------------------------------------------------


def test_list_query_counts_do_not_grow_with_rows(
    firm: Firm,
    member: User,
    api: APIClient,
    django_assert_max_num_queries: MaxQueries,
) -> None:
    account = account_for(firm)
    for n in range(8):
        matter = MatterFactory(client=ContactFactory(firm=firm))
        conversation = ConversationFactory(contact=matter.client)
        activity_for(firm, user=member, matter=matter, conversation=conversation)
        activity_for(firm, user=MembershipFactory(firm=firm).user, matter=matter)
        bill = issued_bill_for(firm, user=member, matter=matter)
        link, _ = _link(firm, account, bill=bill)
        _pay(firm, link, 100_00)
        _link(firm, account, matter=matter)
        account_for(firm, name=f"Trust {n}", kind="trust")

    # Token, membership and the token's last use, then the rows with their joins; bills add
    # one query each for line items and payments, however many rows the page shows.
    for url, budget, rows in (
        (ACTIVITIES, 4, 24),
        (BILLS, 6, 8),
        (ACCOUNTS, 4, 9),
        (LINKS, 4, 16),
    ):
        with django_assert_max_num_queries(budget):
            response = api.get(url)
        assert len(response.json()["data"]) == rows, url


# --- Missing and cross-firm -----------------------------------------------------------------


@pytest.mark.parametrize("resource", ["activities", "bills", "bank_accounts", "payment_links"])
def test_an_unknown_id_is_404(api: APIClient, resource: str) -> None:
    response = api.get(f"/api/v1/{resource}/{MISSING}/")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_outsider_token_gets_404_on_every_id_of_the_firm_and_changes_nothing(
    firm: Firm, member: User, matter: Matter, outsider_api: APIClient, firm_scope: Scope
) -> None:
    activity = activity_for(firm, user=member, matter=matter, description="Privileged work")
    other = MatterFactory(client=matter.client)
    draft = _draft_bill(firm, user=member, matter=other)
    account = account_for(firm, name="Garcia Trust", kind="trust")
    link, _ = _link(firm, account)

    responses = [
        outsider_api.get(activity_url(activity)),
        outsider_api.patch(activity_url(activity), {"description": "Mine"}, format="json"),
        outsider_api.delete(activity_url(activity)),
        outsider_api.get(bill_url(draft)),
        outsider_api.delete(bill_url(draft)),
        outsider_api.post(issue_url(draft)),
        outsider_api.get(account_url(account)),
        outsider_api.get(link_url(link)),
        outsider_api.post(revoke_url(link)),
    ]

    assert [r.status_code for r in responses] == [404] * len(responses)
    assert all(r.json()["error"]["type"] == "not_found" for r in responses)
    assert all("Privileged" not in r.content.decode() for r in responses)
    with firm_scope():
        activity.refresh_from_db()
        draft.refresh_from_db()
        link.refresh_from_db()
        assert Activity.objects.count() == 2
    assert activity.description == "Privileged work"
    assert draft.state == "draft" and link.revoked_at is None


def test_the_lists_show_the_outsider_none_of_the_firms_rows(
    firm: Firm,
    other_firm: Firm,
    member: User,
    outsider: User,
    matter: Matter,
    outsider_api: APIClient,
) -> None:
    mine = issued_bill_for(firm, user=member, matter=matter)
    mine_account = account_for(firm, name="Garcia Operating")
    _link(firm, mine_account, bill=mine)
    theirs_matter = MatterFactory(client=ContactFactory(firm=other_firm))
    theirs = activity_for(other_firm, user=outsider, matter=theirs_matter)
    theirs_account = account_for(other_firm, name="Other Operating")

    activities = outsider_api.get(ACTIVITIES)
    bills = outsider_api.get(BILLS)
    accounts = outsider_api.get(ACCOUNTS)
    links = outsider_api.get(LINKS)

    assert _ids(activities) == [str(theirs.uuid)]
    assert _ids(bills) == [] and _ids(links) == []
    assert _ids(accounts) == [str(theirs_account.uuid)]
    assert _ids(outsider_api.get(ACTIVITIES, {"matter_id": str(matter.uuid)})) == []
    assert _ids(outsider_api.get(ACTIVITIES, {"user_id": str(member.uuid)})) == []
    assert _ids(outsider_api.get(BILLS, {"matter_id": str(matter.uuid)})) == []
    assert _ids(outsider_api.get(LINKS, {"bill_id": str(mine.uuid)})) == []
    for response in (activities, bills, accounts, links):
        assert "Garcia" not in response.content.decode()


@pytest.mark.parametrize(
    "case",
    [
        "activity_matter",
        "activity_user",
        "activity_conversation",
        "bill_matter",
        "link_account",
        "link_bill",
        "link_matter",
    ],
)
def test_a_post_naming_another_firms_object_is_not_found_and_creates_nothing(
    firm: Firm,
    other_firm: Firm,
    member: User,
    outsider: User,
    matter: Matter,
    outsider_api: APIClient,
    unscoped: None,
    case: str,
) -> None:
    activity_for(firm, user=member, matter=matter)  # the firm has something to bill
    bill = issued_bill_for(firm, user=member, matter=MatterFactory(client=matter.client))
    account = account_for(firm)
    conversation = ConversationFactory(contact=matter.client)
    their_matter = MatterFactory(client=ContactFactory(firm=other_firm))
    their_account = account_for(other_firm)
    before = (Activity.objects.count(), Bill.objects.count(), PaymentLink.objects.count())
    url, body, field, noun, named = {
        "activity_matter": (ACTIVITIES, _entry(matter), "matter", "matter", matter),
        "activity_user": (
            ACTIVITIES,
            _entry(their_matter, user={"id": str(member.uuid)}),
            "user",
            "user",
            member,
        ),
        "activity_conversation": (
            ACTIVITIES,
            _entry(their_matter, conversation={"id": str(conversation.uuid)}),
            "conversation",
            "conversation",
            conversation,
        ),
        "bill_matter": (BILLS, {"matter": {"id": str(matter.uuid)}}, "matter", "matter", matter),
        "link_account": (
            LINKS,
            {"bank_account": {"id": str(account.uuid)}},
            "bank_account",
            "bank account",
            account,
        ),
        "link_bill": (
            LINKS,
            {"bank_account": str(their_account.uuid), "bill": {"id": str(bill.uuid)}},
            "bill",
            "bill",
            bill,
        ),
        "link_matter": (
            LINKS,
            {"bank_account": str(their_account.uuid), "matter": {"id": str(matter.uuid)}},
            "matter",
            "matter",
            matter,
        ),
    }[case]

    response = outsider_api.post(url, body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["fields"] == {
        field: [f"No {noun} with id {named.uuid} was found."]
    }
    after = (Activity.objects.count(), Bill.objects.count(), PaymentLink.objects.count())
    assert after == before
