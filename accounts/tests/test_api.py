"""Bearer tokens on the API: who they authenticate, and every way they are refused."""

from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tests.factories import ApiTokenFactory

WHO_AM_I = "/api/v1/users/who_am_i/"


def test_token_authenticates_its_user_and_firm(api_client_for, member, firm) -> None:
    body = api_client_for(member, scope=ApiToken.Scope.READ).get(WHO_AM_I).json()
    assert body["data"]["email"] == member.email
    assert body["data"]["role"] == "staff"
    assert body["data"]["token_scope"] == "read"
    assert body["data"]["firm"] == {
        "id": str(firm.uuid),
        "name": firm.name,
        "plan": "essentials",
        "region": "north_america",
        "time_zone": firm.time_zone,
        "texting_available": True,
        "texting_unavailable_reason": "",
    }


def test_request_without_credentials_gets_401_in_the_error_envelope(db) -> None:
    response = APIClient().get(WHO_AM_I)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["type"] == "unauthorized"
    assert response.json()["error"]["message"]


def test_unknown_token_is_refused(db) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer ft_not-a-real-token")
    response = client.get(WHO_AM_I)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The API token is unknown or was revoked."


def test_revoked_token_is_refused(member, unscoped) -> None:
    token = ApiTokenFactory(user=member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    assert client.get(WHO_AM_I).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get(WHO_AM_I).status_code == 401


def test_token_of_a_deactivated_user_is_refused(member) -> None:
    token = ApiTokenFactory(user=member)
    member.is_active = False
    member.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    assert client.get(WHO_AM_I).status_code == 401


def test_session_works_for_the_api_too(client_for, admin) -> None:
    body = client_for(admin).get(WHO_AM_I).json()
    assert body["data"]["role"] == "admin"
    assert body["data"]["token_scope"] is None


def test_token_records_when_it_was_last_used(member, unscoped) -> None:
    token = ApiTokenFactory(user=member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.raw}")
    client.get(WHO_AM_I)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_schema_documents_the_api(client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/users/who_am_i/" in schema["paths"]
    assert client.get("/api/docs/").status_code == 200
