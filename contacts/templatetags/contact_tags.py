"""Formatting for contact templates (formatting only: no queries, no decisions)."""

from django import template

from common.phones import phone_display

from .. import selectors
from ..models import Contact, PhoneNumber

register = template.Library()


@register.filter
def phone(e164: str | None) -> str:
    """+12025550143 → (202) 555-0143; international numbers in international format."""
    return phone_display(e164 or "")


@register.filter
def contact_subtitle(contact: Contact) -> str:
    """A person's title and company ("Partner, Acme LLP"); empty for companies."""
    if contact.type == Contact.Type.COMPANY:
        return contact.title
    return ", ".join(part for part in (contact.title, contact.company_name) if part)


@register.filter
def texting_number(contact: Contact) -> PhoneNumber | None:
    """The contact's texting number row, from its (ideally prefetched) phone numbers."""
    return selectors.texting_number(contact)
