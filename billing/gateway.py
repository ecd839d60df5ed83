"""The payment gateway behind the payment page (B5): one interface, and the payment
sandbox that implements it without moving money. A real processor (Stripe, LawPay, …)
implements `PaymentGateway` and is chosen by PAYMENT_GATEWAY; nothing else changes.

Sandbox test cards (any future expiry, any 3-digit CVC):

    4242 4242 4242 4242   succeeds
    4000 0000 0000 0002   declined by the card's bank ("Your card was declined.")
    4000 0000 0000 0119   fails with a processing error (nothing charged; try again)

Any other number that passes the Luhn check succeeds; one that does not is refused before
the gateway is called. A charge is idempotent on its key: the same key returns the first
result and charges nothing more.
"""

from __future__ import annotations

import enum
import threading
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

DECLINED_CARD = "4000000000000002"
ERROR_CARD = "4000000000000119"
SUCCESS_CARD = "4242424242424242"


class ChargeOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"  # a processing error: nothing charged, the payer may try again


@dataclass(frozen=True)
class Card:
    # Never in a repr: a card in a log line, an assertion or an error report shows no number.
    number: str = field(repr=False)
    exp_month: int = 0
    exp_year: int = 0
    cvc: str = field(repr=False, default="")

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class ChargeResult:
    outcome: ChargeOutcome
    reference: str = ""
    message: str = ""


class PaymentGateway(Protocol):
    def charge(self, *, amount_cents: int, card: Card, idempotency_key: str) -> ChargeResult:
        """Charge the card; the same `idempotency_key` charges once."""


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class SandboxGateway:
    """Decides by the card number (the table above); remembers each key's result."""

    _results: dict[str, ChargeResult] = {}
    _lock = threading.Lock()

    def charge(self, *, amount_cents: int, card: Card, idempotency_key: str) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
            if card.number == DECLINED_CARD:
                result = ChargeResult(ChargeOutcome.DECLINED, message="Your card was declined.")
            elif card.number == ERROR_CARD:
                result = ChargeResult(
                    ChargeOutcome.FAILED,
                    message="The payment could not be processed. Nothing was charged; "
                    "please try again.",
                )
            else:
                result = ChargeResult(ChargeOutcome.SUCCEEDED, reference=f"sbx_{uuid.uuid4().hex}")
            self._results[idempotency_key] = result
            return result


def payment_gateway() -> PaymentGateway:
    """The configured gateway (PAYMENT_GATEWAY; only "sandbox" exists so far)."""
    name = getattr(settings, "PAYMENT_GATEWAY", "sandbox")
    if name == "sandbox":
        return SandboxGateway()
    raise ValueError(f"Unknown PAYMENT_GATEWAY {name!r}")
