"""Writes for contacts (K1): create and update a contact with its numbers and emails, relate two.

Every function is transactional and validates all of its input before it writes anything, so
bad input raises and changes nothing (N3). Input errors are Django `ValidationError`s keyed by
the path of the offending input, the same paths the API reports and the contact form maps back
onto its fields:

    "first_name", "company_name", "type", ...
    "phone_numbers[1].number", "phone_numbers[1].texting", "phone_numbers[1].name"
    "email_addresses[0].address", "email_addresses[0].primary", "email_addresses[0].name"

(`name` is the label, as Clio calls it.) A texting number must be North American (+1) and is
stored in E.164; other numbers may be from anywhere. At most one number is the texting number.
"""

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Firm
from common.phones import phone_to_e164

from .exceptions import (
    ContactNotFound,
    RelationshipExists,
    RelationshipNotAllowed,
    RelationshipNotFound,
)
from .models import Contact, ContactRelationship, EmailAddress, PhoneNumber


class PhoneNumberInput(NamedTuple):
    """One phone number as typed. A plain `(label, number, texting)` tuple is accepted too."""

    label: str
    number: str
    texting: bool = False


class EmailAddressInput(NamedTuple):
    """One email address as typed. A plain `(label, address, primary)` tuple is accepted too."""

    label: str
    address: str
    primary: bool = False


Errors = dict[str, list[str]]

_TEXT_FIELDS = ("prefix", "first_name", "middle_name", "last_name", "company_name", "title")
_EMAIL_MAX_LENGTH = EmailAddress._meta.get_field("address").max_length or 254
_DESCRIPTION_MAX_LENGTH = ContactRelationship._meta.get_field("description").max_length or 100


def _choice_sentence(choices: Iterable[tuple[str, str]]) -> str:
    return "Choose one of: " + ", ".join(value for value, _ in choices) + "."


def _phones_clean(
    phone_numbers: Iterable[Sequence[object]], errors: Errors
) -> list[PhoneNumberInput]:
    cleaned: list[PhoneNumberInput] = []
    seen: set[str] = set()
    texting_seen = False
    for index, entry in enumerate(phone_numbers):
        label, raw, texting = PhoneNumberInput(*entry)  # type: ignore[arg-type]
        key = f"phone_numbers[{index}]"
        texting = bool(texting)
        label = label or PhoneNumber.Label.MOBILE
        if label not in PhoneNumber.Label.values:
            errors[f"{key}.name"] = [_choice_sentence(PhoneNumber.Label.choices)]
        try:
            number = phone_to_e164(str(raw or ""), texting=texting)
        except ValidationError as error:
            errors[f"{key}.number"] = list(error.messages)
            continue
        if number in seen:
            errors[f"{key}.number"] = ["This number is already listed for this contact."]
            continue
        seen.add(number)
        if texting:
            if texting_seen:
                errors[f"{key}.texting"] = [
                    "Only one phone number can be the texting number; "
                    "untick it on all numbers but one."
                ]
                continue
            texting_seen = True
        cleaned.append(PhoneNumberInput(label, number, texting))
    return cleaned


def _email_normalise(address: str) -> str:
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else address.strip()


def _emails_clean(
    email_addresses: Iterable[Sequence[object]], errors: Errors
) -> list[EmailAddressInput]:
    cleaned: list[EmailAddressInput] = []
    seen: set[str] = set()
    primary_seen = False
    for index, entry in enumerate(email_addresses):
        label, raw, primary = EmailAddressInput(*entry)  # type: ignore[arg-type]
        key = f"email_addresses[{index}]"
        primary = bool(primary)
        label = label or EmailAddress.Label.WORK
        if label not in EmailAddress.Label.values:
            errors[f"{key}.name"] = [_choice_sentence(EmailAddress.Label.choices)]
        address = _email_normalise(str(raw or ""))
        if not address:
            errors[f"{key}.address"] = ["Enter an email address."]
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors[f"{key}.address"] = ["Enter a valid email address, such as name@example.com."]
            continue
        if len(address) > _EMAIL_MAX_LENGTH:
            errors[f"{key}.address"] = [f"Use at most {_EMAIL_MAX_LENGTH} characters."]
            continue
        if address.casefold() in seen:
            errors[f"{key}.address"] = ["This email address is already listed for this contact."]
            continue
        seen.add(address.casefold())
        if primary:
            if primary_seen:
                errors[f"{key}.primary"] = ["Only one email address can be the primary one."]
                continue
            primary_seen = True
        cleaned.append(EmailAddressInput(label, address, primary))
    if cleaned and not primary_seen:
        # Someone has to be written to first: the first address listed.
        cleaned[0] = cleaned[0]._replace(primary=True)
    return cleaned


def _contact_clean(contact: Contact, errors: Errors) -> None:
    """Strip the name fields of `contact` in place and check what a contact needs."""
    for field in _TEXT_FIELDS:
        value = (getattr(contact, field) or "").strip()
        setattr(contact, field, value)
        max_length = getattr(Contact._meta.get_field(field), "max_length", None)
        if max_length is not None and len(value) > max_length:
            errors[field] = [f"Use at most {max_length} characters."]
    if contact.type not in Contact.Type.values:
        errors["type"] = ["A contact is either a person or a company."]
    elif contact.type == Contact.Type.PERSON:
        if not (contact.first_name or contact.last_name) and "first_name" not in errors:
            errors["first_name"] = ["Enter a first name or a last name."]
    elif not contact.company_name and "company_name" not in errors:
        errors["company_name"] = ["Enter the company's name."]


def phone_numbers_clean(*, phone_numbers: Iterable[Sequence[object]]) -> list[PhoneNumberInput]:
    """The numbers in E.164 with their labels; ValidationError keyed by input path otherwise.

    Pure: reads and writes nothing. contact_create and contact_update validate with it.
    """
    errors: Errors = {}
    cleaned = _phones_clean(phone_numbers, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _phones_replace(*, firm: Firm, contact: Contact, phones: list[PhoneNumberInput]) -> None:
    existing = {
        p.number_e164: p for p in PhoneNumber.objects.for_firm(firm).filter(contact=contact)
    }
    wanted = {p.number for p in phones}
    texting = next((p.number for p in phones if p.texting), None)
    gone = [row.pk for number, row in existing.items() if number not in wanted]
    if gone:
        PhoneNumber.objects.for_firm(firm).filter(pk__in=gone).delete()
    # Clear the old texting flag before setting the new one: the database allows one per
    # contact at any moment, not only at commit.
    PhoneNumber.objects.for_firm(firm).filter(contact=contact, is_texting_number=True).exclude(
        number_e164=texting or ""
    ).update(is_texting_number=False, updated_at=timezone.now())
    new_rows = []
    for phone in phones:
        row = existing.get(phone.number)
        if row is None:
            new_rows.append(
                PhoneNumber(
                    firm=firm,
                    contact=contact,
                    label=phone.label,
                    number_e164=phone.number,
                    is_texting_number=phone.texting,
                )
            )
        elif row.label != phone.label or row.is_texting_number != phone.texting:
            row.label, row.is_texting_number = phone.label, phone.texting
            row.save(update_fields=["label", "is_texting_number", "updated_at"])
    PhoneNumber.objects.bulk_create(new_rows)


def _emails_replace(*, firm: Firm, contact: Contact, emails: list[EmailAddressInput]) -> None:
    existing = {e.address: e for e in EmailAddress.objects.for_firm(firm).filter(contact=contact)}
    wanted = {e.address for e in emails}
    gone = [row.pk for address, row in existing.items() if address not in wanted]
    if gone:
        EmailAddress.objects.for_firm(firm).filter(pk__in=gone).delete()
    new_rows = []
    for email in emails:
        row = existing.get(email.address)
        if row is None:
            new_rows.append(
                EmailAddress(
                    firm=firm,
                    contact=contact,
                    label=email.label,
                    address=email.address,
                    is_primary=email.primary,
                )
            )
        elif row.label != email.label or row.is_primary != email.primary:
            row.label, row.is_primary = email.label, email.primary
            row.save(update_fields=["label", "is_primary", "updated_at"])
    EmailAddress.objects.bulk_create(new_rows)


@transaction.atomic
def contact_create(
    *,
    firm: Firm,
    type: str = Contact.Type.PERSON,
    prefix: str = "",
    first_name: str = "",
    middle_name: str = "",
    last_name: str = "",
    company_name: str = "",
    title: str = "",
    phone_numbers: Iterable[Sequence[object]] = (),
    email_addresses: Iterable[Sequence[object]] = (),
) -> Contact:
    """Create a contact with its phone numbers and email addresses.

    Transactional; raises ValidationError (keyed by input path, see the module docstring) and
    writes nothing when any input is invalid. Without a primary email the first one is primary.
    """
    contact = Contact(
        firm=firm,
        type=type,
        prefix=prefix,
        first_name=first_name,
        middle_name=middle_name,
        last_name=last_name,
        company_name=company_name,
        title=title,
    )
    errors: Errors = {}
    _contact_clean(contact, errors)
    phones = _phones_clean(phone_numbers, errors)
    emails = _emails_clean(email_addresses, errors)
    if errors:
        raise ValidationError(errors)
    contact.sort_name = contact.compute_sort_name()
    contact.save()
    _phones_replace(firm=firm, contact=contact, phones=phones)
    _emails_replace(firm=firm, contact=contact, emails=emails)
    return contact


@transaction.atomic
def contact_update(
    *,
    firm: Firm,
    contact: Contact,
    type: str | None = None,
    prefix: str | None = None,
    first_name: str | None = None,
    middle_name: str | None = None,
    last_name: str | None = None,
    company_name: str | None = None,
    title: str | None = None,
    phone_numbers: Iterable[Sequence[object]] | None = None,
    email_addresses: Iterable[Sequence[object]] | None = None,
) -> Contact:
    """Change a contact; arguments left as None keep their value (a PATCH).

    `phone_numbers` and `email_addresses`, when given, replace the whole set: rows whose number
    (address) is still listed keep their id, the others are deleted. Transactional; raises
    ValidationError and changes nothing on invalid input, ContactNotFound for another firm's
    contact. Returns a fresh instance; the one passed in is left untouched.
    """
    if contact.firm_id != firm.id:
        raise ContactNotFound("No such contact.")
    # Locked so two concurrent edits of one contact's numbers cannot interleave.
    locked = Contact.objects.for_firm(firm).select_for_update().get(pk=contact.pk)
    values = {
        "type": type,
        "prefix": prefix,
        "first_name": first_name,
        "middle_name": middle_name,
        "last_name": last_name,
        "company_name": company_name,
        "title": title,
    }
    for field, value in values.items():
        if value is not None:
            setattr(locked, field, value)
    errors: Errors = {}
    _contact_clean(locked, errors)
    phones = None if phone_numbers is None else _phones_clean(phone_numbers, errors)
    emails = None if email_addresses is None else _emails_clean(email_addresses, errors)
    if errors:
        raise ValidationError(errors)
    locked.sort_name = locked.compute_sort_name()
    locked.save()  # also when only numbers changed: updated_at tells API clients to re-sync
    if phones is not None:
        _phones_replace(firm=firm, contact=locked, phones=phones)
    if emails is not None:
        _emails_replace(firm=firm, contact=locked, emails=emails)
    return locked


def _contacts_touch(*, firm: Firm, contacts: Sequence[Contact]) -> None:
    """Bump updated_at: a relationship shows in both contacts' `related_contacts`."""
    Contact.objects.for_firm(firm).filter(pk__in=[c.pk for c in contacts]).update(
        updated_at=timezone.now()
    )


@transaction.atomic
def contact_relationship_add(
    *, firm: Firm, contact: Contact, related_contact: Contact, description: str = ""
) -> ContactRelationship:
    """Relate two of the firm's contacts (`description` says how, e.g. "Spouse").

    A relationship is stored once and shows on both contacts. Raises ContactNotFound for
    another firm's contact, RelationshipNotAllowed for a contact and itself, RelationshipExists
    when the two are already related (either way round), ValidationError for a long description.
    """
    if contact.firm_id != firm.id or related_contact.firm_id != firm.id:
        raise ContactNotFound("No such contact.")
    if contact.pk == related_contact.pk:
        raise RelationshipNotAllowed("A contact cannot be related to itself.")
    description = (description or "").strip()
    if len(description) > _DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": [f"Use at most {_DESCRIPTION_MAX_LENGTH} characters."]}
        )
    # Lock both contacts in a fixed order, so A→B and B→A added at once cannot both pass.
    list(
        Contact.objects.for_firm(firm)
        .select_for_update()
        .filter(pk__in=[contact.pk, related_contact.pk])
        .order_by("pk")
    )
    pair = Q(contact=contact, related_contact=related_contact) | Q(
        contact=related_contact, related_contact=contact
    )
    if ContactRelationship.objects.for_firm(firm).filter(pair).exists():
        raise RelationshipExists(f"{contact.name} and {related_contact.name} are already related.")
    relationship = ContactRelationship.objects.create(
        firm=firm, contact=contact, related_contact=related_contact, description=description
    )
    _contacts_touch(firm=firm, contacts=[contact, related_contact])
    return relationship


@transaction.atomic
def contact_relationship_remove(*, firm: Firm, contact: Contact, related_contact: Contact) -> None:
    """Remove the relationship between two contacts, whichever way round it was added.

    Raises ContactNotFound for another firm's contact, RelationshipNotFound when the two are
    not related.
    """
    if contact.firm_id != firm.id or related_contact.firm_id != firm.id:
        raise ContactNotFound("No such contact.")
    pair = Q(contact=contact, related_contact=related_contact) | Q(
        contact=related_contact, related_contact=contact
    )
    deleted, _ = ContactRelationship.objects.for_firm(firm).filter(pair).delete()
    if not deleted:
        raise RelationshipNotFound(f"{contact.name} and {related_contact.name} are not related.")
    _contacts_touch(firm=firm, contacts=[contact, related_contact])
