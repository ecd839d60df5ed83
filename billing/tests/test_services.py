"""Billing services (B1–B5, C12): time entries onto bills, bills through partial and full
payments, deposits and the trust ledger, and payment links that pay once and only while
usable."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from billing.exceptions import (
    ActivityBilled,
    ActivityInvalid,
    BillStateInvalid,
    NothingToBill,
    PaymentInvalid,
    PaymentLinkInvalid,
    PaymentLinkUnusable,
)
from billing.gateway import DECLINED_CARD, ERROR_CARD, SUCCESS_CARD, Card, luhn_valid
from billing.models import Activity, BankAccount, Bill, LedgerEntry, Payment, PaymentLink, cents_of
from billing.services import (
    activity_create,
    activity_delete,
    activity_update,
    bill_delete,
    bill_generate,
    bill_issue,
    conversation_time_defaults,
    payment_link_create,
    payment_link_find,
    payment_link_revoke,
    payment_submit,
    timekeeper_rate_set,
)
from billing.tests.factories import account_for, activity_for, issued_bill_for
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.models import Matter
from matters.tests.factories import MatterFactory, MatterRelatedContactFactory
from texting.models import Message
from texting.tests.factories import ConversationFactory, MessageFactory

VISA = Card(SUCCESS_CARD, 12, 2031, "123")


@pytest.fixture
def client_contact(firm: Firm) -> Contact:
    return ContactFactory(firm=firm, first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(client_contact: Contact) -> Matter:
    return MatterFactory(client=client_contact, display_number="00042-Reyes")


def _pay(firm: Firm, link: PaymentLink, cents: int, card: Card = VISA, key: Any = None) -> Payment:
    with scope(firm=firm.id):
        return payment_submit(
            firm=firm,
            link=link,
            amount_cents=cents,
            card=card,
            payer_name="Ana Reyes",
            attempt_key=key or uuid.uuid4(),
        )


def _link(firm: Firm, account: BankAccount, **kwargs: Any) -> tuple[PaymentLink, str]:
    with scope(firm=firm.id):
        return payment_link_create(firm=firm, actor=None, account=account, **kwargs)


def _fresh(firm: Firm, obj: Any) -> Any:
    with scope(firm=firm.id):
        return type(obj).objects.get(pk=obj.pk)


# --- time entries ------------------------------------------------------------------------------


def test_amounts_round_to_the_nearest_cent() -> None:
    assert cents_of(90 * 60, 300_00) == 450_00
    assert cents_of(7 * 60, 250_00) == 29_17  # 29.1666…
    assert cents_of(1, 1) == 0


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"quantity_seconds": 0}, "more than zero"),
        ({"quantity_seconds": 25 * 3600}, "at most 24 hours"),
        ({"rate_cents": 10_000_01}, "rate"),
        ({"description": "  "}, "Describe"),
    ],
)
def test_bad_time_entries_are_refused_and_nothing_is_written(
    firm: Firm, member: User, matter: Matter, fields: dict[str, Any], match: str
) -> None:
    values: dict[str, Any] = {
        "date": date(2026, 11, 20),
        "quantity_seconds": 600,
        "rate_cents": 300_00,
        "description": "Call",
    }
    values.update(fields)
    with scope(firm=firm.id), pytest.raises(ActivityInvalid, match=match):
        activity_create(firm=firm, actor=member, user=member, matter=matter, **values)
    with scope(firm=firm.id):
        assert not Activity.objects.exists()


def test_time_logged_from_a_conversation_lands_on_the_matter_and_its_next_bill(
    firm: Firm, member: User, client_contact: Contact, matter: Matter
) -> None:
    conversation = ConversationFactory(contact=client_contact)
    other = MatterFactory(client=ContactFactory(firm=firm))
    related = MatterFactory(client=ContactFactory(firm=firm), display_number="00050-Estate")
    MatterRelatedContactFactory(matter=related, contact=client_contact)
    with scope(firm=firm.id):
        for day in (3, 5):  # created_at is set on insert: dated afterwards
            message = MessageFactory(conversation=conversation)
            Message.objects.filter(id=message.id).update(
                created_at=datetime(2026, 11, day, 15, 0, tzinfo=UTC)
            )
        timekeeper_rate_set(firm=firm, actor=member, user=member, rate_cents=250_00)
        proposal = conversation_time_defaults(firm=firm, user=member, conversation=conversation)
        assert proposal.description == "Text messages with Ana Reyes, Nov 3 – Nov 5, 2026"
        assert proposal.date == date(2026, 11, 5)
        assert proposal.rate_cents == 250_00
        assert {m.id for m in proposal.matters} == {matter.id, related.id}
        Matter.objects.filter(id=matter.id).update(status=Matter.Status.CLOSED)
        reordered = conversation_time_defaults(firm=firm, user=member, conversation=conversation)
        assert [m.id for m in reordered.matters] == [related.id, matter.id]  # open ones first
        assert other.id not in {m.id for m in proposal.matters}

        entry = activity_create(
            firm=firm,
            actor=member,
            user=member,
            matter=matter,
            date=proposal.date,
            quantity_seconds=12 * 60,
            rate_cents=proposal.rate_cents,
            description=proposal.description,
            conversation=conversation,
        )
        bill = bill_generate(firm=firm, actor=member, matter=matter)
        assert list(bill.line_items.values_list("activity_id", "total_cents")) == [
            (entry.id, 50_00)
        ]
        assert Activity.objects.get(id=entry.id).bill_id == bill.id


def test_a_billed_entry_can_neither_change_nor_go(firm: Firm, member: User, matter: Matter) -> None:
    entry = activity_for(firm, user=member, matter=matter)
    with scope(firm=firm.id):
        bill_generate(firm=firm, actor=member, matter=matter)
        with pytest.raises(ActivityBilled):
            activity_update(firm=firm, actor=member, activity=entry, quantity_seconds=60)
        with pytest.raises(ActivityBilled):
            activity_delete(firm=firm, actor=member, activity=entry)
        assert Activity.objects.get(id=entry.id).quantity_seconds == 30 * 60


# --- bills -------------------------------------------------------------------------------------


def test_a_bill_takes_the_unbilled_billable_time_once(
    firm: Firm, member: User, matter: Matter
) -> None:
    activity_for(firm, user=member, matter=matter, minutes=90)  # $450.00
    activity_for(firm, user=member, matter=matter, minutes=10, rate_cents=120_00)  # $20.00
    activity_for(firm, user=member, matter=matter, minutes=60, billable=False)
    with scope(firm=firm.id):
        bill = bill_generate(firm=firm, actor=member, matter=matter)
        assert (bill.number, bill.total_cents, bill.state) == (1, 470_00, Bill.State.DRAFT)
        assert bill.client_id == matter.client_id
        assert bill.due_on == bill.issued_on + timedelta(days=30)
        assert bill.line_items.count() == 2
        with pytest.raises(NothingToBill):
            bill_generate(firm=firm, actor=member, matter=matter)
        activity_for(firm, user=member, matter=matter, minutes=6)
        assert bill_generate(firm=firm, actor=member, matter=matter).number == 2


def test_bill_numbers_are_per_firm(
    firm: Firm, other_firm: Firm, member: User, outsider: User, matter: Matter
) -> None:
    theirs = MatterFactory(client=ContactFactory(firm=other_firm))
    activity_for(other_firm, user=outsider, matter=theirs)
    activity_for(firm, user=member, matter=matter)
    with scope(firm=other_firm.id):
        assert bill_generate(firm=other_firm, actor=outsider, matter=theirs).number == 1
    with scope(firm=firm.id):
        assert bill_generate(firm=firm, actor=member, matter=matter).number == 1


def test_a_draft_is_issued_or_deleted_and_its_time_unbilled(
    firm: Firm, member: User, matter: Matter
) -> None:
    entry = activity_for(firm, user=member, matter=matter)
    with scope(firm=firm.id):
        draft = bill_generate(firm=firm, actor=member, matter=matter)
        bill_delete(firm=firm, actor=member, bill=draft)
        assert not Bill.objects.exists()
        assert Activity.objects.get(id=entry.id).bill_id is None
        bill = bill_issue(
            firm=firm, actor=member, bill=bill_generate(firm=firm, actor=member, matter=matter)
        )
        assert bill.state == Bill.State.AWAITING_PAYMENT
        with pytest.raises(BillStateInvalid):
            bill_issue(firm=firm, actor=member, bill=bill)
        with pytest.raises(BillStateInvalid):
            bill_delete(firm=firm, actor=member, bill=bill)


def test_a_bill_through_partial_and_full_payments(firm: Firm, member: User, matter: Matter) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)  # $450.00
    operating = account_for(firm)
    link, _ = _link(firm, operating, bill=bill)

    first = _pay(firm, link, 100_00)
    assert first.status == Payment.Status.SUCCEEDED and first.card_last4 == "4242"
    bill = _fresh(firm, bill)
    assert (bill.paid_cents, bill.balance_cents, bill.state) == (100_00, 350_00, "awaiting_payment")

    with pytest.raises(PaymentInvalid, match=r"between \$0.01 and \$350.00"):
        _pay(firm, link, 350_01)  # more than the balance
    _pay(firm, link, 350_00)
    bill = _fresh(firm, bill)
    assert (bill.paid_cents, bill.balance_cents, bill.state) == (450_00, 0, Bill.State.PAID)
    assert _fresh(firm, operating).balance_cents == 450_00
    with scope(firm=firm.id):
        entries = list(LedgerEntry.objects.order_by("id").values_list("amount_cents", "matter_id"))
    assert entries == [(100_00, matter.id), (350_00, matter.id)]

    with pytest.raises(PaymentLinkUnusable, match="paid in full") as paid:
        _pay(firm, link, 1_00)
    assert paid.value.reason == "paid"


def test_a_trust_deposit_is_on_the_trust_ledger_for_the_client_and_matter(
    firm: Firm, member: User, matter: Matter
) -> None:
    trust = account_for(firm, kind="trust")
    link, _ = _link(firm, trust, matter=matter)  # a charge: no amount set
    _pay(firm, link, 2_500_00)
    with scope(firm=firm.id):
        entry = LedgerEntry.objects.get()
    assert (entry.account_id, entry.amount_cents) == (trust.id, 2_500_00)
    assert (entry.client_id, entry.matter_id) == (matter.client_id, matter.id)
    assert _fresh(firm, trust).balance_cents == 2_500_00


@pytest.mark.parametrize(
    ("card", "status", "says"),
    [
        (DECLINED_CARD, Payment.Status.DECLINED, "declined"),
        (ERROR_CARD, Payment.Status.FAILED, "Nothing was charged"),
    ],
)
def test_a_declined_or_failed_card_changes_nothing(
    firm: Firm, member: User, matter: Matter, card: str, status: str, says: str
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    account = account_for(firm)
    link, _ = _link(firm, account, bill=bill)
    payment = _pay(firm, link, 450_00, card=Card(card, 12, 2031, "123"))
    assert payment.status == status and says in payment.failure_message
    assert _fresh(firm, bill).paid_cents == 0 and _fresh(firm, account).balance_cents == 0
    with scope(firm=firm.id):
        assert not LedgerEntry.objects.exists()
    # The payer tries again with a good card: paid.
    assert _pay(firm, link, 450_00).status == Payment.Status.SUCCEEDED


def test_a_double_submission_pays_once(firm: Firm, member: User, matter: Matter) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    account = account_for(firm)
    link, _ = _link(firm, account, bill=bill)
    key = uuid.uuid4()
    first = _pay(firm, link, 200_00, key=key)
    second = _pay(firm, link, 200_00, key=key)  # the same form, posted again
    assert first.id == second.id
    with scope(firm=firm.id):
        assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == 1
    assert _fresh(firm, bill).paid_cents == 200_00


def test_a_payment_in_progress_blocks_a_second_one(
    firm: Firm, member: User, matter: Matter
) -> None:
    bill = issued_bill_for(firm, user=member, matter=matter)
    link, _ = _link(firm, account_for(firm), bill=bill)
    with scope(firm=firm.id):
        Payment.objects.create(
            firm=firm,
            link=link,
            bill=bill,
            account=link.account,
            amount_cents=450_00,
            status=Payment.Status.PENDING,
            attempt_key=uuid.uuid4(),
        )
    with pytest.raises(PaymentLinkUnusable) as busy:
        _pay(firm, link, 450_00)
    assert busy.value.reason == "in_progress"
    # A gateway call that never answered does not block the bill for good.
    with scope(firm=firm.id):
        Payment.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    assert _pay(firm, link, 450_00).status == Payment.Status.SUCCEEDED


def test_revoked_and_expired_links_take_no_payment(
    firm: Firm, member: User, matter: Matter
) -> None:
    account = account_for(firm)
    revoked, _ = _link(firm, account, matter=matter)
    with scope(firm=firm.id):
        payment_link_revoke(firm=firm, actor=member, link=revoked)
    with pytest.raises(PaymentLinkUnusable, match="cancelled by the firm"):
        _pay(firm, _fresh(firm, revoked), 10_00)

    expiring, _ = _link(firm, account, expires_at=timezone.now() + timedelta(minutes=5))
    with scope(firm=firm.id):
        PaymentLink.objects.filter(id=expiring.id).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    with pytest.raises(PaymentLinkUnusable, match="expired"):
        _pay(firm, _fresh(firm, expiring), 10_00)
    with scope(firm=firm.id):
        assert not Payment.objects.exists()


def test_bad_cards_and_amounts_are_refused_before_any_charge(
    firm: Firm, member: User, matter: Matter
) -> None:
    link, _ = _link(firm, account_for(firm), matter=matter)
    for card in (
        Card("4242424242424241", 12, 2031, "123"),  # fails the Luhn check
        Card(SUCCESS_CARD, 1, 2020, "123"),  # expired
        Card(SUCCESS_CARD, 12, 2031, "12"),
    ):
        with pytest.raises(PaymentInvalid):
            _pay(firm, link, 10_00, card=card)
    with pytest.raises(PaymentInvalid):
        _pay(firm, link, 0)
    with scope(firm=firm.id):
        assert not Payment.objects.exists()
    assert luhn_valid(SUCCESS_CARD) and luhn_valid(DECLINED_CARD) and luhn_valid(ERROR_CARD)


def test_links_for_drafts_and_paid_bills_are_refused(
    firm: Firm, member: User, matter: Matter
) -> None:
    activity_for(firm, user=member, matter=matter)
    with scope(firm=firm.id):
        draft = bill_generate(firm=firm, actor=member, matter=matter)
    with pytest.raises(PaymentLinkInvalid, match="Issue the bill"):
        _link(firm, account_for(firm), bill=draft)
    with scope(firm=firm.id):
        assert not PaymentLink.objects.exists()


# --- tokens and firms --------------------------------------------------------------------------


def test_a_token_finds_its_own_link_and_only_its_hash_is_stored(
    firm: Firm, member: User, matter: Matter
) -> None:
    link, token = _link(firm, account_for(firm), matter=matter)
    assert len(token) >= 40
    found = payment_link_find(token)
    assert found is not None and found[0].id == firm.id and found[1].id == link.id
    assert token not in (link.token_hash, link.token_prefix)
    assert payment_link_find(token + "x") is None
    assert payment_link_find("") is None


def test_another_firms_accounts_bills_and_links_are_not_found(
    firm: Firm, other_firm: Firm, member: User, outsider: User, matter: Matter
) -> None:
    their_bill = issued_bill_for(
        other_firm, user=outsider, matter=MatterFactory(client=ContactFactory(firm=other_firm))
    )
    their_account = account_for(other_firm)
    with pytest.raises(PaymentLinkInvalid, match="No such account"):
        _link(firm, their_account)
    with pytest.raises(PaymentLinkInvalid, match="No such bill"):
        _link(firm, account_for(firm), bill=their_bill)
    their_link, their_token = _link(other_firm, their_account, bill=their_bill)
    found = payment_link_find(their_token)
    assert found is not None and found[0].id == other_firm.id  # never ours
    with pytest.raises(PaymentLink.DoesNotExist):
        _pay(firm, their_link, 10_00)
    with scope(firm=firm.id), pytest.raises(Bill.DoesNotExist):
        bill_issue(firm=firm, actor=member, bill=their_bill)
    with scope(firm=firm.id), pytest.raises(ActivityInvalid, match="No such matter"):
        activity_create(
            firm=firm,
            actor=member,
            user=member,
            matter=their_bill.matter,
            date=date(2026, 11, 20),
            quantity_seconds=60,
            rate_cents=100,
            description="x",
        )
    assert _fresh(other_firm, their_bill).paid_cents == 0
