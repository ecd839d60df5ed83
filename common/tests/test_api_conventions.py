"""Conventions every /api/v1/ endpoint shares (issue 8): `fields`, ETag / If-None-Match,
per-token rate limits and `updated_since` on every list."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.urls import get_resolver, reverse
from django.utils import timezone
from django_scopes import scope
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import ApiToken, Firm, User
from billing.services import payment_link_create
from billing.tests.factories import account_for, activity_for, issued_bill_for
from calendar_events.tests.factories import event_for
from contacts.tests.factories import ContactFactory, PhoneNumberFactory
from matters.tests.factories import MatterFactory
from texting.tests.factories import ConversationFactory, MessageFactory

ClientFor = Callable[..., APIClient]
CONTACTS = reverse("api:contact-list")


@pytest.fixture
def api(api_client_for: ClientFor, member: User) -> APIClient:
    return api_client_for(member)


@pytest.fixture
def outsider_api(api_client_for: ClientFor, outsider: User) -> APIClient:
    return api_client_for(outsider)


# --- fields -----------------------------------------------------------------------------------


def test_fields_on_a_list_returns_only_those_fields_of_each_contact(
    firm: Firm, api: APIClient
) -> None:
    contact = ContactFactory(firm=firm, first_name="Maria", last_name="Lopez")
    PhoneNumberFactory(contact=contact, number_e164="+12025550143", texting=True)

    response = api.get(CONTACTS, {"fields": "id,name,phone_numbers"})

    assert response.status_code == 200
    assert response.json()["data"] == [
        {
            "id": str(contact.uuid),
            "name": "Maria Lopez",
            "phone_numbers": response.json()["data"][0]["phone_numbers"],
        }
    ]
    assert response.json()["data"][0]["phone_numbers"][0]["number"] == "+12025550143"
    assert "paging" in response.json()["meta"]


def test_fields_on_a_detail_of_another_app_with_a_nested_selection(
    firm: Firm, api: APIClient
) -> None:
    matter = MatterFactory(client__firm=firm, display_number="F-00042")

    response = api.get(
        reverse("api:matter-detail", args=[matter.uuid]),
        {"fields": "id,display_number,client{id}"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": str(matter.uuid),
            "display_number": "F-00042",
            "client": {"id": str(matter.client.uuid)},
        }
    }


def test_fields_on_a_billing_detail(firm: Firm, api: APIClient) -> None:
    account = account_for(firm, name="Operating")

    response = api.get(
        reverse("api:bank-account-detail", args=[account.uuid]), {"fields": "balance_cents"}
    )

    assert response.json() == {"data": {"balance_cents": 0}}


@pytest.mark.parametrize(
    ("fields", "unknown"),
    [
        ("id,nickname", "nickname"),
        ("id,phone_numbers{number,colour}", "phone_numbers.colour"),
        ("name{first}", "name.first"),
    ],
)
def test_unknown_fields_are_a_400_naming_them_even_on_an_empty_page(
    api: APIClient, fields: str, unknown: str
) -> None:
    response = api.get(CONTACTS, {"fields": fields})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "type": "invalid_request",
            "message": f"Unknown fields: {unknown}",
            "fields": {"fields": [f"Unknown fields: {unknown}"]},
        }
    }


@pytest.mark.parametrize("fields", ["", "id{", "id}", "{id}", "client{}"])
def test_a_malformed_fields_value_is_a_400(api: APIClient, fields: str) -> None:
    response = api.get(CONTACTS, {"fields": fields})

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request"
    assert list(response.json()["error"]["fields"]) == ["fields"]


def test_fields_leaves_writes_alone(api: APIClient) -> None:
    response = api.post(f"{CONTACTS}?fields=id", {"first_name": "Ana"}, format="json")

    assert response.status_code == 201
    assert response.json()["data"]["first_name"] == "Ana"


# --- ETag / If-None-Match ---------------------------------------------------------------------


def test_a_get_carries_an_etag_and_a_matching_if_none_match_is_304_without_body(
    firm: Firm, api: APIClient
) -> None:
    contact = ContactFactory(firm=firm, first_name="Maria")
    url = reverse("api:contact-detail", args=[contact.uuid])

    first = api.get(url)
    etag = first["ETag"]
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert first.status_code == 200 and etag
    assert "private" in first["Cache-Control"]
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_after_a_change_the_old_etag_gets_the_new_body(firm: Firm, api: APIClient) -> None:
    contact = ContactFactory(firm=firm, first_name="Maria")
    url = reverse("api:contact-detail", args=[contact.uuid])
    etag = api.get(url)["ETag"]

    api.patch(url, {"first_name": "Mariana"}, format="json")
    response = api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["data"]["first_name"] == "Mariana"
    assert response["ETag"] != etag


def test_a_list_etag_changes_with_the_fields_chosen(firm: Firm, api: APIClient) -> None:
    ContactFactory(firm=firm)

    full = api.get(CONTACTS)
    chosen = api.get(CONTACTS, {"fields": "id"})

    assert api.get(CONTACTS, HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 304
    assert full["ETag"] != chosen["ETag"]
    assert api.get(CONTACTS, {"fields": "id"}, HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 200


def test_another_firms_token_gets_404_never_304_for_the_firms_etag(
    firm: Firm, api: APIClient, outsider_api: APIClient
) -> None:
    contact = ContactFactory(firm=firm)
    url = reverse("api:contact-detail", args=[contact.uuid])
    etag = api.get(url)["ETag"]

    response = outsider_api.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
    assert "ETag" not in response


def test_an_outsiders_list_has_none_of_the_firms_rows(
    firm: Firm, api: APIClient, outsider_api: APIClient
) -> None:
    ContactFactory(firm=firm)
    etag = api.get(CONTACTS)["ETag"]

    response = outsider_api.get(CONTACTS, {"fields": "id"}, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["data"] == []


# --- rate limits ------------------------------------------------------------------------------


@pytest.fixture
def low_limit(settings: Settings) -> None:
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()


def test_over_the_limit_is_429_with_retry_after_per_token(
    low_limit: None, member: User, api_client_for: ClientFor
) -> None:
    first, second = api_client_for(member), api_client_for(member, scope=ApiToken.Scope.READ)

    answers = [first.get(CONTACTS).status_code for _ in range(3)]
    refused = first.get(CONTACTS)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["type"] == "rate_limited"
    assert refused.json()["error"]["fields"] == {}
    assert refused.json()["error"]["message"]
    assert second.get(CONTACTS).status_code == 200


def test_the_limit_counts_writes_and_resets_after_its_window(
    low_limit: None, api: APIClient
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            api.post(CONTACTS, {"first_name": "Ana"}, format="json")
        assert api.get(CONTACTS).status_code == 429
        clock.shift(timedelta(seconds=61))
        assert api.get(CONTACTS).status_code == 200


def test_signed_in_api_calls_are_limited_per_user(
    low_limit: None, member: User, client_for: Callable[[User], Any]
) -> None:
    client = client_for(member)

    answers = [client.get(CONTACTS).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


# --- updated_since ----------------------------------------------------------------------------

# Each maker creates one row the list shows and returns (list url, the row's id);
# `shared` carries parents between the old and the new row.
Maker = Callable[[Firm, User, dict[str, Any]], tuple[str, str]]


def _contact(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    return CONTACTS, str(ContactFactory(firm=firm).uuid)


def _matter(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    return reverse("api:matter-list"), str(MatterFactory(client__firm=firm).uuid)


def _conversation(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    conversation = ConversationFactory(contact__firm=firm)
    return reverse("api:text-conversation-list"), str(conversation.uuid)


def _message(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    if "conversation" not in shared:
        shared["conversation"] = ConversationFactory(contact__firm=firm)
    conversation = shared["conversation"]
    message = MessageFactory(conversation=conversation)
    url = reverse("api:text-conversation-messages", args=[conversation.uuid])
    return url, str(message.uuid)


def _calendar_entry(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    return reverse("api:calendar-entry-list"), str(event_for(firm).uuid)


def _matter_of(firm: Firm, shared: dict[str, Any]) -> Any:
    if "matter" not in shared:
        shared["matter"] = MatterFactory(client__firm=firm)
    return shared["matter"]


def _activity(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    activity = activity_for(firm, user=user, matter=_matter_of(firm, shared))
    return reverse("api:activity-list"), str(activity.uuid)


def _bill(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    bill = issued_bill_for(firm, user=user, matter=MatterFactory(client__firm=firm))
    return reverse("api:bill-list"), str(bill.uuid)


def _bank_account(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    account = account_for(firm, name=f"Account {len(shared)}")
    shared[account.uuid] = account
    return reverse("api:bank-account-list"), str(account.uuid)


def _payment_link(firm: Firm, user: User, shared: dict[str, Any]) -> tuple[str, str]:
    if "account" not in shared:
        shared["account"] = account_for(firm)
    with scope(firm=firm.id):
        link, _ = payment_link_create(firm=firm, actor=None, account=shared["account"])
    return reverse("api:payment-link-list"), str(link.uuid)


MAKERS: dict[str, Maker] = {
    "contacts": _contact,
    "matters": _matter,
    "text_message_conversations": _conversation,
    "conversation_messages": _message,
    "calendar_entries": _calendar_entry,
    "activities": _activity,
    "bills": _bill,
    "bank_accounts": _bank_account,
    "payment_links": _payment_link,
}


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_updated_since_leaves_out_rows_changed_before_it(
    firm: Firm, member: User, api: APIClient, make: Maker
) -> None:
    shared: dict[str, Any] = {}
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=30), tick=False):
        url, old = make(firm, member, shared)
    url, new = make(firm, member, shared)

    everything = api.get(url)
    since = api.get(url, {"updated_since": (now - timedelta(days=1)).isoformat()})

    assert everything.status_code == 200 and since.status_code == 200
    assert {old, new} <= {row["id"] for row in everything.json()["data"]}
    assert [row["id"] for row in since.json()["data"]] == [new]


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_updated_since_that_is_not_a_time_is_a_400(
    firm: Firm, member: User, api: APIClient, make: Maker
) -> None:
    url, _ = make(firm, member, {})

    response = api.get(url, {"updated_since": "yesterday"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["updated_since"]


def test_every_list_endpoint_is_in_the_updated_since_sweep() -> None:
    resolver = get_resolver().namespace_dict["api"][1]
    named_lists = {
        name for name in resolver.reverse_dict if isinstance(name, str) and name.endswith("-list")
    }

    assert named_lists == {
        "contact-list",
        "matter-list",
        "text-conversation-list",
        "calendar-entry-list",
        "activity-list",
        "bill-list",
        "bank-account-list",
        "payment-link-list",
    }
