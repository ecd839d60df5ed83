"""Staff pages of bank accounts and payment links (B3, B4): the accounts and their ledgers
(a trust account's per client and matter), Online payments' "Copy payment link" and the
links' states and Revoke, a bill's "Copy link to pay client balance" with "Text this link",
and the mandatory cross-firm checks.
"""

import html
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from billing.gateway import SUCCESS_CARD, Card
from billing.models import BankAccount, Bill, LedgerEntry, PaymentLink
from billing.services import (
    bill_generate,
    payment_link_create,
    payment_link_find,
    payment_link_revoke,
    payment_submit,
)
from billing.tests.factories import account_for, activity_for, issued_bill_for
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.models import Matter
from matters.tests.factories import MatterFactory
from texting.tests.factories import texting_contact

PAY_URL = re.compile(r"http://testserver/pay/([A-Za-z0-9_-]{43})/")
CARD = Card(number=SUCCESS_CARD, exp_month=12, exp_year=timezone.now().year + 3, cvc="123")


@pytest.fixture
def web(client_for: Callable[[User], Client], member: User) -> Client:
    return client_for(member)


@pytest.fixture
def ana(firm: Firm) -> Contact:
    return texting_contact(firm, "+12025550143", first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(ana: Contact) -> Matter:
    return MatterFactory(client=ana, display_number="00042-Reyes", description="Reyes v. Acme")


@pytest.fixture
def bill(firm: Firm, member: User, matter: Matter) -> Bill:
    return issued_bill_for(firm, user=member, matter=matter)


@pytest.fixture
def operating(firm: Firm) -> BankAccount:
    return account_for(firm, kind="operating")


@pytest.fixture
def trust(firm: Firm) -> BankAccount:
    return account_for(firm, kind="trust", name="Client trust 7")


def _html(response: Any) -> str:
    return str(response.content.decode())


def _links(firm: Firm) -> list[PaymentLink]:
    with scope(firm=firm.id):
        return list(PaymentLink.objects.select_related("bill", "account", "matter"))


def _link_for(firm: Firm, account: BankAccount, bill: Bill | None = None, **fields: Any) -> str:
    with scope(firm=firm.id):
        _, token = payment_link_create(firm=firm, actor=None, account=account, bill=bill, **fields)
    return token


def _pay(firm: Firm, token: str, amount_cents: int) -> None:
    found = payment_link_find(token)
    assert found is not None
    with scope(firm=firm.id):
        payment_submit(
            firm=firm,
            link=found[1],
            amount_cents=amount_cents,
            card=CARD,
            payer_name="Ana Reyes",
            attempt_key=uuid.uuid4(),
        )


# --- Bank accounts ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, operating: BankAccount) -> None:
    for url in (
        reverse("billing:account-list"),
        reverse("billing:account-detail", args=[operating.uuid]),
        reverse("billing:online-payments"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_adds_an_operating_and_a_trust_account_and_sees_them_listed(
    web: Client, firm: Firm
) -> None:
    url = reverse("billing:account-list")

    first = web.post(url, {"name": "  Main   operating ", "kind": "operating"})
    second = web.post(url, {"name": "IOLTA trust", "kind": "trust"}, follow=True)

    assert first.status_code == 302
    assert "The account “IOLTA trust” was added." in _html(second)
    with scope(firm=firm.id):
        accounts = {a.name: a.kind for a in BankAccount.objects.all()}
    assert accounts == {"Main operating": "operating", "IOLTA trust": "trust"}
    page = _html(web.get(url))
    assert "Main operating" in page and "IOLTA trust" in page
    assert "Operating" in page and "Trust" in page and "$0.00" in page


def test_the_account_list_shows_each_balance(
    web: Client, firm: Firm, bill: Bill, operating: BankAccount, django_assert_max_num_queries: Any
) -> None:
    _pay(firm, _link_for(firm, operating, bill), 123_45)
    account_for(firm, kind="trust", name="Client trust 7")

    with django_assert_max_num_queries(8):
        response = web.get(reverse("billing:account-list"))

    row = re.search(rf'data-account="{operating.uuid}".*?</tr>', _html(response), re.S)
    assert row is not None and "$123.45" in row.group(0)


def test_a_taken_or_blank_name_and_a_missing_kind_are_field_errors_and_add_nothing(
    web: Client, firm: Firm, operating: BankAccount
) -> None:
    url = reverse("billing:account-list")

    taken = web.post(url, {"name": "operating ACCOUNT", "kind": "trust"})
    blank = web.post(url, {"name": "   ", "kind": "trust"})
    no_kind = web.post(url, {"name": "Second", "kind": "savings"})

    assert taken.status_code == blank.status_code == no_kind.status_code == 400
    assert "There is already an account named" in str(taken.context["form"].errors["name"])
    assert blank.context["form"].errors["name"]
    assert no_kind.context["form"].errors["kind"]
    with scope(firm=firm.id):
        assert BankAccount.objects.count() == 1


def test_an_operating_account_shows_its_ledger_and_no_trust_ledger(
    web: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    _pay(firm, _link_for(firm, operating, bill), 450_00)

    page = _html(web.get(reverse("billing:account-detail", args=[operating.uuid])))

    assert 'id="trust-ledger"' not in page
    ledger = page[page.index('id="ledger"') :]
    assert "$450.00" in ledger and "Online payment sbx_" in ledger
    assert "Ana Reyes" in ledger and "00042-Reyes" in ledger and "card ending 4242" in ledger
    assert 'id="account-balance">$450.00<' in page


def test_the_trust_ledger_holds_each_deposit_for_its_client_and_matter(
    web: Client,
    firm: Firm,
    member: User,
    bill: Bill,
    ana: Contact,
    trust: BankAccount,
    django_assert_max_num_queries: Any,
) -> None:
    second_matter = MatterFactory(client=ana, display_number="00043-Reyes", description="Lease")
    bob = ContactFactory(firm=firm, first_name="Bob", last_name="Zimmer")
    bob_matter = MatterFactory(client=bob, display_number="00050-Zimmer", description="Estate")
    _pay(firm, _link_for(firm, trust, bill), 200_00)
    _pay(firm, _link_for(firm, trust, bill), 50_00)
    _pay(firm, _link_for(firm, trust, matter=second_matter), 75_00)
    _pay(firm, _link_for(firm, trust, matter=bob_matter), 1_000_00)
    _pay(firm, _link_for(firm, trust), 5_00)  # a charge naming no matter

    with django_assert_max_num_queries(12):
        response = web.get(reverse("billing:account-detail", args=[trust.uuid]))

    page = _html(response)
    ledger = page[page.index('id="trust-ledger"') : page.index('id="ledger"')]
    ana_row = re.search(rf'data-client="{ana.uuid}".*?</tr>', ledger, re.S)
    bob_row = re.search(rf'data-client="{bob.uuid}".*?</tr>', ledger, re.S)
    assert ana_row and "Ana Reyes" in ana_row.group(0) and "$325.00" in ana_row.group(0)
    assert bob_row and "$1,000.00" in bob_row.group(0)
    matter_row = re.search(rf'data-matter="{bill.matter.uuid}".*?</tr>', ledger, re.S)
    assert matter_row and "00042-Reyes" in matter_row.group(0) and "$250.00" in matter_row.group(0)
    second_row = re.search(rf'data-matter="{second_matter.uuid}".*?</tr>', ledger, re.S)
    assert second_row and "$75.00" in second_row.group(0)
    # Clients by name, deposits naming nobody last.
    assert ledger.index("Ana Reyes") < ledger.index("Bob Zimmer") < ledger.index("No client named")
    assert 'id="account-balance">$1,330.00<' in page


# --- Online payments: Copy payment link, the links, Revoke -----------------------------------


def test_copy_payment_link_makes_a_charge_link_shown_only_in_that_response(
    web: Client, firm: Firm, operating: BankAccount, trust: BankAccount
) -> None:
    page = _html(web.get(reverse("billing:online-payments")))
    assert page.count("Copy payment link") == 2

    response = web.post(reverse("billing:charge-link-create"), {"account": str(trust.uuid)})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = PAY_URL.search(_html(response))
    assert match is not None
    assert f'value="{match.group(0)}"' in _html(response)  # the selectable fallback
    assert 'id="copy-link"' in _html(response) and 'id="text-link"' not in _html(response)
    [link] = _links(firm)
    assert (link.kind, link.account_id, link.bill, link.matter) == ("charge", trust.id, None, None)
    found = payment_link_find(match.group(1))
    assert found is not None and found[1].id == link.id
    listing = _html(web.get(reverse("billing:online-payments")))
    assert match.group(1) not in listing and f"{link.token_prefix}…" in listing


def test_online_payments_lists_each_link_with_its_state(
    web: Client,
    firm: Firm,
    bill: Bill,
    operating: BankAccount,
    member: User,
    django_assert_max_num_queries: Any,
) -> None:
    usable = _link_for(firm, operating)
    revoked = _link_for(firm, operating)
    expired = _link_for(firm, operating, expires_at=timezone.now() + timedelta(hours=1))
    paid = _link_for(firm, operating, bill)
    _pay(firm, paid, 450_00)
    with scope(firm=firm.id):
        link = PaymentLink.objects.get(token_prefix=revoked[:8])
        payment_link_revoke(firm=firm, actor=member, link=link)

    later = timezone.now() + timedelta(hours=2)
    with time_machine.travel(later), django_assert_max_num_queries(8):
        response = web.get(reverse("billing:online-payments"))

    page = _html(response)
    states = {}
    for token in (usable, revoked, expired, paid):
        row = re.search(rf"<code>{re.escape(token[:8])}….*?</tr>", page, re.S)
        assert row is not None
        state = re.search(r'link-state">(\w+)<', row.group(0))
        assert state is not None
        states[token] = (state.group(1), "Revoke</button>" in row.group(0))
    assert states == {
        usable: ("Usable", True),
        revoked: ("Revoked", False),
        expired: ("Expired", True),
        paid: ("Paid", True),
    }
    assert f"Bill {bill.number}</a>" in page


def test_revoke_stops_a_link(web: Client, firm: Firm, operating: BankAccount) -> None:
    token = _link_for(firm, operating)
    [link] = _links(firm)

    response = web.post(reverse("billing:payment-link-revoke", args=[link.uuid]), follow=True)

    assert f"The link {link.token_prefix}… was revoked" in _html(response)
    [link] = _links(firm)
    assert link.revoked_at is not None
    assert Client().get(reverse("pay:page", args=[token])).status_code == 410


# --- A bill's "Copy link to pay client balance" ----------------------------------------------


def test_the_bill_link_form_offers_the_firms_accounts(
    web: Client, bill: Bill, operating: BankAccount, trust: BankAccount, other_firm: Firm
) -> None:
    account_for(other_firm, name="Foreign account")

    response = web.get(reverse("billing:bill-payment-link", args=[bill.uuid]))

    page = _html(response)
    assert response.status_code == 200
    assert "Operating account (Operating)" in page and "Client trust 7 (Trust)" in page
    assert "Foreign account" not in page
    assert page.count('type="radio" name="account"') == 2
    assert "$450.00" in page


def test_a_bill_link_is_made_and_text_this_link_prefills_the_clients_compose_box(
    web: Client, firm: Firm, bill: Bill, ana: Contact, operating: BankAccount, trust: BankAccount
) -> None:
    url = reverse("billing:bill-payment-link", args=[bill.uuid])

    response = web.post(url, {"account": str(operating.uuid), "expires_in_days": ""})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = _html(response)
    match = PAY_URL.search(page)
    assert match is not None
    [link] = _links(firm)
    assert (link.kind, link.bill, link.account, link.matter_id) == (
        "bill",
        bill,
        operating,
        bill.matter_id,
    )
    assert link.expires_at is None
    text_link = re.search(r'href="([^"]+)" id="text-link"', page)
    assert text_link is not None
    target = urlsplit(html.unescape(text_link.group(1)))
    assert target.path == reverse("texting:conversation", args=[ana.uuid])
    assert parse_qs(target.query)["body"] == [
        f"Here is the link to pay your bill {bill.number} from Garcia & Associates: "
        f"{match.group(0)}"
    ]
    # The conversation page puts it in the compose box (the firm can text).
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    compose = _html(web.get(html.unescape(text_link.group(1))))
    assert match.group(0) in compose


def test_a_bill_link_can_expire_after_some_days(
    web: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    before = timezone.now()

    web.post(
        reverse("billing:bill-payment-link", args=[bill.uuid]),
        {"account": str(operating.uuid), "expires_in_days": "7"},
    )

    [link] = _links(firm)
    assert link.expires_at is not None
    assert timedelta(days=7) <= link.expires_at - before < timedelta(days=7, minutes=1)


def test_no_account_or_a_bad_expiry_is_a_field_error_and_makes_no_link(
    web: Client, firm: Firm, bill: Bill, operating: BankAccount, trust: BankAccount
) -> None:
    url = reverse("billing:bill-payment-link", args=[bill.uuid])

    none = web.post(url, {"account": ""})
    zero = web.post(url, {"account": str(operating.uuid), "expires_in_days": "0"})

    assert none.status_code == zero.status_code == 400
    assert none.context["form"].errors["account"]
    assert zero.context["form"].errors["expires_in_days"]
    assert _links(firm) == []


def test_a_draft_or_paid_bill_gets_a_clear_message_and_no_link(
    web: Client, firm: Firm, member: User, matter: Matter, bill: Bill, operating: BankAccount
) -> None:
    _pay(firm, _link_for(firm, operating, bill), 450_00)
    activity_for(firm, user=member, matter=matter)
    with scope(firm=firm.id):
        draft = bill_generate(firm=firm, actor=member, matter=matter)
        links_before = PaymentLink.objects.count()

    for target, sentence in (
        (draft, "Issue the bill before asking the client to pay it."),
        (bill, "This bill is paid in full."),
    ):
        response = web.post(
            reverse("billing:bill-payment-link", args=[target.uuid]),
            {"account": str(operating.uuid)},
        )
        assert response.status_code == 400
        assert sentence in _html(response)
        assert PAY_URL.search(_html(response)) is None
    assert len(_links(firm)) == links_before


def test_the_bill_link_page_says_to_add_an_account_first(web: Client, bill: Bill) -> None:
    page = _html(web.get(reverse("billing:bill-payment-link", args=[bill.uuid])))
    assert "Add a bank account" in page and "Create link" not in page


# --- Cross-firm ------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_the_firms_bill_account_and_link_and_changes_nothing(
    client_for: Callable[[User], Client],
    outsider: User,
    other_firm: Firm,
    firm: Firm,
    bill: Bill,
    operating: BankAccount,
) -> None:
    _link_for(firm, operating)
    [link] = _links(firm)
    own_account = account_for(other_firm, name="Outsider operating")
    client = client_for(outsider)

    assert client.get(reverse("billing:account-detail", args=[operating.uuid])).status_code == 404
    url = reverse("billing:bill-payment-link", args=[bill.uuid])
    assert client.get(url).status_code == 404
    assert client.post(url, {"account": str(own_account.uuid)}).status_code == 404
    revoke = reverse("billing:payment-link-revoke", args=[link.uuid])
    assert client.post(revoke).status_code == 404

    [link] = _links(firm)
    assert link.revoked_at is None
    with scope(firm=other_firm.id):
        assert PaymentLink.objects.count() == 0


def test_an_outsiders_pages_show_none_of_the_firms_accounts_or_links(
    client_for: Callable[[User], Client],
    outsider: User,
    firm: Firm,
    bill: Bill,
    trust: BankAccount,
) -> None:
    _link_for(firm, trust, bill)
    [link] = _links(firm)
    client = client_for(outsider)

    accounts = _html(client.get(reverse("billing:account-list")))
    payments = _html(client.get(reverse("billing:online-payments")))

    assert "Client trust 7" not in accounts and "No bank accounts yet" in accounts
    assert "Client trust 7" not in payments and link.token_prefix not in payments
    assert "No payment links yet." in payments


def test_a_post_naming_another_firms_account_is_refused_as_not_found(
    web: Client, firm: Firm, other_firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    foreign = account_for(other_firm, name="Foreign account")

    charge = web.post(reverse("billing:charge-link-create"), {"account": str(foreign.uuid)})
    malformed = web.post(reverse("billing:charge-link-create"), {"account": "not-a-uuid"})
    for_bill = web.post(
        reverse("billing:bill-payment-link", args=[bill.uuid]), {"account": str(foreign.uuid)}
    )

    assert charge.status_code == malformed.status_code == for_bill.status_code == 400
    assert "Account not found" in _html(charge) and "Account not found" in _html(malformed)
    assert "Account not found" in str(for_bill.context["form"].errors["account"])
    assert "Foreign account" not in _html(charge) + _html(for_bill)
    assert _links(firm) == []
    with scope(firm=other_firm.id):
        assert PaymentLink.objects.count() == 0
        assert LedgerEntry.objects.count() == 0


def test_the_links_are_paged_newest_first(
    web: Client, firm: Firm, operating: BankAccount, django_assert_max_num_queries: Any
) -> None:
    tokens = [_link_for(firm, operating) for _ in range(27)]

    with django_assert_max_num_queries(9):
        first = _html(web.get(reverse("billing:online-payments")))
    second = _html(web.get(reverse("billing:online-payments"), {"page": "2"}))

    assert "Page 1 of 2 · 27 links" in first
    assert f"<code>{tokens[-1][:8]}…" in first and f"<code>{tokens[0][:8]}…" not in first
    assert f"<code>{tokens[0][:8]}…" in second and f"<code>{tokens[1][:8]}…" in second
