"""Billing (B1–B5, C12): time entries, bills, bank accounts, payment links and payments.

Money is integer cents (`*_cents`); durations are seconds (`quantity_seconds`, Clio's
habit). A bill copies its time entries into line items when it is generated, so later edits
of an entry never change an issued bill. Deposits are ledger entries on a bank account; on
a trust account each names the client and matter it is held for.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from common.models import FirmOwned
from contacts.models import Contact
from matters.models import Matter


def cents_of(quantity_seconds: int, rate_cents: int) -> int:
    """What `quantity_seconds` at `rate_cents` an hour comes to, to the nearest cent."""
    return (quantity_seconds * rate_cents + 1800) // 3600


class Timekeeper(FirmOwned):
    """A firm user's default hourly rate, prefilled in their time entries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rate_cents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="one_timekeeper_per_user"),
        ]

    def __str__(self) -> str:
        return f"Rate of user {self.user_id}"


class Activity(FirmOwned):
    """A time entry (B1): who worked on which matter, when, how long, at what rate.

    Unbilled until a bill takes it (`bill` set); billed entries cannot change or go.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    quantity_seconds = models.PositiveIntegerField()
    rate_cents = models.PositiveIntegerField()
    description = models.TextField(max_length=2000)
    billable = models.BooleanField(default=True)
    bill = models.ForeignKey(
        "Bill", on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    # The conversation it was logged from (C12), if any.
    conversation = models.ForeignKey(
        "texting.Conversation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(condition=Q(quantity_seconds__gt=0), name="activity_has_time"),
        ]
        indexes = [
            models.Index(
                fields=["matter", "date"],
                name="activity_unbilled",
                condition=Q(bill__isnull=True, billable=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity_seconds // 60} min on matter {self.matter_id}"

    @property
    def total_cents(self) -> int:
        return cents_of(self.quantity_seconds, self.rate_cents) if self.billable else 0

    @property
    def is_billed(self) -> bool:
        return self.bill_id is not None


class Bill(FirmOwned):
    """A bill for a matter's unbilled billable time (B2).

    Lifecycle::

        draft ──issue──► awaiting_payment ──paid in full──► paid
          └──delete (entries unbilled again)

    `paid_cents` grows with each successful payment; the balance is what is left.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        PAID = "paid", "Paid"

    number = models.PositiveIntegerField()
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    issued_on = models.DateField()
    due_on = models.DateField()
    total_cents = models.PositiveIntegerField()
    paid_cents = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "number"], name="bill_number_per_firm"),
            models.CheckConstraint(
                condition=Q(paid_cents__lte=models.F("total_cents")), name="bill_not_overpaid"
            ),
        ]

    def __str__(self) -> str:
        return f"Bill {self.number}"

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents


class BillLineItem(FirmOwned):
    """A time entry as the bill shows it, copied when the bill was generated."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="line_items")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    description = models.TextField()
    user_name = models.CharField(max_length=200)
    quantity_seconds = models.PositiveIntegerField()
    rate_cents = models.PositiveIntegerField()
    total_cents = models.PositiveIntegerField()

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"Line of bill {self.bill_id}"


class BankAccount(FirmOwned):
    """Where payments are deposited (B3): the firm's operating account, or a trust account
    whose money is the clients' until earned."""

    class Kind(models.TextChoices):
        OPERATING = "operating", "Operating"
        TRUST = "trust", "Trust"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    balance_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            # Names differ by more than case: "Trust" and "trust" would be one account to a reader.
            models.UniqueConstraint(
                "firm", Lower("name"), name="bank_account_name_per_firm_any_case"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PaymentLink(FirmOwned):
    """A link a client pays from (B4): for a bill's balance, or a charge of any amount into
    an account. Only the token's SHA-256 is stored; the token is shown when made.

    Usable while not revoked, not expired and, for a bill, while the bill has a balance.
    """

    class Kind(models.TextChoices):
        BILL = "bill", "Bill balance"
        CHARGE = "charge", "Charge"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_links"
    )
    # What the money is for: the bill's matter, or a charge's (optional); a trust deposit
    # is held for this matter's client.
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="bill", bill__isnull=False) | Q(kind="charge", bill__isnull=True),
                name="payment_link_bill_iff_bill_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment link {self.token_prefix}…"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class PaymentLinkRoute(models.Model):
    """Which firm a payment link's token belongs to: the one lookup made before any firm is
    known (the payment page has no sign-in). Deliberately not FirmOwned, like Firm itself:
    it holds no firm data, only the token's hash and the firm to scope to; the link itself
    is then read inside that firm's scope."""

    token_hash = models.CharField(max_length=64, unique=True)
    firm = models.ForeignKey("accounts.Firm", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"Route to firm {self.firm_id}"


class Payment(FirmOwned):
    """One attempt to pay through a link (B5). A succeeded payment is deposited on the
    link's account; `attempt_key` (from the payment form) makes a double submission one
    payment."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # sent to the gateway, answer not recorded yet
        SUCCEEDED = "succeeded", "Succeeded"
        DECLINED = "declined", "Declined"
        FAILED = "failed", "Failed"

    link = models.ForeignKey(PaymentLink, on_delete=models.PROTECT, related_name="payments")
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    attempt_key = models.UUIDField()
    gateway_reference = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=200, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "attempt_key"], name="payment_once_per_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.uuid}"


class LedgerEntry(FirmOwned):
    """Money into a bank account. On a trust account it is held for `client` and `matter`
    (the trust ledger); on an operating account they say what it paid for."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="entries")
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    amount_cents = models.BigIntegerField()
    client = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"Ledger entry {self.pk}"
