"""Time entries (B1) and the time logged from a conversation (C12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from accounts.models import Firm, Membership, User
from common.unset import UNSET, Unset
from matters.models import Matter
from texting.models import Conversation, Message

from ..exceptions import ActivityBilled, ActivityInvalid
from ..models import Activity, Timekeeper
from ..selectors import contact_matter_list

MAX_SECONDS = 24 * 3600  # one entry is at most a day's work
MAX_RATE_CENTS = 10_000_00  # $10,000 an hour


def timekeeper_rate(*, firm: Firm, user: User) -> int:
    """The user's default hourly rate in cents (0 when none was set)."""
    row = Timekeeper.objects.for_firm(firm).filter(user=user).first()
    return row.rate_cents if row else 0


@transaction.atomic
def timekeeper_rate_set(*, firm: Firm, actor: User, user: User, rate_cents: int) -> Timekeeper:
    """Set the user's default hourly rate. Raises ActivityInvalid for a rate out of range."""
    _check_rate(rate_cents)
    _check_member(firm, user)
    row, _ = Timekeeper.objects.for_firm(firm).update_or_create(
        firm=firm, user=user, defaults={"rate_cents": rate_cents}
    )
    return row


def _check_rate(rate_cents: int) -> None:
    if not 0 <= rate_cents <= MAX_RATE_CENTS:
        raise ActivityInvalid(
            "The rate must be between $0 and $10,000 an hour.",
            fields={"rate": ["Out of range."]},
        )


def _check_member(firm: Firm, user: User) -> None:
    if not Membership.objects.for_firm(firm).filter(user=user, user__is_active=True).exists():
        raise ActivityInvalid("No such firm user.", fields={"user": ["Not found."]})


def _check(
    firm: Firm,
    *,
    matter: Matter,
    quantity_seconds: int,
    rate_cents: int,
    description: str,
    conversation: Conversation | None,
) -> str:
    if matter.firm_id != firm.id:
        raise ActivityInvalid("No such matter.", fields={"matter": ["Not found."]})
    if conversation is not None and conversation.firm_id != firm.id:
        raise ActivityInvalid("No such conversation.", fields={"conversation": ["Not found."]})
    if not 0 < quantity_seconds <= MAX_SECONDS:
        raise ActivityInvalid(
            "The duration must be more than zero and at most 24 hours.",
            fields={"quantity": ["Out of range."]},
        )
    _check_rate(rate_cents)
    description = description.strip()
    if not description:
        raise ActivityInvalid(
            "Describe the work.", fields={"description": ["This field is required."]}
        )
    return description[:2000]


@transaction.atomic
def activity_create(
    *,
    firm: Firm,
    actor: User | None,
    user: User,
    matter: Matter,
    date: date,
    quantity_seconds: int,
    rate_cents: int,
    description: str,
    billable: bool = True,
    conversation: Conversation | None = None,
) -> Activity:
    """Record a time entry on the matter; it goes on the matter's next bill when billable.
    Raises ActivityInvalid, writing nothing."""
    _check_member(firm, user)
    description = _check(
        firm,
        matter=matter,
        quantity_seconds=quantity_seconds,
        rate_cents=rate_cents,
        description=description,
        conversation=conversation,
    )
    return Activity.objects.create(
        firm=firm,
        user=user,
        matter=matter,
        date=date,
        quantity_seconds=quantity_seconds,
        rate_cents=rate_cents,
        description=description,
        billable=billable,
        conversation=conversation,
    )


@transaction.atomic
def activity_update(
    *,
    firm: Firm,
    actor: User | None,
    activity: Activity,
    matter: Matter | Unset = UNSET,
    date: date | Unset = UNSET,
    quantity_seconds: int | Unset = UNSET,
    rate_cents: int | Unset = UNSET,
    description: str | Unset = UNSET,
    billable: bool | Unset = UNSET,
) -> Activity:
    """Change the given fields of an unbilled entry. Raises ActivityBilled, ActivityInvalid."""
    if activity.firm_id != firm.id:
        raise Activity.DoesNotExist
    locked = Activity.objects.for_firm(firm).select_for_update().get(pk=activity.pk)
    if locked.is_billed:
        raise ActivityBilled()
    for name, value in (
        ("matter", matter),
        ("date", date),
        ("quantity_seconds", quantity_seconds),
        ("rate_cents", rate_cents),
        ("description", description),
        ("billable", billable),
    ):
        if not isinstance(value, Unset):
            setattr(locked, name, value)
    locked.description = _check(
        firm,
        matter=locked.matter,
        quantity_seconds=locked.quantity_seconds,
        rate_cents=locked.rate_cents,
        description=locked.description,
        conversation=None,
    )
    locked.save()
    return locked


@transaction.atomic
def activity_delete(*, firm: Firm, actor: User | None, activity: Activity) -> None:
    """Delete an unbilled entry. Raises ActivityBilled."""
    if activity.firm_id != firm.id:
        raise Activity.DoesNotExist
    locked = Activity.objects.for_firm(firm).select_for_update().get(pk=activity.pk)
    if locked.is_billed:
        raise ActivityBilled()
    locked.delete()


@dataclass(frozen=True)
class ConversationTime:
    """What Add time on a conversation proposes (C12)."""

    description: str
    date: date
    matters: list[Matter]
    rate_cents: int


def _day(moment: date) -> str:
    return f"{moment:%b} {moment.day}, {moment.year}"


def _span(first: date, last: date) -> str:
    if first == last:
        return _day(first)
    if first.year == last.year:
        return f"{first:%b} {first.day} – {_day(last)}"
    return f"{_day(first)} – {_day(last)}"


def conversation_time_defaults(
    *, firm: Firm, user: User, conversation: Conversation, message_uuids: list[UUID] | None = None
) -> ConversationTime:
    """The prefilled entry for time spent texting: "Text messages with <contact>, <dates>"
    over the whole conversation or the selected messages, dated the last of them, the
    contact's matters, and the user's default rate."""
    if conversation.firm_id != firm.id:
        raise Conversation.DoesNotExist
    messages = Message.objects.for_firm(firm).filter(conversation=conversation)
    if message_uuids:
        messages = messages.filter(uuid__in=message_uuids)
    span = messages.aggregate(first=Min("created_at"), last=Max("created_at"), count=Count("id"))
    count = span["count"]
    zone = timezone.get_current_timezone()
    name = conversation.contact.name
    if span["first"] is None:
        description, day = f"Text messages with {name}", timezone.localdate()
    else:
        first = span["first"].astimezone(zone).date()
        last = span["last"].astimezone(zone).date()
        description = f"Text messages with {name}, {_span(first, last)}"
        if message_uuids:
            description += f" ({count} message{'s' if count != 1 else ''})"
        day = last
    return ConversationTime(
        description=description,
        date=day,
        matters=list(contact_matter_list(firm=firm, contact=conversation.contact)),
        rate_cents=timekeeper_rate(firm=firm, user=user),
    )
