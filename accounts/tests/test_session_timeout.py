"""Session timeout (common/session_timeout.py): signed out after SESSION_IDLE_TIMEOUT_MINUTES
without activity, whatever the background polls do, and SESSION_COOKIE_AGE after signing
in however active; the last activity is written at most once a minute; bearer-token API
calls are not concerned."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import User
from accounts.tests.factories import PASSWORD
from common.session_timeout import BACKGROUND_POLLERS, LAST_ACTIVITY

T0 = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "unread-badge"}
IDLE_MESSAGE = "You were signed out after 2 hours without activity."


@pytest.fixture(autouse=True)
def production_limits(settings: Any) -> Iterator[None]:
    """The defaults of base.py (test.py lifts them for the rest of the suite)."""
    settings.SESSION_COOKIE_AGE = 12 * 60 * 60
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 120
    yield


def signed_in_client(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_idle_for_two_hours_signs_out_with_a_sentence(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        assert client.get("/settings/").status_code == 200
        clock.shift(timedelta(minutes=121))
        response = client.get("/settings/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/settings/"
        assert not signed_in(client)
        page = client.get(response["Location"])
        assert IDLE_MESSAGE in page.content.decode()


def test_background_polls_do_not_keep_the_session_alive(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        for _ in range(11):  # every 10 minutes for 110 minutes
            clock.shift(timedelta(minutes=10))
            assert client.get("/communications/unread/", **POLL).status_code == 200
        clock.shift(timedelta(minutes=11))
        response = client.get("/communications/unread/", **POLL)
        # htmx loads the sign-in page as a whole page rather than into the badge.
        assert response["HX-Redirect"] == "/accounts/login/"
        assert not signed_in(client)
        assert IDLE_MESSAGE in messages_of(response)


def test_each_poller_of_the_templates_is_known_as_one() -> None:
    """A new `hx-trigger="every …"` element must have its id in BACKGROUND_POLLERS, or
    an open page would keep its session alive for ever."""
    found = set()
    for path in Path(settings.BASE_DIR).glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for tag in re.findall(r"<[a-z]+\b[^>]*hx-trigger=\"every [^>]*>", path.read_text()):
            match = re.search(r'\bid="([^"]+)"', tag)
            assert match, f"{path}: a poller without an id: {tag}"
            found.add(match.group(1))
    assert found, "no poller found: the pattern is stale"
    assert found <= BACKGROUND_POLLERS


def test_a_click_counts_as_activity(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        for _ in range(3):  # 5 hours in all, never 2 hours idle
            clock.shift(timedelta(minutes=100))
            assert client.get("/settings/").status_code == 200
        # So does an htmx request the member made (a search), unlike a poll.
        clock.shift(timedelta(minutes=100))
        search = client.get("/contacts/?q=a", HTTP_HX_REQUEST="true")
        assert search.status_code == 200
        clock.shift(timedelta(minutes=100))
        assert client.get("/settings/").status_code == 200
        assert signed_in(client)


def test_activity_is_written_at_most_once_a_minute(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        first = client.session[LAST_ACTIVITY]
        clock.shift(timedelta(seconds=30))
        client.get("/settings/")
        assert client.session[LAST_ACTIVITY] == first
        clock.shift(timedelta(seconds=31))
        client.get("/settings/")
        assert client.session[LAST_ACTIVITY] == first + 61


def test_a_sign_in_ends_after_twelve_hours_however_active(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        for _ in range(7):  # 11 h 40 min of steady work
            clock.shift(timedelta(minutes=100))
            assert client.get("/settings/").status_code == 200
        clock.shift(timedelta(minutes=21))
        response = client.get("/settings/")
        assert response.status_code == 302
        assert not signed_in(client)
        assert "You were signed out: a sign-in lasts 12 hours." in messages_of(response)


def test_the_limits_come_from_the_settings(member: User, settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        clock.shift(timedelta(minutes=29))
        assert client.get("/settings/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/settings/")
        assert response.status_code == 302
        assert "You were signed out after 30 minutes without activity." in messages_of(response)


def test_a_form_posted_after_the_timeout_goes_to_sign_in_and_does_nothing(
    member: User, unscoped: None
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        clock.shift(timedelta(hours=3))
        response = client.post("/settings/api-tokens/", {"name": "Sync", "scope": "read"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"
        assert not member.api_tokens.exists()


def test_a_session_api_call_after_the_timeout_is_refused_as_signed_out(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        assert client.get("/api/v1/contacts/").status_code == 200
        clock.shift(timedelta(hours=3))
        response = client.get("/api/v1/contacts/")
        assert response.status_code in (401, 403)
        assert "error" in response.json()
        assert not signed_in(client)


def test_bearer_token_calls_are_not_concerned(member: User, api_client_for: Any) -> None:
    api = api_client_for(member)
    with time_machine.travel(T0, tick=False) as clock:
        assert api.get("/api/v1/contacts/").status_code == 200
        clock.shift(timedelta(hours=13))
        assert api.get("/api/v1/contacts/").status_code == 200


def test_signing_in_again_starts_both_clocks_anew(member: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client = signed_in_client(member)
        clock.shift(timedelta(hours=3))
        client.get("/settings/")  # signed out
        response = client.post("/accounts/login/", {"username": member.email, "password": PASSWORD})
        assert response.status_code == 302
        clock.shift(timedelta(minutes=100))
        assert client.get("/settings/").status_code == 200
