"""Reads for notifications (S5, C9): a member's preferences, the navigation's unread badge,
and whom a push goes to. Kept apart from selectors.py, which the Communications pages use."""

from dataclasses import dataclass

from django.db.models import QuerySet, Subquery

from accounts.models import Firm, Membership, User

from .models import NotificationPreference, PushSubscription
from .selectors import unread_total


def notification_preference_get(*, firm: Firm, user: User) -> NotificationPreference:
    """The member's preferences, or unsaved defaults (badges on, push off) without a row."""
    preference = NotificationPreference.objects.for_firm(firm).filter(user=user).first()
    return preference or NotificationPreference(firm=firm, user=user)


@dataclass(frozen=True)
class UnreadBadge:
    """What the unread badges show for one member: nothing when they turned badge counts
    off (S5), else their unread total (C9)."""

    shown: bool
    total: int


def unread_badge_get(*, firm: Firm, user: User) -> UnreadBadge:
    """The member's badge preference, then (when badges are shown) their unread total. Two
    small indexed queries: together cheaper than one query combining them, whose SQL takes
    Django several times as long to build (measured by benchmarks/read_path.py)."""
    shown = (
        NotificationPreference.objects.for_firm(firm)
        .filter(user=user)
        .values_list("badge_counts", flat=True)
        .first()
    )
    if shown is False:
        return UnreadBadge(shown=False, total=0)
    return UnreadBadge(shown=True, total=unread_total(firm=firm, user=user))


def push_subscription_count(*, firm: Firm, user: User) -> int:
    """How many browsers `user` gets push notifications on."""
    return PushSubscription.objects.for_firm(firm).filter(user=user).count()


def firm_has_push_subscriptions(*, firm: Firm) -> bool:
    """Whether any member of the firm subscribed a browser: one indexed EXISTS, asked for
    every batch of inbound texts, so a firm without push pays nothing more."""
    return PushSubscription.objects.for_firm(firm).exists()


def push_subscriptions_to_notify(
    *, firm: Firm, subscription_ids: list[int] | None = None
) -> QuerySet[PushSubscription]:
    """The subscriptions of the firm's current members who have push on, oldest first;
    only those of `subscription_ids` when given (a retry)."""
    push_on = NotificationPreference.objects.for_firm(firm).filter(push=True).values("user_id")
    members = Membership.objects.for_firm(firm).values("user_id")
    subscriptions = (
        PushSubscription.objects.for_firm(firm)
        .filter(user_id__in=Subquery(push_on))
        .filter(user_id__in=Subquery(members))
        .order_by("id")
    )
    if subscription_ids is not None:
        subscriptions = subscriptions.filter(id__in=subscription_ids)
    return subscriptions
