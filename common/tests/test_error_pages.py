from accounts.tests.factories import ApiTokenFactory


def test_unknown_api_path_with_a_token_is_a_json_404(member) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiTokenFactory(user=member).raw}")
    response = client.get("/api/v1/matters/not-a-uuid/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"type": "not_found", "message": "Not found.", "fields": {}}
    }


def test_unknown_page_for_a_member_is_the_friendly_404(client_for, member) -> None:
    response = client_for(member).get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing here, or it belongs to another firm." in response.content.decode()
