"""Bills (B2): generated from a matter's unbilled billable time, issued, paid."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Firm, User
from matters.models import Matter

from ..exceptions import BillStateInvalid, NothingToBill
from ..models import Activity, Bill, BillLineItem

DEFAULT_DUE_DAYS = 30

State = Bill.State


@transaction.atomic
def bill_generate(
    *,
    firm: Firm,
    actor: User | None,
    matter: Matter,
    issued_on: date | None = None,
    due_on: date | None = None,
) -> Bill:
    """A draft bill of every unbilled billable entry of the matter, which become billed.
    Numbered 1, 2, 3 … per firm. Raises NothingToBill, writing nothing. Two generations at
    once bill each entry once: the entries are locked, the second finds none left."""
    if matter.firm_id != firm.id:
        raise Matter.DoesNotExist
    entries = list(
        Activity.objects.for_firm(firm)
        .select_for_update()
        .filter(matter=matter, bill__isnull=True, billable=True)
        .select_related("user")
        .order_by("date", "id")
    )
    if not entries:
        raise NothingToBill()
    # The firm's bill numbers are a sequence: one generation at a time per firm.
    Firm.objects.select_for_update().filter(id=firm.id).first()
    number = (Bill.objects.for_firm(firm).aggregate(n=Max("number"))["n"] or 0) + 1
    issued_on = issued_on or timezone.localdate()
    bill = Bill.objects.create(
        firm=firm,
        number=number,
        matter=matter,
        client=matter.client,
        issued_on=issued_on,
        due_on=due_on or issued_on + timedelta(days=DEFAULT_DUE_DAYS),
        total_cents=sum(entry.total_cents for entry in entries),
    )
    BillLineItem.objects.bulk_create(
        BillLineItem(
            firm=firm,
            bill=bill,
            activity=entry,
            date=entry.date,
            description=entry.description,
            user_name=entry.user.get_full_name() or entry.user.email,
            quantity_seconds=entry.quantity_seconds,
            rate_cents=entry.rate_cents,
            total_cents=entry.total_cents,
        )
        for entry in entries
    )
    Activity.objects.for_firm(firm).filter(id__in=[e.id for e in entries]).update(
        bill=bill, updated_at=timezone.now()
    )
    return bill


def _locked(firm: Firm, bill: Bill) -> Bill:
    if bill.firm_id != firm.id:
        raise Bill.DoesNotExist
    return Bill.objects.for_firm(firm).select_for_update().get(pk=bill.pk)


@transaction.atomic
def bill_issue(*, firm: Firm, actor: User | None, bill: Bill) -> Bill:
    """Draft → awaiting payment (a bill of $0 is paid at once). Raises BillStateInvalid."""
    locked = _locked(firm, bill)
    if locked.state != State.DRAFT:
        raise BillStateInvalid("Only a draft bill can be issued.")
    locked.state = State.PAID if locked.total_cents == 0 else State.AWAITING_PAYMENT
    locked.save(update_fields=["state", "updated_at"])
    return locked


@transaction.atomic
def bill_delete(*, firm: Firm, actor: User | None, bill: Bill) -> None:
    """Delete a draft bill; its entries are unbilled again. Raises BillStateInvalid."""
    locked = _locked(firm, bill)
    if locked.state != State.DRAFT:
        raise BillStateInvalid("Only a draft bill can be deleted.")
    Activity.objects.for_firm(firm).filter(bill=locked).update(bill=None, updated_at=timezone.now())
    BillLineItem.objects.for_firm(firm).filter(bill=locked).delete()
    locked.delete()
