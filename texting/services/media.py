"""Inbound MMS media: downloaded, judged by their bytes, kept and filed on matters (C7).

`inbound_media_fetch` runs in its own task, outside any long transaction: each attachment
is downloaded with the provider's credentials (network), then recorded in a short
transaction of its own. Per attachment, in the order of the event's media list:

- the carrier's .smil/.xml container parts are skipped (MessageEvent.attachment_urls);
- an attachment over TEXTING_MEDIA_MAX_BYTES is refused ("file over 5 MB");
- the type is decided from the bytes (texting.media), never the name or declared type;
- accepted: a MessageMedia with the file in storage under an opaque name, and a Document
  in the top-level "Text messages" folder of each of the contact's matters (client or
  related contact), once per (media, matter);
- refused: a MessageMedia with only the human type ("PDF document"); no file stored.

Idempotent: a position that already has its MessageMedia is not downloaded again, and a
matter that already has the Document gets no second one, so the task may run any number of
times (and resumes where a crash or a retryable provider failure stopped it). A run that
gets through every attachment sets the message's `media_fetched_at`; the outbox sweeper
re-drives the task for an MMS still without it (its task was lost) while the provider keeps
the media.

Logs carry ids, positions, sizes and sniffed types: never URLs, file names or numbers.
"""

import logging
from collections.abc import Collection
from typing import Any, Final

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Firm
from contacts.models import Contact
from matters.exceptions import DocumentInvalid
from matters.models import Matter
from matters.selectors import matters_for_contact
from matters.services import document_name_clean, document_upload, folder_get_or_create

from ..media import media_filename, media_sniff
from ..models import Message, MessageMedia, MessageMediaDocument, ProviderEvent
from ..provider import MediaTooLarge, ProviderAuthError, ProviderClient, ProviderRejected
from .receiving import stored_message_event

logger = logging.getLogger(__name__)

DEFAULT_MEDIA_MAX_BYTES: Final = 5 * 1024 * 1024
TEXT_MESSAGES_FOLDER: Final = "Text messages"
NOT_DOWNLOADED: Final = "file could not be downloaded"


def media_max_bytes() -> int:
    """The largest attachment kept, in bytes (setting TEXTING_MEDIA_MAX_BYTES)."""
    return int(getattr(settings, "TEXTING_MEDIA_MAX_BYTES", DEFAULT_MEDIA_MAX_BYTES))


def size_label(size: int) -> str:
    """5242880 → "5 MB", 1572864 → "1.5 MB", 65536 → "64 KB"."""
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB"
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value == int(value) or value >= 10 else f"{value:.1f} MB"


def _received_events(
    firm_id: int, provider_message_ids: Collection[str]
) -> QuerySet[ProviderEvent]:
    return ProviderEvent.objects.filter(
        firm_id=firm_id,
        kind=ProviderEvent.Kind.MESSAGING,
        event_type="message-received",
        provider_message_id__in=provider_message_ids,
    ).order_by("id")


def with_attachments(*, firm_id: int, provider_message_ids: Collection[str]) -> set[str]:
    """Those of these inbound texts (by provider message id) that came with attachments to
    fetch, read from their stored message-received events: one query, payloads decrypted."""
    return {
        event.provider_message_id
        for event in _received_events(firm_id, provider_message_ids)
        if stored_message_event(event).attachment_urls
    }


def _attachments(*, firm: Firm, message: Message) -> list[tuple[int, str]]:
    """(position in the event's media list, URL) of each real attachment of `message`.

    The URLs live in the stored message-received event (encrypted): media URLs carry no
    secret, but they are never logged or shown.
    """
    event = _received_events(firm.id, [message.provider_message_id]).first()
    if event is None:
        return []
    data = stored_message_event(event)
    wanted = set(data.attachment_urls)
    return [(i, url) for i, url in enumerate(data.media_urls) if url in wanted]


def _download(*, client: ProviderClient, url: str, limit: int) -> tuple[str, bytes, dict[str, Any]]:
    """(sanitised name, content, metadata) of one attachment; content b"" when refused.

    ProviderUnavailable propagates (the task retries); so does ProviderAuthError, a
    configuration problem that must not mark the attachment refused for good.
    """
    try:
        file = client.download_media(url, max_bytes=limit)
    except MediaTooLarge:
        return "", b"", {"refused_type": f"file over {size_label(limit)}"}
    except ProviderAuthError:
        raise
    except ProviderRejected as error:
        # Gone (providers keep inbound media 2 days) or not a media URL of our account.
        logger.warning("inbound media not downloadable: %s", error.error_type or "rejected")
        return "", b"", {"refused_type": NOT_DOWNLOADED}
    sniffed = media_sniff(file.content)
    name = media_filename(document_name_clean(file.filename), sniffed)
    if not sniffed.accepted:
        return name, b"", {"filename": name, "refused_type": sniffed.refused_type}
    metadata = {"filename": name, "content_type": sniffed.content_type, "size": file.size}
    return name, file.content, metadata


def _media_record(
    *,
    firm: Firm,
    message: Message,
    position: int,
    name: str,
    content: bytes,
    metadata: dict[str, Any],
) -> MessageMedia:
    """Insert the MessageMedia of one position (the file first, when accepted)."""
    media = MessageMedia(
        firm=firm,
        message=message,
        position=position,
        accepted=bool(content),
        metadata=metadata,
    )
    if content:
        media.file.save(name or "media", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            media.save()
    except IntegrityError:
        # A concurrent run recorded this position first: keep its row, drop our copy.
        if media.file:
            media.file.delete(save=False)
        return MessageMedia.objects.for_firm(firm).get(message=message, position=position)
    logger.info(
        "inbound media recorded",
        extra={
            "firm_id": firm.id,
            "message_id": message.id,
            "media_id": media.id,
            "position": position,
            "accepted": media.accepted,
            "content_type": metadata.get("content_type", ""),
            "size": metadata.get("size"),
        },
    )
    return media


@transaction.atomic
def _media_document_create(
    *, firm: Firm, media: MessageMedia, matter: Matter, content: bytes
) -> bool:
    # The media row lock makes concurrent runs file each (media, matter) pair once.
    MessageMedia.objects.for_firm(firm).select_for_update().filter(pk=media.pk).values_list(
        "pk", flat=True
    ).get()
    if MessageMediaDocument.objects.for_firm(firm).filter(media=media, matter=matter).exists():
        return False
    metadata = media.metadata or {}
    name = str(metadata.get("filename") or "attachment")
    folder = folder_get_or_create(firm=firm, matter=matter, name=TEXT_MESSAGES_FOLDER)
    document = document_upload(
        firm=firm,
        actor=None,
        matter=matter,
        folder=folder,
        file=ContentFile(content, name=name),
        name=name,
        content_type=str(metadata.get("content_type") or ""),
    )
    try:
        with transaction.atomic():
            MessageMediaDocument.objects.create(
                firm=firm, media=media, document=document, matter=matter
            )
    except IntegrityError:
        document.file.delete(save=False)  # no orphaned object in storage
        raise
    return True


def _media_file_on_matters(
    *, firm: Firm, media: MessageMedia, contact: Contact, content: bytes | None
) -> int:
    """A Document for `media` in each of the contact's matters that lacks one; how many."""
    filed = set(
        MessageMediaDocument.objects.for_firm(firm)
        .filter(media=media)
        .values_list("matter_id", flat=True)
    )
    missing = [m for m in matters_for_contact(firm=firm, contact=contact) if m.pk not in filed]
    created = 0
    for matter in missing:
        if content is None:
            with media.file.open("rb") as stored:
                content = stored.read()
        try:
            created += _media_document_create(
                firm=firm, media=media, matter=matter, content=content
            )
        except DocumentInvalid:
            # Only when TEXTING_MEDIA_MAX_BYTES exceeds the matters' own document limit (the
            # content rules are the same: texting.media applies common.filetypes' own).
            logger.warning(
                "inbound media not filed on a matter",
                extra={"firm_id": firm.id, "media_id": media.id, "matter_id": matter.id},
            )
    return created


def inbound_media_fetch(*, firm_id: int, message_id: int) -> int:
    """Download, judge and file every attachment of an inbound MMS; new media recorded.

    Idempotent (see the module docstring). Not transactional as a whole: each attachment
    commits on its own, so a retry resumes after the last one done. Raises
    ProviderUnavailable (retry) and ProviderAuthError (configuration); other provider
    refusals mark the attachment "file could not be downloaded". Once every attachment is
    recorded (or there is none), sets the message's `media_fetched_at`.
    """
    firm = Firm.objects.get(id=firm_id)
    message = (
        Message.objects.for_firm(firm)
        .filter(id=message_id, direction=Message.Direction.INBOUND)
        .select_related("conversation__contact")
        .first()
    )
    if message is None:
        return 0
    attachments = _attachments(firm=firm, message=message)
    if not attachments:
        _fetch_done(message)
        return 0
    contact = message.conversation.contact
    recorded = {m.position: m for m in MessageMedia.objects.for_firm(firm).filter(message=message)}
    limit = media_max_bytes()
    created = 0
    client: ProviderClient | None = None
    try:
        for position, url in attachments:
            media = recorded.get(position)
            content: bytes | None = None
            if media is None:
                client = client or ProviderClient.from_settings()
                name, content, metadata = _download(client=client, url=url, limit=limit)
                media = _media_record(
                    firm=firm,
                    message=message,
                    position=position,
                    name=name,
                    content=content,
                    metadata=metadata,
                )
                created += 1
            if media.accepted:
                # Another run may have recorded this position: file what storage holds.
                content = content if content and media.file else None
                _media_file_on_matters(firm=firm, media=media, contact=contact, content=content)
    finally:
        if client is not None:
            client.close()
    _fetch_done(message)
    return created


def _fetch_done(message: Message) -> None:
    now = timezone.now()
    Message.objects.for_firm(message.firm_id).filter(
        id=message.id, media_fetched_at__isnull=True
    ).update(media_fetched_at=now, updated_at=now)
