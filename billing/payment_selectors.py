"""Reads of bank accounts (B3), their ledgers and trust ledger, and payment links (B4).

Every selector takes `firm` first and returns firm-filtered rows with their joins done, so a
page costs the same few queries however many accounts, entries or links it shows.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db import models
from django.db.models import Count, QuerySet, Sum

from accounts.models import Firm
from contacts.models import Contact
from matters.models import Matter

from .models import BankAccount, Bill, LedgerEntry, PaymentLink
from .services import payment_link_problem

_Row = TypeVar("_Row", bound=models.Model)


def bank_account_list(*, firm: Firm) -> QuerySet[BankAccount]:
    """The firm's accounts, operating first, then by name."""
    return BankAccount.objects.for_firm(firm).order_by("kind", "name")


def ledger_entry_list(*, firm: Firm, account: BankAccount) -> QuerySet[LedgerEntry]:
    """The account's entries, newest first, with client, matter and payment joined."""
    return (
        LedgerEntry.objects.for_firm(firm)
        .filter(account=account)
        .select_related("client", "matter", "payment")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class MatterBalance:
    """Money held in trust for one matter (None: for the client, no matter named)."""

    matter: Matter | None
    balance_cents: int
    entry_count: int


@dataclass
class ClientTrust:
    """A client's share of a trust account: its total and one row per matter."""

    client: Contact | None  # None: deposits that name no client
    balance_cents: int = 0
    matters: list[MatterBalance] = field(default_factory=list)


def trust_ledger(*, firm: Firm, account: BankAccount) -> list[ClientTrust]:
    """What a trust account holds for each client and matter: the entries summed per
    (client, matter), grouped by client in name order; deposits naming no client last.
    Three queries whatever the number of clients."""
    sums = (
        LedgerEntry.objects.for_firm(firm)
        .filter(account=account)
        .values("client_id", "matter_id")
        .annotate(balance=Sum("amount_cents"), entries=Count("id"))
        .order_by()
    )
    rows = list(sums)
    clients = _by_id(Contact.objects.for_firm(firm), (r["client_id"] for r in rows))
    matters = _by_id(Matter.objects.for_firm(firm), (r["matter_id"] for r in rows))
    grouped: dict[int | None, ClientTrust] = {}
    for row in rows:
        client_id = row["client_id"]
        group = grouped.setdefault(client_id, ClientTrust(client=clients.get(client_id)))
        group.balance_cents += row["balance"] or 0
        group.matters.append(
            MatterBalance(
                matter=matters.get(row["matter_id"]),
                balance_cents=row["balance"] or 0,
                entry_count=row["entries"],
            )
        )
    for group in grouped.values():
        group.matters.sort(
            key=lambda m: (m.matter is None, m.matter.display_number if m.matter else "")
        )
    return sorted(
        grouped.values(),
        key=lambda g: (g.client is None, g.client.name.lower() if g.client else ""),
    )


def _by_id(queryset: QuerySet[_Row], ids: Iterable[int | None]) -> dict[int | None, _Row]:
    wanted = {i for i in ids if i is not None}
    return {obj.pk: obj for obj in queryset.filter(id__in=wanted)} if wanted else {}


def payment_link_list(*, firm: Firm) -> QuerySet[PaymentLink]:
    """The firm's payment links, newest first, with account, bill and matter joined."""
    return (
        PaymentLink.objects.for_firm(firm)
        .select_related("account", "bill", "matter")
        .order_by("-created_at", "-id")
    )


def payment_link_state(link: PaymentLink, *, now: datetime | None = None) -> str:
    """ "usable", or why the payment page refuses it: "revoked", "expired" or "paid"."""
    problem = payment_link_problem(link, now=now)
    return problem.reason if problem is not None else "usable"


def bill_for_link_list(*, firm: Firm) -> QuerySet[Bill]:
    """The firm's bills with client and matter joined (what a bill's payment link needs)."""
    return Bill.objects.for_firm(firm).select_related("client", "matter")
