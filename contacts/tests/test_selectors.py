import pytest

from contacts.selectors import contact_get, contact_list, related_contacts
from contacts.tests.factories import (
    ContactFactory,
    ContactRelationshipFactory,
    EmailAddressFactory,
    PhoneNumberFactory,
)


@pytest.fixture
def people(firm, other_firm):
    ana = ContactFactory(firm=firm, first_name="Ana", middle_name="María", last_name="García")
    PhoneNumberFactory(contact=ana, number_e164="+12025550143", texting=True)
    EmailAddressFactory(contact=ana, address="ana@garcia.example")
    ben = ContactFactory(firm=firm, first_name="Ben", last_name="Adams", company_name="Acme")
    PhoneNumberFactory(contact=ben, number_e164="+14165550123")
    acme = ContactFactory(firm=firm, company=True, company_name="Acme Legal LLC")
    # Another firm's look-alike must never show up.
    foreign = ContactFactory(firm=other_firm, first_name="Ana", last_name="García")
    PhoneNumberFactory(contact=foreign, number_e164="+12025550143", texting=True)
    return {"ana": ana, "ben": ben, "acme": acme}


def _names(contacts):
    return [c.name for c in contacts]


def test_list_is_the_firms_contacts_by_sort_name(firm, firm_scope, people):
    with firm_scope():
        assert _names(contact_list(firm=firm)) == [
            "Acme Legal LLC",
            "Ben Adams",
            "Ana María García",
        ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ana garcía", ["Ana María García"]),
        ("GARC", ["Ana María García"]),
        ("acme", ["Acme Legal LLC", "Ben Adams"]),
        ("garcia.example", ["Ana María García"]),
        ("(202) 555-01", ["Ana María García"]),
        ("202555", ["Ana María García"]),
        ("+1 416", ["Ben Adams"]),
        ("555-01", ["Ana María García", "Ben Adams"]),
        ("nobody", []),
    ],
)
def test_search_matches_names_company_email_and_number_digits(
    firm, firm_scope, people, query, expected
):
    with firm_scope():
        assert sorted(_names(contact_list(firm=firm, query=query))) == sorted(expected)


def test_type_filter(firm, firm_scope, people):
    with firm_scope():
        assert _names(contact_list(firm=firm, type="company")) == ["Acme Legal LLC"]


def test_list_rows_carry_texting_number_and_primary_email(firm, firm_scope, people):
    with firm_scope():
        rows = {c.name: c for c in contact_list(firm=firm)}
    assert rows["Ana María García"].texting_number_e164 == "+12025550143"
    assert rows["Ana María García"].primary_email == "ana@garcia.example"
    assert rows["Ben Adams"].texting_number_e164 is None


def test_related_contacts_reads_both_directions(firm, firm_scope, people):
    ContactRelationshipFactory(
        contact=people["ana"], related_contact=people["acme"], description="Employer"
    )
    ContactRelationshipFactory(
        contact=people["ben"], related_contact=people["ana"], description="Colleague"
    )
    with firm_scope():
        seen_from_ana = related_contacts(firm=firm, contact=people["ana"])
        seen_from_acme = related_contacts(firm=firm, contact=people["acme"])
        prefetched = contact_get(firm=firm, uuid=people["ana"].uuid)
        from_prefetch = related_contacts(firm=firm, contact=prefetched)
    assert [(r.contact.name, r.description) for r in seen_from_ana] == [
        ("Acme Legal LLC", "Employer"),
        ("Ben Adams", "Colleague"),
    ]
    assert [r.contact.name for r in seen_from_acme] == ["Ana María García"]
    assert [r.contact.pk for r in from_prefetch] == [r.contact.pk for r in seen_from_ana]


def test_related_contacts_uses_prefetches_without_queries(
    firm, firm_scope, people, django_assert_num_queries
):
    ContactRelationshipFactory(contact=people["ana"], related_contact=people["acme"])
    with firm_scope():
        contact = contact_get(firm=firm, uuid=people["ana"].uuid)
        with django_assert_num_queries(0):
            assert len(related_contacts(firm=firm, contact=contact)) == 1
