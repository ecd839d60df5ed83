"""Writes for matters (K2): matters, their related contacts, folders and documents.

Every service is keyword-only with `firm` first (and `actor`, the user who caused it, where a
person did), runs in one transaction, and checks that every object passed in belongs to
`firm` — an object of another firm reads exactly like a missing one (T1). Bad input raises a
matters.exceptions error carrying the sentence to show and the field it concerns; nothing is
written in that case (a refused document upload stores no file either).

Logs carry ids only: never client names, matter descriptions or file names.
"""

import logging
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Firm, Membership, User
from common.filetypes import Verdict, document_sniff
from common.unset import UNSET, Unset
from contacts.models import Contact

from .exceptions import (
    DocumentInvalid,
    FolderNameInvalid,
    FolderNameTaken,
    InvalidStatusTransition,
    MatterError,
    MatterNumberTaken,
    ReferenceNotFound,
    RelatedContactInvalid,
)
from .models import Document, Folder, Matter, MatterRelatedContact

logger = logging.getLogger(__name__)

# Overridable with the MATTER_DOCUMENT_MAX_BYTES setting.
DEFAULT_DOCUMENT_MAX_BYTES: Final = 25 * 1024 * 1024
NUMBER_DIGITS: Final = 5
DISPLAY_NUMBER_MAX = Matter._meta.get_field("display_number").max_length or 50
DESCRIPTION_MAX = Matter._meta.get_field("description").max_length or 500
RELATIONSHIP_MAX = MatterRelatedContact._meta.get_field("relationship").max_length or 100
FOLDER_NAME_MAX = Folder._meta.get_field("name").max_length or 255
DOCUMENT_NAME_MAX = Document._meta.get_field("name").max_length or 255
FALLBACK_CONTENT_TYPE: Final = "application/octet-stream"

# pending ──► open ──► closed ──► open (reopened); a pending matter may also close directly.
ALLOWED_TRANSITIONS: Final = {
    Matter.Status.PENDING: {Matter.Status.OPEN, Matter.Status.CLOSED},
    Matter.Status.OPEN: {Matter.Status.CLOSED},
    Matter.Status.CLOSED: {Matter.Status.OPEN},
}

_CONTENT_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_FOLDER_FORBIDDEN_RE = re.compile(r"[\\/]")


@dataclass(frozen=True)
class RelatedContactSpec:
    """One related contact of a matter as callers describe it: who, and in what role."""

    contact: Contact
    relationship: str = ""


# --- Helpers --------------------------------------------------------------------------------


def document_max_bytes() -> int:
    """The largest document a user may upload, in bytes."""
    return int(getattr(settings, "MATTER_DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES))


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def _firm_today(firm: Firm) -> date:
    try:
        zone = zoneinfo.ZoneInfo(firm.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.localdate(timezone=zone)


def _not_found(field: str, noun: str, uuid: object) -> ReferenceNotFound:
    message = f"No {noun} with id {uuid} was found."
    return ReferenceNotFound(message, fields={field: [message]})


def _check_firm(
    obj: Contact | Matter | Folder | Document | MatterRelatedContact,
    firm: Firm,
    *,
    field: str,
    noun: str,
) -> None:
    # Defensive: callers fetch through firm-filtered selectors, so this only trips on a bug.
    if obj.firm_id != firm.id:
        raise _not_found(field, noun, obj.uuid)


def _check_attorney(firm: Firm, user: User | None) -> None:
    if user is not None and not Membership.objects.for_firm(firm).filter(user=user).exists():
        raise _not_found("responsible_attorney", "firm member", user.uuid)


def _single_line(value: str) -> str:
    """Whitespace collapsed and control or invisible formatting characters removed."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def _clean_description(value: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise MatterError(
            "Describe the matter in a few words.",
            fields={"description": ["Describe the matter in a few words."]},
        )
    if len(text) > DESCRIPTION_MAX:
        message = f"A description can be at most {DESCRIPTION_MAX} characters."
        raise MatterError(message, fields={"description": [message]})
    return text


def _clean_display_number(value: str) -> str:
    text = _single_line(value)
    if len(text) > DISPLAY_NUMBER_MAX:
        message = f"A matter number can be at most {DISPLAY_NUMBER_MAX} characters."
        raise MatterError(message, fields={"display_number": [message]})
    return text


def _clean_relationship(value: str) -> str:
    text = _single_line(value)
    if len(text) > RELATIONSHIP_MAX:
        message = f"A relationship can be at most {RELATIONSHIP_MAX} characters."
        raise RelatedContactInvalid(message, fields={"relationship": [message]})
    return text


def _check_status(value: str) -> Matter.Status:
    if value not in Matter.Status.values:
        message = "Choose a status: pending, open or closed."
        raise MatterError(message, fields={"status": [message]})
    return Matter.Status(value)


def _number_taken(display_number: str) -> MatterNumberTaken:
    message = f"Another matter of this firm already has the number “{display_number}”."
    return MatterNumberTaken(message, fields={"display_number": [message]})


def _client_surname(client: Contact) -> str:
    if client.type == Contact.Type.COMPANY:
        return _single_line(client.company_name)
    return _single_line(client.last_name) or _single_line(client.name)


def _auto_display_number(number: int, client: Contact) -> str:
    surname = _client_surname(client)
    text = f"{number:0{NUMBER_DIGITS}d}" + (f"-{surname}" if surname else "")
    return text[:DISPLAY_NUMBER_MAX].rstrip()


def _check_related_specs(
    firm: Firm, *, client: Contact, specs: Sequence[RelatedContactSpec]
) -> list[RelatedContactSpec]:
    cleaned: list[RelatedContactSpec] = []
    seen: set[int] = set()
    for spec in specs:
        _check_firm(spec.contact, firm, field="related_contacts", noun="contact")
        if spec.contact.pk == client.pk:
            message = "The client is already on the matter; add other people as related contacts."
            raise RelatedContactInvalid(message, fields={"related_contacts": [message]})
        if spec.contact.pk in seen:
            who = spec.contact.name or "A contact"
            message = f"{who} is listed twice among the related contacts."
            raise RelatedContactInvalid(message, fields={"related_contacts": [message]})
        seen.add(spec.contact.pk)
        cleaned.append(RelatedContactSpec(spec.contact, _clean_relationship(spec.relationship)))
    return cleaned


def _touch(matter: Matter) -> None:
    # Related-contact changes are changes of the matter for API clients syncing by updated_at.
    Matter.objects.filter(pk=matter.pk).update(updated_at=timezone.now())


# --- Matters --------------------------------------------------------------------------------


@transaction.atomic
def matter_create(
    *,
    firm: Firm,
    actor: User | None,
    client: Contact,
    description: str,
    display_number: str = "",
    status: str = Matter.Status.OPEN,
    responsible_attorney: User | None = None,
    open_date: date | None = None,
    related_contacts: Sequence[RelatedContactSpec] = (),
) -> Matter:
    """Open a matter for one of the firm's contacts. Transactional.

    Every matter takes the firm's next sequence `number`. A blank `display_number` becomes
    that number zero-padded to five digits plus the client's last (or company) name, e.g.
    "00042-Garcia"; a given one must be unused in the firm (MatterNumberTaken). Numbers are
    assigned under a lock on the firm row, so concurrent creations never share one.
    `open_date` defaults to the firm's today unless the matter is pending; a matter created
    closed is closed today. Raises ReferenceNotFound for another firm's client or attorney.
    """
    _check_firm(client, firm, field="client", noun="contact")
    _check_attorney(firm, responsible_attorney)
    status = _check_status(status)
    description = _clean_description(description)
    given_number = _clean_display_number(display_number)
    specs = _check_related_specs(firm, client=client, specs=related_contacts)

    # Serialises number assignment within the firm until commit (a no-op on SQLite, whose
    # IMMEDIATE transactions already serialise writers).
    Firm.objects.select_for_update().filter(pk=firm.pk).values_list("pk", flat=True).get()
    matters = Matter.objects.for_firm(firm)
    number = (matters.aggregate(last=Max("number"))["last"] or 0) + 1
    if given_number:
        if matters.filter(display_number=given_number).exists():
            raise _number_taken(given_number)
        chosen = given_number
    else:
        chosen = _auto_display_number(number, client)
        # A person may have typed the number this sequence would produce; skip past it.
        while matters.filter(display_number=chosen).exists():
            number += 1
            chosen = _auto_display_number(number, client)

    today = _firm_today(firm)
    if open_date is None and status != Matter.Status.PENDING:
        open_date = today
    try:
        with transaction.atomic():
            matter = Matter.objects.create(
                firm=firm,
                number=number,
                display_number=chosen,
                description=description,
                status=status,
                client=client,
                responsible_attorney=responsible_attorney,
                open_date=open_date,
                close_date=today if status == Matter.Status.CLOSED else None,
            )
    except IntegrityError:
        raise _number_taken(chosen) from None
    for spec in specs:
        MatterRelatedContact.objects.create(
            firm=firm, matter=matter, contact=spec.contact, relationship=spec.relationship
        )
    logger.info(
        "matter created",
        extra={"firm_id": firm.id, "matter_id": matter.id, "actor_id": actor.pk if actor else None},
    )
    return matter


@transaction.atomic
def matter_update(
    *,
    firm: Firm,
    actor: User | None,
    matter: Matter,
    description: str | Unset = UNSET,
    display_number: str | Unset = UNSET,
    status: str | Unset = UNSET,
    client: Contact | Unset = UNSET,
    responsible_attorney: User | Unset | None = UNSET,
    open_date: date | Unset | None = UNSET,
    related_contacts: Sequence[RelatedContactSpec] | Unset = UNSET,
) -> Matter:
    """Change the given fields of a matter and return it freshly saved. Transactional.

    Status follows the lifecycle in the Matter docstring (InvalidStatusTransition otherwise):
    closing sets `close_date` to the firm's today, reopening clears it, opening a pending
    matter sets a missing `open_date`. `related_contacts`, when given, replaces the set
    (links kept where the contact stays, so their ids survive). The client can never also
    be a related contact. The row is locked while it changes, so concurrent edits serialise.
    """
    _check_firm(matter, firm, field="matter", noun="matter")
    locked = Matter.objects.for_firm(firm).select_for_update().get(pk=matter.pk)
    changed: list[str] = []
    today = _firm_today(firm)

    if not isinstance(description, Unset):
        locked.description = _clean_description(description)
        changed.append("description")
    if not isinstance(display_number, Unset):
        number = _clean_display_number(display_number)
        if not number:
            message = "A matter needs a number."
            raise MatterError(message, fields={"display_number": [message]})
        taken = Matter.objects.for_firm(firm).filter(display_number=number).exclude(pk=locked.pk)
        if taken.exists():
            raise _number_taken(number)
        locked.display_number = number
        changed.append("display_number")
    if not isinstance(client, Unset):
        _check_firm(client, firm, field="client", noun="contact")
        locked.client = client
        changed.append("client")
    if not isinstance(responsible_attorney, Unset):
        _check_attorney(firm, responsible_attorney)
        locked.responsible_attorney = responsible_attorney
        changed.append("responsible_attorney")
    if not isinstance(open_date, Unset):
        locked.open_date = open_date
        changed.append("open_date")
    if not isinstance(status, Unset):
        new_status = _check_status(status)
        if new_status != locked.status:
            if new_status not in ALLOWED_TRANSITIONS[Matter.Status(locked.status)]:
                message = (
                    f"The matter is {locked.get_status_display().lower()}; it cannot "
                    f"be set to {new_status.label.lower()}."
                )
                raise InvalidStatusTransition(message, fields={"status": [message]})
            if new_status == Matter.Status.CLOSED:
                locked.close_date = today
            else:
                locked.close_date = None
            if new_status == Matter.Status.OPEN and locked.open_date is None:
                locked.open_date = today
            locked.status = new_status
            changed += ["status", "open_date", "close_date"]
    if locked.open_date and locked.close_date and locked.open_date > locked.close_date:
        message = "The open date cannot be after the date the matter was closed."
        raise MatterError(message, fields={"open_date": [message]})

    if isinstance(related_contacts, Unset):
        if "client" in changed and locked.related_contacts.filter(contact=locked.client).exists():
            message = (
                "That contact is a related contact of this matter; remove them from the "
                "related contacts before making them the client."
            )
            raise RelatedContactInvalid(message, fields={"client": [message]})
    else:
        specs = _check_related_specs(firm, client=locked.client, specs=related_contacts)
        _related_contacts_replace(firm=firm, matter=locked, specs=specs)

    if changed:
        try:
            with transaction.atomic():
                locked.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        except IntegrityError:
            raise _number_taken(locked.display_number) from None
    elif not isinstance(related_contacts, Unset):
        locked.save(update_fields=["updated_at"])
    logger.info(
        "matter updated",
        extra={"firm_id": firm.id, "matter_id": locked.id, "actor_id": actor.pk if actor else None},
    )
    return locked


def _related_contacts_replace(
    *, firm: Firm, matter: Matter, specs: Sequence[RelatedContactSpec]
) -> None:
    existing = {
        link.contact_id: link
        for link in MatterRelatedContact.objects.for_firm(firm).filter(matter=matter)
    }
    wanted = {spec.contact.pk: spec for spec in specs}
    stale = [link.pk for contact_id, link in existing.items() if contact_id not in wanted]
    if stale:
        MatterRelatedContact.objects.for_firm(firm).filter(pk__in=stale).delete()
    for contact_id, spec in wanted.items():
        link = existing.get(contact_id)
        if link is None:
            MatterRelatedContact.objects.create(
                firm=firm, matter=matter, contact=spec.contact, relationship=spec.relationship
            )
        elif link.relationship != spec.relationship:
            link.relationship = spec.relationship
            link.save(update_fields=["relationship", "updated_at"])


# --- Related contacts -----------------------------------------------------------------------


@transaction.atomic
def matter_related_contact_add(
    *, firm: Firm, actor: User | None, matter: Matter, contact: Contact, relationship: str = ""
) -> MatterRelatedContact:
    """Relate one of the firm's contacts to a matter (e.g. "Spouse", "Opposing counsel").

    Transactional. Raises RelatedContactInvalid for the matter's client or a contact
    already related, ReferenceNotFound for another firm's matter or contact.
    """
    _check_firm(matter, firm, field="matter", noun="matter")
    _check_firm(contact, firm, field="contact", noun="contact")
    relationship = _clean_relationship(relationship)
    if contact.pk == matter.client_id:
        message = (
            "This contact is the matter's client; the client cannot also be a related contact."
        )
        raise RelatedContactInvalid(message, fields={"contact": [message]})
    already = RelatedContactInvalid(
        "This contact is already a related contact of the matter.",
        fields={"contact": ["This contact is already a related contact of the matter."]},
    )
    links = MatterRelatedContact.objects.for_firm(firm)
    if links.filter(matter=matter, contact=contact).exists():
        raise already
    try:
        with transaction.atomic():
            link = links.create(
                firm=firm, matter=matter, contact=contact, relationship=relationship
            )
    except IntegrityError:  # a concurrent add of the same contact won
        raise already from None
    _touch(matter)
    return link


@transaction.atomic
def matter_related_contact_update(
    *, firm: Firm, actor: User | None, related_contact: MatterRelatedContact, relationship: str
) -> MatterRelatedContact:
    """Change the relationship label of a related contact. Transactional."""
    _check_firm(related_contact, firm, field="related_contact", noun="related contact")
    related_contact.relationship = _clean_relationship(relationship)
    related_contact.save(update_fields=["relationship", "updated_at"])
    _touch(related_contact.matter)
    return related_contact


@transaction.atomic
def matter_related_contact_remove(
    *, firm: Firm, actor: User | None, related_contact: MatterRelatedContact
) -> None:
    """Take a related contact off a matter (the contact itself stays). Transactional."""
    _check_firm(related_contact, firm, field="related_contact", noun="related contact")
    matter = related_contact.matter
    related_contact.delete()
    _touch(matter)


# --- Folders --------------------------------------------------------------------------------


def _clean_folder_name(value: str) -> str:
    name = _single_line(value)
    if not name:
        raise FolderNameInvalid(
            "Give the folder a name.", fields={"name": ["Give the folder a name."]}
        )
    if len(name) > FOLDER_NAME_MAX:
        message = f"A folder name can be at most {FOLDER_NAME_MAX} characters."
        raise FolderNameInvalid(message, fields={"name": [message]})
    if name in {".", ".."} or _FOLDER_FORBIDDEN_RE.search(name):
        message = "A folder name cannot contain / or \\ and cannot be “.” or “..”."
        raise FolderNameInvalid(message, fields={"name": [message]})
    return name


def _check_parent(firm: Firm, matter: Matter, parent: Folder | None) -> None:
    if parent is not None:
        _check_firm(parent, firm, field="parent", noun="folder")
        if parent.matter_id != matter.pk:
            raise _not_found("parent", "folder", parent.uuid)


def _folder_taken(name: str) -> FolderNameTaken:
    message = f"A folder named “{name}” already exists here."
    return FolderNameTaken(message, fields={"name": [message]})


@transaction.atomic
def folder_create(
    *, firm: Firm, actor: User | None, matter: Matter, name: str, parent: Folder | None = None
) -> Folder:
    """A new folder in a matter's Documents, at the top (`parent` None) or inside `parent`.

    Transactional. Names are single-line, without slashes, and unique within their parent
    regardless of letter case (FolderNameTaken); FolderNameInvalid for bad names.
    """
    _check_firm(matter, firm, field="matter", noun="matter")
    _check_parent(firm, matter, parent)
    name = _clean_folder_name(name)
    siblings = Folder.objects.for_firm(firm).filter(matter=matter, parent=parent)
    if siblings.filter(name__iexact=name).exists():
        raise _folder_taken(name)
    try:
        with transaction.atomic():
            return Folder.objects.create(firm=firm, matter=matter, parent=parent, name=name)
    except IntegrityError:
        raise _folder_taken(name) from None


@transaction.atomic
def folder_get_or_create(
    *, firm: Firm, matter: Matter, name: str, parent: Folder | None = None
) -> Folder:
    """The folder of that name (any letter case) in `parent`, created when missing.

    For automated filing (e.g. a "Text messages" folder); safe when two callers race.
    """
    _check_firm(matter, firm, field="matter", noun="matter")
    _check_parent(firm, matter, parent)
    name = _clean_folder_name(name)
    siblings = Folder.objects.for_firm(firm).filter(matter=matter, parent=parent)
    found = siblings.filter(name__iexact=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Folder.objects.create(firm=firm, matter=matter, parent=parent, name=name)
    except IntegrityError:
        return siblings.get(name__iexact=name)


# --- Documents ------------------------------------------------------------------------------


def document_name_clean(raw: str) -> str:
    """A file name fit for display: last path component, one line, no control characters."""
    # Some browsers send the full client-side path ("C:\\Users\\…\\scan.pdf").
    base = re.split(r"[\\/]", raw or "")[-1]
    name = _single_line(base)
    if name in {"", ".", ".."}:
        return "document"
    if len(name) > DOCUMENT_NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 16:
            name = stem[: DOCUMENT_NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:DOCUMENT_NAME_MAX].rstrip()
    return name


def content_type_clean(raw: str) -> str:
    """The declared media type without parameters, lower-case; octet-stream when malformed."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    if 3 <= len(value) <= 100 and _CONTENT_TYPE_RE.match(value):
        return value
    return FALLBACK_CONTENT_TYPE


def _document_verdict(file: File, *, name: str, declared: str) -> Verdict:
    """The verdict on the file's bytes; DocumentInvalid for a web page or a program."""
    file.seek(0)
    content = file.read()
    file.seek(0)
    verdict = document_sniff(content, name=name, declared=declared)
    if not verdict.accepted:
        # A page or script served back from our origin, or opened from a laptop, would run.
        message = f"This file is {verdict.refused}; documents can't be web pages or programs."
        raise DocumentInvalid(message, fields={"file": [message]})
    return verdict


@transaction.atomic
def document_upload(
    *,
    firm: Firm,
    actor: User | None,
    matter: Matter,
    file: File,
    folder: Folder | None = None,
    name: str = "",
    content_type: str = "",
) -> Document:
    """Store a file in a matter's Documents (top level or `folder`) through default storage.

    Transactional. Records the display name (from `name` or the file's own name, sanitised),
    the content type judged from the bytes (common.filetypes; the declared one only where
    the bytes bear it out) and the size. The storage object name is opaque (see
    Document.file). Raises DocumentInvalid for an empty file, one over
    document_max_bytes(), or active content (a web page or a program, whatever its name or
    declared type), before anything is stored.
    """
    _check_firm(matter, firm, field="matter", noun="matter")
    if folder is not None:
        _check_firm(folder, firm, field="folder", noun="folder")
        if folder.matter_id != matter.pk:
            raise _not_found("folder", "folder", folder.uuid)
    size = file.size or 0
    limit = document_max_bytes()
    if size <= 0:
        message = "The file is empty; choose a file that has content."
        raise DocumentInvalid(message, fields={"file": [message]})
    if size > limit:
        message = f"The file is {_megabytes(size)}; documents can be at most {_megabytes(limit)}."
        raise DocumentInvalid(message, fields={"file": [message]})

    display_name = document_name_clean(name or file.name or "")
    declared = content_type or getattr(file, "content_type", "") or ""
    verdict = _document_verdict(file, name=display_name, declared=declared)
    document = Document(
        firm=firm,
        matter=matter,
        folder=folder,
        name=display_name,
        content_type=content_type_clean(verdict.content_type),
        size=size,
        uploaded_by=actor,
    )
    document.file.save(display_name, file, save=False)
    try:
        with transaction.atomic():
            document.save()
    except Exception:
        document.file.delete(save=False)  # no orphaned object in storage
        raise
    logger.info(
        "document stored",
        extra={
            "firm_id": firm.id,
            "matter_id": matter.id,
            "document_id": document.id,
            "size": size,
        },
    )
    return document


@transaction.atomic
def document_delete(*, firm: Firm, actor: User | None, document: Document) -> None:
    """Delete a document; its stored file is removed once the deletion has committed."""
    _check_firm(document, firm, field="document", noun="document")
    storage, stored_name = document.file.storage, document.file.name
    document_id = document.id
    document.delete()
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))
    logger.info(
        "document deleted",
        extra={
            "firm_id": firm.id,
            "document_id": document_id,
            "actor_id": actor.pk if actor else None,
        },
    )
