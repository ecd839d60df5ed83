"""create_firm and add_member: how a production install gets its firm and its people."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import AuditEvent, Firm, Membership, User

GOOD = "harbor-lantern-41"


def run(monkeypatch: pytest.MonkeyPatch, password: str, *args: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_firm_makes_the_firm_and_an_admin_who_can_sign_in(monkeypatch) -> None:
    out = run(
        monkeypatch,
        GOOD,
        "create_firm",
        "--name",
        "  Reyes   & Park LLP ",
        "--admin-email",
        "Ana@ReyesPark.example",
        "--time-zone",
        "America/Chicago",
    )

    firm = Firm.objects.get()
    assert (firm.name, firm.time_zone) == ("Reyes & Park LLP", "America/Chicago")
    with scopes_disabled():
        membership = Membership.objects.select_related("user").get(firm=firm)
        audited = AuditEvent.objects.get(firm=firm)
    assert membership.role == Membership.Role.ADMIN
    assert membership.user.email == "ana@reyespark.example"
    assert audited.action == AuditEvent.Action.MEMBER_ADDED and audited.actor_email == "system"
    assert "Created Reyes & Park LLP with admin ana@reyespark.example" in out
    client = Client()
    assert client.login(username="ana@reyespark.example", password=GOOD)
    assert client.get("/settings/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "args", "error"),
    [
        ("12345678901", [], "entirely numeric"),
        ("password123", [], "too common"),
        ("short", [], "too short"),
        (GOOD, ["--time-zone", "Mars/Olympus"], "not an IANA time zone"),
        (GOOD, ["--admin-email", "not-an-email"], "not an email address"),
        (GOOD, ["--name", "   "], "--name must be"),
    ],
)
def test_create_firm_refuses_bad_input_and_creates_nothing(
    monkeypatch, password: str, args: list[str], error: str
) -> None:
    base = {"--name": "Reyes & Park LLP", "--admin-email": "ana@reyespark.example"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [part for pair in base.items() for part in pair]

    with pytest.raises(CommandError, match=error):
        run(monkeypatch, password, "create_firm", *flat)

    assert not Firm.objects.exists() and not User.objects.exists()


def test_create_firm_refuses_an_email_that_already_signs_in(monkeypatch, admin: User) -> None:
    firms_before = Firm.objects.count()

    with pytest.raises(CommandError, match="already signs in"):
        run(monkeypatch, GOOD, "create_firm", "--name", "Twice", "--admin-email", admin.email)

    assert Firm.objects.count() == firms_before


def test_add_member_joins_the_only_firm_or_the_one_named(
    monkeypatch, firm: Firm, other_firm: Firm
) -> None:
    with pytest.raises(CommandError, match="Several firms match"):
        run(monkeypatch, GOOD, "add_member", "--email", "sam@example.com")

    out = run(
        monkeypatch, GOOD, "add_member", "--email", "sam@example.com", "--firm", firm.name.upper()
    )
    run(
        monkeypatch,
        GOOD,
        "add_member",
        "--email",
        "lee@example.com",
        "--firm",
        str(other_firm.uuid),
        "--role",
        "admin",
    )

    with scopes_disabled():
        sam = Membership.objects.get(user__email="sam@example.com")
        lee = Membership.objects.get(user__email="lee@example.com")
    assert (sam.firm, sam.role) == (firm, Membership.Role.STAFF)
    assert (lee.firm, lee.role) == (other_firm, Membership.Role.ADMIN)
    assert f"Added sam@example.com to {firm.name} as staff" in out


def test_add_member_refuses_an_unknown_firm_and_a_weak_password(monkeypatch, firm: Firm) -> None:
    with pytest.raises(CommandError, match="No firm is named"):
        run(monkeypatch, GOOD, "add_member", "--email", "sam@example.com", "--firm", "Nobody")
    with pytest.raises(CommandError, match="too short"):
        run(monkeypatch, "abc", "add_member", "--email", "sam@example.com")

    assert not User.objects.filter(email="sam@example.com").exists()
