"""Reads of billing: time entries (B1) with their totals, bills (B2) with their line items and
payments, and the firm users who keep time.

Every selector takes `firm` first and returns firm-filtered querysets with their joins done,
so a page costs the same few queries however many rows it shows. Totals are summed in the
database with the rounding `Activity.total_cents` uses (each entry to the nearest cent), so
a list's total is the sum of the amounts its rows show.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from accounts.models import Firm, User
from contacts.models import Contact
from matters.models import Matter
from matters.selectors import matters_for_contact

from .models import Activity, Bill, BillLineItem, Payment


def activity_list(
    *,
    firm: Firm,
    matter: Matter | None = None,
    user: User | None = None,
    billed: bool | None = None,
) -> QuerySet[Activity]:
    """The firm's time entries, newest date first, with user, matter (and its client) and
    bill joined. `billed` True keeps the billed ones, False the unbilled ones."""
    activities = Activity.objects.for_firm(firm).select_related("user", "matter__client", "bill")
    if matter is not None:
        activities = activities.filter(matter=matter)
    if user is not None:
        activities = activities.filter(user=user)
    if billed is not None:
        activities = activities.filter(bill__isnull=not billed)
    return activities.order_by("-date", "-id")


@dataclass(frozen=True)
class ActivityTotals:
    """What a set of time entries comes to. `cents` counts billable entries only (what they
    bill); `unbilled_cents`/`unbilled_count` are the billable entries no bill took yet."""

    count: int
    seconds: int
    cents: int
    unbilled_count: int
    unbilled_cents: int


def _entry_cents() -> Cast:
    # (seconds × rate + 1800) // 3600 as models.cents_of rounds it; in 64 bits, since a day
    # at $10,000 an hour overflows PostgreSQL's integer.
    seconds = Cast(F("quantity_seconds"), output_field=BigIntegerField())
    return Cast((seconds * F("rate_cents") + 1800) / 3600, output_field=BigIntegerField())


def activity_totals(*, activities: QuerySet[Activity]) -> ActivityTotals:
    """The totals of `activities` (a queryset from activity_list) in one query."""
    billable = Q(billable=True)
    unbilled = Q(billable=True, bill__isnull=True)

    def total(value: Any, **extra: Any) -> Coalesce:
        return Coalesce(Sum(value, **extra), Value(0), output_field=BigIntegerField())

    row = activities.order_by().aggregate(
        count=Count("id"),
        seconds=total("quantity_seconds"),
        cents=total(_entry_cents(), filter=billable),
        unbilled_count=Count("id", filter=unbilled),
        unbilled_cents=total(_entry_cents(), filter=unbilled),
    )
    return ActivityTotals(**{name: int(value) for name, value in row.items()})


def matter_unbilled_totals(*, firm: Firm, matter: Matter) -> ActivityTotals:
    """The matter's unbilled entries: `unbilled_count` is 0 when there is nothing to bill."""
    return activity_totals(activities=activity_list(firm=firm, matter=matter, billed=False))


def bill_list(
    *, firm: Firm, matter: Matter | None = None, state: str | None = None
) -> QuerySet[Bill]:
    """The firm's bills, highest number first, with matter and client joined."""
    bills = Bill.objects.for_firm(firm).select_related("matter", "client")
    if matter is not None:
        bills = bills.filter(matter=matter)
    if state:
        bills = bills.filter(state=state)
    return bills.order_by("-number", "-id")


def bill_detail_list(*, firm: Firm) -> QuerySet[Bill]:
    """The firm's bills as one bill's page and the API show them: matter and client joined,
    line items (with their entry) in date order, and the succeeded payments (with their
    account), oldest first, as `succeeded_payments`: a fixed number of queries however many
    bills, lines and payments. Another firm's uuid is not found."""
    return (
        Bill.objects.for_firm(firm)
        .select_related("matter", "client")
        .prefetch_related(
            Prefetch(
                "line_items",
                queryset=BillLineItem.objects.for_firm(firm)
                .select_related("activity")
                .order_by("date", "id"),
            ),
            Prefetch(
                "payments",
                queryset=Payment.objects.for_firm(firm)
                .filter(status=Payment.Status.SUCCEEDED)
                .select_related("account")
                .order_by("created_at", "id"),
                to_attr="succeeded_payments",
            ),
        )
    )


_OPEN_FIRST = Case(
    When(status=Matter.Status.OPEN, then=Value(0)),
    When(status=Matter.Status.PENDING, then=Value(1)),
    default=Value(2),
)


def contact_matter_list(*, firm: Firm, contact: Contact) -> QuerySet[Matter]:
    """The matters time spent texting `contact` can go on (C12): those it is client or
    related contact of (matters_for_contact), open ones first, then pending, then newest."""
    return matters_for_contact(firm=firm, contact=contact).order_by(
        _OPEN_FIRST, "-created_at", "-id"
    )


def timekeeper_list(*, firm: Firm, active_only: bool = True) -> QuerySet[User]:
    """The firm's members by name: who can keep time (active ones) or filter a list by it."""
    users = User.objects.filter(membership__firm=firm)
    if active_only:
        users = users.filter(is_active=True)
    return users.order_by("first_name", "last_name", "email")
