"""Demo billing: each demo firm's operating and trust accounts, its people's hourly rates,
and a few weeks of unbilled time on its open matters, so a bill can be generated and paid
through a payment link as soon as `make run` is up."""

import random
from datetime import date, timedelta

from accounts.models import Firm, User
from billing.models import Activity, BankAccount, Timekeeper
from matters.models import Matter

ATTORNEY_RATE_CENTS = 350_00
STAFF_RATE_CENTS = 150_00
ENTRIES_PER_MATTER = 3
_WORK = (
    "Reviewed the client's documents",
    "Call with the client",
    "Drafted the response",
    "Prepared for the hearing",
    "Texted the client about next steps",
    "Research on the applicable statute",
)


def demo_billing_build(
    *,
    firm: Firm,
    rng: random.Random,
    matters: list[Matter],
    attorney: User,
    staff: User,
    today: date,
) -> tuple[list[BankAccount], list[Timekeeper], list[Activity]]:
    """Unsaved rows for bulk insertion: two accounts, two rates, and ENTRIES_PER_MATTER
    entries on each of up to ten open matters in the last four weeks."""
    accounts = [
        BankAccount(firm=firm, name="Operating", kind=BankAccount.Kind.OPERATING),
        BankAccount(firm=firm, name="Client Trust (IOLTA)", kind=BankAccount.Kind.TRUST),
    ]
    rates = [
        Timekeeper(firm=firm, user=attorney, rate_cents=ATTORNEY_RATE_CENTS),
        Timekeeper(firm=firm, user=staff, rate_cents=STAFF_RATE_CENTS),
    ]
    entries: list[Activity] = []
    open_matters = [m for m in matters if m.status == Matter.Status.OPEN][:10]
    for matter in open_matters:
        for _ in range(ENTRIES_PER_MATTER):
            user, rate = rng.choice(((attorney, ATTORNEY_RATE_CENTS), (staff, STAFF_RATE_CENTS)))
            entries.append(
                Activity(
                    firm=firm,
                    user=user,
                    matter=matter,
                    date=today - timedelta(days=rng.randint(1, 28)),
                    quantity_seconds=rng.choice((6, 12, 18, 30, 42, 60, 90)) * 60,
                    rate_cents=rate,
                    description=rng.choice(_WORK),
                )
            )
    return accounts, rates, entries
