"""Contacts (K1): people and companies the firm works with, their numbers and emails.

A contact may mark one of its phone numbers as its *texting number*: a North American
number in E.164, the number the firm's texts go to and inbound texts are matched by (C6).
"""

from django.db import models
from django.db.models import Q

from common.models import FirmOwned
from common.phones import phone_display


class Contact(FirmOwned):
    class Type(models.TextChoices):
        PERSON = "person", "Person"
        COMPANY = "company", "Company"

    type = models.CharField(max_length=10, choices=Type.choices, default=Type.PERSON)
    prefix = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # A company's name; for a person, the company they work for (free text).
    company_name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=100, blank=True)
    # "Last, First" for people, the company name for companies; kept for sorting and search.
    sort_name = models.CharField(max_length=250, db_index=True, editable=False)

    class Meta:
        ordering = ["sort_name", "id"]
        indexes = [models.Index(fields=["firm", "sort_name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.type == self.Type.COMPANY:
            return self.company_name
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @property
    def initials(self) -> str:
        words = [w for w in self.name.split() if w[:1].isalnum()]
        return "".join(w[0] for w in words[:2]).upper() or "?"

    def compute_sort_name(self) -> str:
        if self.type == self.Type.COMPANY:
            return self.company_name.strip().lower()
        first = " ".join(p for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name}, {first}".strip(", ").lower()


class PhoneNumber(FirmOwned):
    class Label(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        WORK = "work", "Work"
        HOME = "home", "Home"
        FAX = "fax", "Fax"
        OTHER = "other", "Other"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phone_numbers")
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.MOBILE)
    number_e164 = models.CharField(max_length=16)
    is_texting_number = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_texting_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(is_texting_number=True),
                name="one_texting_number_per_contact",
            ),
            models.UniqueConstraint(
                fields=["contact", "number_e164"], name="phone_number_once_per_contact"
            ),
        ]
        # Inbound texts are matched to contacts by (firm, texting number) (C6).
        indexes = [models.Index(fields=["firm", "number_e164"])]

    def __str__(self) -> str:
        return f"{self.get_label_display()}: {self.display}"

    @property
    def display(self) -> str:
        return phone_display(self.number_e164)


class EmailAddress(FirmOwned):
    class Label(models.TextChoices):
        WORK = "work", "Work"
        HOME = "home", "Home"
        OTHER = "other", "Other"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="email_addresses")
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.WORK)
    address = models.EmailField()
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "address"], name="email_address_once_per_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.address


class ContactRelationship(FirmOwned):
    """`contact` is related to `related_contact` as `description` (e.g. "Spouse", "Employer").

    Stored once and read from both sides.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships")
    related_contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="reverse_relationships"
    )
    description = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "related_contact"], name="contact_relationship_once"
            ),
            models.CheckConstraint(
                condition=~Q(contact=models.F("related_contact")),
                name="contact_not_related_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} – {self.related_contact} ({self.description})"
