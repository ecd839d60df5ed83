"""Reads for contacts: the searchable list, one contact, and its related contacts."""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import Firm

from .models import Contact, ContactRelationship, EmailAddress, PhoneNumber

# A query made only of these characters is a phone number being typed: "(202) 555-01".
_PHONE_QUERY = re.compile(r"^[\d\s().+\-]+$")
# Fewer digits than this would match nearly every number.
_MIN_PHONE_DIGITS = 3


@dataclass(frozen=True)
class RelatedContact:
    """The other side of a relationship, seen from one contact.

    `description` names the role of the relationship's `related_contact` ("Employer"). Seen
    from that related contact (`reverse`), the role is this contact's own: "is their Employer".
    """

    contact: Contact
    description: str
    relationship: ContactRelationship
    reverse: bool = False


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _number_contains(firm: Firm, digits: str) -> Exists:
    return Exists(
        PhoneNumber.objects.for_firm(firm).filter(
            contact=OuterRef("pk"), number_e164__contains=digits
        )
    )


def _term_matches(firm: Firm, term: str) -> Q:
    match = (
        Q(first_name__icontains=term)
        | Q(middle_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(company_name__icontains=term)
        | Q(
            Exists(
                EmailAddress.objects.for_firm(firm).filter(
                    contact=OuterRef("pk"), address__icontains=term
                )
            )
        )
    )
    digits = _digits(term)
    if len(digits) >= _MIN_PHONE_DIGITS:
        match |= Q(_number_contains(firm, digits))
    return match


def _search(contacts: QuerySet[Contact], firm: Firm, query: str) -> QuerySet[Contact]:
    query = query.strip()
    if not query:
        return contacts
    digits = _digits(query)
    if _PHONE_QUERY.match(query) and len(digits) >= _MIN_PHONE_DIGITS:
        # Typed as a number: match the digits wherever they are in the stored E.164, so
        # "(202) 555-01", "202555" and "+1 202" all find +12025550143.
        return contacts.filter(_number_contains(firm, digits))
    # Every word must match something: "ana garcia" finds Ana María García.
    for term in query.split():
        contacts = contacts.filter(_term_matches(firm, term))
    return contacts


def texting_number_subquery(*, firm: Firm, contact: str) -> Subquery:
    """The texting number (E.164) of the contact the outer row's `contact` field names, for
    `.annotate()`: one subquery instead of a query per row."""
    return Subquery(
        PhoneNumber.objects.for_firm(firm)
        .filter(contact=OuterRef(contact), is_texting_number=True)
        .values("number_e164")[:1]
    )


def contact_list(
    *,
    firm: Firm,
    query: str | None = None,
    type: str | None = None,
    updated_since: datetime | None = None,
    with_details: bool = False,
) -> QuerySet[Contact]:
    """The firm's contacts by sort name, optionally searched and filtered.

    `query` matches names, company, email addresses, and phone digits ("202-555" finds
    +12025550143). Every row is annotated with `texting_number_e164` and `primary_email`
    (or None), so a list needs no query per row. `with_details` also prefetches the phone
    numbers, email addresses and relationships (both directions) that the API shows.
    """
    contacts = (
        Contact.objects.for_firm(firm)
        .annotate(
            texting_number_e164=texting_number_subquery(firm=firm, contact="pk"),
            primary_email=Subquery(
                EmailAddress.objects.for_firm(firm)
                .filter(contact=OuterRef("pk"))
                .order_by("-is_primary", "id")
                .values("address")[:1]
            ),
        )
        .order_by("sort_name", "id")
    )
    if type:
        contacts = contacts.filter(type=type)
    if updated_since is not None:
        contacts = contacts.filter(updated_at__gte=updated_since)
    if query:
        contacts = _search(contacts, firm, query)
    if with_details:
        contacts = contacts.prefetch_related(*contact_detail_prefetches(firm=firm))
    return contacts


def contact_detail_prefetches(*, firm: Firm) -> list[Prefetch]:
    """Prefetches for showing contacts in full: numbers, emails, both sides of relationships."""
    return [
        Prefetch("phone_numbers", queryset=PhoneNumber.objects.for_firm(firm)),
        Prefetch("email_addresses", queryset=EmailAddress.objects.for_firm(firm)),
        Prefetch(
            "relationships",
            queryset=ContactRelationship.objects.for_firm(firm).select_related("related_contact"),
        ),
        Prefetch(
            "reverse_relationships",
            queryset=ContactRelationship.objects.for_firm(firm).select_related("contact"),
        ),
    ]


def contact_get(*, firm: Firm, uuid: UUID | str) -> Contact:
    """One of the firm's contacts in full (see contact_list); Contact.DoesNotExist otherwise."""
    return contact_list(firm=firm, with_details=True).get(uuid=uuid)


def texting_number(contact: Contact) -> PhoneNumber | None:
    """The contact's texting number row (uses prefetched phone numbers when there are any)."""
    return next((p for p in contact.phone_numbers.all() if p.is_texting_number), None)


def related_contacts(*, firm: Firm, contact: Contact) -> list[RelatedContact]:
    """Contacts related to `contact`, whichever side the relationship was added from, by name.

    Uses the prefetches of contact_list(with_details=True) when present (no queries), else
    runs one query.
    """
    cache = getattr(contact, "_prefetched_objects_cache", {})
    if "relationships" in cache and "reverse_relationships" in cache:
        relationships = [*contact.relationships.all(), *contact.reverse_relationships.all()]
    else:
        relationships = list(
            ContactRelationship.objects.for_firm(firm)
            .filter(Q(contact=contact) | Q(related_contact=contact))
            .select_related("contact", "related_contact")
        )
    related = [
        RelatedContact(
            contact=r.related_contact if r.contact_id == contact.pk else r.contact,
            description=r.description,
            relationship=r,
            reverse=r.contact_id != contact.pk,
        )
        for r in relationships
    ]
    return sorted(related, key=lambda r: (r.contact.sort_name, r.contact.pk))
