from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from contacts.models import Contact, ContactRelationship
from contacts.tests.factories import (
    ContactFactory,
    ContactRelationshipFactory,
    EmailAddressFactory,
    PhoneNumberFactory,
)

NOT_NORTH_AMERICAN = (
    "A texting number must be a US or Canadian number (+1); "
    "texts cannot be sent to other countries."
)
LIST_URL = reverse("api:contact-list")


def _detail_url(contact):
    return reverse("api:contact-detail", args=[contact.uuid])


@pytest.fixture
def api(api_client_for, member):
    return api_client_for(member)


@pytest.fixture
def ana(firm):
    contact = ContactFactory(firm=firm, first_name="Ana", last_name="García", title="CFO")
    PhoneNumberFactory(contact=contact, number_e164="+12025550143", texting=True)
    PhoneNumberFactory(contact=contact, label="work", number_e164="+447911123456")
    EmailAddressFactory(contact=contact, address="ana@example.com")
    return contact


# --- Cross-firm ------------------------------------------------------------------------------


def test_outsider_gets_404_for_the_firms_contact(api_client_for, outsider, ana, unscoped):
    client = api_client_for(outsider)
    assert client.get(_detail_url(ana)).status_code == 404
    patched = client.patch(_detail_url(ana), {"first_name": "Mallory"}, format="json")
    assert patched.status_code == 404
    assert patched.json()["error"]["type"] == "not_found"
    ana.refresh_from_db()
    assert ana.first_name == "Ana"


def test_outsider_list_returns_none_of_the_firms_rows(api_client_for, outsider, ana, other_firm):
    theirs = ContactFactory(firm=other_firm, first_name="Olive")
    body = api_client_for(outsider).get(LIST_URL).json()
    assert [row["id"] for row in body["data"]] == [str(theirs.uuid)]


def test_foreign_contact_in_relationship_body_is_not_found(api, ana, other_firm, unscoped):
    foreign = ContactFactory(firm=other_firm)
    response = api.post(
        reverse("api:contact-relationship-add", args=[ana.uuid]),
        {"related_contact": {"id": str(foreign.uuid)}, "description": "Spouse"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"] == {"related_contact": [f"No contact with id {foreign.uuid} was found."]}
    assert not ContactRelationship.objects.exists()


def test_outsider_cannot_relate_to_the_firms_contact(api_client_for, outsider, ana, other_firm):
    theirs = ContactFactory(firm=other_firm)
    response = api_client_for(outsider).post(
        reverse("api:contact-relationship-add", args=[theirs.uuid]),
        {"related_contact": str(ana.uuid)},
        format="json",
    )
    assert response.status_code == 400
    assert "was found" in response.json()["error"]["fields"]["related_contact"][0]


# --- Reading -----------------------------------------------------------------------------------


def test_retrieve_shows_the_contact_in_clio_style(api, ana, firm):
    acme = ContactFactory(firm=firm, company=True, company_name="Acme Legal")
    ContactRelationshipFactory(contact=acme, related_contact=ana, description="Employer")
    response = api.get(_detail_url(ana))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(ana.uuid)
    assert data["type"] == "person"
    assert data["name"] == "Ana García"
    assert data["title"] == "CFO"
    assert data["texting_number"] == "+12025550143"
    assert [(p["name"], p["number"], p["texting"]) for p in data["phone_numbers"]] == [
        ("mobile", "+12025550143", True),
        ("work", "+447911123456", False),
    ]
    assert [(e["address"], e["primary"]) for e in data["email_addresses"]] == [
        ("ana@example.com", True)
    ]
    assert data["related_contacts"] == [
        {"id": str(acme.uuid), "name": "Acme Legal", "description": "Employer"}
    ]
    assert set(data) >= {"created_at", "updated_at", "prefix", "middle_name", "company_name"}


def test_list_is_enveloped_and_cursor_paginated(api, firm):
    for n in range(5):
        ContactFactory(firm=firm, last_name=f"N{n}")
    first = api.get(LIST_URL, {"limit": 2}).json()
    assert set(first) == {"data", "meta"}
    assert first["meta"]["records"] == 2
    assert first["meta"]["paging"]["previous"] is None
    seen = [row["id"] for row in first["data"]]
    next_url = first["meta"]["paging"]["next"]
    while next_url:
        page = api.get(next_url).json()
        seen += [row["id"] for row in page["data"]]
        next_url = page["meta"]["paging"]["next"]
    assert len(seen) == len(set(seen)) == 5


def test_limit_above_200_is_capped(api, firm):
    ContactFactory.create_batch(205, firm=firm)
    body = api.get(LIST_URL, {"limit": 500}).json()
    assert len(body["data"]) == 200
    assert body["meta"]["paging"]["next"] is not None


def test_list_filters_by_query_type_and_updated_since(api, ana, firm, unscoped):
    acme = ContactFactory(firm=firm, company=True, company_name="Acme Legal")
    old = ContactFactory(firm=firm, first_name="Olga")
    Contact.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    by_number = api.get(LIST_URL, {"query": "202 555 0143"}).json()["data"]
    by_type = api.get(LIST_URL, {"type": "Company"}).json()["data"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    recent = api.get(LIST_URL, {"updated_since": since}).json()["data"]
    assert [row["id"] for row in by_number] == [str(ana.uuid)]
    assert [row["id"] for row in by_type] == [str(acme.uuid)]
    assert {row["id"] for row in recent} == {str(ana.uuid), str(acme.uuid)}
    everyone = api.get(LIST_URL, {"type": "", "query": ""}).json()["data"]
    assert len(everyone) == 3


def test_bad_updated_since_is_400(api):
    response = api.get(LIST_URL, {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()["error"]["fields"]


def test_list_queries_do_not_grow_with_rows(api, firm, django_assert_max_num_queries):
    for _ in range(20):
        contact = ContactFactory(firm=firm)
        PhoneNumberFactory(contact=contact, texting=True)
        EmailAddressFactory(contact=contact)
        ContactRelationshipFactory(contact=contact)
    with django_assert_max_num_queries(10):
        body = api.get(LIST_URL, {"limit": 100}).json()
    assert len(body["data"]) == 40  # 20 contacts and the 20 they are related to
    assert sum(len(row["related_contacts"]) for row in body["data"]) == 40


# --- Writing -----------------------------------------------------------------------------------


def test_create_normalises_numbers_and_answers_201(api, firm_scope):
    response = api.post(
        LIST_URL,
        {
            "type": "Person",
            "first_name": "Ana",
            "last_name": "García",
            "phone_numbers": [
                {"name": "mobile", "number": "(202) 555-0143", "texting": True},
                {"name": "work", "number": "+1 416 555 0123"},
            ],
            "email_addresses": [{"address": "ana@example.com"}],
        },
        format="json",
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["texting_number"] == "+12025550143"
    assert [p["number"] for p in data["phone_numbers"]] == ["+12025550143", "+14165550123"]
    assert data["email_addresses"][0]["primary"] is True
    with firm_scope():
        assert Contact.objects.get().uuid.hex == data["id"].replace("-", "")


def test_invalid_texting_number_is_400_with_fields_and_creates_nothing(api, unscoped):
    response = api.post(
        LIST_URL,
        {
            "first_name": "Nigel",
            "phone_numbers": [{"number": "+44 7911 123456", "texting": True}],
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert error["fields"] == {"phone_numbers[0].number": [NOT_NORTH_AMERICAN]}
    assert "phone_numbers[0].number" in error["message"]
    assert Contact.objects.count() == 0


def test_missing_name_and_bad_label_are_400(api, unscoped):
    response = api.post(
        LIST_URL,
        {"phone_numbers": [{"name": "pager", "number": "2025550143"}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"phone_numbers[0].name"}
    response = api.post(LIST_URL, {"type": "company"}, format="json")
    assert response.json()["error"]["fields"] == {"company_name": ["Enter the company's name."]}
    assert Contact.objects.count() == 0


def test_patch_changes_only_what_is_sent(api, ana, firm_scope):
    response = api.patch(_detail_url(ana), {"title": "CEO"}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["title"] == "CEO"
    assert data["first_name"] == "Ana"
    assert len(data["phone_numbers"]) == 2


def test_patch_with_phone_numbers_replaces_the_set(api, ana):
    response = api.patch(
        _detail_url(ana),
        {"phone_numbers": [{"name": "home", "number": "416-555-0123", "texting": True}]},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [(p["name"], p["number"]) for p in data["phone_numbers"]] == [("home", "+14165550123")]
    assert data["texting_number"] == "+14165550123"


def test_invalid_patch_changes_nothing(api, ana, firm_scope):
    response = api.patch(
        _detail_url(ana),
        {
            "first_name": "Anita",
            "phone_numbers": [
                {"number": "2025550143", "texting": True},
                {"number": "4165550123", "texting": True},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["phone_numbers[1].texting"]
    with firm_scope():
        ana.refresh_from_db()
        assert ana.first_name == "Ana"
        assert ana.phone_numbers.count() == 2


def test_put_replaces_the_whole_contact(api, ana):
    response = api.put(_detail_url(ana), {"first_name": "Ana"}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["last_name"], data["title"], data["phone_numbers"]) == ("", "", [])


def test_read_only_token_cannot_write(api_client_for, member, ana, unscoped):
    client = api_client_for(member, ApiToken.Scope.READ)
    assert client.get(LIST_URL).status_code == 200
    created = client.post(LIST_URL, {"first_name": "Ana"}, format="json")
    patched = client.patch(_detail_url(ana), {"first_name": "Anita"}, format="json")
    assert created.status_code == 403
    assert patched.status_code == 403
    assert created.json()["error"]["type"] == "forbidden"
    assert Contact.objects.count() == 1


def test_unauthenticated_request_is_401(client):
    response = client.get(LIST_URL)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "unauthorized"


def test_relationships_are_added_and_removed(api, ana, firm, firm_scope):
    acme = ContactFactory(firm=firm, company=True, company_name="Acme Legal")
    url = reverse("api:contact-relationship-add", args=[ana.uuid])
    added = api.post(
        url, {"related_contact": str(acme.uuid), "description": "Employer"}, format="json"
    )
    assert added.status_code == 201
    assert added.json()["data"]["related_contacts"] == [
        {"id": str(acme.uuid), "name": "Acme Legal", "description": "Employer"}
    ]
    again = api.post(url, {"related_contact": {"id": str(acme.uuid)}}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "conflict"
    itself = api.post(url, {"related_contact": str(ana.uuid)}, format="json")
    assert itself.json()["error"]["message"] == "A contact cannot be related to itself."
    # Removed from the other side.
    remove_url = reverse("api:contact-relationship-remove", args=[acme.uuid, ana.uuid])
    assert api.delete(remove_url).status_code == 204
    assert api.delete(remove_url).status_code == 404
    with firm_scope():
        assert not ContactRelationship.objects.exists()


def test_schema_documents_the_contacts_endpoints(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/contacts/"]) >= {"get", "post"}
    assert set(paths["/api/v1/contacts/{id}/"]) >= {"get", "patch", "put"}
    schemas = response.json()["components"]["schemas"]
    list_ref = paths["/api/v1/contacts/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["$ref"]
    assert set(schemas[list_ref.rsplit("/", 1)[1]]["properties"]) == {"data", "meta"}
    create_ref = paths["/api/v1/contacts/"]["post"]["responses"]["201"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert list(schemas[create_ref.rsplit("/", 1)[1]]["properties"]) == ["data"]
    params = {p["name"] for p in paths["/api/v1/contacts/"]["get"]["parameters"]}
    assert {"query", "type", "updated_since", "limit", "cursor"} <= params
