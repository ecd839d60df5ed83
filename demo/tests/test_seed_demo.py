"""seed_demo, driven as `make run` and outside test suites drive it: through the command."""

import io
import json
import random
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_scopes import scope

from accounts.models import ApiToken, Firm, Membership, User
from accounts.resolution import api_token_resolve
from common.phones import phone_to_e164
from contacts.models import Contact, ContactRelationship, EmailAddress, PhoneNumber
from demo.management.commands.seed_demo import MESSAGES_NOTE
from demo.numbers import NumberAllocator, textable_area_codes
from matters.models import Folder, Matter, MatterRelatedContact

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FIRM_KEYS = {
    "id",
    "name",
    "toll_free_number",
    "users",
    "contacts",
    "time_zone",
    "messages",
    "matters",
}  # the last three are extras
USER_KEYS = {"email", "password", "role", "api_token", "name"}  # "name" is an extra
CONTACT_KEYS = {"id", "name", "texting_number", "matter_ids"}
MATTER_KEYS = {"id", "display_number", "status", "client_id"}


def seed(*args: str) -> tuple[dict[str, Any], str]:
    """Run `seed_demo --json *args`; the parsed stdout (which must be JSON only) and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--json", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.mark.django_db
def test_json_output_has_the_documented_shape() -> None:
    data, _ = seed("--firms", "2", "--contacts", "7")

    assert set(data) == {"firms", "skipped"}
    assert data["skipped"] is False
    assert len(data["firms"]) == 2
    for firm in data["firms"]:
        assert set(firm) == FIRM_KEYS
        assert UUID.match(firm["id"])
        assert isinstance(firm["name"], str) and firm["name"]
        assert firm["toll_free_number"] is None
        assert firm["messages"] == 0
        for user in firm["users"]:
            assert set(user) == USER_KEYS
            assert all(isinstance(user[key], str) and user[key] for key in USER_KEYS)
            assert user["role"] in {"admin", "staff"}
            assert user["email"].endswith(".example.com")
        for contact in firm["contacts"]:
            assert set(contact) == CONTACT_KEYS
            assert UUID.match(contact["id"])
            assert isinstance(contact["name"], str) and contact["name"]
            assert isinstance(contact["texting_number"], str)
            assert isinstance(contact["matter_ids"], list)
            assert all(UUID.match(matter_id) for matter_id in contact["matter_ids"])
        for matter in firm["matters"]:
            assert set(matter) == MATTER_KEYS
    assert data["firms"][0]["name"] == "Demo Law Group"
    assert data["firms"][0]["users"][0]["email"] == "admin@demo-law-group.example.com"


@pytest.mark.django_db
def test_counts_match_the_flags(unscoped: None) -> None:
    data, _ = seed("--firms", "3", "--contacts", "9")

    assert Firm.objects.count() == 3
    for seeded in data["firms"]:
        firm = Firm.objects.get(uuid=seeded["id"])
        assert firm.plan == Firm.Plan.ESSENTIALS
        assert firm.region == Firm.Region.NORTH_AMERICA
        assert firm.time_zone == seeded["time_zone"]
        assert firm.toll_free_number_e164 is None
        assert len(seeded["contacts"]) == 9
        assert Contact.objects.filter(firm=firm).count() == 9
        assert Matter.objects.filter(firm=firm).count() == len(seeded["matters"]) == 4
        roles = sorted(Membership.objects.filter(firm=firm).values_list("role", flat=True))
        assert roles == ["admin", "staff"]
        assert sorted(user["role"] for user in seeded["users"]) == ["admin", "staff"]
        assert ApiToken.objects.filter(firm=firm).count() == 2


@pytest.mark.django_db
def test_texting_numbers_are_valid_unique_and_stored(unscoped: None) -> None:
    data, _ = seed("--firms", "2", "--contacts", "40")

    for seeded in data["firms"]:
        numbers = [contact["texting_number"] for contact in seeded["contacts"]]
        assert len(set(numbers)) == len(numbers)
        for number in numbers:
            assert number.startswith("+1")
            assert phone_to_e164(number, texting=True) == number
        stored = dict(
            PhoneNumber.objects.filter(firm__uuid=seeded["id"], is_texting_number=True).values_list(
                "contact__uuid", "number_e164"
            )
        )
        assert {str(uuid): number for uuid, number in stored.items()} == {
            contact["id"]: contact["texting_number"] for contact in seeded["contacts"]
        }
        # Work numbers are drawn from the same allocator: no number twice in the firm.
        every_number = list(
            PhoneNumber.objects.filter(firm__uuid=seeded["id"]).values_list(
                "number_e164", flat=True
            )
        )
        assert len(set(every_number)) == len(every_number)


@pytest.mark.django_db
def test_matter_ids_are_matters_where_the_contact_is_client_or_related(unscoped: None) -> None:
    data, _ = seed("--contacts", "30")
    seeded = data["firms"][0]
    firm = Firm.objects.get(uuid=seeded["id"])

    for contact_json in seeded["contacts"]:
        contact = Contact.objects.get(firm=firm, uuid=contact_json["id"])
        expected = {
            str(uuid)
            for uuid in Matter.objects.filter(firm=firm, client=contact).values_list(
                "uuid", flat=True
            )
        } | {
            str(uuid)
            for uuid in MatterRelatedContact.objects.filter(firm=firm, contact=contact).values_list(
                "matter__uuid", flat=True
            )
        }
        assert set(contact_json["matter_ids"]) == expected
        assert len(contact_json["matter_ids"]) == len(expected)
    assert any(contact["matter_ids"] for contact in seeded["contacts"])


@pytest.mark.django_db
def test_seeded_rows_are_consistent(unscoped: None) -> None:
    data, _ = seed("--contacts", "60")
    firm = Firm.objects.get(uuid=data["firms"][0]["id"])

    for contact in Contact.objects.filter(firm=firm):
        assert contact.sort_name == contact.compute_sort_name()
        assert contact.phone_numbers.filter(is_texting_number=True).count() == 1
    assert Contact.objects.filter(firm=firm, type=Contact.Type.COMPANY).exists()
    assert EmailAddress.objects.filter(firm=firm).exists()
    descriptions = set(
        ContactRelationship.objects.filter(firm=firm).values_list("description", flat=True)
    )
    assert descriptions <= {"Spouse", "Employer"} and descriptions
    for rel in ContactRelationship.objects.filter(firm=firm).select_related("related_contact"):
        if rel.description == "Employer":
            assert rel.related_contact.type == Contact.Type.COMPANY

    matters = list(Matter.objects.filter(firm=firm).select_related("client").order_by("number"))
    assert [matter.number for matter in matters] == list(range(1, 31))
    for matter in matters:
        surname = (
            matter.client.company_name
            if matter.client.type == Contact.Type.COMPANY
            else matter.client.last_name
        )
        assert matter.display_number == f"{matter.number:05d}-{surname}"[:50].rstrip()
        assert matter.client.firm_id == firm.id
        assert Folder.objects.filter(matter=matter, parent=None, name="Correspondence").exists()
        assert (matter.open_date is None) == (matter.status == Matter.Status.PENDING)
        assert (matter.close_date is not None) == (matter.status == Matter.Status.CLOSED)
    assert {matter.status for matter in matters} <= {"open", "pending", "closed"}
    links = MatterRelatedContact.objects.filter(firm=firm).select_related("matter")
    assert links.exists()
    for link in links:
        assert link.contact_id != link.matter.client_id
        assert link.relationship


@pytest.mark.django_db
def test_api_tokens_authenticate_as_their_user_in_their_firm() -> None:
    data, _ = seed("--firms", "2", "--contacts", "3")

    for seeded in data["firms"]:
        for user in seeded["users"]:
            resolved = api_token_resolve(user["api_token"])
            assert resolved is not None
            token, membership = resolved
            assert membership.user.email == user["email"]
            assert membership.role == user["role"]
            assert str(membership.firm.uuid) == seeded["id"]
            assert token.allows_writes


@pytest.mark.django_db
def test_api_token_reads_its_firms_contacts_over_the_api() -> None:
    data, _ = seed("--firms", "2", "--contacts", "4")
    first, second = data["firms"]

    for user in first["users"]:
        response = Client().get(
            "/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {user['api_token']}"
        )
        assert response.status_code == 200
        listed = {contact["id"] for contact in response.json()["data"]}
        assert listed == {contact["id"] for contact in first["contacts"]}
        assert not listed & {contact["id"] for contact in second["contacts"]}


@pytest.mark.django_db
def test_printed_passwords_sign_in() -> None:
    data, _ = seed("--contacts", "2")

    for user in data["firms"][0]["users"]:
        assert Client().login(email=user["email"], password=user["password"])
    assert data["firms"][0]["users"][0]["password"] != data["firms"][0]["users"][1]["password"]


@pytest.mark.django_db
def test_given_password_is_every_users_password() -> None:
    data, _ = seed("--firms", "2", "--contacts", "1", "--password", "demo-password-123")

    users = [user for firm in data["firms"] for user in firm["users"]]
    assert {user["password"] for user in users} == {"demo-password-123"}
    for user in users:
        assert Client().login(email=user["email"], password="demo-password-123")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ("--password", "short"),
        ("--firms", "0"),
        ("--contacts", "-1"),
        ("--messages", "-5"),
    ],
)
def test_bad_flags_are_refused_and_nothing_is_made(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Firm.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_once_skips_when_a_firm_exists(firm: Firm, unscoped: None) -> None:
    data, _ = seed("--once", "--contacts", "3")

    assert data == {"firms": [], "skipped": True}
    assert list(Firm.objects.all()) == [firm]
    assert not Contact.objects.exists()

    out = io.StringIO()
    call_command("seed_demo", "--once", stdout=out, stderr=io.StringIO())
    assert "nothing seeded" in out.getvalue()
    assert Firm.objects.count() == 1


@pytest.mark.django_db
def test_once_seeds_an_empty_database() -> None:
    data, _ = seed("--once", "--contacts", "3")

    assert data["skipped"] is False
    assert [firm["name"] for firm in data["firms"]] == ["Demo Law Group"]
    assert Firm.objects.count() == 1


@pytest.mark.django_db
def test_messages_flag_prints_a_note_and_makes_no_messages() -> None:
    data, err = seed("--contacts", "2", "--messages", "50")

    assert MESSAGES_NOTE in err
    assert "texting pipeline" in MESSAGES_NOTE
    assert [firm["messages"] for firm in data["firms"]] == [0]


@pytest.mark.django_db
def test_no_note_without_messages() -> None:
    _, err = seed("--contacts", "2")

    assert MESSAGES_NOTE not in err


@pytest.mark.django_db
def test_running_again_adds_firms_with_suffixed_names_and_the_same_contacts() -> None:
    first, _ = seed("--contacts", "12")
    second, _ = seed("--contacts", "12")

    assert first["firms"][0]["name"] == "Demo Law Group"
    assert second["firms"][0]["name"] == "Demo Law Group (2)"
    assert second["firms"][0]["users"][0]["email"] == "admin@demo-law-group-2.example.com"
    assert Firm.objects.count() == 2

    def people(data: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c["name"], c["texting_number"]) for c in data["firms"][0]["contacts"]]

    # Deterministic: the same flags make the same contacts (in a new firm).
    assert people(first) == people(second)
    assert first["firms"][0]["contacts"][0]["id"] != second["firms"][0]["contacts"][0]["id"]


@pytest.mark.django_db
def test_firms_get_varied_realistic_names() -> None:
    data, _ = seed("--firms", "12", "--contacts", "0")

    names = [firm["name"] for firm in data["firms"]]
    assert len(set(names)) == 12
    assert names[:2] == ["Demo Law Group", "Garcia & Patel LLP"]
    assert all(firm["contacts"] == [] and firm["matters"] == [] for firm in data["firms"])
    assert len({firm["time_zone"] for firm in data["firms"]}) > 1


@pytest.mark.django_db
def test_human_summary_shows_logins_and_the_admin_token(unscoped: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo", "--contacts", "4", "--password", "demo-password-123", stdout=out, stderr=err
    )

    text = out.getvalue()
    assert "Made 1 demo firm." in text
    assert "Demo Law Group" in text
    assert "admin@demo-law-group.example.com  /  demo-password-123" in text
    assert "staff@demo-law-group.example.com  /  demo-password-123" in text
    token = re.search(r"API token \(admin@demo-law-group\.example\.com\): (\S+)", text)
    assert token is not None
    resolved = api_token_resolve(token.group(1))
    assert resolved is not None and resolved[1].role == Membership.Role.ADMIN


@pytest.mark.django_db
def test_large_run_uses_bulk_inserts(django_assert_max_num_queries: Any, unscoped: None) -> None:
    # ~6,000 rows (contacts, numbers, emails, relationships, matters, links, folders): batches
    # of inserts keep the queries in the low hundreds even with SQLite's 999-parameter limit.
    with django_assert_max_num_queries(150):
        data, err = seed("--contacts", "1500")

    firm = Firm.objects.get(uuid=data["firms"][0]["id"])
    rows = sum(
        model.objects.filter(firm=firm).count()
        for model in (
            Contact,
            PhoneNumber,
            EmailAddress,
            ContactRelationship,
            Matter,
            MatterRelatedContact,
            Folder,
        )
    )
    assert rows > 5000
    assert Contact.objects.filter(firm=firm).count() == 1500
    assert Matter.objects.filter(firm=firm).count() == 750
    numbers = [contact["texting_number"] for contact in data["firms"][0]["contacts"]]
    assert len(set(numbers)) == 1500
    assert "row" in err  # the progress bar went to stderr, not into the JSON


@pytest.mark.django_db
def test_seeded_data_is_visible_inside_the_firm_scope_only() -> None:
    data, _ = seed("--firms", "2", "--contacts", "5")
    first, second = (Firm.objects.get(uuid=firm["id"]) for firm in data["firms"])

    with scope(firm=first.id):
        assert {str(u) for u in Contact.objects.values_list("uuid", flat=True)} == {
            contact["id"] for contact in data["firms"][0]["contacts"]
        }
    with scope(firm=second.id):
        assert not Contact.objects.filter(
            uuid__in=[contact["id"] for contact in data["firms"][0]["contacts"]]
        ).exists()


def test_number_allocator_goes_past_the_fictional_range_with_valid_unique_numbers() -> None:
    fictional = len(textable_area_codes()) * 100
    allocator = NumberAllocator(random.Random(1), (212, 646))
    numbers = [allocator.allocate() for _ in range(fictional + 300)]

    assert len(set(numbers)) == len(numbers)
    first_fictional = numbers[:fictional]
    assert all(n[5:8] == "555" and "0100" <= n[8:] <= "0199" for n in first_fictional)
    overflow = numbers[fictional:]
    for number in overflow:
        assert phone_to_e164(number, texting=True) == number
        assert not "0100" <= number[8:] <= "0199"
    for number in random.Random(2).sample(first_fictional, 500):
        assert phone_to_e164(number, texting=True) == number


def test_number_allocator_prefers_the_firms_area_codes() -> None:
    allocator = NumberAllocator(random.Random(3), (416, 647))
    numbers = [allocator.allocate() for _ in range(200)]

    local = [n for n in numbers if n[2:5] in {"416", "647"}]
    assert len(local) > 100
    assert len({n[2:5] for n in numbers}) > 2


def test_overflow_numbers_never_end_in_a_sandbox_failure_code() -> None:
    from demo.numbers import NumberAllocator
    from provider_sandbox.outcomes import FAILURE_CODES

    lines = [line for _, line in NumberAllocator._overflow_numbers([202])]
    assert lines[0] == 200 and lines[-1] == 9998  # 9999 is a failure code too
    assert not set(lines) & set(FAILURE_CODES)
    assert 4719 in lines and 4722 in lines
