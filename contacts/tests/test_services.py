import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from contacts.exceptions import (
    ContactNotFound,
    RelationshipExists,
    RelationshipNotAllowed,
    RelationshipNotFound,
)
from contacts.models import Contact, ContactRelationship, EmailAddress, PhoneNumber
from contacts.services import (
    EmailAddressInput,
    PhoneNumberInput,
    contact_create,
    contact_relationship_add,
    contact_relationship_remove,
    contact_update,
    phone_numbers_clean,
)
from contacts.tests.factories import ContactFactory, PhoneNumberFactory

NOT_NORTH_AMERICAN = (
    "A texting number must be a US or Canadian number (+1); "
    "texts cannot be sent to other countries."
)


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_us_texting_number_is_stored_in_e164(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            first_name="Ana",
            last_name="García",
            phone_numbers=[("mobile", "(202) 555-0143", True)],
        )
        number = PhoneNumber.objects.get(contact=contact)
    assert number.number_e164 == "+12025550143"
    assert number.is_texting_number
    assert number.firm_id == firm.id


def test_canadian_texting_number_is_accepted(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            last_name="Tremblay",
            phone_numbers=[PhoneNumberInput("mobile", "+1 416 555 0123", texting=True)],
        )
        assert list(contact.phone_numbers.values_list("number_e164", flat=True)) == ["+14165550123"]


def test_non_north_american_texting_number_is_refused_with_the_sentence(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            first_name="Nigel",
            phone_numbers=[("mobile", "+44 7911 123456", True)],
        )
    assert _errors(excinfo) == {"phone_numbers[0].number": [NOT_NORTH_AMERICAN]}


def test_non_north_american_number_is_fine_when_not_for_texting(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            first_name="Nigel",
            phone_numbers=[("work", "+44 7911 123456", False), ("mobile", "2025550143", True)],
        )
        numbers = dict(contact.phone_numbers.values_list("number_e164", "is_texting_number"))
    assert numbers == {"+447911123456": False, "+12025550143": True}


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ("12345", "This is not a valid phone number"),
        ("call me", "Enter a valid phone number"),
        ("", "Enter a phone number."),
        ("+1 202 555 01434", "This is not a valid phone number"),
    ],
)
def test_malformed_numbers_are_refused_and_nothing_is_written(
    firm, firm_scope, unscoped, raw, sentence
):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            first_name="Ana",
            email_addresses=[("work", "ana@example.com", True)],
            phone_numbers=[("mobile", "(202) 555-0143", False), ("work", raw, True)],
        )
    [message] = _errors(excinfo)["phone_numbers[1].number"]
    assert message.startswith(sentence)
    assert Contact.objects.count() == 0
    assert PhoneNumber.objects.count() == 0
    assert EmailAddress.objects.count() == 0


def test_second_texting_number_is_refused(firm, firm_scope, unscoped):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            first_name="Ana",
            phone_numbers=[("mobile", "2025550143", True), ("work", "2025550144", True)],
        )
    assert list(_errors(excinfo)) == ["phone_numbers[1].texting"]
    assert (
        "Only one phone number can be the texting number"
        in (_errors(excinfo)["phone_numbers[1].texting"][0])
    )
    assert Contact.objects.count() == 0


def test_the_same_number_twice_is_refused_however_it_is_typed(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            first_name="Ana",
            phone_numbers=[("mobile", "(202) 555-0143", False), ("work", "+1 202-555-0143", False)],
        )
    assert _errors(excinfo) == {
        "phone_numbers[1].number": ["This number is already listed for this contact."]
    }


def test_person_needs_a_first_or_last_name(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(firm=firm, first_name="  ", last_name="", company_name="Acme")
    assert _errors(excinfo) == {"first_name": ["Enter a first name or a last name."]}


def test_company_needs_a_company_name(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(firm=firm, type=Contact.Type.COMPANY, first_name="Ana")
    assert _errors(excinfo) == {"company_name": ["Enter the company's name."]}


def test_all_errors_are_reported_at_once(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            type=Contact.Type.COMPANY,
            phone_numbers=[("pager", "+44 7911 123456", True)],
            email_addresses=[("work", "not-an-email", False)],
        )
    assert set(_errors(excinfo)) == {
        "company_name",
        "phone_numbers[0].name",
        "phone_numbers[0].number",
        "email_addresses[0].address",
    }


def test_sort_name_and_names_are_stored_stripped(firm, firm_scope):
    with firm_scope():
        person = contact_create(
            firm=firm, first_name=" Ana ", middle_name="María", last_name="García"
        )
        company = contact_create(firm=firm, type="company", company_name=" Acme Legal LLC ")
    assert (person.first_name, person.sort_name) == ("Ana", "garcía, ana maría")
    assert person.name == "Ana María García"
    assert (company.company_name, company.sort_name) == ("Acme Legal LLC", "acme legal llc")


def test_first_email_becomes_primary_when_none_is_marked(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            first_name="Ana",
            email_addresses=[
                EmailAddressInput("work", "Ana@Example.COM"),
                EmailAddressInput("home", "ana@home.example"),
            ],
        )
        emails = list(contact.email_addresses.values_list("address", "is_primary"))
    assert emails == [("Ana@example.com", True), ("ana@home.example", False)]


def test_two_primary_emails_and_duplicate_emails_are_refused(firm, firm_scope):
    with firm_scope(), pytest.raises(ValidationError) as excinfo:
        contact_create(
            firm=firm,
            first_name="Ana",
            email_addresses=[
                ("work", "ana@example.com", True),
                ("home", "ANA@example.com", False),
                ("other", "ana@other.example", True),
            ],
        )
    assert set(_errors(excinfo)) == {"email_addresses[1].address", "email_addresses[2].primary"}


def test_update_replaces_numbers_and_keeps_unchanged_rows(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            first_name="Ana",
            phone_numbers=[("mobile", "2025550143", True), ("work", "2025550144", False)],
        )
        kept = contact.phone_numbers.get(number_e164="+12025550144")
        updated = contact_update(
            firm=firm,
            contact=contact,
            last_name="García",
            phone_numbers=[("work", "202-555-0144", True), ("home", "+1 416 555 0123", False)],
        )
        rows = {p.number_e164: p for p in updated.phone_numbers.all()}
    assert updated.first_name == "Ana"  # not given, kept
    assert updated.sort_name == "garcía, ana"
    assert set(rows) == {"+12025550144", "+14165550123"}
    assert rows["+12025550144"].pk == kept.pk
    assert rows["+12025550144"].is_texting_number  # the texting flag moved to this row
    assert not rows["+14165550123"].is_texting_number


def test_refused_update_changes_nothing(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm, first_name="Ana", phone_numbers=[("mobile", "2025550143", True)]
        )
        with pytest.raises(ValidationError):
            contact_update(
                firm=firm,
                contact=contact,
                first_name="Anita",
                phone_numbers=[("mobile", "+44 7911 123456", True)],
            )
        contact.refresh_from_db()
        numbers = list(contact.phone_numbers.values_list("number_e164", "is_texting_number"))
    assert contact.first_name == "Ana"
    assert numbers == [("+12025550143", True)]


def test_update_without_lists_keeps_numbers_and_emails(firm, firm_scope):
    with firm_scope():
        contact = contact_create(
            firm=firm,
            first_name="Ana",
            phone_numbers=[("mobile", "2025550143", True)],
            email_addresses=[("work", "ana@example.com", True)],
        )
        contact_update(firm=firm, contact=contact, title="Partner")
        assert contact.phone_numbers.count() == 1
        assert contact.email_addresses.count() == 1


def test_update_of_another_firms_contact_is_not_found(firm, other_firm, firm_scope):
    foreign = ContactFactory(firm=other_firm)
    with firm_scope(), pytest.raises(ContactNotFound):
        contact_update(firm=firm, contact=foreign, first_name="Mallory")


def test_relationship_shows_on_both_sides_and_is_removed_either_way(firm, firm_scope):
    ana, acme = ContactFactory(firm=firm), ContactFactory(firm=firm, company=True)
    with firm_scope():
        contact_relationship_add(
            firm=firm, contact=ana, related_contact=acme, description=" Employer "
        )
        relationship = ContactRelationship.objects.get()
        assert relationship.description == "Employer"
        with pytest.raises(RelationshipExists):
            contact_relationship_add(firm=firm, contact=acme, related_contact=ana)
        contact_relationship_remove(firm=firm, contact=acme, related_contact=ana)
        assert not ContactRelationship.objects.exists()
        with pytest.raises(RelationshipNotFound):
            contact_relationship_remove(firm=firm, contact=ana, related_contact=acme)


def test_contact_cannot_be_related_to_itself(firm, firm_scope):
    ana = ContactFactory(firm=firm)
    with firm_scope(), pytest.raises(RelationshipNotAllowed):
        contact_relationship_add(firm=firm, contact=ana, related_contact=ana)


def test_relationship_with_another_firms_contact_is_not_found(firm, other_firm, firm_scope):
    ana, foreign = ContactFactory(firm=firm), ContactFactory(firm=other_firm)
    with firm_scope():
        with pytest.raises(ContactNotFound):
            contact_relationship_add(firm=firm, contact=ana, related_contact=foreign)
        assert not ContactRelationship.objects.exists()


def test_relationship_touches_both_contacts(firm, firm_scope):
    ana, ben = ContactFactory(firm=firm), ContactFactory(firm=firm)
    before = ana.updated_at, ben.updated_at
    with firm_scope():
        contact_relationship_add(firm=firm, contact=ana, related_contact=ben)
        ana.refresh_from_db()
        ben.refresh_from_db()
    assert ana.updated_at > before[0]
    assert ben.updated_at > before[1]


def test_existing_texting_number_can_move_to_a_new_number(firm, firm_scope):
    old = PhoneNumberFactory(contact=ContactFactory(firm=firm), texting=True)
    with firm_scope():
        updated = contact_update(
            firm=firm,
            contact=old.contact,
            phone_numbers=[("home", old.number_e164, False), ("mobile", "4165550123", True)],
        )
        rows = dict(updated.phone_numbers.values_list("number_e164", "is_texting_number"))
    assert rows == {old.number_e164: False, "+14165550123": True}


_separators = st.sampled_from(["", " ", "-", ".", "  "])


@given(
    country=st.sampled_from(["", "1", "+1", "+1 ", "1-", "+1-", "1 ", "+1."]),
    parenthesised=st.booleans(),
    first=_separators,
    second=_separators,
    padding=st.sampled_from(["", " ", "\t"]),
)
def test_formatting_variants_of_one_number_normalise_alike(
    country, parenthesised, first, second, padding
):
    area = "(202)" if parenthesised else "202"
    typed = f"{padding}{country}{area}{first}555{second}0143{padding}"
    [cleaned] = phone_numbers_clean(phone_numbers=[("mobile", typed, True)])
    assert cleaned.number == "+12025550143"
    assert cleaned.texting is True
