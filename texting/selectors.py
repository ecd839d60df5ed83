"""Reads for texting."""

from collections import defaultdict
from datetime import datetime
from typing import cast

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Firm, User
from contacts.models import Contact, PhoneNumber
from matters.models import Matter, MatterRelatedContact

from .models import (
    Conversation,
    Message,
    MessageMedia,
    ProviderEvent,
    ReadState,
    TextingSettings,
)

# Status callbacks arrive in any order; a later stage never gives way to an earlier one
# and a terminal result (delivered or failed) is final (PROVIDER_API.md §2).
_STAGE = {"message-sending": 1, "message-sent": 2, "message-delivered": 3, "message-failed": 3}


def texting_settings_get(*, firm: Firm) -> TextingSettings:
    """The firm's texting settings, or unsaved defaults when it has none yet."""
    return TextingSettings.objects.for_firm(firm).first() or TextingSettings(firm=firm)


def provider_message_status(*, firm: Firm, provider_message_id: str) -> str | None:
    """The furthest status the provider has reported for one of its message ids.

    Derived from the stored callbacks, so replays and reordering cannot move it backwards;
    between two terminal events (which the provider should never send) the first one wins.
    """
    events = (
        ProviderEvent.objects.for_firm(firm)
        .filter(
            kind=ProviderEvent.Kind.MESSAGING,
            provider_message_id=provider_message_id,
            event_type__in=list(_STAGE),
        )
        .order_by("created_at", "id")
        .values_list("event_type", flat=True)
    )
    best: str | None = None
    for event_type in events:
        if best is None or _STAGE[event_type] > _STAGE[best]:
            best = event_type
    return best


def conversations_visible(
    *, firm: Firm, contact: Contact | None = None, matter: Matter | None = None
) -> QuerySet[Conversation]:
    """The one definition of where a thread shows (C2), derived when read.

    - firm-wide (no argument): every conversation of the firm;
    - on a contact's record: the contact's own thread, and the threads of the clients of
      every matter the contact is a related contact of;
    - on a matter: the thread of the matter's client.
    A matter or related contact added later therefore shows the whole history at once.
    """
    conversations = Conversation.objects.for_firm(firm)
    if contact is not None:
        client_ids = (
            MatterRelatedContact.objects.for_firm(firm)
            .filter(contact=contact)
            .values("matter__client_id")
        )
        conversations = conversations.filter(
            Q(contact=contact) | Q(contact_id__in=Subquery(client_ids))
        )
    if matter is not None:
        conversations = conversations.filter(contact_id=matter.client_id)
    return conversations


# What a thread shows of a text. The other columns, seven of them timestamps the delivery
# pipeline keeps, are not loaded: turning them into Python objects cost a page more than
# its queries did (benchmarks/read_path.py).
THREAD_MESSAGE_FIELDS = frozenset(
    {
        "id",
        "uuid",
        "firm",
        "conversation",
        "created_at",
        "direction",
        "body",
        "status",
        "failure_reason",
        "sent_by",
        "automated",
        "retry_of",
    }
)


def _message_fields_except(shown: frozenset[str] | set[str], *, prefix: str = "") -> list[str]:
    return [
        prefix + field.name for field in Message._meta.concrete_fields if field.name not in shown
    ]


# Newest activity first; the id breaks ties, as the conversation_list_order index does.
_LIST_ORDER = ("-last_message_at", "-id")


def conversations_matching(
    *,
    firm: Firm,
    contact: Contact | None = None,
    matter: Matter | None = None,
    query: str = "",
) -> QuerySet[Conversation]:
    """Visible conversations with texts, newest activity first, that match `query`: every
    word of it in the contact's name, or, for a query without letters, its digits (three
    or more) in the contact's texting number. Only what decides which rows and in which
    order: nothing joined in.

    The name is matched against `sort_name`, kept lower-cased, so the search is a plain
    LIKE that a trigram index serves (contacts migration 0002); the number through a
    subquery on the same kind of index. Name or number, never both in one OR: the planner
    can use neither index for an OR across the two tables, and scans every conversation.
    """
    conversations = (
        conversations_visible(firm=firm, contact=contact, matter=matter)
        .filter(last_message_at__isnull=False)
        .order_by(*_LIST_ORDER)
    )
    words = query.lower().split()
    if not words:
        return conversations
    if not any(ch.isalpha() for ch in query):  # "310-555", "(202) 555 0143": a number
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) < 3:
            return conversations.none()
        numbers = PhoneNumber.objects.for_firm(firm).filter(
            is_texting_number=True, number_e164__contains=digits
        )
        return conversations.filter(
            contact_id__in=Subquery(numbers.order_by().values("contact_id"))
        )
    named = Contact.objects.for_firm(firm)
    for word in words:
        named = named.filter(sort_name__contains=word)
    # The matching contacts first (a trigram index scan), then their conversations by the
    # (firm, contact) index: never every conversation of the firm.
    return conversations.filter(contact_id__in=Subquery(named.order_by().values("id")))


def _with_contact_and_unread(
    conversations: QuerySet[Conversation], *, user: User
) -> QuerySet[Conversation]:
    """Each conversation with its contact joined in and `unread`, `user`'s unread count."""
    unread = ReadState.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "unread_count"
    )[:1]
    return conversations.select_related("contact").annotate(
        unread=Coalesce(Subquery(unread), Value(0))
    )


def conversation_list(
    *,
    firm: Firm,
    user: User,
    contact: Contact | None = None,
    matter: Matter | None = None,
    query: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Conversation]:
    """Visible conversations, newest activity first, each with its contact, its last
    message and `unread` for `user`: one query, however many messages the threads hold.
    `updated_since`: those whose row or last text changed since. Pages of the
    Communications list: `conversation_page`."""
    matching = conversations_matching(firm=firm, contact=contact, matter=matter, query=query)
    if updated_since is not None:
        # A delivery receipt changes the last text the conversation shows, not its row.
        matching = matching.filter(
            Q(updated_at__gte=updated_since) | Q(last_message__updated_at__gte=updated_since)
        )
    return _with_contact_and_unread(matching, user=user).select_related("last_message")


def conversation_page(
    *,
    firm: Firm,
    user: User,
    number: str | int | None,
    per_page: int,
    contact: Contact | None = None,
    matter: Matter | None = None,
    query: str = "",
) -> Page[Conversation]:
    """Page `number` of `conversation_list` (the last for one past it, the first for junk).

    Three queries whatever the page: the count and the page's ids on the bare conversations
    (an index scan, however deep the page), then only those rows with their contacts.
    Slicing the joined list instead would join every row before the offset. The rows show
    each conversation's own copy of its last text's preview: no message is read.
    """
    matching = conversations_matching(firm=firm, contact=contact, matter=matter, query=query)
    page = Paginator(matching, per_page).get_page(number)
    ids = cast("QuerySet[Conversation]", page.object_list).values("pk")
    rows = Conversation.objects.for_firm(firm).filter(pk__in=ids).order_by(*_LIST_ORDER)
    page.object_list = _with_contact_and_unread(rows, user=user)
    return page


def message_thread(
    *, firm: Firm, conversation: Conversation, updated_since: datetime | None = None
) -> QuerySet[Message]:
    """A conversation's messages, oldest first, with their media (`updated_since`: those
    changed since)."""
    messages = Message.objects.for_firm(firm).filter(conversation=conversation)
    if updated_since is not None:
        messages = messages.filter(updated_at__gte=updated_since)
    return (
        messages.select_related("sent_by", "conversation__contact", "retry_of", "retried_by")
        .prefetch_related("media")
        .order_by("created_at", "id")
    )


def message_list(*, firm: Firm) -> QuerySet[Message]:
    return (
        Message.objects.for_firm(firm)
        .select_related("sent_by", "conversation__contact", "retry_of", "retried_by")
        .prefetch_related("media")
    )


def unread_total(*, firm: Firm, user: User) -> int:
    """Unread messages for `user` across the firm: one indexed sum (C9)."""
    total = (
        ReadState.objects.for_firm(firm)
        .filter(user=user, unread_count__gt=0)
        .aggregate(total=Sum("unread_count"))["total"]
    )
    return int(total or 0)


THREAD_WINDOW = 30


def conversation_of(*, firm: Firm, contact: Contact) -> Conversation | None:
    """The contact's one thread (C1), or None before the first text."""
    return Conversation.objects.for_firm(firm).filter(contact=contact).first()


def _thread_messages(*, firm: Firm, conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.for_firm(firm)
        .filter(conversation=conversation)
        .select_related("sent_by", "retried_by")
        .defer(
            *_message_fields_except(THREAD_MESSAGE_FIELDS),
            *_message_fields_except({"id", "retry_of"}, prefix="retried_by__"),
        )
    )


def _shown(*, firm: Firm, conversation: Conversation, messages: list[Message]) -> list[Message]:
    """`messages` ready to show: each with its conversation (the page's one, not a copy
    joined in per row) and its attachments as `attachments`, all fetched in one query.
    Cheaper than prefetch_related, which builds a queryset per message."""
    attachments: dict[int, list[MessageMedia]] = defaultdict(list)
    if messages:
        media = MessageMedia.objects.for_firm(firm).filter(
            message_id__in=[message.id for message in messages]
        )
        for item in media.order_by("position"):
            attachments[item.message_id].append(item)
    for message in messages:
        message.conversation = conversation
        message.attachments = attachments.get(message.id, [])  # type: ignore[attr-defined]
    return messages


def thread_recent(
    *, firm: Firm, conversation: Conversation, since: Message | None = None
) -> list[Message]:
    """What the conversation page keeps live: the newest THREAD_WINDOW messages, or every
    message from `since` on (the first one the page showed, so the window grows as texts
    arrive instead of dropping the oldest off the top). Oldest first, with `attachments`."""
    messages = _thread_messages(firm=firm, conversation=conversation)
    if since is not None:
        recent = list(
            messages.filter(
                Q(created_at__gt=since.created_at)
                | Q(created_at=since.created_at, id__gte=since.id)
            ).order_by("created_at", "id")
        )
    else:
        recent = list(reversed(messages.order_by("-created_at", "-id")[:THREAD_WINDOW]))
    return _shown(firm=firm, conversation=conversation, messages=recent)


def thread_older(
    *, firm: Firm, conversation: Conversation, before: Message
) -> tuple[list[Message], bool]:
    """Up to THREAD_WINDOW messages just before `before`, oldest first with `attachments`,
    and whether there are more before them (scrolling up loads the next page)."""
    older = (
        _thread_messages(firm=firm, conversation=conversation)
        .filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)
        )
        .order_by("-created_at", "-id")[: THREAD_WINDOW + 1]
    )
    page = list(older)
    shown = list(reversed(page[:THREAD_WINDOW]))
    return _shown(firm=firm, conversation=conversation, messages=shown), len(page) > THREAD_WINDOW
