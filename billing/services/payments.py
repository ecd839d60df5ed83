"""Bank accounts (B3), payment links (B4), and payments through them (B5).

A link's token is 43 random URL-safe characters; only its SHA-256 is stored, on the link
and on a `PaymentLinkRoute` that says which firm it belongs to (the payment page has no
sign-in, so the firm comes from the token). A payment happens in three steps, so the
gateway is never called inside a transaction and a double submission charges once:

1. one transaction locks the link (and the bill), checks the link is usable and records
   the attempt PENDING, unique on (link, attempt key): the same form posted twice finds
   the first attempt and charges nothing more;
2. the gateway charges, with the payment's uuid as its idempotency key;
3. one transaction records the answer: a success is deposited on the link's account (a
   ledger entry for the client and matter; on a trust account, the trust ledger), and
   reduces the bill's balance (paid at zero).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from matters.models import Matter

from ..exceptions import (
    BankAccountInvalid,
    PaymentInvalid,
    PaymentLinkInvalid,
    PaymentLinkUnusable,
)
from ..gateway import Card, ChargeOutcome, luhn_valid, payment_gateway
from ..models import BankAccount, Bill, LedgerEntry, Payment, PaymentLink, PaymentLinkRoute
from ..templatetags.billing_amounts import money

MAX_CHARGE_CENTS = 1_000_000_00  # $1,000,000
# A payment still pending this long was left by a gateway call that never answered (a real
# processor's timeout): it no longer blocks the bill's next payment. Reconciling it with
# the processor by its idempotency key comes with a real gateway.
PENDING_BLOCKS = timedelta(minutes=15)

Status = Payment.Status


# --- bank accounts ---------------------------------------------------------------------------


@transaction.atomic
def bank_account_create(*, firm: Firm, actor: User | None, name: str, kind: str) -> BankAccount:
    """A new operating or trust account. Raises BankAccountInvalid (blank or taken name)."""
    name = " ".join(name.split())[:100]
    if not name:
        raise BankAccountInvalid("Name the account.", fields={"name": ["This field is required."]})
    if kind not in BankAccount.Kind.values:
        raise BankAccountInvalid("An account is operating or trust.", fields={"kind": ["Invalid."]})
    taken = BankAccountInvalid(
        f"There is already an account named “{name}”.", fields={"name": ["Taken."]}
    )
    if BankAccount.objects.for_firm(firm).filter(name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return BankAccount.objects.create(firm=firm, name=name, kind=kind)
    except IntegrityError:  # the same name created at the same moment
        raise taken from None


# --- payment links ---------------------------------------------------------------------------


@transaction.atomic
def payment_link_create(
    *,
    firm: Firm,
    actor: User | None,
    account: BankAccount,
    bill: Bill | None = None,
    matter: Matter | None = None,
    expires_at: datetime | None = None,
) -> tuple[PaymentLink, str]:
    """A link to pay `bill`'s balance into `account`, or (no bill) a charge of any amount,
    optionally for `matter`. Returns the link and its token, which is never shown again.
    Raises PaymentLinkInvalid (a draft or paid bill, an expiry in the past)."""
    for obj, noun in ((account, "account"), (bill, "bill"), (matter, "matter")):
        if obj is not None and obj.firm_id != firm.id:
            raise PaymentLinkInvalid(f"No such {noun}.", fields={noun: ["Not found."]})
    if bill is not None:
        if bill.state == Bill.State.DRAFT:
            raise PaymentLinkInvalid("Issue the bill before asking the client to pay it.")
        if bill.balance_cents <= 0:
            raise PaymentLinkInvalid("This bill is paid in full.")
        matter = bill.matter
    if expires_at is not None and expires_at <= timezone.now():
        raise PaymentLinkInvalid(
            "The link would have expired already.", fields={"expires_at": ["In the past."]}
        )
    token = secrets.token_urlsafe(32)
    token_hash = PaymentLink.hash_token(token)
    link = PaymentLink.objects.create(
        firm=firm,
        kind=PaymentLink.Kind.BILL if bill is not None else PaymentLink.Kind.CHARGE,
        account=account,
        bill=bill,
        matter=matter,
        token_hash=token_hash,
        token_prefix=token[:8],
        created_by=actor,
        expires_at=expires_at,
    )
    PaymentLinkRoute.objects.create(token_hash=token_hash, firm=firm)
    return link, token


@transaction.atomic
def payment_link_revoke(*, firm: Firm, actor: User | None, link: PaymentLink) -> PaymentLink:
    """Revoke the link: it takes no more payments. Idempotent."""
    if link.firm_id != firm.id:
        raise PaymentLink.DoesNotExist
    PaymentLink.objects.for_firm(firm).filter(id=link.id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )
    return PaymentLink.objects.for_firm(firm).get(id=link.id)


def payment_link_find(token: str) -> tuple[Firm, PaymentLink] | None:
    """The firm and link of a token from a payment URL, or None. The link is read inside
    the firm's scope; callers open that scope again for what they do next."""
    if not token or len(token) > 100:
        return None
    token_hash = PaymentLink.hash_token(token)
    route = PaymentLinkRoute.objects.select_related("firm").filter(token_hash=token_hash).first()
    if route is None:
        return None
    with scope(firm=route.firm_id):
        link = (
            PaymentLink.objects.for_firm(route.firm)
            .select_related("account", "bill", "matter__client")
            .filter(token_hash=token_hash)
            .first()
        )
    return (route.firm, link) if link is not None else None


def payment_link_problem(
    link: PaymentLink, *, now: datetime | None = None
) -> PaymentLinkUnusable | None:
    """Why the link cannot take a payment now (revoked, expired, bill paid), or None."""
    now = now or timezone.now()
    if link.revoked_at is not None:
        return PaymentLinkUnusable(
            "revoked", "This payment link was cancelled by the firm. Please contact them."
        )
    if link.expires_at is not None and link.expires_at <= now:
        return PaymentLinkUnusable(
            "expired", "This payment link has expired. Please ask the firm for a new one."
        )
    if link.bill is not None and link.bill.balance_cents <= 0:
        return PaymentLinkUnusable("paid", "This bill is paid in full. Thank you!")
    return None


# --- payments --------------------------------------------------------------------------------


def _check_amount(link: PaymentLink, amount_cents: int) -> None:
    limit = link.bill.balance_cents if link.bill is not None else MAX_CHARGE_CENTS
    if not 1 <= amount_cents <= limit:
        raise PaymentInvalid(
            f"Enter an amount between $0.01 and {money(limit)}.",
            fields={"amount": ["Out of range."]},
        )


def _check_card(card: Card, now: datetime) -> None:
    if not luhn_valid(card.number):
        raise PaymentInvalid(
            "Check the card number.", fields={"card_number": ["Not a valid card number."]}
        )
    if not 1 <= card.exp_month <= 12 or (card.exp_year, card.exp_month) < (now.year, now.month):
        raise PaymentInvalid("The card has expired.", fields={"expiry": ["Expired."]})
    if not (card.cvc.isdigit() and len(card.cvc) in (3, 4)):
        raise PaymentInvalid("Check the security code.", fields={"cvc": ["3 or 4 digits."]})


@transaction.atomic
def _attempt_start(
    *,
    firm: Firm,
    link: PaymentLink,
    amount_cents: int,
    card: Card,
    payer_name: str,
    attempt_key: uuid.UUID,
) -> tuple[Payment, bool]:
    """Step 1: the attempt recorded PENDING, or the one this key made before (False)."""
    locked = PaymentLink.objects.for_firm(firm).select_for_update().get(id=link.id)
    earlier = Payment.objects.for_firm(firm).filter(link=locked, attempt_key=attempt_key).first()
    if earlier is not None:
        return earlier, False
    bill = None
    if locked.bill_id is not None:
        bill = Bill.objects.for_firm(firm).select_for_update().get(id=locked.bill_id)
        locked.bill = bill
    problem = payment_link_problem(locked)
    if problem is not None:
        raise problem
    if (
        bill is not None
        and Payment.objects.for_firm(firm)
        .filter(bill=bill, status=Status.PENDING, created_at__gt=timezone.now() - PENDING_BLOCKS)
        .exists()
    ):
        raise PaymentLinkUnusable(
            "in_progress", "A payment of this bill is being processed. Please wait a moment."
        )
    _check_amount(locked, amount_cents)
    payment = Payment.objects.create(
        firm=firm,
        link=locked,
        bill=bill,
        account_id=locked.account_id,
        amount_cents=amount_cents,
        status=Status.PENDING,
        attempt_key=attempt_key,
        payer_name=payer_name.strip()[:200],
        card_last4=card.last4,
    )
    return payment, True


@transaction.atomic
def _attempt_record(
    *, firm: Firm, payment: Payment, outcome: ChargeOutcome, reference: str, message: str
) -> Payment:
    """Step 3: the gateway's answer, and for a success the deposit and the bill."""
    locked = Payment.objects.for_firm(firm).select_for_update().get(id=payment.id)
    if locked.status != Status.PENDING:
        return locked  # recorded already
    now = timezone.now()
    locked.status = Status(outcome.value)
    locked.gateway_reference = reference[:64]
    locked.failure_message = message[:200]
    locked.save(update_fields=["status", "gateway_reference", "failure_message", "updated_at"])
    if locked.status != Status.SUCCEEDED:
        return locked
    link = PaymentLink.objects.for_firm(firm).select_related("matter").get(id=locked.link_id)
    matter = link.matter
    LedgerEntry.objects.create(
        firm=firm,
        account_id=locked.account_id,
        payment=locked,
        amount_cents=locked.amount_cents,
        client_id=matter.client_id if matter else None,
        matter=matter,
        description=f"Online payment {reference[:40]}".strip(),
    )
    BankAccount.objects.for_firm(firm).filter(id=locked.account_id).update(
        balance_cents=F("balance_cents") + locked.amount_cents, updated_at=now
    )
    if locked.bill_id is not None:
        bill = Bill.objects.for_firm(firm).select_for_update().get(id=locked.bill_id)
        bill.paid_cents += locked.amount_cents
        if bill.balance_cents == 0:
            bill.state = Bill.State.PAID
        bill.save(update_fields=["paid_cents", "state", "updated_at"])
    return locked


def payment_submit(
    *,
    firm: Firm,
    link: PaymentLink,
    amount_cents: int,
    card: Card,
    payer_name: str,
    attempt_key: uuid.UUID,
) -> Payment:
    """Pay through `link` (B5). Never inside a transaction: it calls the gateway between
    two. The same `attempt_key` returns the first attempt and charges once. Raises, having
    charged nothing: PaymentInvalid (amount, card), PaymentLinkUnusable (revoked, expired,
    paid, another payment in progress). A declined or failed charge is returned with its
    status and message and changes no balance."""
    if link.firm_id != firm.id:
        raise PaymentLink.DoesNotExist
    _check_card(card, timezone.now())
    payment, new = _attempt_start(
        firm=firm,
        link=link,
        amount_cents=amount_cents,
        card=card,
        payer_name=payer_name,
        attempt_key=attempt_key,
    )
    if not new:
        return payment
    result = payment_gateway().charge(
        amount_cents=amount_cents, card=card, idempotency_key=str(payment.uuid)
    )
    return _attempt_record(
        firm=firm,
        payment=payment,
        outcome=result.outcome,
        reference=result.reference,
        message=result.message,
    )
