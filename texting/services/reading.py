"""Read state per user (C9): unread counts kept as messages arrive, cleared on opening."""

from collections import defaultdict
from collections.abc import Mapping

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Firm, Membership, User

from ..models import Conversation, ReadState


@transaction.atomic(savepoint=False)  # nested in event processing: no round trips for a savepoint
def unread_counts_add(*, firm: Firm, counts: Mapping[int, int]) -> None:
    """`counts[conversation_id]` more unread messages in each conversation, for every
    member of the firm.

    A few queries whatever the firm's size and however many conversations: one UPDATE per
    distinct count (usually just 1) of the rows that exist, then one INSERT of rows for the
    members who have none yet (usually nobody after a conversation's first text).
    """
    added = {cid: count for cid, count in counts.items() if count > 0}
    if not added:
        return
    by_count: dict[int, list[int]] = defaultdict(list)
    for conversation_id, count in added.items():
        by_count[count].append(conversation_id)
    states = ReadState.objects.for_firm(firm)
    now = timezone.now()
    for count, conversation_ids in by_count.items():
        states.filter(conversation_id__in=conversation_ids).update(
            unread_count=F("unread_count") + count, updated_at=now
        )
    members = list(Membership.objects.for_firm(firm).values_list("user_id", flat=True))
    have = set(
        states.filter(conversation_id__in=list(added)).values_list("conversation_id", "user_id")
    )
    ReadState.objects.bulk_create(
        [
            ReadState(firm=firm, conversation_id=cid, user_id=uid, unread_count=count)
            for cid, count in added.items()
            for uid in members
            if (cid, uid) not in have
        ],
        ignore_conflicts=True,  # a concurrent bump created it: its own count stands
    )


def conversation_unread_clear(*, firm: Firm, user: User, conversation: Conversation) -> bool:
    """What a page showing the thread does on every load and poll: one UPDATE, which
    writes only when `user` has something unread there (no row: nothing was). True if it
    cleared a count."""
    if conversation.firm_id != firm.id:
        raise Conversation.DoesNotExist
    now = timezone.now()
    cleared = (
        ReadState.objects.for_firm(firm)
        .filter(conversation=conversation, user=user, unread_count__gt=0)
        .update(unread_count=0, last_read_at=now, updated_at=now)
    )
    return bool(cleared)


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
