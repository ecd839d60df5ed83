"""Factories for contacts. Children take their contact's firm, so no graph crosses firms."""

import factory

from accounts.tests.factories import FirmFactory
from common.tests.factories import FirmOwnedFactory
from contacts.models import Contact, ContactRelationship, EmailAddress, PhoneNumber


def _sort_name(o: factory.builder.Resolver) -> str:
    return Contact(
        type=o.type,
        first_name=o.first_name,
        middle_name=o.middle_name,
        last_name=o.last_name,
        company_name=o.company_name,
    ).compute_sort_name()


class ContactFactory(FirmOwnedFactory):
    """A person; `ContactFactory(company=True)` makes a company."""

    class Meta:
        model = Contact

    class Params:
        company = factory.Trait(
            type=Contact.Type.COMPANY,
            first_name="",
            last_name="",
            company_name=factory.Faker("company"),
        )

    firm = factory.SubFactory(FirmFactory)
    type = Contact.Type.PERSON
    first_name = factory.Faker("first_name")
    middle_name = ""
    last_name = factory.Faker("last_name")
    company_name = ""
    sort_name = factory.LazyAttribute(_sort_name)


class PhoneNumberFactory(FirmOwnedFactory):
    """A valid US number (+1 202 555 01xx is reserved for fiction); `texting=True` marks it."""

    class Meta:
        model = PhoneNumber

    class Params:
        texting = factory.Trait(is_texting_number=True)

    contact = factory.SubFactory(ContactFactory)
    firm = factory.SelfAttribute("contact.firm")
    label = PhoneNumber.Label.MOBILE
    number_e164 = factory.Sequence(lambda n: f"+1202555{100 + n % 100:04d}")
    is_texting_number = False


class EmailAddressFactory(FirmOwnedFactory):
    class Meta:
        model = EmailAddress

    contact = factory.SubFactory(ContactFactory)
    firm = factory.SelfAttribute("contact.firm")
    label = EmailAddress.Label.WORK
    address = factory.Sequence(lambda n: f"person{n}@example.com")
    is_primary = True


class ContactRelationshipFactory(FirmOwnedFactory):
    class Meta:
        model = ContactRelationship

    contact = factory.SubFactory(ContactFactory)
    firm = factory.SelfAttribute("contact.firm")
    related_contact = factory.SubFactory(ContactFactory, firm=factory.SelfAttribute("..firm"))
    description = "Spouse"
