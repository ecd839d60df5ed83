"""Reads of matters: lists and searches, a contact's matters (C2), related contacts, documents.

Every selector takes `firm` and returns firm-filtered querysets with their joins done.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Firm, User
from contacts.models import Contact

from .models import Document, Folder, Matter, MatterRelatedContact


def matter_list(
    *,
    firm: Firm,
    query: str | None = None,
    status: str | None = None,
    client: Contact | None = None,
    client_uuid: UUID | None = None,
    updated_since: datetime | None = None,
    with_related_contacts: bool = False,
) -> QuerySet[Matter]:
    """The firm's matters, newest first, with client and responsible attorney joined.

    `query` matches every word against the number, the description or the client's name.
    `with_related_contacts` prefetches the related contacts (for API output).
    """
    matters = Matter.objects.for_firm(firm).select_related("client", "responsible_attorney")
    for word in (query or "").split()[:8]:
        matters = matters.filter(
            Q(display_number__icontains=word)
            | Q(description__icontains=word)
            | Q(client__sort_name__icontains=word)
            | Q(client__first_name__icontains=word)
            | Q(client__last_name__icontains=word)
            | Q(client__company_name__icontains=word)
        )
    if status:
        matters = matters.filter(status=status)
    if client is not None:
        matters = matters.filter(client=client)
    if client_uuid is not None:
        matters = matters.filter(client__uuid=client_uuid)
    if updated_since is not None:
        matters = matters.filter(updated_at__gte=updated_since)
    if with_related_contacts:
        matters = matters.prefetch_related(
            Prefetch("related_contacts", queryset=matter_related_contact_list_all(firm=firm))
        )
    return matters.order_by("-created_at", "-id")


def matter_related_contact_list_all(*, firm: Firm) -> QuerySet[MatterRelatedContact]:
    """Every related-contact link of the firm with its contact joined, in the order added."""
    return MatterRelatedContact.objects.for_firm(firm).select_related("contact").order_by("id")


def matter_related_contact_list(*, firm: Firm, matter: Matter) -> QuerySet[MatterRelatedContact]:
    """The related contacts of one matter, in the order they were added."""
    return matter_related_contact_list_all(firm=firm).filter(matter=matter)


def matters_for_contact(*, firm: Firm, contact: Contact) -> QuerySet[Matter]:
    """Matters where `contact` is the client or a related contact, newest first (C2).

    Derived when read, so a matter or related contact added later shows at once.
    """
    related = MatterRelatedContact.objects.for_firm(firm).filter(contact=contact)
    return (
        Matter.objects.for_firm(firm)
        .filter(Q(client=contact) | Q(pk__in=related.values("matter_id")))
        .select_related("client", "responsible_attorney")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class MatterRole:
    """A matter and what a given contact is on it: "Client" or the relationship label."""

    matter: Matter
    is_client: bool
    relationship: str

    @property
    def label(self) -> str:
        if self.is_client:
            return "Client"
        return self.relationship or "Related contact"


def matter_roles_for_contact(*, firm: Firm, contact: Contact) -> list[MatterRole]:
    """matters_for_contact with the contact's role on each (for the contact's Matters tab)."""
    labels = dict(
        MatterRelatedContact.objects.for_firm(firm)
        .filter(contact=contact)
        .values_list("matter_id", "relationship")
    )
    return [
        MatterRole(
            matter=matter,
            is_client=matter.client_id == contact.pk,
            relationship=labels.get(matter.pk, ""),
        )
        for matter in matters_for_contact(firm=firm, contact=contact)
    ]


def matter_contact_ids(*, firm: Firm, matter: Matter) -> list[int]:
    """Ids of the matter's client and related contacts: whose threads the matter shows (C2)."""
    related = MatterRelatedContact.objects.for_firm(firm).filter(matter=matter)
    return [matter.client_id, *related.values_list("contact_id", flat=True)]


def matter_attorney_choices(*, firm: Firm) -> QuerySet[User]:
    """Users of the firm who can be a matter's responsible attorney."""
    return User.objects.filter(membership__firm=firm, is_active=True).order_by(
        "last_name", "first_name", "email"
    )


@dataclass(frozen=True)
class FolderContents:
    """What one level of a matter's Documents holds, and the path down to it."""

    folder: Folder | None
    breadcrumb: list[Folder]
    folders: QuerySet[Folder]
    documents: QuerySet[Document]


def folder_list(*, firm: Firm, matter: Matter) -> QuerySet[Folder]:
    """Every folder of a matter (any depth)."""
    return Folder.objects.for_firm(firm).filter(matter=matter)


def document_list(*, firm: Firm, matter: Matter) -> QuerySet[Document]:
    """Every document of a matter (any folder), with the uploader joined."""
    return Document.objects.for_firm(firm).filter(matter=matter).select_related("uploaded_by")


def folder_breadcrumb(*, firm: Firm, folder: Folder | None) -> list[Folder]:
    """The folders from the top level down to `folder` (inclusive); [] for the top level."""
    path: list[Folder] = []
    seen: set[int] = set()
    current = folder
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        path.append(current)
        if current.parent_id is None:
            break
        current = Folder.objects.for_firm(firm).filter(pk=current.parent_id).first()
    return path[::-1]


def folder_contents(*, firm: Firm, matter: Matter, folder: Folder | None = None) -> FolderContents:
    """The sub-folders and documents directly in `folder` (None: the top level), by name."""
    return FolderContents(
        folder=folder,
        breadcrumb=folder_breadcrumb(firm=firm, folder=folder),
        folders=folder_list(firm=firm, matter=matter).filter(parent=folder).order_by("name", "id"),
        documents=document_list(firm=firm, matter=matter)
        .filter(folder=folder)
        .order_by("name", "id"),
    )
