"""Matters (K2): a legal matter for one client contact, its related contacts, and documents.

Documents live in folders of the matter's Documents area and are stored through Django's
storage API (local files or an S3-compatible bucket) under opaque names.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import FirmOwned
from contacts.models import Contact


class Matter(FirmOwned):
    """A client's legal matter.

    Lifecycle (matters.services.matter_update enforces it)::

        pending ──► open ◄──► closed
           │                    ▲
           └────────────────────┘

    Opening sets a missing open_date; closing sets close_date (the firm's today); reopening
    a closed matter clears close_date. An open matter never goes back to pending.

    `number` is the firm's running sequence (1, 2, 3, …) assigned by matter_create;
    `display_number` is what people read ("00042-Garcia"), derived from it unless given.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    # The firm's sequence number; null only for rows made outside matter_create.
    number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The firm's reference, e.g. "00042-Garcia"; unique within the firm.
    display_number = models.CharField(max_length=50)
    description = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    client = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="client_matters")
    responsible_attorney = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "display_number"], name="matter_number_unique_per_firm"
            ),
            models.UniqueConstraint(
                fields=["firm", "number"], name="matter_sequence_unique_per_firm"
            ),
        ]
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return f"{self.display_number} {self.description}"


class MatterRelatedContact(FirmOwned):
    """A contact involved in a matter other than its client (opposing counsel, spouse, …)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="related_contacts")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="related_matter_links"
    )
    relationship = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "contact"], name="related_contact_once_per_matter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.relationship}) on {self.matter.display_number}"


class Folder(FirmOwned):
    """A folder in a matter's Documents area; `parent` null means the top level."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "parent", "name"], name="folder_name_unique_in_parent"
            ),
            models.UniqueConstraint(
                fields=["matter", "name"],
                condition=Q(parent__isnull=True),
                name="top_folder_name_unique_in_matter",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def document_upload_to(instance: "Document", filename: str) -> str:
    # Opaque object names: nothing about the client in the path, and no name collisions
    # (S3 storage would otherwise overwrite a file of the same name).
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"firms/{instance.firm.uuid}/documents/{uuid.uuid4()}{suffix}"


class Document(FirmOwned):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="documents")
    folder = models.ForeignKey(
        Folder, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
