"""Billing pages (B1, B2, C12): the firm's time entries and the time entry form (durations,
rates, billed entries read-only), Add time from a conversation, a matter's Activities and
Bills subtabs, the bill page and its actions, the compose box prefilled by `?body=`, and the
mandatory cross-firm checks. The clock is Tuesday Dec 1, 2026, 10:00 in New York (the
firm's zone).
"""

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from accounts.models import Firm, User
from billing.forms import parse_dollars, parse_duration
from billing.gateway import SUCCESS_CARD, Card
from billing.models import Activity, Bill, Timekeeper
from billing.services import payment_link_create, payment_submit, timekeeper_rate_set
from billing.tests.factories import account_for, activity_for, issued_bill_for
from contacts.models import Contact
from matters.models import Matter
from matters.tests.factories import MatterFactory, MatterRelatedContactFactory
from texting.models import Conversation
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ana(firm: Firm) -> Contact:
    return texting_contact(firm, "+12025550143", first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(ana: Contact) -> Matter:
    return MatterFactory(client=ana, display_number="00042-Reyes", description="Reyes v. Acme")


@pytest.fixture
def web(client_for: Callable[[User], Client], member: User) -> Client:
    return client_for(member)


@pytest.fixture
def conversation(ana: Contact, clock: time_machine.Traveller) -> Conversation:
    """Ana's thread: texts on Nov 3 and Nov 5, 2026."""
    thread = ConversationFactory(contact=ana)
    for day in (3, 5):
        clock.move_to(datetime(2026, 11, day, 15, 0, tzinfo=NY))
        MessageFactory(conversation=thread)
    clock.move_to(NOW)
    return thread


def _html(response: Any) -> str:
    return str(response.content.decode())


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _entry(**fields: Any) -> dict[str, Any]:
    data = {
        "date": "2026-11-30",
        "duration": "1:30",
        "rate": "300",
        "description": "Drafted the complaint",
        "billable": "on",
    }
    data.update(fields)
    return data


def _activities(firm: Firm) -> list[Activity]:
    with scope(firm=firm.id):
        return list(Activity.objects.select_related("matter", "bill").order_by("id"))


def _bills(firm: Firm) -> list[Bill]:
    with scope(firm=firm.id):
        return list(Bill.objects.order_by("id"))


def _set_rate(firm: Firm, user: User, rate_cents: int) -> None:
    with scope(firm=firm.id):
        timekeeper_rate_set(firm=firm, actor=user, user=user, rate_cents=rate_cents)


def _pay(firm: Firm, bill: Bill, amount_cents: int) -> None:
    """A succeeded card payment of `amount_cents` on the issued bill (payment sandbox)."""
    account = account_for(firm)
    with scope(firm=firm.id):
        link, _ = payment_link_create(firm=firm, actor=None, account=account, bill=bill)
        payment_submit(
            firm=firm,
            link=link,
            amount_cents=amount_cents,
            card=Card(number=SUCCESS_CARD, exp_month=12, exp_year=2030, cvc="123"),
            payer_name="Ana Reyes",
            attempt_key=uuid4(),
        )


# --- Durations and amounts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:30", 5400),
        ("0:06", 360),
        (":45", 2700),
        ("1.5", 5400),
        ("1,5", 5400),
        (".25", 900),
        ("2", 7200),
        ("90m", 5400),
        ("2h", 7200),
        (" 1:05 ", 3900),
    ],
)
def test_durations_are_read_as_hours_minutes_or_decimal_hours(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:30:00", "-1", "1..5", "."])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("300", 300_00), ("$1,250.50", 1250_50), ("99.9", 99_90), (".5", 50), ("0", 0)],
)
def test_dollar_amounts_are_read_as_cents(text: str, cents: int) -> None:
    assert parse_dollars(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,25", "-5", "$"])
def test_malformed_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_dollars(text)


# --- The firm's time entries ---------------------------------------------------------------------


def test_the_activity_list_shows_entries_with_money_hours_and_totals(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    for minutes in (90, 45, 30):
        activity_for(firm, user=member, matter=matter, minutes=minutes, rate_cents=1000_00)
    activity_for(firm, user=member, matter=matter, description="Internal memo", billable=False)

    with django_assert_max_num_queries(12):
        response = web.get(reverse("billing:activity-list"))

    html = _html(response)
    assert response.status_code == 200
    assert "1.50 h" in html and "$1,500.00" in html and "$1,000.00/h" in html
    assert "Non-billable" in html and "00042-Reyes" in html
    totals = response.context["totals"]
    assert (totals.count, totals.seconds) == (4, (90 + 45 + 30 + 30) * 60)
    assert totals.cents == totals.unbilled_cents == 1500_00 + 750_00 + 500_00
    assert "$2,750.00" in html


def test_the_activity_list_query_count_does_not_grow_with_rows(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    others = [MatterFactory(client=matter.client) for _ in range(3)]
    for index in range(25):
        activity_for(firm, user=member, matter=others[index % 3])
    issued_bill_for(firm, user=member, matter=matter)

    with django_assert_max_num_queries(12):
        response = web.get(reverse("billing:activity-list"), {"user": str(member.uuid)})
    assert len(response.context["page"].object_list) == 25
    assert f"?user={member.uuid}&amp;page=2" in _html(response)

    with django_assert_max_num_queries(12):
        second = web.get(reverse("billing:activity-list"), {"page": "2"})
    assert len(second.context["page"].object_list) == 1


def test_the_activity_list_filters_by_user_matter_and_billed(
    web: Client, firm: Firm, member: User, admin: User, matter: Matter
) -> None:
    other = MatterFactory(client=matter.client, display_number="00043-Other")
    activity_for(firm, user=member, matter=matter, description="Billed call")
    issued_bill_for(firm, user=member, matter=matter)  # bills both entries of `matter`
    activity_for(firm, user=member, matter=other, description="Unbilled research")
    activity_for(firm, user=admin, matter=other, description="Admin review")
    url = reverse("billing:activity-list")

    def shown(**params: str) -> set[str]:
        page = web.get(url, params).context["page"]
        return {activity.description for activity in page}

    assert shown(billed="billed") == {"Billed call", "Reviewed the lease"}
    assert shown(billed="unbilled") == {"Unbilled research", "Admin review"}
    assert shown(user=str(admin.uuid)) == {"Admin review"}
    assert shown(matter=str(other.uuid), user=str(member.uuid)) == {"Unbilled research"}
    assert len(shown(user="not-a-uuid")) == 4


def test_new_time_entry_is_prefilled_with_today_and_the_users_default_rate(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    _set_rate(firm, member, 325_50)

    response = web.get(reverse("billing:activity-create"), {"matter": str(matter.uuid)})

    form = response.context["form"]
    assert form.initial["rate"] == "325.50"
    assert form.initial["date"] == date(2026, 12, 1)
    assert form.initial["matter"] == matter
    assert form.initial["user"] == member
    assert 'value="325.50"' in _html(response)


@pytest.mark.parametrize(("typed", "seconds"), [("1:30", 5400), ("1.5", 5400), ("0.1", 360)])
def test_creating_a_time_entry_reads_the_duration_and_rate(
    web: Client, firm: Firm, member: User, matter: Matter, typed: str, seconds: int
) -> None:
    data = _entry(user=str(member.uuid), matter=str(matter.uuid), duration=typed, rate="$1,200.50")
    response = web.post(reverse("billing:activity-create"), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:activity-list")
    [activity] = _activities(firm)
    assert (activity.quantity_seconds, activity.rate_cents) == (seconds, 1200_50)
    assert (activity.user, activity.matter, activity.date) == (member, matter, date(2026, 11, 30))
    assert activity.billable and activity.conversation_id is None


def test_a_new_entry_from_a_matter_goes_back_to_the_matter(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    url = reverse("billing:activity-create") + f"?matter={matter.uuid}"
    data = _entry(user=str(member.uuid), matter=str(matter.uuid), billable="")
    response = web.post(url, data, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "billing:matter-activities", args=[matter.uuid]
    )
    assert "Time entry added to 00042-Reyes." in _messages(response)
    assert _activities(firm)[0].billable is False


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"duration": "soon"}, "duration", "hours:minutes"),
        ({"duration": "0:00"}, "duration", "more than zero"),
        ({"duration": "25:00"}, "duration", "at most 24 hours"),
        ({"rate": "ten"}, "rate", "dollars"),
        ({"rate": "10001"}, "rate", "$10,000"),
        ({"description": "   "}, "description", "required"),
        ({"matter": ""}, "matter", "required"),
    ],
)
def test_an_invalid_entry_is_refused_and_nothing_is_saved(
    web: Client,
    firm: Firm,
    member: User,
    matter: Matter,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = _entry(**{"user": str(member.uuid), "matter": str(matter.uuid), **fields})
    response = web.post(reverse("billing:activity-create"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert _activities(firm) == []


def test_editing_an_unbilled_entry_saves_it_and_goes_back(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    activity = activity_for(firm, user=member, matter=matter, minutes=30)
    back = reverse("billing:matter-activities", args=[matter.uuid])
    url = reverse("billing:activity-edit", args=[activity.uuid])

    page = web.get(url, {"next": back})
    assert page.context["form"].initial["duration"] == "0:30"
    assert page.context["form"].initial["rate"] == "300.00"
    assert "user" not in page.context["form"].fields

    data = _entry(matter=str(matter.uuid), duration="2.25", description="Revised", next=back)
    response = web.post(url, data)

    assert response.status_code == 302 and response["Location"] == back
    activity.refresh_from_db()
    assert (activity.quantity_seconds, activity.description) == (8100, "Revised")


def test_an_edit_does_not_redirect_off_site(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    activity = activity_for(firm, user=member, matter=matter)
    url = reverse("billing:activity-edit", args=[activity.uuid])
    response = web.post(url, _entry(matter=str(matter.uuid), next="https://evil.example/"))
    assert response["Location"] == reverse("billing:activity-list")


def test_deleting_an_unbilled_entry(web: Client, firm: Firm, member: User, matter: Matter) -> None:
    activity = activity_for(firm, user=member, matter=matter)

    response = web.post(reverse("billing:activity-delete", args=[activity.uuid]), follow=True)

    assert "The time entry was deleted." in _messages(response)
    assert _activities(firm) == []


def test_a_billed_entry_is_read_only_and_says_why(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    [activity] = _activities(firm)
    url = reverse("billing:activity-edit", args=[activity.uuid])

    page = web.get(url)
    html = _html(page)
    assert "This time entry is on a bill and can no longer be changed." in html
    assert reverse("billing:bill-detail", args=[bill.uuid]) in html
    assert 'id="activity-form"' not in html and "Delete time entry" not in html

    edited = web.post(url, _entry(matter=str(matter.uuid), duration="9:00"))
    deleted = web.post(reverse("billing:activity-delete", args=[activity.uuid]), follow=True)

    assert edited.status_code == 409
    assert "This time entry is on a bill and can no longer be changed." in _messages(deleted)
    [after] = _activities(firm)
    assert (after.quantity_seconds, after.bill_id) == (90 * 60, bill.id)


def test_a_user_sets_their_default_rate(web: Client, firm: Firm, member: User) -> None:
    response = web.post(reverse("billing:timekeeper-rate"), {"rate": "$450.00"}, follow=True)

    assert "Your default rate was saved." in _messages(response)
    with scope(firm=firm.id):
        assert Timekeeper.objects.get(user=member).rate_cents == 450_00
    assert response.context["rate_form"].initial["rate"] == "450.00"


def test_a_default_rate_out_of_range_is_refused(web: Client, firm: Firm, member: User) -> None:
    response = web.post(reverse("billing:timekeeper-rate"), {"rate": "20000"})

    assert response.status_code == 400
    assert "between $0 and $10,000" in str(response.context["rate_form"].errors["rate"])
    with scope(firm=firm.id):
        assert not Timekeeper.objects.exists()


# --- Add time from a conversation (C12) ----------------------------------------------------------


def test_the_conversation_page_offers_add_time(
    web: Client, ana: Contact, conversation: Conversation
) -> None:
    html = _html(web.get(reverse("texting:conversation", args=[ana.uuid])))
    add_time = f"{reverse('billing:activity-create')}?conversation={conversation.uuid}"
    assert add_time in html and "Actions" in html


def test_add_time_is_prefilled_from_the_conversation_with_only_the_contacts_matters(
    web: Client, firm: Firm, member: User, ana: Contact, matter: Matter, conversation: Conversation
) -> None:
    _set_rate(firm, member, 275_00)
    related = MatterFactory(client__firm=firm, display_number="00050-Estate")
    MatterRelatedContactFactory(matter=related, contact=ana)
    MatterFactory(client__firm=firm, display_number="00099-Stranger")

    response = web.get(reverse("billing:activity-create"), {"conversation": str(conversation.uuid)})

    form = response.context["form"]
    assert form.initial["description"] == "Text messages with Ana Reyes, Nov 3 – Nov 5, 2026"
    assert form.initial["date"] == date(2026, 11, 5)
    assert form.initial["rate"] == "275.00"
    assert set(form.fields["matter"].queryset) == {matter, related}
    html = _html(response)
    assert "00042-Reyes" in html and "00050-Estate" in html and "00099-Stranger" not in html
    assert "Time spent texting Ana Reyes" in html


def test_add_time_for_selected_messages_describes_them(
    web: Client, firm: Firm, ana: Contact, matter: Matter, conversation: Conversation
) -> None:
    with scope(firm=firm.id):
        first = conversation.messages.order_by("created_at").first()  # type: ignore[attr-defined]
    response = web.get(
        reverse("billing:activity-create"),
        {"conversation": str(conversation.uuid), "messages": [str(first.uuid), "junk"]},
    )

    form = response.context["form"]
    assert form.initial["description"] == "Text messages with Ana Reyes, Nov 3, 2026 (1 message)"
    assert form.initial["matter"] == matter  # Ana's only matter is chosen for her


def test_add_time_for_a_contact_without_matters_says_what_to_do(
    web: Client, firm: Firm, conversation: Conversation, ana: Contact
) -> None:
    response = web.get(reverse("billing:activity-create"), {"conversation": str(conversation.uuid)})
    assert "Ana Reyes is not on any matter yet" in _html(response)
    assert f"{reverse('matters:create')}?client={ana.uuid}" in _html(response)


def test_time_added_from_a_conversation_lands_on_the_matter_and_its_next_bill(
    web: Client, firm: Firm, member: User, ana: Contact, matter: Matter, conversation: Conversation
) -> None:
    _set_rate(firm, member, 300_00)
    url = f"{reverse('billing:activity-create')}?conversation={conversation.uuid}"
    form = web.get(url).context["form"]
    data = _entry(
        user=str(member.uuid),
        matter=str(matter.uuid),
        date=form.initial["date"].isoformat(),
        duration="0:12",
        rate=form.initial["rate"],
        description=form.initial["description"],
    )

    saved = web.post(url, data, follow=True)

    assert saved.redirect_chain[-1][0] == reverse("texting:conversation", args=[ana.uuid])
    assert "Time entry added to 00042-Reyes." in _messages(saved)
    [activity] = _activities(firm)
    assert (activity.matter, activity.conversation_id) == (matter, conversation.id)
    assert (activity.quantity_seconds, activity.total_cents) == (720, 60_00)

    subtab = _html(web.get(reverse("billing:matter-activities", args=[matter.uuid])))
    assert "Text messages with Ana Reyes, Nov 3 – Nov 5, 2026" in subtab
    assert "Unbilled: $60.00" in subtab

    generated = web.post(reverse("billing:bill-generate", args=[matter.uuid]), follow=True)

    [bill] = _bills(firm)
    assert generated.redirect_chain[-1][0] == reverse("billing:bill-detail", args=[bill.uuid])
    assert (bill.total_cents, bill.state) == (60_00, Bill.State.DRAFT)
    assert _activities(firm)[0].bill_id == bill.id
    page = _html(generated)
    assert "Text messages with Ana Reyes, Nov 3 – Nov 5, 2026" in page
    assert "0.20 h" in page and "$300.00/h" in page and "$60.00" in page


def test_add_time_refuses_a_matter_the_contact_is_not_on(
    web: Client, firm: Firm, member: User, matter: Matter, conversation: Conversation
) -> None:
    stranger = MatterFactory(client__firm=firm, display_number="00099-Stranger")
    url = f"{reverse('billing:activity-create')}?conversation={conversation.uuid}"

    response = web.post(url, _entry(user=str(member.uuid), matter=str(stranger.uuid)))

    assert response.status_code == 200
    assert "choose one of the contact's matters" in response.context["form"].errors["matter"][0]
    assert _activities(firm) == []


# --- A matter's Activities and Bills subtabs -----------------------------------------------------


def test_the_matter_pages_have_activities_and_bills_tabs(web: Client, matter: Matter) -> None:
    html = _html(web.get(reverse("matters:detail", args=[matter.uuid])))
    assert reverse("billing:matter-activities", args=[matter.uuid]) in html
    assert reverse("billing:matter-bills", args=[matter.uuid]) in html


def test_the_matter_activities_subtab_lists_only_its_entries_with_the_unbilled_total(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    other = MatterFactory(client=matter.client, display_number="00043-Other")
    activity_for(firm, user=member, matter=matter, minutes=60, description="Called the clerk")
    activity_for(firm, user=member, matter=other, description="Other matter's work")

    url = reverse("billing:matter-activities", args=[matter.uuid])
    with django_assert_max_num_queries(10):
        response = web.get(url)

    html = _html(response)
    assert "Called the clerk" in html and "Other matter" not in html
    assert "Unbilled: $300.00 in 1 billable entry." in html
    assert f"{reverse('billing:activity-create')}?matter={matter.uuid}" in html
    assert 'aria-current="page">Activities</a>' in html


def test_generate_bill_is_disabled_with_why_when_nothing_is_unbilled(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    activity_for(firm, user=member, matter=matter, billable=False)
    html = _html(web.get(reverse("billing:matter-bills", args=[matter.uuid])))

    assert re.search(r'<button[^>]*type="submit"[^>]*disabled[^>]*>Generate bill', html)
    assert "This matter has no unbilled billable time to bill." in html

    response = web.post(reverse("billing:bill-generate", args=[matter.uuid]), follow=True)
    assert "This matter has no unbilled billable time to bill." in _messages(response)
    assert _bills(firm) == []


def test_the_matter_bills_subtab_lists_its_bills(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    other = MatterFactory(client=matter.client, display_number="00043-Other")
    mine = issued_bill_for(firm, user=member, matter=matter)
    theirs = issued_bill_for(firm, user=member, matter=other)
    activity_for(firm, user=member, matter=matter, minutes=60)

    with django_assert_max_num_queries(10):
        response = web.get(reverse("billing:matter-bills", args=[matter.uuid]))

    html = _html(response)
    assert f"Bill {mine.number}<" in html and f"Bill {theirs.number}<" not in html
    assert "Unbilled billable time: <strong>$300.00</strong> in 1 entry." in html
    assert not re.search(r"<button[^>]*disabled[^>]*>Generate bill", html)


# --- Bills ---------------------------------------------------------------------------------------


def test_the_bill_page_shows_lines_total_payments_and_balance(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    member.first_name, member.last_name = "Maria", "Garcia"
    member.save()
    activity_for(firm, user=member, matter=matter, minutes=60, rate_cents=1500_00)
    bill = issued_bill_for(firm, user=member, matter=matter, minutes=90)  # + $450.00
    _pay(firm, bill, 700_00)

    with django_assert_max_num_queries(9):
        response = web.get(reverse("billing:bill-detail", args=[bill.uuid]))

    html = _html(response)
    assert "Garcia &amp; Associates" in html and f"Bill {bill.number}" in html
    assert "Ana Reyes" in html and "00042-Reyes" in html
    assert "Nov 20, 2026" in html and "Dec 1, 2026" in html and "Dec 31, 2026" in html
    assert "Maria Garcia" in html and "1.00 h" in html and "$1,500.00/h" in html
    assert re.search(r'id="bill-total">\$1,950\.00<', html)
    assert re.search(r'id="bill-paid">\$700\.00<', html)
    assert re.search(r'id="bill-balance">\$1,250\.00<', html)
    assert "Card ending 4242" in html and "Awaiting payment" in html
    assert reverse("billing:bill-payment-link", args=[bill.uuid]) in html
    assert "Copy link to pay client balance" in html
    assert 'class="page-bill"' in html  # app.css's print stylesheet: the bill alone


def test_issuing_a_draft_bill(web: Client, firm: Firm, member: User, matter: Matter) -> None:
    activity_for(firm, user=member, matter=matter)
    web.post(reverse("billing:bill-generate", args=[matter.uuid]))
    [bill] = _bills(firm)
    page = _html(web.get(reverse("billing:bill-detail", args=[bill.uuid])))
    assert "Issue bill" in page and "Copy link to pay client balance" not in page

    response = web.post(reverse("billing:bill-issue", args=[bill.uuid]), follow=True)

    assert f"Bill {bill.number} was issued." in _messages(response)
    assert _bills(firm)[0].state == Bill.State.AWAITING_PAYMENT
    again = web.post(reverse("billing:bill-issue", args=[bill.uuid]), follow=True)
    assert "Only a draft bill can be issued." in _messages(again)


def test_deleting_a_draft_bill_unbills_its_entries(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    activity_for(firm, user=member, matter=matter)
    web.post(reverse("billing:bill-generate", args=[matter.uuid]))
    [bill] = _bills(firm)
    assert _activities(firm)[0].bill_id == bill.id

    response = web.post(reverse("billing:bill-delete", args=[bill.uuid]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("billing:matter-bills", args=[matter.uuid])
    assert any("its time entries are unbilled again" in m for m in _messages(response))
    assert _bills(firm) == [] and _activities(firm)[0].bill_id is None


def test_an_issued_bill_cannot_be_deleted(
    web: Client, firm: Firm, member: User, matter: Matter
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    response = web.post(reverse("billing:bill-delete", args=[bill.uuid]), follow=True)
    assert "Only a draft bill can be deleted." in _messages(response)
    assert _bills(firm) == [bill]


def test_the_bill_list_filters_by_state(
    web: Client, firm: Firm, member: User, matter: Matter, django_assert_max_num_queries: Any
) -> None:
    issued = [issued_bill_for(firm, user=member, matter=matter) for _ in range(3)]
    activity_for(firm, user=member, matter=matter)
    web.post(reverse("billing:bill-generate", args=[matter.uuid]))
    draft = _bills(firm)[-1]

    with django_assert_max_num_queries(8):
        everything = web.get(reverse("billing:bill-list"))
    drafts = web.get(reverse("billing:bill-list"), {"state": "draft"})

    assert {b.number for b in everything.context["page"]} == {b.number for b in [*issued, draft]}
    assert [b.number for b in drafts.context["page"]] == [draft.number]
    assert "$450.00" in _html(everything) and "Awaiting payment" in _html(everything)


# --- The compose box prefilled by ?body= ---------------------------------------------------------


def test_the_compose_box_is_prefilled_from_body_escaped_and_cut_at_2000(
    web: Client, firm: Firm, ana: Contact
) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    url = reverse("texting:conversation", args=[ana.uuid])

    html = _html(web.get(url, {"body": 'Pay here: https://x.test/pay/abc </textarea><script>"'}))
    assert "Pay here: https://x.test/pay/abc &lt;/textarea&gt;&lt;script&gt;&quot;" in html
    assert '<script>"' not in html

    long = _html(web.get(url, {"body": "a" * 2500}))
    assert "a" * 2000 + "</textarea>" in long and "a" * 2001 not in long
    assert "2000 characters · 14 segments" in long


# --- Cross-firm ----------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_the_firms_entries_bills_matters_and_conversations(
    client_for: Callable[[User], Client],
    outsider: User,
    firm: Firm,
    member: User,
    matter: Matter,
    conversation: Conversation,
) -> None:
    activity = activity_for(firm, user=member, matter=matter)
    bill = issued_bill_for(firm, user=member, matter=matter, minutes=60)
    client = client_for(outsider)

    for name, obj in (
        ("billing:activity-edit", activity),
        ("billing:bill-detail", bill),
        ("billing:matter-activities", matter),
        ("billing:matter-bills", matter),
    ):
        assert client.get(reverse(name, args=[obj.uuid])).status_code == 404
    for name, obj in (
        ("billing:activity-edit", activity),
        ("billing:activity-delete", activity),
        ("billing:bill-issue", bill),
        ("billing:bill-delete", bill),
        ("billing:bill-generate", matter),
    ):
        assert client.post(reverse(name, args=[obj.uuid]), _entry()).status_code == 404
    add_time = reverse("billing:activity-create")
    params = {"conversation": str(conversation.uuid)}
    assert client.get(add_time, params).status_code == 404
    assert client.post(f"{add_time}?conversation={conversation.uuid}", _entry()).status_code == 404
    assert client.get(add_time, {"conversation": "junk"}).status_code == 404

    assert len(_activities(firm)) == 2
    assert [(b.id, b.state) for b in _bills(firm)] == [(bill.id, Bill.State.AWAITING_PAYMENT)]


def test_an_outsiders_lists_show_none_of_the_firms_rows(
    client_for: Callable[[User], Client], outsider: User, firm: Firm, member: User, matter: Matter
) -> None:
    activity_for(firm, user=member, matter=matter, description="Secret strategy call")
    issued_bill_for(firm, user=member, matter=matter)
    client = client_for(outsider)

    activities = client.get(reverse("billing:activity-list"))
    bills = client.get(reverse("billing:bill-list"))

    assert list(activities.context["page"]) == [] and list(bills.context["page"]) == []
    assert activities.context["totals"].count == 0
    html = _html(activities) + _html(bills)
    assert "Secret strategy call" not in html and "00042-Reyes" not in html
    filtered = client.get(reverse("billing:activity-list"), {"matter": str(matter.uuid)})
    assert list(filtered.context["page"]) == [] and "00042-Reyes" not in _html(filtered)


def test_a_post_naming_another_firms_matter_or_user_is_refused_as_not_found(
    web: Client, firm: Firm, other_firm: Firm, member: User, outsider: User, matter: Matter
) -> None:
    foreign_contact = texting_contact(other_firm, "+12025550160", first_name="Zed")
    foreign_matter = MatterFactory(client=foreign_contact, display_number="99999-Foreign")
    url = reverse("billing:activity-create")

    for fields, field, message in (
        ({"matter": str(foreign_matter.uuid)}, "matter", "Matter not found"),
        ({"matter": "not-a-uuid"}, "matter", "Matter not found"),
        ({"user": str(outsider.uuid)}, "user", "User not found"),
    ):
        data = _entry(**{"user": str(member.uuid), "matter": str(matter.uuid), **fields})
        response = web.post(url, data)
        assert response.status_code == 200
        assert message in str(response.context["form"].errors[field])
        assert "99999-Foreign" not in _html(response)
    activity = activity_for(firm, user=member, matter=matter)
    edit = reverse("billing:activity-edit", args=[activity.uuid])
    response = web.post(edit, _entry(matter=str(foreign_matter.uuid)))
    assert "Matter not found" in str(response.context["form"].errors["matter"])
    activity.refresh_from_db()
    assert activity.matter == matter
    assert len(_activities(firm)) == 1 and _activities(other_firm) == []


def test_another_firms_conversation_or_matter_in_the_add_time_link_is_not_found(
    web: Client, firm: Firm, other_firm: Firm, member: User, matter: Matter
) -> None:
    zed = texting_contact(other_firm, "+12025550160", first_name="Zed", last_name="Foreign")
    foreign_thread = ConversationFactory(contact=zed)
    foreign_matter = MatterFactory(client=zed, display_number="99999-Foreign")
    url = reverse("billing:activity-create")

    assert web.get(url, {"conversation": str(foreign_thread.uuid)}).status_code == 404
    data = _entry(user=str(member.uuid), matter=str(matter.uuid))
    assert web.post(f"{url}?conversation={foreign_thread.uuid}", data).status_code == 404
    page = _html(web.get(url, {"matter": str(foreign_matter.uuid)}))
    assert "99999-Foreign" not in page and str(foreign_matter.uuid) not in page
    assert _activities(firm) == [] and _activities(other_firm) == []


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, firm: Firm) -> None:
    for url in (
        reverse("billing:index"),
        reverse("billing:activity-list"),
        reverse("billing:activity-create"),
        reverse("billing:bill-list"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
