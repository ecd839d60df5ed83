from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Firm, User
from matters.models import Matter, MatterRelatedContact

from .factories import ContactFactory, MatterFactory, MatterRelatedContactFactory

Scope = Callable[[], AbstractContextManager[None]]
LIST_URL = reverse("api:matter-list")


def detail_url(matter: Matter) -> str:
    return reverse("api:matter-detail", args=[matter.uuid])


@pytest.fixture
def api(api_client_for: Callable[..., APIClient], member: User) -> APIClient:
    return api_client_for(member)


@pytest.fixture
def outsider_api(api_client_for: Callable[..., APIClient], outsider: User) -> APIClient:
    return api_client_for(outsider)


# --- Create ---------------------------------------------------------------------------------


def test_post_creates_a_numbered_matter_in_the_envelope(
    firm: Firm, member: User, api: APIClient, firm_scope: Scope
) -> None:
    garcia = ContactFactory(firm=firm, first_name="Ana", last_name="Garcia")
    spouse = ContactFactory(firm=firm, first_name="Luis", last_name="Ortega")

    response = api.post(
        LIST_URL,
        {
            "client": {"id": str(garcia.uuid)},
            "description": "Custody",
            "responsible_attorney": str(member.uuid),
            "related_contacts": [{"contact": {"id": str(spouse.uuid)}, "relationship": "Spouse"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    with firm_scope():
        matter = Matter.objects.get()
    assert data["id"] == str(matter.uuid)
    assert data["display_number"] == "00001-Garcia"
    assert data["status"] == "open" and data["open_date"] is not None
    assert data["close_date"] is None
    assert data["client"] == {"id": str(garcia.uuid), "name": "Ana Garcia"}
    assert data["responsible_attorney"] == {"id": str(member.uuid), "name": member.get_full_name()}
    assert data["related_contacts"] == [
        {"id": str(spouse.uuid), "name": "Luis Ortega", "relationship": "Spouse"}
    ]
    assert set(data) == {
        "id",
        "display_number",
        "description",
        "status",
        "client",
        "responsible_attorney",
        "open_date",
        "close_date",
        "related_contacts",
        "created_at",
        "updated_at",
    }


def test_post_accepts_a_bare_uuid_for_the_client(firm: Firm, api: APIClient) -> None:
    client = ContactFactory(firm=firm)

    response = api.post(
        LIST_URL,
        {
            "client": str(client.uuid),
            "description": "Will",
            "display_number": "W-1",
            "status": "pending",
        },
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["display_number"], data["status"], data["open_date"]) == ("W-1", "pending", None)
    assert data["responsible_attorney"] is None


def test_a_foreign_client_uuid_is_400_not_found_and_creates_nothing(
    firm: Firm, other_firm: Firm, api: APIClient, unscoped: None
) -> None:
    foreign = ContactFactory(firm=other_firm)

    response = api.post(
        LIST_URL, {"client": {"id": str(foreign.uuid)}, "description": "Hijack"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert error["fields"] == {"client": [f"No contact with id {foreign.uuid} was found."]}
    assert Matter.objects.count() == 0


def test_a_foreign_related_contact_is_400_and_changes_nothing(
    firm: Firm, other_firm: Firm, api: APIClient, unscoped: None
) -> None:
    matter = MatterFactory(client__firm=firm, description="Before")
    foreign = ContactFactory(firm=other_firm)

    response = api.patch(
        detail_url(matter),
        {
            "description": "After",
            "related_contacts": [{"contact": {"id": str(foreign.uuid)}, "relationship": "Spy"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "related_contacts[0].contact": [f"No contact with id {foreign.uuid} was found."]
    }
    matter.refresh_from_db()
    assert matter.description == "Before"
    assert not MatterRelatedContact.objects.exists()


def test_a_taken_display_number_is_400_with_a_sentence(
    firm: Firm, api: APIClient, unscoped: None
) -> None:
    existing = MatterFactory(client__firm=firm, display_number="2024-7")

    response = api.post(
        LIST_URL,
        {"client": str(existing.client.uuid), "description": "Dup", "display_number": "2024-7"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "display_number": ["Another matter of this firm already has the number “2024-7”."]
    }
    assert Matter.objects.count() == 1


def test_a_read_only_token_gets_403_on_post(
    firm: Firm, member: User, api_client_for: Callable[..., APIClient], unscoped: None
) -> None:
    client = ContactFactory(firm=firm)
    read_only = api_client_for(member, ApiToken.Scope.READ)

    response = read_only.post(
        LIST_URL, {"client": str(client.uuid), "description": "X"}, format="json"
    )
    listing = read_only.get(LIST_URL)

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "forbidden"
    assert listing.status_code == 200
    assert Matter.objects.count() == 0


# --- Read and update ------------------------------------------------------------------------


def test_get_one_matter(firm: Firm, api: APIClient) -> None:
    link = MatterRelatedContactFactory(matter__client__firm=firm, relationship="Witness")

    response = api.get(detail_url(link.matter))

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(link.matter.uuid)
    assert data["related_contacts"] == [
        {"id": str(link.contact.uuid), "name": link.contact.name, "relationship": "Witness"}
    ]


def test_patch_closes_the_matter_and_replaces_related_contacts(
    firm: Firm, api: APIClient, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)
    MatterRelatedContactFactory(matter=matter)
    newcomer = ContactFactory(firm=firm)

    with time_machine.travel(datetime(2026, 4, 1, 16, tzinfo=UTC), tick=False):
        response = api.patch(
            detail_url(matter),
            {
                "status": "closed",
                "description": "Settled",
                "related_contacts": [{"contact": str(newcomer.uuid), "relationship": "Expert"}],
            },
            format="json",
        )

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["status"], data["close_date"], data["description"]) == (
        "closed",
        "2026-04-01",
        "Settled",
    )
    assert [c["id"] for c in data["related_contacts"]] == [str(newcomer.uuid)]
    with firm_scope():
        assert list(
            MatterRelatedContact.objects.filter(matter=matter).values_list("contact_id", flat=True)
        ) == [newcomer.pk]


def test_patch_refuses_an_invalid_status_change(firm: Firm, api: APIClient) -> None:
    matter = MatterFactory(client__firm=firm, status=Matter.Status.OPEN)

    response = api.patch(detail_url(matter), {"status": "pending"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The matter is open; it cannot be set to pending."
    )


def test_patch_can_clear_the_responsible_attorney(firm: Firm, member: User, api: APIClient) -> None:
    matter = MatterFactory(client__firm=firm, responsible_attorney=member)

    response = api.patch(detail_url(matter), {"responsible_attorney": None}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["responsible_attorney"] is None


# --- Cross-firm -----------------------------------------------------------------------------


def test_outsider_token_gets_404_for_the_firms_matter(
    firm: Firm, outsider_api: APIClient, unscoped: None
) -> None:
    matter = MatterFactory(client__firm=firm, description="Private")

    read = outsider_api.get(detail_url(matter))
    write = outsider_api.patch(detail_url(matter), {"description": "Mine"}, format="json")

    assert (read.status_code, write.status_code) == (404, 404)
    assert read.json()["error"]["type"] == "not_found"
    matter.refresh_from_db()
    assert matter.description == "Private"


def test_the_list_shows_the_outsider_none_of_the_firms_rows(
    firm: Firm, other_firm: Firm, outsider_api: APIClient
) -> None:
    MatterFactory(client__firm=firm)
    MatterFactory(client__firm=firm)
    theirs = MatterFactory(client__firm=other_firm)

    response = outsider_api.get(LIST_URL)

    assert [m["id"] for m in response.json()["data"]] == [str(theirs.uuid)]


def test_an_unknown_id_is_404(api: APIClient) -> None:
    response = api.get("/api/v1/matters/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_is_cursor_paginated_with_limit(firm: Firm, api: APIClient) -> None:
    client = ContactFactory(firm=firm)
    made = [MatterFactory(client=client) for _ in range(5)]

    seen: list[str] = []
    url: str | None = f"{LIST_URL}?limit=2"
    pages = 0
    while url:
        body: dict[str, Any] = api.get(url).json()
        assert body["meta"]["records"] == len(body["data"]) <= 2
        seen += [m["id"] for m in body["data"]]
        url = body["meta"]["paging"]["next"]
        pages += 1

    assert pages == 3
    assert seen == [str(m.uuid) for m in reversed(made)]  # newest first, each once


def test_the_list_filters_by_status_query_client_and_updated_since(
    firm: Firm, api: APIClient
) -> None:
    garcia = ContactFactory(firm=firm, last_name="Garcia")
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        old = MatterFactory(client=garcia, description="Old lease", status=Matter.Status.CLOSED)
    recent = MatterFactory(client=garcia, description="New lease")
    other = MatterFactory(client__firm=firm, description="Patent filing")

    def ids(**params: str) -> list[str]:
        response = api.get(LIST_URL, params)
        assert response.status_code == 200, response.json()
        return [m["id"] for m in response.json()["data"]]

    assert ids(status="closed") == [str(old.uuid)]
    assert ids(query="lease") == [str(recent.uuid), str(old.uuid)]
    assert ids(client_id=str(other.client.uuid)) == [str(other.uuid)]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert str(old.uuid) not in ids(updated_since=since)
    assert set(ids(updated_since=since)) == {str(recent.uuid), str(other.uuid)}


def test_a_bad_filter_is_400(api: APIClient) -> None:
    response = api.get(LIST_URL, {"status": "archived"})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_list_query_count_does_not_grow_with_rows(
    firm: Firm,
    member: User,
    api: APIClient,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    for _ in range(20):
        MatterRelatedContactFactory(matter__client__firm=firm, matter__responsible_attorney=member)

    # A fixed handful of queries, however many matters and related contacts there are.
    with django_assert_max_num_queries(6):
        response = api.get(LIST_URL)

    assert len(response.json()["data"]) == 20


def test_the_schema_documents_the_matters_endpoints(api: APIClient) -> None:
    response = api.get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/matters/"])
    assert {"get", "patch"} <= set(paths["/api/v1/matters/{id}/"])
