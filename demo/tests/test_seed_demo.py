"""seed_demo, driven as `make run` and outside test suites drive it: through the command,
with the provider sandbox (a real process, reset for each test) as the provider."""

import io
import json
import re
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from accounts.models import ApiToken, Firm, Membership, User
from accounts.resolution import api_token_resolve
from billing.models import Activity, BankAccount, Timekeeper
from calendar_events.models import CalendarEvent
from common.phones import phone_to_e164
from contacts.models import Contact, ContactRelationship, EmailAddress, PhoneNumber
from demo.billing import ATTORNEY_RATE_CENTS, STAFF_RATE_CENTS
from demo.calendar import EVENTS_PER_FIRM
from demo.management.commands.seed_demo import SANDBOX_COMMAND, SANDBOX_NEEDED
from demo.seeding import DEMO_REMINDER_DAYS
from matters.models import Folder, Matter, MatterRelatedContact
from provider_sandbox.outcomes import failure_for_destination
from texting.models import Conversation, Message, ReadState, TextingSettings
from texting.provider import parse_message_callbacks
from texting.segments import segment_count
from texting.selectors import unread_total
from texting.services import messaging_events_record
from texting.tasks import provider_event_process_task

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


@pytest.fixture(autouse=True)
def _provider(sandbox: Any) -> Iterator[Any]:
    """seed_demo orders every firm's toll-free number: each test has the sandbox to itself."""
    yield sandbox


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
        assert re.fullmatch(r"\+18[0-9]{9}", firm["toll_free_number"])
        assert firm["messages"] == 28  # 4 per contact when --messages is not given
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
        assert firm.toll_free_number_e164 == seeded["toll_free_number"]
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
        ("--contacts", "0", "--messages", "5"),
        ("--contacts", "5", "--conversations", "6"),
        ("--contacts", "5", "--conversations", "-1"),
        ("--contacts", "5", "--conversations", "0", "--messages", "3"),
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
    number = Firm.objects.get().toll_free_number_e164
    assert f"texts from {number} (toll-free), 16 messages" in text
    assert "admin@demo-law-group.example.com  /  demo-password-123" in text
    assert "staff@demo-law-group.example.com  /  demo-password-123" in text
    token = re.search(r"API token \(admin@demo-law-group\.example\.com\): (\S+)", text)
    assert token is not None
    resolved = api_token_resolve(token.group(1))
    assert resolved is not None and resolved[1].role == Membership.Role.ADMIN


@pytest.mark.django_db
def test_large_run_uses_bulk_inserts(django_assert_max_num_queries: Any, unscoped: None) -> None:
    # ~17,000 rows (contacts, numbers, emails, relationships, matters, links, folders,
    # conversations, 6,000 messages, read states): batches of inserts keep the queries in the
    # low hundreds even with SQLite's 999-parameter limit (41 messages per insert).
    with django_assert_max_num_queries(400):
        data, err = seed("--contacts", "1500", "--messages", "6000")

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
    assert Conversation.objects.filter(firm=firm).count() == 1500
    assert Message.objects.filter(firm=firm).count() == data["firms"][0]["messages"] == 6000
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


# --- Texting set up through the provider ----------------------------------------------------


@pytest.mark.django_db
def test_each_firm_texts_from_a_toll_free_number_the_sandbox_owns(
    sandbox: Any, unscoped: None
) -> None:
    data, _ = seed("--firms", "3", "--contacts", "2")

    numbers = [firm["toll_free_number"] for firm in data["firms"]]
    assert len(set(numbers)) == 3
    owned = set(sandbox.control.numbers())
    for seeded in data["firms"]:
        number = seeded["toll_free_number"]
        assert Firm.objects.get(uuid=seeded["id"]).toll_free_number_e164 == number
        parsed = phonenumbers.parse(number)
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE
        assert number in owned


@pytest.mark.django_db
def test_texting_settings_give_the_firms_office_line_and_address(unscoped: None) -> None:
    data, _ = seed("--firms", "2", "--contacts", "30")

    for seeded in data["firms"]:
        settings = TextingSettings.objects.get(firm__uuid=seeded["id"])
        assert settings.verification_status == TextingSettings.VerificationStatus.PENDING
        domain = seeded["users"][0]["email"].split("@")[1]
        assert settings.alternative_email == f"office@{domain}"
        office = settings.alternative_phone_e164
        assert phone_to_e164(office) == office
        assert failure_for_destination(office) is None
        contact_numbers = {contact["texting_number"] for contact in seeded["contacts"]}
        assert office not in contact_numbers
    ny = TextingSettings.objects.get(firm__uuid=data["firms"][0]["id"])
    assert ny.alternative_phone_e164[2:5] in {"212", "646", "917", "718", "347"}


@pytest.mark.django_db
def test_each_firm_has_a_calendar_of_its_open_matters_with_reminders_on(unscoped: None) -> None:
    data, _ = seed("--firms", "1", "--contacts", "30")
    firm = Firm.objects.get(uuid=data["firms"][0]["id"])
    events = CalendarEvent.objects.filter(firm=firm).select_related("matter")
    assert events.count() == EVENTS_PER_FIRM
    for event in events:
        assert event.matter is not None and event.matter.status == Matter.Status.OPEN
        assert event.starts_at.astimezone(ZoneInfo(firm.time_zone)).weekday() < 5
        client = event.attendees.get(contact__isnull=False)
        assert client.contact_id == event.matter.client_id and client.notify_via_text
        assert event.attendees.filter(user__isnull=False).count() == 1
    assert TextingSettings.objects.get(firm=firm).event_reminder_days == DEMO_REMINDER_DAYS


@pytest.mark.django_db
def test_each_firm_can_bill_at_once_with_its_accounts_rates_and_unbilled_time(
    unscoped: None,
) -> None:
    data, _ = seed("--firms", "1", "--contacts", "30")
    firm = Firm.objects.get(uuid=data["firms"][0]["id"])
    kinds = sorted(BankAccount.objects.filter(firm=firm).values_list("kind", flat=True))
    assert kinds == ["operating", "trust"]
    rates = dict(Timekeeper.objects.filter(firm=firm).values_list("user__email", "rate_cents"))
    assert sorted(rates.values()) == [STAFF_RATE_CENTS, ATTORNEY_RATE_CENTS]
    entries = Activity.objects.filter(firm=firm).select_related("matter")
    assert entries.exists()
    for entry in entries:
        assert entry.matter.status == Matter.Status.OPEN and entry.bill_id is None
        assert entry.billable and entry.total_cents > 0


@pytest.mark.django_db
def test_a_number_another_firm_already_has_is_not_ordered(firm: Firm, unscoped: None) -> None:
    # The database kept a firm with the sandbox's first number, but the sandbox forgot it.
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()

    data, _ = seed("--contacts", "1")

    assert data["firms"][0]["toll_free_number"] == "+18445550101"


@pytest.mark.django_db
def test_every_contact_has_a_conversation_the_firm_texted(unscoped: None) -> None:
    data, _ = seed("--contacts", "40", "--messages", "25")
    firm = Firm.objects.get(uuid=data["firms"][0]["id"])

    conversations = Conversation.objects.filter(firm=firm).select_related("last_message")
    assert {str(c.contact.uuid) for c in conversations} == {
        contact["id"] for contact in data["firms"][0]["contacts"]
    }
    now = timezone.now()
    with_messages = 0
    for conversation in conversations:
        assert conversation.last_outbound_at is not None
        assert conversation.last_outbound_at < now
        thread = list(Message.objects.filter(conversation=conversation).order_by("created_at"))
        if not thread:
            # Fewer texts than contacts: texted before the demo's six weeks of history.
            assert conversation.last_message is None and conversation.last_message_at is None
            assert conversation.last_outbound_at < now - timedelta(days=42)
            continue
        with_messages += 1
        assert thread[0].direction == Message.Direction.OUTBOUND  # the firm texts first (C6)
        assert conversation.last_message == thread[-1]
        assert conversation.last_message_at == thread[-1].created_at
        outbound = [m for m in thread if m.direction == Message.Direction.OUTBOUND]
        assert conversation.last_outbound_at == outbound[-1].created_at
    assert 0 < with_messages <= 25


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flags", "expected"), [((), 80), (("--messages", "0"), 0), (("--messages", "333"), 333)]
)
def test_message_counts_match_the_flag(
    flags: tuple[str, ...], expected: int, unscoped: None
) -> None:
    data, _ = seed("--firms", "2", "--contacts", "20", *flags)

    for seeded in data["firms"]:
        assert seeded["messages"] == expected
        assert Message.objects.filter(firm__uuid=seeded["id"]).count() == expected
        assert Conversation.objects.filter(firm__uuid=seeded["id"]).count() == 20


@pytest.mark.django_db
def test_conversations_flag_texts_only_that_many_contacts(unscoped: None) -> None:
    data, _ = seed("--contacts", "30", "--conversations", "12", "--messages", "200")
    seeded = data["firms"][0]
    firm = Firm.objects.get(uuid=seeded["id"])

    assert len(seeded["contacts"]) == 30
    texted = set(Conversation.objects.filter(firm=firm).values_list("contact__uuid", flat=True))
    assert len(texted) == 12
    assert {str(uuid) for uuid in texted} <= {c["id"] for c in seeded["contacts"]}
    assert Message.objects.filter(firm=firm).count() == seeded["messages"] == 200
    # Spread over the chosen contacts, not only the first ones made.
    positions = [i for i, c in enumerate(seeded["contacts"]) if c["id"] in map(str, texted)]
    assert positions != list(range(12))


@pytest.mark.django_db
def test_default_message_count_is_capped() -> None:
    from demo.seeding import DEFAULT_MESSAGES_MAX, default_messages

    assert default_messages(25) == 100
    assert default_messages(0) == 0
    assert default_messages(1_000_000) == DEFAULT_MESSAGES_MAX


@pytest.mark.django_db
def test_messages_look_like_a_firms_texting(unscoped: None) -> None:
    data, _ = seed("--contacts", "120", "--messages", "900")
    seeded = data["firms"][0]
    firm = Firm.objects.get(uuid=seeded["id"])
    user_ids = set(Membership.objects.filter(firm=firm).values_list("user_id", flat=True))
    numbers = {
        str(uuid): number
        for uuid, number in PhoneNumber.objects.filter(
            firm=firm, is_texting_number=True
        ).values_list("contact__uuid", "number_e164")
    }
    messages = list(Message.objects.filter(firm=firm).select_related("conversation__contact"))
    assert len(messages) == 900

    now = timezone.now()
    reasons = []
    for message in messages:
        contact_number = numbers[str(message.conversation.contact.uuid)]
        assert message.segments == segment_count(message.body)
        assert now - timedelta(days=43) < message.created_at < now
        assert "{" not in message.body and "}" not in message.body
        if message.direction == Message.Direction.OUTBOUND:
            assert (message.from_e164, message.to_e164) == (
                firm.toll_free_number_e164,
                contact_number,
            )
            assert message.sent_by_id in user_ids
            assert message.sent_at is not None and message.sent_at > message.created_at
            if message.status == Message.Status.FAILED:
                reasons.append(message.failure_reason)
                assert message.error_code and message.failed_at and not message.delivered_at
            else:
                assert message.status == Message.Status.DELIVERED
                assert message.delivered_at and not message.failure_reason
        else:
            assert message.status == Message.Status.RECEIVED
            assert (message.from_e164, message.to_e164) == (
                contact_number,
                firm.toll_free_number_e164,
            )
            assert message.sent_by_id is None
    assert {"rejected_by_carrier", "temporary_error"} <= set(reasons)
    assert len(reasons) < 20  # a few, not many
    ids = [message.provider_message_id for message in messages]
    assert len(set(ids)) == len(ids) and all(len(i) == 29 for i in ids)
    assert {m.segments for m in messages} >= {1, 2}  # some long or UCS-2 texts
    assert len({m.body for m in messages}) > 50
    assert {m.sent_by_id for m in messages if m.sent_by_id} == user_ids  # both users text


@pytest.mark.django_db
def test_message_bodies_are_ciphertext_in_the_database(unscoped: None) -> None:
    data, _ = seed("--contacts", "5", "--messages", "10")
    message = Message.objects.filter(firm__uuid=data["firms"][0]["id"]).first()
    assert message is not None

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {Message._meta.db_table} WHERE id = %s",
            [message.id],
        )
        (raw,) = cursor.fetchone()
    assert raw != message.body
    assert raw.startswith("gAAAA")  # a Fernet token
    assert message.body not in raw


@pytest.mark.django_db
def test_the_newest_replies_of_a_few_conversations_are_unread(unscoped: None) -> None:
    data, _ = seed("--contacts", "60", "--messages", "300")
    firm = Firm.objects.get(uuid=data["firms"][0]["id"])
    users = [m.user for m in Membership.objects.filter(firm=firm).select_related("user")]

    unread = {}
    for conversation in Conversation.objects.filter(firm=firm, last_message__isnull=False):
        states = {s.user_id: s for s in ReadState.objects.filter(conversation=conversation)}
        assert set(states) == {user.id for user in users}
        counts = {state.unread_count for state in states.values()}
        assert len(counts) == 1  # nobody has read more than the other yet
        count = counts.pop()
        thread = list(conversation.messages.order_by("created_at"))
        if count:
            unread[conversation.id] = count
            tail = thread[-count:]
            assert all(m.direction == Message.Direction.INBOUND for m in tail)
            assert thread[-count - 1].direction == Message.Direction.OUTBOUND
    assert 1 <= len(unread) <= 12
    with scope(firm=firm.id):
        for user in users:
            assert unread_total(firm=firm, user=user) == sum(unread.values())


@pytest.mark.django_db
def test_a_seeded_contact_texting_the_firm_lands_in_its_conversation(sandbox: Any) -> None:
    data, _ = seed("--contacts", "8", "--messages", "0")
    seeded = data["firms"][0]
    firm = Firm.objects.get(uuid=seeded["id"])
    contact = seeded["contacts"][3]

    injected = sandbox.control.inject_text(
        contact["texting_number"], seeded["toll_free_number"], "Thanks, see you Tuesday"
    )
    callbacks = sandbox.control.callbacks(
        message_id=injected["message_id"], event_type="message-received"
    )
    assert messaging_events_record(
        events=parse_message_callbacks(json.dumps(callbacks[0]["payload"]))
    )
    with scope(firm=firm.id):
        from texting.models import ProviderEvent

        event = ProviderEvent.objects.get(provider_message_id=injected["message_id"])
    provider_event_process_task(firm.id, event.id)

    with scope(firm=firm.id):
        message = Message.objects.get(provider_message_id=injected["message_id"])
        assert str(message.conversation.contact.uuid) == contact["id"]
        assert message.body == "Thanks, see you Tuesday"
        assert message.conversation.last_message == message
        admin = User.objects.get(email=seeded["users"][0]["email"])
        assert unread_total(firm=firm, user=admin) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_unreachable_provider_stops_seed_demo_with_how_to_start_the_sandbox(
    settings: Any,
) -> None:
    settings.PROVIDER_API_URL = f"http://127.0.0.1:{_closed_port()}"

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo", "--contacts", "5", stdout=io.StringIO(), stderr=io.StringIO())

    message = str(raised.value)
    assert "Could not reach the provider" in message
    assert SANDBOX_NEEDED in message
    assert SANDBOX_COMMAND in message
    assert "run_provider_sandbox --port 8025 --callback-url http://127.0.0.1:8000" in message
    assert "No firm was made." in message
    assert not Firm.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_provider_failing_on_a_later_firm_keeps_the_firms_made(
    sandbox: Any, settings: Any, unscoped: None
) -> None:
    # The sandbox has 700 numbers: own all but one, so the second firm finds none left.
    for number in [n for n in _inventory() if n != "+18005550199"]:
        sandbox.control.own_number(number)

    with pytest.raises(CommandError) as raised:
        call_command(
            "seed_demo",
            "--firms",
            "2",
            "--contacts",
            "2",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

    assert "no toll-free number left" in str(raised.value)
    assert "The 1 demo firm made before are kept" in str(raised.value)
    assert list(Firm.objects.values_list("toll_free_number_e164", flat=True)) == ["+18005550199"]


def _inventory() -> list[str]:
    from provider_sandbox.numbers import INVENTORY

    return list(INVENTORY)


@pytest.mark.django_db
def test_missing_site_id_is_a_command_error(settings: Any) -> None:
    settings.PROVIDER_SITE_ID = ""

    with pytest.raises(CommandError, match="PROVIDER_SITE_ID and PROVIDER_PEER_ID must be set"):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Firm.objects.exists()
