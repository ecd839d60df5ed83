"""Settings > Profile > Change password: the old password is checked, the new one passes
AUTH_PASSWORD_VALIDATORS (refused with the validator's sentence, nothing changed), and the
member stays signed in on success."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD

URL = "/accounts/password/"
NEW = "plum-orchard-ladder-42"


def change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        URL,
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_the_profile_links_to_the_page_and_it_shows_the_rules(
    client_for: Any, member: User
) -> None:
    client = client_for(member)
    assert URL in client.get("/settings/").content.decode()
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Change password" in html
    assert "at least 10 characters" in html


def test_a_changed_password_keeps_the_member_signed_in(client_for: Any, member: User) -> None:
    client = client_for(member)
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    assert "Your password was changed." in client.get("/settings/").content.decode()

    member.refresh_from_db()
    assert member.check_password(NEW)
    assert not Client().login(email=member.email, password=PASSWORD)
    assert Client().login(email=member.email, password=NEW)


@pytest.mark.parametrize(
    ("new", "sentence"),
    [
        ("short-1", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("84375629837461", "This password is entirely numeric."),
        ("{email}", "The password is too similar to the email address."),
    ],
)
def test_a_weak_password_is_refused_with_the_rule_and_nothing_changes(
    client_for: Any, member: User, new: str, sentence: str
) -> None:
    client = client_for(member)
    response = change(client, PASSWORD, new.format(email=member.email))
    assert response.status_code == 200
    assert sentence in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_the_old_password_must_be_right(client_for: Any, member: User) -> None:
    response = change(client_for(member), "not-my-password", NEW)
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_the_two_new_passwords_must_match(client_for: Any, member: User) -> None:
    response = change(client_for(member), PASSWORD, NEW, again=NEW + "x")
    assert response.status_code == 200
    assert "fields didn’t match" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, member: User) -> None:
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
