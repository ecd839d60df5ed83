"""Reads for texting."""

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Firm, User
from contacts.models import Contact
from matters.models import Matter, MatterRelatedContact

from .models import Conversation, Message, ProviderEvent, ReadState, TextingSettings

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


def conversation_list(
    *,
    firm: Firm,
    user: User,
    contact: Contact | None = None,
    matter: Matter | None = None,
    query: str = "",
) -> QuerySet[Conversation]:
    """Visible conversations, newest activity first, each with `unread` for `user`.

    One query: the contact, the last message and the user's unread count come joined in,
    so a page of rows costs the same however many messages the threads hold.
    """
    unread = ReadState.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "unread_count"
    )[:1]
    conversations = (
        conversations_visible(firm=firm, contact=contact, matter=matter)
        .filter(last_message_at__isnull=False)
        .select_related("contact", "last_message")
        .annotate(unread=Coalesce(Subquery(unread), Value(0)))
        .order_by("-last_message_at", "-id")
    )
    text = query.strip()
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        match = Q(contact__sort_name__icontains=text) | Q(contact__company_name__icontains=text)
        for word in text.split():
            match |= Q(contact__first_name__icontains=word) | Q(contact__last_name__icontains=word)
        if len(digits) >= 3:
            match |= Q(
                contact__phone_numbers__is_texting_number=True,
                contact__phone_numbers__number_e164__contains=digits,
            )
        conversations = conversations.filter(match).distinct()
    return conversations


def message_thread(*, firm: Firm, conversation: Conversation) -> QuerySet[Message]:
    """A conversation's messages, oldest first, with their media."""
    return (
        Message.objects.for_firm(firm)
        .filter(conversation=conversation)
        .select_related("sent_by", "conversation__contact", "retry_of", "retried_by")
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


def thread_recent(
    *, firm: Firm, conversation: Conversation, since: Message | None = None
) -> list[Message]:
    """What the conversation page keeps live: the newest THREAD_WINDOW messages, or every
    message from `since` on (the first one the page showed, so the window grows as texts
    arrive instead of dropping the oldest off the top). Oldest first."""
    messages = message_thread(firm=firm, conversation=conversation)
    if since is not None:
        return list(
            messages.filter(
                Q(created_at__gt=since.created_at)
                | Q(created_at=since.created_at, id__gte=since.id)
            )
        )
    newest = messages.order_by("-created_at", "-id")[:THREAD_WINDOW]
    return list(reversed(newest))


def thread_older(
    *, firm: Firm, conversation: Conversation, before: Message
) -> tuple[list[Message], bool]:
    """Up to THREAD_WINDOW messages just before `before`, oldest first, and whether there
    are more before them (scrolling up loads the next page)."""
    older = (
        message_thread(firm=firm, conversation=conversation)
        .filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)
        )
        .order_by("-created_at", "-id")[: THREAD_WINDOW + 1]
    )
    page = list(older)
    return list(reversed(page[:THREAD_WINDOW])), len(page) > THREAD_WINDOW
