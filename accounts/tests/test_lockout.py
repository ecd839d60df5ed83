"""Sign-in lockout (django-axes, accounts/lockout.py): LOGIN_FAILURE_LIMIT wrong passwords
for one email from one address refuse that pair, even with the right password, for
LOGIN_LOCKOUT_MINUTES after the last try; other accounts and addresses are unaffected, a
success resets the count, and sessions and API tokens already given keep working."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD

LOGIN = "/accounts/login/"
LOCKED = "Too many failed sign-ins for this account from your network."
T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, email: str, times: int, **extra: Any) -> Any:
    response = None
    for n in range(times):
        response = sign_in(client, email, f"wrong-guess-{n}", **extra)
    return response


def test_the_fifth_wrong_password_locks_and_the_right_one_is_then_refused(
    client: Client, member: User
) -> None:
    for n in range(4):
        response = sign_in(client, member.email, f"wrong-guess-{n}")
        assert response.status_code == 200
        assert "do not match an account" in response.content.decode()

    fifth = sign_in(client, member.email, "wrong-guess-4")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert "Try again in 15 minutes, or ask your firm's admin to unlock it." in (
        fifth.content.decode()
    )

    right = sign_in(client, member.email, PASSWORD)
    assert right.status_code == 429
    assert right["Retry-After"] == "900"
    assert LOCKED in right.content.decode()
    assert not signed_in(client)


def test_the_lockout_holds_one_account_from_one_address_only(
    client: Client, member: User, admin: User
) -> None:
    fail(client, member.email, 5)

    colleague = Client()
    assert sign_in(colleague, admin.email, PASSWORD).status_code == 302
    assert signed_in(colleague)

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(elsewhere, member.email, PASSWORD).status_code == 302
    assert signed_in(elsewhere)


def test_changing_the_case_of_the_email_does_not_start_a_fresh_count(
    client: Client, member: User
) -> None:
    for n, email in enumerate(
        [member.email.upper(), member.email.title(), f" {member.email} ", member.email.upper()]
    ):
        sign_in(client, email, f"wrong-guess-{n}")
    assert sign_in(client, member.email.swapcase(), "wrong-guess-4").status_code == 429
    assert sign_in(client, member.email, PASSWORD).status_code == 429


def test_the_lockout_ends_fifteen_minutes_after_the_last_try(client: Client, member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        fail(client, member.email, 5)
        clock.shift(timedelta(minutes=14))
        # Still locked; and trying again starts the fifteen minutes anew.
        assert sign_in(client, member.email, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=14))
        assert sign_in(client, member.email, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=16))
        assert sign_in(client, member.email, PASSWORD).status_code == 302
        assert signed_in(client)


def test_a_successful_sign_in_resets_the_count(client: Client, member: User) -> None:
    fail(client, member.email, 4)
    assert sign_in(client, member.email, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    assert fail(client, member.email, 4).status_code == 200
    assert fail(client, member.email, 1).status_code == 429


def test_the_limit_and_duration_come_from_the_settings(
    client: Client, member: User, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 30
    assert fail(client, member.email, 1).status_code == 200
    locked = fail(client, member.email, 1)
    assert locked.status_code == 429
    assert "Try again in 30 minutes" in locked.content.decode()


def test_the_password_tried_is_not_stored(client: Client, member: User) -> None:
    sign_in(client, member.email, "hunter2-secret-guess")
    attempt = AccessAttempt.objects.get()
    assert "hunter2-secret-guess" not in attempt.post_data
    assert attempt.username == member.email


def test_signed_in_sessions_and_api_tokens_keep_working_during_a_lockout(
    client: Client, client_for: Any, api_client_for: Any, member: User
) -> None:
    fail(client, member.email, 5)
    assert client_for(member).get("/settings/").status_code == 200
    assert api_client_for(member).get("/api/v1/contacts/").status_code == 200


def test_an_admin_unlocks_an_account_with_axes_reset_username(client: Client, member: User) -> None:
    fail(client, member.email, 5)
    call_command("axes_reset_username", member.email)
    assert sign_in(client, member.email, PASSWORD).status_code == 302


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client: Client, member: User) -> None:
    for n in range(5):
        sign_in(client, member.email, f"wrong-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


@pytest.mark.parametrize("forged", ["", "192.0.2.1, ", "not-an-address, 10.0.0.1, "])
def test_behind_a_proxy_the_address_it_saw_is_counted(
    client: Client, member: User, settings: Any, forged: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(5):
        sign_in(client, member.email, f"wrong-{n}", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    # What a client puts in front of its own address changes nothing.
    locked = sign_in(
        client, member.email, PASSWORD, HTTP_X_FORWARDED_FOR=f"{forged}203.0.113.5", **proxy
    )
    assert locked.status_code == 429
    # Another client behind the same proxy signs in.
    other = Client()
    response = sign_in(other, member.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy)
    assert response.status_code == 302


@pytest.mark.parametrize("header", ["unknown", "", "203.0.113.5, 2001:db8::1:zz"])
def test_a_proxy_header_that_is_not_an_address_counts_the_proxys_address(
    client: Client, member: User, settings: Any, header: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    sign_in(client, member.email, "wrong", HTTP_X_FORWARDED_FOR=header, REMOTE_ADDR="10.0.0.2")
    assert AccessAttempt.objects.get().ip_address == "10.0.0.2"
