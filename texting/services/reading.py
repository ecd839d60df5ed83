"""Read state per user (C9): unread counts kept as messages arrive, cleared on opening."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Firm, Membership, User

from ..models import Conversation, ReadState


@transaction.atomic(savepoint=False)  # nested in event processing: no round trips for a savepoint
def unread_counts_bump(*, firm: Firm, conversation: Conversation) -> None:
    """One more unread message in `conversation` for every member of the firm.

    Two queries whatever the firm's size: one UPDATE of the rows that exist, one INSERT
    of rows for the members who have none yet (usually nobody after the first text).
    """
    if conversation.firm_id != firm.id:
        raise Conversation.DoesNotExist
    states = ReadState.objects.for_firm(firm).filter(conversation=conversation)
    states.update(unread_count=F("unread_count") + 1, updated_at=timezone.now())
    without_state = (
        Membership.objects.for_firm(firm)
        .exclude(user_id__in=states.values("user_id"))
        .values_list("user_id", flat=True)
    )
    ReadState.objects.bulk_create(
        [
            ReadState(firm=firm, conversation=conversation, user_id=user_id, unread_count=1)
            for user_id in without_state
        ],
        ignore_conflicts=True,  # a concurrent bump created it: its +1 is already counted
    )


@transaction.atomic
def conversation_mark_read(*, firm: Firm, user: User, conversation: Conversation) -> None:
    """Everything in `conversation` is read by `user`. Idempotent."""
    if conversation.firm_id != firm.id:
        raise Conversation.DoesNotExist
    now = timezone.now()
    updated = (
        ReadState.objects.for_firm(firm)
        .filter(conversation=conversation, user=user)
        .update(unread_count=0, last_read_at=now, updated_at=now)
    )
    if not updated:
        ReadState.objects.create(
            firm=firm, conversation=conversation, user=user, unread_count=0, last_read_at=now
        )
