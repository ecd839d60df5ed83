import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, AuditEvent
from accounts.resolution import api_token_resolve


def test_create_api_token_prints_a_working_token(member, unscoped) -> None:
    out = io.StringIO()
    call_command(
        "create_api_token",
        "--email",
        member.email.upper(),
        "--read-only",
        stdout=out,
        stderr=io.StringIO(),
    )
    token, membership = api_token_resolve(out.getvalue().strip())
    assert membership.user == member
    assert token.scope == ApiToken.Scope.READ
    # Made at the server, not by the member: the audit log says so.
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.API_TOKEN_CREATED)
    assert (event.actor, event.actor_email, event.target) == (None, "system", "Command line")


def test_create_api_token_for_unknown_email_fails_clearly(db) -> None:
    with pytest.raises(CommandError, match="No member of any firm"):
        call_command("create_api_token", "--email", "nobody@example.com")
