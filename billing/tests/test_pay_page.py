"""The public payment page (B5): what it shows for a bill and for a charge; paying in full,
in part, with a declined card, twice with the same attempt; the links it refuses (revoked,
expired, paid, unknown); trust deposits on the trust ledger; and what it tells caches,
referrers and logs. The payment sandbox decides by card number (billing/gateway.py).
"""

import logging
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from billing.gateway import DECLINED_CARD, ERROR_CARD, SUCCESS_CARD
from billing.models import BankAccount, Bill, LedgerEntry, Payment, PaymentLink
from billing.services import payment_link_create, payment_link_revoke
from billing.tests.factories import account_for, issued_bill_for
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from matters.models import Matter
from matters.tests.factories import MatterFactory

EXPIRY = f"12/{(timezone.now().year + 3) % 100:02d}"


@pytest.fixture
def ana(firm: Firm) -> Contact:
    return ContactFactory(firm=firm, first_name="Ana", last_name="Reyes")


@pytest.fixture
def matter(ana: Contact) -> Matter:
    return MatterFactory(client=ana, display_number="00042-Reyes", description="Reyes v. Acme")


@pytest.fixture
def bill(firm: Firm, member: User, matter: Matter) -> Bill:
    return issued_bill_for(firm, user=member, matter=matter)


@pytest.fixture
def operating(firm: Firm) -> BankAccount:
    return account_for(firm, kind="operating")


def _token(firm: Firm, account: BankAccount, bill: Bill | None = None, **fields: Any) -> str:
    with scope(firm=firm.id):
        _, token = payment_link_create(firm=firm, actor=None, account=account, bill=bill, **fields)
    return token


def _url(token: str) -> str:
    return reverse("pay:page", args=[token])


def _html(response: Any) -> str:
    return str(response.content.decode())


def _attempt_key(page: str) -> str:
    match = re.search(r'name="attempt_key" value="([0-9a-f-]{36})"', page)
    assert match is not None
    return match.group(1)


def _form(**fields: str) -> dict[str, str]:
    data = {
        "amount": "450.00",
        "payer_name": "Ana Reyes",
        "card_number": "4242 4242 4242 4242",
        "expiry": EXPIRY,
        "cvc": "123",
        "attempt_key": str(uuid.uuid4()),
    }
    data.update(fields)
    return data


def _state(firm: Firm, bill: Bill, account: BankAccount) -> tuple[str, int, int, int, int]:
    """(bill state, paid cents, account balance, ledger entries, payments)."""
    with scope(firm=firm.id):
        bill.refresh_from_db()
        account.refresh_from_db()
        return (
            bill.state,
            bill.paid_cents,
            account.balance_cents,
            LedgerEntry.objects.count(),
            Payment.objects.count(),
        )


# --- What the page shows ---------------------------------------------------------------------


def test_the_page_for_a_bill_shows_the_firm_the_bill_and_its_balance(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    response = client.get(_url(_token(firm, operating, bill)))

    page = _html(response)
    assert response.status_code == 200
    assert 'id="pay-firm">Garcia &amp; Associates<' in page
    assert f"Bill {bill.number}" in page and "Reyes v. Acme" in page
    assert 'id="balance-due">$450.00<' in page
    assert 'name="amount" value="450.00"' in page  # may be lowered for a partial payment
    for name in ("payer_name", "card_number", "expiry", "cvc", "csrfmiddlewaretoken"):
        assert f'name="{name}"' in page
    _attempt_key(page)
    assert 'id="pay-button"' in page
    assert "Test mode" in page and "4242 4242 4242 4242" in page and "4000 0000 0000 0002" in page
    assert "css/pay.css" in page and "css/app.css" not in page  # its own layout


def test_the_page_for_a_charge_asks_for_the_amount(
    client: Client, firm: Firm, operating: BankAccount
) -> None:
    page = _html(client.get(_url(_token(firm, operating))))

    assert "Payment to Garcia &amp; Associates (Operating account)" in page
    assert re.search(r'<input type="text" name="amount"(?![^>]*value=)', page)
    assert "Balance due" not in page


def test_a_new_attempt_key_with_every_page(
    client: Client, firm: Firm, operating: BankAccount
) -> None:
    url = _url(_token(firm, operating))
    assert _attempt_key(_html(client.get(url))) != _attempt_key(_html(client.get(url)))


# --- Paying ----------------------------------------------------------------------------------


def test_a_full_payment_pays_the_bill_and_is_deposited_on_the_account(
    client: Client, firm: Firm, bill: Bill, matter: Matter, ana: Contact, operating: BankAccount
) -> None:
    response = client.post(_url(_token(firm, operating, bill)), _form())

    page = _html(response)
    assert response.status_code == 200
    assert "Payment received" in page and 'id="receipt-amount">$450.00<' in page
    assert "The bill is now paid." in page
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 1)
    with scope(firm=firm.id):
        payment = Payment.objects.get()
        entry = LedgerEntry.objects.get()
    assert payment.status == "succeeded" and payment.card_last4 == "4242"
    assert payment.gateway_reference.startswith("sbx_") and payment.gateway_reference in page
    assert (entry.account_id, entry.amount_cents, entry.payment_id) == (
        operating.id,
        450_00,
        payment.id,
    )
    assert (entry.client_id, entry.matter_id) == (ana.id, matter.id)
    assert SUCCESS_CARD not in str(vars(payment)) and SUCCESS_CARD not in page


def test_a_partial_payment_lowers_the_balance_and_the_bill_awaits_the_rest(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill)

    response = client.post(_url(token), _form(amount="$100.50"))

    page = _html(response)
    assert "Remaining balance" in page and "$349.50" in page
    assert "The bill is now paid." not in page
    assert _state(firm, bill, operating) == ("awaiting_payment", 100_50, 100_50, 1, 1)
    again = _html(client.get(_url(token)))
    assert 'id="balance-due">$349.50<' in again and 'value="349.50"' in again


def test_a_charge_takes_the_amount_typed(
    client: Client, firm: Firm, operating: BankAccount
) -> None:
    response = client.post(_url(_token(firm, operating)), _form(amount="1,250"))

    assert response.status_code == 200 and "$1,250.00" in _html(response)
    operating.refresh_from_db()
    assert operating.balance_cents == 1_250_00
    with scope(firm=firm.id):
        entry = LedgerEntry.objects.get()
    assert (entry.client_id, entry.matter_id) == (None, None)


def test_a_declined_card_changes_nothing_and_the_form_says_why(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    data = _form(card_number=DECLINED_CARD)

    response = client.post(_url(_token(firm, operating, bill)), data)

    page = _html(response)
    assert response.status_code == 402
    assert "Your card was declined." in page and "Nothing was charged." in page
    assert _state(firm, bill, operating) == ("awaiting_payment", 0, 0, 0, 1)
    assert 'id="pay-form"' in page and 'name="payer_name" value="Ana Reyes"' in page
    # The card number and code are typed again, never sent back.
    assert re.search(r'<input type="text" name="card_number"(?![^>]*value=)', page)
    assert re.search(r'<input type="text" name="cvc"(?![^>]*value=)', page)
    assert _attempt_key(page) != data["attempt_key"]  # trying again is a new attempt


def test_after_a_processing_error_the_payer_tries_again_and_pays(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    url = _url(_token(firm, operating, bill))

    failed = client.post(url, _form(card_number=ERROR_CARD))
    retry = client.post(url, _form(attempt_key=_attempt_key(_html(failed))))

    assert failed.status_code == 402 and "could not be processed" in _html(failed)
    assert retry.status_code == 200 and "The bill is now paid." in _html(retry)
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 2)


def test_the_same_attempt_submitted_twice_is_one_payment(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    url = _url(_token(firm, operating, bill))
    data = _form(amount="100.00")

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 200
    assert "Payment received" in _html(second) and "$350.00" in _html(second)
    assert _state(firm, bill, operating) == ("awaiting_payment", 100_00, 100_00, 1, 1)


def test_a_double_submission_after_paying_in_full_shows_the_receipt_again(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    url = _url(_token(firm, operating, bill))
    data = _form()

    client.post(url, data)
    second = client.post(url, data)

    assert second.status_code == 200 and "The bill is now paid." in _html(second)
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 1)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "Enter an amount in dollars and cents"),
        ({"amount": "0"}, "amount", "Enter an amount above $0.00."),
        ({"amount": "450.01"}, "amount", "Enter an amount between $0.01 and $450.00."),
        ({"payer_name": "  "}, "payer_name", "This field is required."),
        ({"card_number": "4242 4242"}, "card_number", "12 to 19 digits"),
        ({"card_number": "4242 4242 4242 4241"}, "card_number", "Check the card number."),
        ({"expiry": "13/30"}, "expiry", "The month is 01 to 12."),
        ({"expiry": "01/20"}, "expiry", "The card has expired."),
        ({"expiry": "soon"}, "expiry", "MM/YY"),
        ({"cvc": "12"}, "cvc", "3 or 4 digits"),
    ],
)
def test_invalid_input_gets_a_field_error_and_charges_nothing(
    client: Client,
    firm: Firm,
    bill: Bill,
    operating: BankAccount,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post(_url(_token(firm, operating, bill)), _form(**fields))

    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert "nothing was charged" in _html(response)
    assert _state(firm, bill, operating) == ("awaiting_payment", 0, 0, 0, 0)


def test_a_payment_still_with_the_gateway_asks_the_payer_to_wait(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill)
    with scope(firm=firm.id):
        # What a payment looks like between its two transactions (the gateway is slow).
        link = PaymentLink.objects.get()
        Payment.objects.create(
            firm=firm,
            link=link,
            bill=bill,
            account=operating,
            amount_cents=450_00,
            status=Payment.Status.PENDING,
            attempt_key=uuid.uuid4(),
        )

    response = client.post(_url(token), _form())

    assert response.status_code == 409
    assert "A payment of this bill is being processed" in _html(response)
    assert 'id="pay-form"' not in _html(response)


# --- Links the page refuses ------------------------------------------------------------------


def _assert_refused(response: Any, title: str) -> None:
    page = _html(response)
    assert response.status_code == 410
    assert title in page and 'id="pay-form"' not in page


def test_a_revoked_link_says_so(
    client: Client, firm: Firm, member: User, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill)
    with scope(firm=firm.id):
        payment_link_revoke(firm=firm, actor=member, link=PaymentLink.objects.get())

    _assert_refused(client.get(_url(token)), "This payment link was cancelled")
    _assert_refused(client.post(_url(token), _form()), "This payment link was cancelled")
    assert _state(firm, bill, operating) == ("awaiting_payment", 0, 0, 0, 0)


def test_an_expired_link_says_so(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill, expires_at=timezone.now() + timedelta(days=1))

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        _assert_refused(client.get(_url(token)), "This payment link has expired")
        _assert_refused(client.post(_url(token), _form()), "This payment link has expired")
    assert _state(firm, bill, operating) == ("awaiting_payment", 0, 0, 0, 0)


def test_a_link_of_a_paid_bill_says_so(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    first, second = _token(firm, operating, bill), _token(firm, operating, bill)
    client.post(_url(first), _form())

    _assert_refused(client.get(_url(second)), "This bill is paid")
    _assert_refused(client.post(_url(second), _form()), "This bill is paid")
    _assert_refused(client.get(_url(first)), "This bill is paid")
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 1)


def test_an_unknown_token_is_404_and_shows_no_firm(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill)

    for wrong in ("x" * 43, token[:-1], token + "A", "a" * 150):
        response = client.get(_url(wrong))
        page = _html(response)
        assert response.status_code == 404
        assert "This payment link is not valid" in page
        assert "Garcia" not in page and "pay-form" not in page


def test_a_signed_in_member_of_another_firm_sees_the_links_firm(
    client_for: Any, outsider: User, firm: Firm, bill: Bill, operating: BankAccount
) -> None:
    response = client_for(outsider).post(_url(_token(firm, operating, bill)), _form())

    assert response.status_code == 200 and "Garcia &amp; Associates" in _html(response)
    assert "Other Firm" not in _html(response)
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 1)


# --- Trust deposits --------------------------------------------------------------------------


def test_a_trust_deposit_is_held_for_the_client_and_matter_on_the_trust_ledger(
    client: Client,
    client_for: Any,
    member: User,
    firm: Firm,
    bill: Bill,
    matter: Matter,
    ana: Contact,
) -> None:
    trust = account_for(firm, kind="trust", name="IOLTA trust")

    client.post(_url(_token(firm, trust, bill)), _form(amount="300.00"))

    with scope(firm=firm.id):
        entry = LedgerEntry.objects.get()
    assert (entry.account_id, entry.client_id, entry.matter_id, entry.amount_cents) == (
        trust.id,
        ana.id,
        matter.id,
        300_00,
    )
    page = _html(client_for(member).get(reverse("billing:account-detail", args=[trust.uuid])))
    ledger = page[page.index('id="trust-ledger"') : page.index('id="ledger"')]
    row = re.search(rf'data-matter="{matter.uuid}".*?</tr>', ledger, re.S)
    assert "Ana Reyes" in ledger and row and "$300.00" in row.group(0)


# --- Caches, referrers, logs -----------------------------------------------------------------


def test_every_response_is_not_stored_and_sends_no_referrer(
    client: Client, firm: Firm, member: User, bill: Bill, operating: BankAccount
) -> None:
    token = _token(firm, operating, bill)
    revoked = _token(firm, operating)
    with scope(firm=firm.id):
        link = PaymentLink.objects.get(token_prefix=revoked[:8])
        payment_link_revoke(firm=firm, actor=member, link=link)

    with_form = [
        client.get(_url(token)),
        client.post(_url(token), _form(card_number=DECLINED_CARD)),
        client.post(_url(token), _form(cvc="1")),
    ]
    without_form = [
        client.post(_url(token), _form()),
        client.get(_url(revoked)),
        client.get(_url("x" * 43)),
        client.put(_url(token)),
    ]

    assert [r.status_code for r in with_form + without_form] == [200, 402, 400, 200, 410, 404, 405]
    for response in with_form + without_form:
        assert "no-store" in response["Cache-Control"]
    # Pages with the form send their origin, never the path, so the form's POST passes
    # Django's Origin check (with no-referrer, browsers send "Origin: null").
    assert {r["Referrer-Policy"] for r in with_form} == {"strict-origin"}
    assert {r["Referrer-Policy"] for r in without_form} == {"no-referrer"}


def test_the_form_is_csrf_protected_and_a_refusal_logs_no_token(
    firm: Firm, bill: Bill, operating: BankAccount, caplog: Any
) -> None:
    token = _token(firm, operating, bill)
    browser = Client(enforce_csrf_checks=True)
    caplog.set_level(logging.DEBUG)

    forged = browser.post(_url(token), _form())
    page = _html(browser.get(_url(token)))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    paid = browser.post(_url(token), _form(csrfmiddlewaretoken=csrf.group(1)))

    assert forged.status_code == 403 and "no-store" in forged["Cache-Control"]
    assert paid.status_code == 200 and "The bill is now paid." in _html(paid)
    assert "Forbidden (CSRF cookie not set.): a payment page" in caplog.text
    assert token not in caplog.text
    assert _state(firm, bill, operating) == ("paid", 450_00, 450_00, 1, 1)


def test_the_token_and_the_card_number_are_never_logged(
    client: Client, firm: Firm, bill: Bill, operating: BankAccount, caplog: Any
) -> None:
    token = _token(firm, operating, bill)
    caplog.set_level(logging.DEBUG)

    client.get(_url(token[:-1] + "x"))
    client.post(_url(token), _form(card_number=DECLINED_CARD))
    client.post(_url(token), _form(cvc="1"))
    client.post(_url(token), _form())
    client.get(_url(token))  # 410: paid

    assert caplog.records  # the payments were logged, by id
    assert token[:-1] not in caplog.text
    assert DECLINED_CARD not in caplog.text and SUCCESS_CARD.replace(" ", "") not in caplog.text
    assert "4242 4242" not in caplog.text
