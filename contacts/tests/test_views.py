import pytest
from django.urls import reverse

from contacts.models import Contact, ContactRelationship, PhoneNumber
from contacts.tests.factories import (
    ContactFactory,
    ContactRelationshipFactory,
    EmailAddressFactory,
    PhoneNumberFactory,
)
from contacts.views import contact_tabs

NOT_NORTH_AMERICAN = (
    "A texting number must be a US or Canadian number (+1); "
    "texts cannot be sent to other countries."
)


def _form_data(**overrides):
    """A filled-in contact form: one phone row and one email row."""
    data = {
        "type": "person",
        "name_prefix": "",
        "first_name": "Ana",
        "middle_name": "",
        "last_name": "García",
        "company_name": "",
        "title": "",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "0",
        "phones-0-name": "mobile",
        "phones-0-number": "(202) 555-0143",
        "phones-0-texting": "on",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-name": "work",
        "emails-0-address": "ana@example.com",
        "emails-0-primary": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def ana(firm):
    contact = ContactFactory(firm=firm, first_name="Ana", last_name="García")
    PhoneNumberFactory(contact=contact, number_e164="+12025550143", texting=True)
    EmailAddressFactory(contact=contact, address="ana@example.com")
    return contact


# --- Cross-firm: another firm's contact is 404, never data ---------------------------------


def test_list_shows_only_the_firms_contacts(client_for, member, ana, other_firm):
    # A name no factory makes up: the member's own random name shows on every page.
    ContactFactory(firm=other_firm, first_name="Xanthippe", last_name="Outsider-Firm")
    response = client_for(member).get(reverse("contacts:list"))
    assert response.status_code == 200
    assert "Ana García" in response.text
    assert "Xanthippe" not in response.text


@pytest.mark.parametrize(
    "url_name", ["contacts:detail", "contacts:edit", "contacts:communications"]
)
def test_outsider_gets_404_for_the_firms_contact(client_for, outsider, ana, url_name):
    response = client_for(outsider).get(reverse(url_name, args=[ana.uuid]))
    assert response.status_code == 404
    assert "Ana" not in response.text


def test_outsider_cannot_edit_the_firms_contact(client_for, outsider, ana, unscoped):
    response = client_for(outsider).post(
        reverse("contacts:edit", args=[ana.uuid]), _form_data(first_name="Mallory")
    )
    assert response.status_code == 404
    ana.refresh_from_db()
    assert ana.first_name == "Ana"


def test_outsider_cannot_add_or_remove_relationships_of_the_firms_contact(
    client_for, outsider, ana, firm, other_firm, unscoped
):
    theirs = ContactFactory(firm=other_firm)
    client = client_for(outsider)
    add = client.post(
        reverse("contacts:relationship-add", args=[ana.uuid]),
        {"related_contact": str(theirs.uuid)},
    )
    existing = ContactRelationshipFactory(contact=ana, related_contact=ContactFactory(firm=firm))
    remove = client.post(
        reverse("contacts:relationship-remove", args=[ana.uuid, existing.related_contact.uuid])
    )
    assert add.status_code == 404
    assert remove.status_code == 404
    assert list(ContactRelationship.objects.all()) == [existing]


def test_foreign_contact_in_relationship_form_is_not_found(
    client_for, member, ana, other_firm, unscoped
):
    foreign = ContactFactory(firm=other_firm)
    response = client_for(member).post(
        reverse("contacts:relationship-add", args=[ana.uuid]),
        {"related_contact": str(foreign.uuid), "description": "Spouse"},
        follow=True,
    )
    assert "That contact was not found." in response.text
    assert not ContactRelationship.objects.exists()


def test_picker_offers_only_the_firms_contacts(client_for, member, ana, other_firm):
    ContactFactory(firm=other_firm, first_name="Ana", last_name="Outsider")
    ContactFactory(firm=ana.firm, first_name="Ana", last_name="Insider")
    response = client_for(member).get(
        reverse("contacts:picker"), {"q": "ana", "exclude": str(ana.uuid)}
    )
    assert "Ana Insider" in response.text
    assert "Outsider" not in response.text
    assert "Ana García" not in response.text  # excluded: the contact being related


# --- Create and edit -------------------------------------------------------------------------


def test_member_creates_a_contact(client_for, member, firm_scope):
    response = client_for(member).post(reverse("contacts:create"), _form_data())
    with firm_scope():
        contact = Contact.objects.get()
        numbers = list(contact.phone_numbers.values_list("number_e164", "is_texting_number"))
        emails = list(contact.email_addresses.values_list("address", flat=True))
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:detail", args=[contact.uuid])
    assert contact.name == "Ana García"
    assert numbers == [("+12025550143", True)]
    assert emails == ["ana@example.com"]


def test_admin_creates_a_company(client_for, admin, firm_scope):
    data = _form_data(type="company", first_name="", last_name="", company_name="Acme Legal")
    response = client_for(admin).post(reverse("contacts:create"), data)
    assert response.status_code == 302
    with firm_scope():
        assert Contact.objects.get().type == Contact.Type.COMPANY


def test_foreign_texting_number_shows_the_sentence_and_creates_nothing(
    client_for, member, unscoped
):
    response = client_for(member).post(
        reverse("contacts:create"), _form_data(**{"phones-0-number": "+44 7911 123456"})
    )
    assert response.status_code == 200
    assert NOT_NORTH_AMERICAN in response.text
    # The sentence sits with the number field it is about, which keeps what was typed.
    assert 'value="+44 7911 123456"' in response.text
    assert Contact.objects.count() == 0


def test_second_texting_number_error_is_shown_on_its_row(client_for, member, unscoped):
    data = _form_data(
        **{
            "phones-TOTAL_FORMS": "3",
            "phones-1-name": "work",
            "phones-1-number": "",  # a blank row in between is ignored
            "phones-2-name": "home",
            "phones-2-number": "4165550123",
            "phones-2-texting": "on",
        }
    )
    response = client_for(member).post(reverse("contacts:create"), data)
    assert response.status_code == 200
    assert "Only one phone number can be the texting number" in response.text
    assert Contact.objects.count() == 0


def test_missing_name_is_shown_on_the_form(client_for, member, unscoped):
    response = client_for(member).post(
        reverse("contacts:create"), _form_data(first_name="", last_name="")
    )
    assert "Enter a first name or a last name." in response.text
    assert Contact.objects.count() == 0


def test_edit_form_shows_current_values(client_for, member, ana):
    response = client_for(member).get(reverse("contacts:edit", args=[ana.uuid]))
    assert response.status_code == 200
    assert 'value="(202) 555-0143"' in response.text
    assert 'value="ana@example.com"' in response.text


def test_member_edits_numbers_and_names(client_for, member, ana, firm_scope):
    data = _form_data(
        first_name="Anita",
        **{
            "phones-TOTAL_FORMS": "2",
            "phones-INITIAL_FORMS": "1",
            "phones-0-texting": "",  # the old number stays, no longer for texting
            "phones-1-name": "work",
            "phones-1-number": "+1 416 555 0123",
            "phones-1-texting": "on",
            "emails-0-DELETE": "on",
        },
    )
    response = client_for(member).post(reverse("contacts:edit", args=[ana.uuid]), data)
    assert response.status_code == 302
    with firm_scope():
        ana.refresh_from_db()
        numbers = dict(ana.phone_numbers.values_list("number_e164", "is_texting_number"))
        emails = ana.email_addresses.count()
    assert ana.first_name == "Anita"
    assert numbers == {"+12025550143": False, "+14165550123": True}
    assert emails == 0


def test_refused_edit_changes_nothing(client_for, member, ana, firm_scope):
    data = _form_data(first_name="Anita", **{"phones-0-number": "+44 7911 123456"})
    response = client_for(member).post(reverse("contacts:edit", args=[ana.uuid]), data)
    assert NOT_NORTH_AMERICAN in response.text
    with firm_scope():
        ana.refresh_from_db()
        numbers = list(ana.phone_numbers.values_list("number_e164", flat=True))
    assert ana.first_name == "Ana"
    assert numbers == ["+12025550143"]


# --- List, search, HTMX ------------------------------------------------------------------------


def test_search_finds_by_number_digits(client_for, member, ana, firm):
    ContactFactory(firm=firm, first_name="Ben", last_name="Adams")
    response = client_for(member).get(reverse("contacts:list"), {"q": "202-555-01"})
    assert "Ana García" in response.text
    assert "Ben Adams" not in response.text


def test_htmx_search_renders_only_the_rows(client_for, member, ana, firm):
    ContactFactory(firm=firm, first_name="Ben", last_name="Adams")
    response = client_for(member).get(
        reverse("contacts:list"), {"q": "adams"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Ben Adams" in response.text
    assert "Ana García" not in response.text
    assert "<html" not in response.text
    assert "<table" in response.text
    assert "HX-Request" in response["Vary"]


def test_full_page_has_the_search_box_wired_to_htmx(client_for, member):
    response = client_for(member).get(reverse("contacts:list"))
    assert "<html" in response.text
    assert 'hx-trigger="input changed delay:300ms, search"' in response.text


def test_list_paginates_25_per_page(client_for, member, firm):
    for n in range(30):
        ContactFactory(firm=firm, first_name="Person", last_name=f"N{n:02d}")
    client = client_for(member)
    first = client.get(reverse("contacts:list"))
    second = client.get(reverse("contacts:list"), {"page": 2})
    assert first.text.count("<tr>") - 1 == 25  # minus the header row
    assert "Page 1 of 2" in first.text
    assert "Person N29" in second.text
    assert "Person N00" not in second.text


def test_list_queries_do_not_grow_with_rows(
    client_for, member, firm, django_assert_max_num_queries
):
    for _ in range(25):
        contact = ContactFactory(firm=firm)
        PhoneNumberFactory(contact=contact, texting=True)
        EmailAddressFactory(contact=contact)
    client = client_for(member)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("contacts:list"))
    assert response.text.count("(202) 555-") == 25


def test_user_data_is_escaped(client_for, member, firm):
    ContactFactory(firm=firm, first_name="<script>alert(1)</script>", last_name="X")
    response = client_for(member).get(reverse("contacts:list"))
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# --- Detail and relationships -------------------------------------------------------------------


def test_detail_shows_numbers_with_the_texting_badge(client_for, member, ana):
    PhoneNumberFactory(contact=ana, label="work", number_e164="+447911123456")
    response = client_for(member).get(reverse("contacts:detail", args=[ana.uuid]))
    assert response.status_code == 200
    assert "(202) 555-0143" in response.text
    assert "+44 7911 123456" in response.text
    assert response.text.count('badge badge--ok">Texting<') == 1
    assert "ana@example.com" in response.text


def test_detail_has_the_tabs(client_for, member, ana):
    response = client_for(member).get(reverse("contacts:detail", args=[ana.uuid]))
    for label, url, _key in contact_tabs(ana):
        assert f'href="{url}"' in response.text
        assert label in response.text
    assert 'aria-current="page">Overview<' in response.text


def test_matters_tab_links_to_the_contacts_matters(ana):
    tabs = {key: url for _label, url, key in contact_tabs(ana)}
    assert tabs["overview"] == reverse("contacts:detail", args=[ana.uuid])
    assert tabs["communications"] == reverse("contacts:communications", args=[ana.uuid])
    assert tabs["matters"] == reverse("matters:contact-matters", args=[ana.uuid])


def test_member_adds_and_removes_a_related_contact(client_for, member, ana, firm, firm_scope):
    acme = ContactFactory(firm=firm, company=True, company_name="Acme Legal")
    client = client_for(member)
    added = client.post(
        reverse("contacts:relationship-add", args=[ana.uuid]),
        {"related_contact": str(acme.uuid), "description": "Employer"},
        follow=True,
    )
    assert "Acme Legal was added to the related contacts." in added.text
    assert "Employer" in added.text
    # It shows on the other side too.
    other_side = client.get(reverse("contacts:detail", args=[acme.uuid]))
    assert "Ana García" in other_side.text
    removed = client.post(
        reverse("contacts:relationship-remove", args=[acme.uuid, ana.uuid]), follow=True
    )
    assert "was removed from the related contacts" in removed.text
    with firm_scope():
        assert not ContactRelationship.objects.exists()


def test_relating_a_contact_to_itself_shows_why_not(client_for, member, ana, unscoped):
    response = client_for(member).post(
        reverse("contacts:relationship-add", args=[ana.uuid]),
        {"related_contact": str(ana.uuid)},
        follow=True,
    )
    assert "A contact cannot be related to itself." in response.text
    assert not ContactRelationship.objects.exists()


def test_relationship_add_refuses_get(client_for, member, ana):
    response = client_for(member).get(reverse("contacts:relationship-add", args=[ana.uuid]))
    assert response.status_code == 405


def test_signed_out_visitor_is_sent_to_sign_in(client, ana):
    response = client.get(reverse("contacts:detail", args=[ana.uuid]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_phone_number_rows_not_submitted_are_left_alone(client_for, member, firm_scope):
    data = _form_data(**{"phones-TOTAL_FORMS": "2", "phones-1-name": "work", "phones-1-number": ""})
    client_for(member).post(reverse("contacts:create"), data)
    with firm_scope():
        assert PhoneNumber.objects.count() == 1


def test_relationship_reads_right_from_both_contacts(client_for, member, firm):
    employee = ContactFactory(firm=firm, first_name="Lauren", last_name="Carter")
    employer = ContactFactory(firm=firm, company=True, company_name="Brightline LLC")
    ContactRelationshipFactory(contact=employee, related_contact=employer, description="Employer")
    client = client_for(member)

    employee_page = client.get(f"/contacts/{employee.uuid}/").content.decode()
    employer_page = client.get(f"/contacts/{employer.uuid}/").content.decode()

    assert '<td data-label="Relationship">Employer</td>' in employee_page
    assert '<span class="muted">is their</span> Employer' in employer_page
