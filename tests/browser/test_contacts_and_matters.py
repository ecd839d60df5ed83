"""A staff member's first day: a client with a texting number, a matter, a document."""

from pathlib import Path

from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from contacts.models import Contact

NOT_NORTH_AMERICAN = (
    "A texting number must be a US or Canadian number (+1); texts cannot be sent to other "
    "countries."
)


def _contact_count() -> int:
    with scopes_disabled():
        return Contact.objects.count()


def test_new_client_texting_number_matter_and_document(
    sign_in, member, live_server, tmp_path: Path
) -> None:
    page: Page = sign_in(member)
    page.get_by_role("link", name="Contacts", exact=True).first.click()
    page.get_by_role("link", name="New contact").first.click()

    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Last name").fill("Garcia")
    page.locator("#id_phones-0-number").fill("+44 7911 123456")
    page.locator("#id_phones-0-texting").check()
    page.get_by_role("button", name="Create contact").click()

    # Refused with the sentence, and nothing was created.
    expect(page.get_by_text(NOT_NORTH_AMERICAN)).to_be_visible()
    assert _contact_count() == 0

    page.locator("#id_phones-0-number").fill("(202) 555-0143")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("heading", name="Maria Garcia")).to_be_visible()
    expect(page.locator("main")).to_contain_text("(202) 555-0143")
    assert _contact_count() == 1

    page.get_by_role("link", name="Matters", exact=True).last.click()
    page.get_by_role("link", name="New matter").click()
    page.get_by_label("Description").fill("Slip and fall, Main St. grocery")
    page.get_by_role("button", name="Create matter").click()
    expect(page.locator("main")).to_contain_text("00001-Garcia")
    expect(page.locator("main")).to_contain_text("Maria Garcia")

    page.get_by_role("link", name="Documents").click()
    letter = tmp_path / "engagement-letter.txt"
    letter.write_text("Engagement letter")
    page.get_by_label("File").set_input_files(str(letter))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("main")).to_contain_text("engagement-letter.txt")


def test_outsider_gets_not_found_for_another_firms_contact(
    sign_in, outsider, firm, live_server
) -> None:
    from contacts.tests.factories import ContactFactory

    contact = ContactFactory(firm=firm, first_name="Secret", last_name="Client")
    page = sign_in(outsider)
    response = page.goto(f"{live_server.url}/contacts/{contact.uuid}/")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("belongs to another firm")
    expect(page.locator("main")).not_to_contain_text("Secret")
