"""Notifications of new texts (S5, C9): a member's preferences, the browsers they subscribed
for Web Push, and the push sent for each batch of inbound texts.

Preferences and subscriptions belong to one member of one firm. The push is sent by
`inbound_push_send_task`, enqueued on commit by the receiving service: one task per batch
of new inbound texts, and none at all when push is not configured (no query) or when no
member of the firm subscribed a browser (one indexed EXISTS), so ingest stays as fast as it
was for firms that do not use push.

A notification says "New text message" and the contact's name, never the text or a phone
number (C13's spirit: a lock screen is not private), and opens the conversation.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Firm, Membership, User
from accounts.selectors import texting_availability

from ..exceptions import PushEndpointTaken, PushNotConfigured, PushSubscriptionNotFound
from ..models import Message, NotificationPreference, PushSubscription
from ..notification_selectors import (
    firm_has_push_subscriptions,
    notification_preference_get,
    push_subscriptions_to_notify,
)
from ..webpush import PushOutcome, PushSender, SubscriptionKeys, webpush_config
from .availability import texting_available_require

logger = logging.getLogger(__name__)

PUSH_TITLE = "New text message"


def _require_member(*, firm: Firm, user: User) -> None:
    if not Membership.objects.for_firm(firm).filter(user=user).exists():
        raise Membership.DoesNotExist


def push_http_endpoints_allowed() -> bool:
    """Whether subscriptions may name http:// or IP-address endpoints (a local test push
    service): only with DEBUG or WEBPUSH_ALLOW_HTTP_ENDPOINTS."""
    return bool(settings.DEBUG or settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS)


@transaction.atomic
def notification_preferences_update(
    *, firm: Firm, user: User, badge_counts: bool, push: bool
) -> NotificationPreference:
    """Save `user`'s notification preferences (S5). Turning push off also forgets every
    browser they subscribed, so none of them is notified again. Transactional and
    idempotent. Raises TextingUnavailable, and PushNotConfigured when push is turned on
    while the server has no VAPID keys (nothing is changed then)."""
    texting_available_require(firm=firm)
    _require_member(firm=firm, user=user)
    if push and webpush_config() is None:
        current = notification_preference_get(firm=firm, user=user)
        if not current.push:  # one saved before the keys were removed may stay on
            raise PushNotConfigured()
    preference, _ = NotificationPreference.objects.for_firm(firm).update_or_create(
        firm=firm, user=user, defaults={"badge_counts": badge_counts, "push": push}
    )
    if not push:
        PushSubscription.objects.for_firm(firm).filter(user=user).delete()
    return preference


@transaction.atomic
def push_subscription_save(
    *, firm: Firm, user: User, subscription: SubscriptionKeys
) -> tuple[PushSubscription, bool]:
    """Remember a browser's push subscription for `user` (C9); (the row, whether it is new).

    Idempotent: the same endpoint again updates its keys. An endpoint another member (of
    this firm or another) subscribed raises PushEndpointTaken and changes nothing: the
    browser then subscribes anew, and the old endpoint is deleted at its next push (410).
    Raises TextingUnavailable and PushNotConfigured.
    """
    texting_available_require(firm=firm)
    if webpush_config() is None:
        raise PushNotConfigured()
    _require_member(firm=firm, user=user)
    existing = (
        PushSubscription.objects.for_firm(firm).filter(endpoint=subscription.endpoint).first()
    )
    if existing is not None:
        if existing.user_id != user.id:
            raise PushEndpointTaken()
        if (existing.p256dh, existing.auth) != (subscription.p256dh, subscription.auth):
            existing.p256dh, existing.auth = subscription.p256dh, subscription.auth
            existing.save(update_fields=["p256dh", "auth", "updated_at"])
        return existing, False
    try:
        with transaction.atomic():
            created = PushSubscription.objects.create(
                firm=firm,
                user=user,
                endpoint=subscription.endpoint,
                p256dh=subscription.p256dh,
                auth=subscription.auth,
            )
    except IntegrityError:  # the endpoint is another firm's (or a concurrent request's)
        raise PushEndpointTaken() from None
    logger.info(
        "push subscription added",
        extra={"firm_id": firm.id, "user_id": user.id, "subscription_id": created.id},
    )
    return created, True


def push_subscription_delete(*, firm: Firm, user: User, endpoint: str) -> None:
    """Forget one of `user`'s own browser subscriptions. Raises PushSubscriptionNotFound
    when they have none with that endpoint (another member's or firm's is never touched)."""
    deleted, _ = (
        PushSubscription.objects.for_firm(firm).filter(user=user, endpoint=endpoint).delete()
    )
    if not deleted:
        raise PushSubscriptionNotFound()


# --- The push for new inbound texts --------------------------------------------------------------


def inbound_push_enqueue(*, firm: Firm, message_ids: Sequence[int]) -> bool:
    """Called by the receiving service once a batch of new inbound texts is stored: one
    push task for the whole batch, on commit. At most one query (none when push is not
    configured), and no task when nobody in the firm subscribed. True if enqueued."""
    if not message_ids or webpush_config() is None:
        return False
    if not firm_has_push_subscriptions(firm=firm):
        return False
    from ..tasks import inbound_push_send_task

    inbound_push_send_task.delay_on_commit(firm.id, list(message_ids))
    return True


@dataclass
class PushReport:
    """What one run of `inbound_push_send` did, by subscription id."""

    sent: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    retry: set[int] = field(default_factory=set)


def _notifications(*, firm: Firm, message_ids: Sequence[int]) -> list[tuple[str, dict[str, str]]]:
    """(topic, payload) for each conversation with a new text among `message_ids`."""
    messages = (
        Message.objects.for_firm(firm)
        .filter(id__in=list(message_ids), direction=Message.Direction.INBOUND)
        .select_related("conversation__contact")
        .defer("body")  # never read, never decrypted: a push carries no message text
        .order_by("id")
    )
    latest = {message.conversation_id: message for message in messages}
    notifications = []
    for message in latest.values():
        conversation = message.conversation
        contact = conversation.contact
        payload = {
            "title": PUSH_TITLE,
            "body": contact.name or "A contact",
            "tag": f"conversation-{conversation.uuid}",
            "url": reverse("texting:conversation", args=[contact.uuid]),
        }
        notifications.append((conversation.uuid.hex, payload))
    return notifications


def inbound_push_send(
    *, firm_id: int, message_ids: Sequence[int], subscription_ids: Sequence[int] | None = None
) -> PushReport:
    """Send a Web Push for each conversation among `message_ids` (inbound texts) to every
    browser of every member of the firm with push on (or only `subscription_ids`: a retry).

    Not transactional and never inside one: one POST per browser and conversation, then one
    UPDATE (last success) and one DELETE (subscriptions the push service says are gone:
    404, 410). A browser the push service could not take it for (connection error, 429,
    5xx) is in `report.retry`; one it refused otherwise is logged and left. Sending twice
    is harmless: a notification replaces the one with the same tag. Nothing is sent when
    push is not configured or the firm's texting is not available.
    """
    report = PushReport()
    config = webpush_config()
    if config is None:
        return report
    firm = Firm.objects.get(id=firm_id)
    if not texting_availability(firm=firm).available:
        return report
    notifications = _notifications(firm=firm, message_ids=message_ids)
    if not notifications:
        return report
    ids = list(subscription_ids) if subscription_ids is not None else None
    subscriptions = list(push_subscriptions_to_notify(firm=firm, subscription_ids=ids))
    if not subscriptions:
        return report
    with PushSender(config) as sender:
        for subscription in subscriptions:
            keys = SubscriptionKeys(
                endpoint=subscription.endpoint, p256dh=subscription.p256dh, auth=subscription.auth
            )
            for topic, payload in notifications:
                result = sender.send(subscription=keys, payload=payload, topic=topic)
                if result.outcome == PushOutcome.SENT:
                    report.sent.add(subscription.id)
                    continue
                log_extra = {
                    "firm_id": firm.id,
                    "user_id": subscription.user_id,
                    "subscription_id": subscription.id,
                    "status_code": result.status_code,
                }
                if result.outcome == PushOutcome.GONE:
                    report.removed.add(subscription.id)
                    logger.info("push subscription gone; deleted", extra=log_extra)
                elif result.outcome == PushOutcome.RETRYABLE:
                    report.retry.add(subscription.id)
                    logger.warning("push service unavailable; will retry", extra=log_extra)
                else:
                    report.failed.add(subscription.id)
                    logger.warning("push refused by the push service", extra=log_extra)
                break  # this browser's other notifications wait for the same outcome
    now = timezone.now()
    subscriptions_of_firm = PushSubscription.objects.for_firm(firm)
    if report.sent:
        subscriptions_of_firm.filter(id__in=report.sent - report.removed).update(
            last_success_at=now, updated_at=now
        )
    if report.removed:
        subscriptions_of_firm.filter(id__in=report.removed).delete()
    logger.info(
        "push notifications sent",
        extra={
            "firm_id": firm.id,
            "messages": len(message_ids),
            "sent": len(report.sent),
            "removed": len(report.removed),
            "failed": len(report.failed),
            "retry": len(report.retry),
        },
    )
    return report
