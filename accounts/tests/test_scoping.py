"""The firm-scoping mechanism itself (T1): unscoped queries fail, the request scope filters."""

import pytest
from django_scopes import ScopeError, scope

from accounts.models import ApiToken, Membership
from accounts.tests.factories import ApiTokenFactory


def test_query_outside_a_firm_scope_raises(member, outsider) -> None:
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(role="staff").count()


def test_scope_shows_only_that_firms_rows(firm, member, admin, outsider) -> None:
    with scope(firm=firm.id):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails == {member.email, admin.email}


def test_request_runs_inside_its_firms_scope(client_for, member, outsider) -> None:
    ApiTokenFactory(user=outsider, name="outsider's token")
    ApiTokenFactory(user=member, name="member's token")
    page = client_for(member).get("/settings/api-tokens/").content.decode()
    assert "member&#x27;s token" in page
    assert "outsider" not in page


def test_user_without_a_firm_is_refused(client_for, db) -> None:
    from accounts.tests.factories import UserFactory

    response = client_for(UserFactory()).get("/settings/")
    assert response.status_code == 403
    assert "not part of a firm" in response.content.decode()


def test_removed_member_loses_access_at_once(client_for, member, unscoped) -> None:
    client = client_for(member)
    assert client.get("/settings/").status_code == 200
    Membership.objects.filter(user=member).delete()
    assert client.get("/settings/").status_code == 403
    assert ApiToken.objects.filter(user=member).count() == 0


def test_anonymous_pages_redirect_to_sign_in(client) -> None:
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
