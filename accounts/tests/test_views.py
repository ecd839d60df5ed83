import re

from accounts.models import ApiToken
from accounts.resolution import token_hash
from accounts.tests.factories import PASSWORD, ApiTokenFactory


def test_sign_in_with_email_and_password_opens_communications(client, member) -> None:
    response = client.post(
        "/accounts/login/", {"username": member.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/communications/"
    assert "Communications" in response.content.decode()


def test_wrong_password_is_refused_with_a_sentence(client, member) -> None:
    response = client.post("/accounts/login/", {"username": member.email, "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post_and_ends_the_session(client_for, member) -> None:
    client = client_for(member)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/settings/").status_code == 302


def test_staff_cannot_open_text_messaging_settings(client_for, member, admin) -> None:
    assert client_for(member).get("/settings/text-messaging/").status_code == 403
    assert client_for(admin).get("/settings/text-messaging/").status_code == 200


def test_only_admins_see_the_member_list(client_for, member, admin) -> None:
    assert admin.email in client_for(admin).get("/settings/").content.decode()
    assert admin.email not in client_for(member).get("/settings/").content.decode()


def test_created_token_is_shown_once_and_stored_hashed(client_for, member, unscoped) -> None:
    client = client_for(member)
    page = client.post("/settings/api-tokens/", {"name": "Sync", "scope": "read"}).content.decode()
    raw = re.search(r'id="new-token">([^<]+)<', page).group(1)
    token = ApiToken.objects.get(user=member)
    assert token.key_hash == token_hash(raw) and raw not in token.key_hash
    assert token.scope == ApiToken.Scope.READ
    assert raw not in client.get("/settings/api-tokens/").content.decode()


def test_token_form_rejects_a_missing_name(client_for, member, unscoped) -> None:
    response = client_for(member).post("/settings/api-tokens/", {"name": "", "scope": "read"})
    assert "This field is required." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_staff_revokes_own_token_but_not_a_colleagues(client_for, member, admin, unscoped) -> None:
    own = ApiTokenFactory(user=member)
    colleagues = ApiTokenFactory(user=admin)
    client = client_for(member)
    client.post(f"/settings/api-tokens/{own.uuid}/revoke/")
    response = client.post(f"/settings/api-tokens/{colleagues.uuid}/revoke/")
    assert response.status_code == 404
    own.refresh_from_db()
    colleagues.refresh_from_db()
    assert own.revoked_at is not None
    assert colleagues.revoked_at is None


def test_admin_sees_and_revokes_any_token_of_the_firm(client_for, member, admin, unscoped) -> None:
    token = ApiTokenFactory(user=member, name="Staff sync")
    client = client_for(admin)
    assert "Staff sync" in client.get("/settings/api-tokens/").content.decode()
    client.post(f"/settings/api-tokens/{token.uuid}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_cannot_revoke_another_firms_token(client_for, admin, outsider, unscoped) -> None:
    foreign = ApiTokenFactory(user=outsider)
    client_for(admin).post(f"/settings/api-tokens/{foreign.uuid}/revoke/")
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
