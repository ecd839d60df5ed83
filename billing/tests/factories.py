"""Helpers of billing's tests: states reached through the services (STYLE.md section 8)."""

from datetime import date
from typing import Any

from django_scopes import scope

from accounts.models import Firm, User
from billing.models import Activity, BankAccount, Bill
from billing.services import activity_create, bank_account_create, bill_generate, bill_issue
from matters.models import Matter


def activity_for(
    firm: Firm,
    *,
    user: User,
    matter: Matter,
    minutes: int = 30,
    rate_cents: int = 300_00,
    **fields: Any,
) -> Activity:
    fields.setdefault("description", "Reviewed the lease")
    fields.setdefault("date", date(2026, 11, 20))
    with scope(firm=firm.id):
        return activity_create(
            firm=firm,
            actor=user,
            user=user,
            matter=matter,
            quantity_seconds=minutes * 60,
            rate_cents=rate_cents,
            **fields,
        )


def issued_bill_for(firm: Firm, *, user: User, matter: Matter, minutes: int = 90) -> Bill:
    """An issued bill of one entry of `minutes` at $300 an hour ($450.00 for 90 minutes)."""
    activity_for(firm, user=user, matter=matter, minutes=minutes)
    with scope(firm=firm.id):
        bill = bill_generate(firm=firm, actor=user, matter=matter)
        return bill_issue(firm=firm, actor=user, bill=bill)


def account_for(firm: Firm, *, kind: str = "operating", name: str | None = None) -> BankAccount:
    with scope(firm=firm.id):
        return bank_account_create(
            firm=firm, actor=None, name=name or f"{kind.title()} account", kind=kind
        )
