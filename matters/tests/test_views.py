from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import Firm, User
from matters.models import Document, Folder, Matter, MatterRelatedContact

from .factories import (
    ContactFactory,
    DocumentFactory,
    FolderFactory,
    MatterFactory,
    MatterRelatedContactFactory,
)

Scope = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(client_for: Callable[[User], Client], member: User) -> Client:
    return client_for(member)


@pytest.fixture
def intruder(client_for: Callable[[User], Client], outsider: User) -> Client:
    return client_for(outsider)


# --- List -----------------------------------------------------------------------------------


def test_list_shows_only_the_firms_own_matters(firm: Firm, other_firm: Firm, staff: Client) -> None:
    own = MatterFactory(client__firm=firm, description="Smith divorce")
    foreign = MatterFactory(client__firm=other_firm, description="Secret merger")

    response = staff.get(reverse("matters:list"))

    assert response.status_code == 200
    assert own.display_number in response.text and "Smith divorce" in response.text
    assert foreign.display_number not in response.text and "Secret merger" not in response.text


def test_list_searches_by_client_name_and_filters_by_status(firm: Firm, staff: Client) -> None:
    garcia = ContactFactory(firm=firm, first_name="Ana", last_name="Garcia")
    wanted = MatterFactory(client=garcia, description="Lease dispute")
    closed = MatterFactory(client=garcia, description="Old will", status=Matter.Status.CLOSED)
    other = MatterFactory(client__firm=firm, client__last_name="Lee", description="Patent")

    found = staff.get(reverse("matters:list"), {"q": "ana garc", "status": "open"})

    assert wanted.description in found.text
    assert closed.description not in found.text and other.description not in found.text
    by_number = staff.get(reverse("matters:list"), {"q": other.display_number})
    assert "Patent" in by_number.text and "Lease dispute" not in by_number.text


def test_htmx_search_returns_only_the_rows(firm: Firm, staff: Client) -> None:
    MatterFactory(client__firm=firm, description="Lease dispute")

    response = staff.get(reverse("matters:list"), {"q": "lease"}, HTTP_HX_REQUEST="true")

    assert "Lease dispute" in response.text
    assert "<html" not in response.text and "<table" in response.text
    assert "HX-Request" in response["Vary"]


def test_list_paginates_25_to_a_page(firm: Firm, staff: Client) -> None:
    client = ContactFactory(firm=firm)
    for _ in range(27):
        MatterFactory(client=client)

    first = staff.get(reverse("matters:list"))
    second = staff.get(reverse("matters:list"), {"page": 2})

    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 2
    assert "Page 1 of 2" in first.text


def test_list_query_count_does_not_grow_with_rows(
    firm: Firm,
    member: User,
    staff: Client,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    for _ in range(25):
        MatterFactory(client__firm=firm, responsible_attorney=member)

    # Session, user, membership, the navigation badge (preference, unread total), count, rows.
    with django_assert_max_num_queries(7):
        response = staff.get(reverse("matters:list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


def test_user_data_is_escaped(firm: Firm, staff: Client) -> None:
    matter = MatterFactory(
        client__firm=firm, description="<script>alert(1)</script>", client__last_name="<b>Bold</b>"
    )

    listing = staff.get(reverse("matters:list"))
    detail = staff.get(reverse("matters:detail", args=[matter.uuid]))

    for response in (listing, detail):
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "<b>Bold</b>" not in response.text


# --- Cross-firm -----------------------------------------------------------------------------


def _firm_object_urls(firm: Firm) -> dict[str, tuple[str, str, dict[str, object]]]:
    matter = MatterFactory(client__firm=firm)
    link = MatterRelatedContactFactory(matter=matter)
    folder = FolderFactory(matter=matter)
    document = DocumentFactory(matter=matter, folder=folder)
    uuid = matter.uuid
    return {
        "detail": ("get", reverse("matters:detail", args=[uuid]), {}),
        "edit": ("get", reverse("matters:edit", args=[uuid]), {}),
        "edit-post": (
            "post",
            reverse("matters:edit", args=[uuid]),
            {
                "description": "Taken",
                "client": str(matter.client.uuid),
                "display_number": "X",
                "status": "open",
            },
        ),
        "communications": ("get", reverse("matters:communications", args=[uuid]), {}),
        "documents": ("get", reverse("matters:documents", args=[uuid]), {}),
        "folder": ("get", reverse("matters:documents", args=[uuid, folder.uuid]), {}),
        "download": ("get", reverse("matters:document-download", args=[uuid, document.uuid]), {}),
        "related-add": (
            "post",
            reverse("matters:related-contact-add", args=[uuid]),
            {"contact": str(link.contact.uuid), "relationship": "Spy"},
        ),
        "related-remove": (
            "post",
            reverse("matters:related-contact-remove", args=[uuid, link.uuid]),
            {},
        ),
        "folder-create": (
            "post",
            reverse("matters:folder-create", args=[uuid]),
            {"name": "Stolen"},
        ),
        "upload": (
            "post",
            reverse("matters:document-upload", args=[uuid]),
            {"file": SimpleUploadedFile("x.txt", b"x")},
        ),
        "document-delete": (
            "post",
            reverse("matters:document-delete", args=[uuid, document.uuid]),
            {},
        ),
        "contact-matters": (
            "get",
            reverse("matters:contact-matters", args=[matter.client.uuid]),
            {},
        ),
    }


def test_outsider_gets_404_for_every_page_and_action_on_the_firms_matter(
    firm: Firm, intruder: Client, unscoped: None, media_root: Path
) -> None:
    urls = _firm_object_urls(firm)
    counts = (
        Matter.objects.count(),
        MatterRelatedContact.objects.count(),
        Folder.objects.count(),
        Document.objects.count(),
    )

    statuses = {
        name: getattr(intruder, method)(url, data).status_code
        for name, (method, url, data) in urls.items()
    }

    assert statuses == dict.fromkeys(urls, 404)
    assert (
        Matter.objects.count(),
        MatterRelatedContact.objects.count(),
        Folder.objects.count(),
        Document.objects.count(),
    ) == counts
    assert not Matter.objects.filter(description="Taken").exists()


def test_a_foreign_contact_uuid_in_the_create_form_is_refused(
    firm: Firm, other_firm: Firm, staff: Client, unscoped: None
) -> None:
    foreign = ContactFactory(firm=other_firm)

    response = staff.post(
        reverse("matters:create"),
        {
            "client": str(foreign.uuid),
            "description": "Hijack",
            "status": "open",
        },
    )

    assert response.status_code == 200
    assert "No contact with that id was found" in response.text
    assert Matter.objects.count() == 0


def test_a_foreign_contact_cannot_be_added_as_related_contact(
    firm: Firm, other_firm: Firm, staff: Client, unscoped: None
) -> None:
    matter = MatterFactory(client__firm=firm)
    foreign = ContactFactory(firm=other_firm)

    response = staff.post(
        reverse("matters:related-contact-add", args=[matter.uuid]),
        {"contact": str(foreign.uuid), "relationship": "Spouse"},
    )

    assert "No contact with that id was found" in response.text
    assert not MatterRelatedContact.objects.exists()


def test_a_foreign_folder_uuid_in_the_upload_form_is_refused(
    firm: Firm, other_firm: Firm, staff: Client, unscoped: None, media_root: Path
) -> None:
    matter = MatterFactory(client__firm=firm)
    foreign_folder = FolderFactory(matter__client__firm=other_firm)

    response = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {
            "file": SimpleUploadedFile("a.txt", b"data"),
            "folder": str(foreign_folder.uuid),
        },
    )

    assert "That folder was not found in this matter." in response.text
    assert not Document.objects.exists()
    assert not any(media_root.rglob("*.txt"))


# --- Create and edit ------------------------------------------------------------------------


def test_creating_a_matter_numbers_it_and_opens_its_page(
    firm: Firm, member: User, staff: Client, firm_scope: Scope
) -> None:
    garcia = ContactFactory(firm=firm, last_name="Garcia")

    response = staff.post(
        reverse("matters:create"),
        {
            "client": str(garcia.uuid),
            "description": "Custody",
            "status": "open",
            "responsible_attorney": str(member.uuid),
        },
    )

    with firm_scope():
        matter = Matter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matters:detail", args=[matter.uuid])
    assert (matter.display_number, matter.client, matter.responsible_attorney) == (
        "00001-Garcia",
        garcia,
        member,
    )
    page = staff.get(response["Location"])
    assert "00001-Garcia" in page.text and "Custody" in page.text


def test_the_create_form_preselects_the_client_from_the_query(
    firm: Firm, other_firm: Firm, staff: Client
) -> None:
    garcia = ContactFactory(firm=firm, last_name="Garcia")
    foreign = ContactFactory(firm=other_firm)

    preselected = staff.get(reverse("matters:create"), {"client": str(garcia.uuid)})
    not_preselected = staff.get(reverse("matters:create"), {"client": str(foreign.uuid)})

    assert f'<option value="{garcia.uuid}" selected>' in preselected.text
    assert str(foreign.uuid) not in not_preselected.text
    assert not_preselected.status_code == 200


def test_a_taken_matter_number_shows_on_the_field(
    firm: Firm, staff: Client, unscoped: None
) -> None:
    existing = MatterFactory(client__firm=firm, display_number="2024-7")

    response = staff.post(
        reverse("matters:create"),
        {
            "client": str(existing.client.uuid),
            "description": "Another",
            "status": "open",
            "display_number": "2024-7",
        },
    )

    assert "already has the number “2024-7”" in response.text
    assert Matter.objects.count() == 1


def test_editing_a_matter_to_closed_records_the_close_date(
    firm: Firm, staff: Client, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm, description="Lease")

    response = staff.post(
        reverse("matters:edit", args=[matter.uuid]),
        {
            "client": str(matter.client.uuid),
            "description": "Lease renewal",
            "display_number": matter.display_number,
            "status": "closed",
        },
    )

    assert response.status_code == 302
    with firm_scope():
        matter.refresh_from_db()
    assert (matter.description, matter.status) == ("Lease renewal", Matter.Status.CLOSED)
    assert matter.close_date is not None


def test_an_invalid_status_change_is_shown_and_nothing_changes(
    firm: Firm, staff: Client, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm, description="Lease")

    response = staff.post(
        reverse("matters:edit", args=[matter.uuid]),
        {
            "client": str(matter.client.uuid),
            "description": "Changed",
            "display_number": matter.display_number,
            "status": "pending",
        },
    )

    assert "it cannot be set to pending" in response.text
    with firm_scope():
        matter.refresh_from_db()
    assert (matter.description, matter.status) == ("Lease", Matter.Status.OPEN)


# --- Related contacts and the contact's Matters tab (C2) ------------------------------------


def test_related_contacts_are_added_and_removed_from_the_overview(
    firm: Firm, staff: Client, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)
    spouse = ContactFactory(firm=firm, first_name="Luis", last_name="Ortega")

    added = staff.post(
        reverse("matters:related-contact-add", args=[matter.uuid]),
        {"contact": str(spouse.uuid), "relationship": "Spouse"},
    )
    page = staff.get(reverse("matters:detail", args=[matter.uuid]))

    assert added.status_code == 302
    assert "Luis Ortega" in page.text and "Spouse" in page.text
    with firm_scope():
        link = MatterRelatedContact.objects.get(matter=matter)
    removed = staff.post(reverse("matters:related-contact-remove", args=[matter.uuid, link.uuid]))
    assert removed.status_code == 302
    with firm_scope():
        assert not MatterRelatedContact.objects.filter(matter=matter).exists()


def test_adding_the_client_as_related_contact_explains_why_not(
    firm: Firm, staff: Client, unscoped: None
) -> None:
    matter = MatterFactory(client__firm=firm)

    response = staff.post(
        reverse("matters:related-contact-add", args=[matter.uuid]),
        {"contact": str(matter.client.uuid)},
    )

    assert "the client cannot also be a related contact" in response.text
    assert not MatterRelatedContact.objects.exists()


def test_contact_matters_tab_lists_matters_as_client_or_related_contact(
    firm: Firm, other_firm: Firm, staff: Client
) -> None:
    ana = ContactFactory(firm=firm, first_name="Ana", last_name="Garcia")
    as_client = MatterFactory(client=ana, description="Her own case")
    as_witness = MatterFactory(client__firm=firm, description="Neighbour's case")
    MatterRelatedContactFactory(matter=as_witness, contact=ana, relationship="Witness")
    unrelated = MatterFactory(client__firm=firm, description="Someone else")
    later = MatterFactory(client__firm=firm, description="Added later")

    before = staff.get(reverse("matters:contact-matters", args=[ana.uuid]))
    staff.post(
        reverse("matters:related-contact-add", args=[later.uuid]),
        {"contact": str(ana.uuid), "relationship": "Guarantor"},
    )
    after = staff.get(reverse("matters:contact-matters", args=[ana.uuid]))

    assert before.status_code == 200
    assert as_client.display_number in before.text and "Client" in before.text
    assert as_witness.display_number in before.text and "Witness" in before.text
    assert unrelated.display_number not in before.text
    assert later.display_number not in before.text
    assert later.display_number in after.text and "Guarantor" in after.text
    assert f"{reverse('matters:create')}?client={ana.uuid}" in after.text
    roles = {role.matter.pk: role.label for role in after.context["roles"]}
    assert roles == {as_client.pk: "Client", as_witness.pk: "Witness", later.pk: "Guarantor"}


# --- Documents ------------------------------------------------------------------------------


def test_upload_then_download_returns_the_same_bytes(
    firm: Firm, staff: Client, firm_scope: Scope, media_root: Path
) -> None:
    matter = MatterFactory(client__firm=firm)
    folder = FolderFactory(matter=matter, name="Pleadings")
    body = b"%PDF-1.7\n" + bytes(range(256)) * 40  # a PDF: the type comes from the bytes

    uploaded = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {
            "file": SimpleUploadedFile("Motión to dismiss.pdf", body, "application/pdf"),
            "folder": str(folder.uuid),
        },
    )
    with firm_scope():
        document = Document.objects.get()
    listing = staff.get(reverse("matters:documents", args=[matter.uuid, folder.uuid]))
    download = staff.get(reverse("matters:document-download", args=[matter.uuid, document.uuid]))

    assert uploaded.status_code == 302
    assert uploaded["Location"] == reverse("matters:documents", args=[matter.uuid, folder.uuid])
    assert "Motión to dismiss.pdf" in listing.text
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == body  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Moti%C3%B3n%20to%20dismiss.pdf" in disposition
    assert document.file.name not in str(download.headers)
    assert document.file.name not in listing.text


def test_a_document_over_the_limit_is_refused_with_a_sentence(
    firm: Firm, staff: Client, unscoped: None, media_root: Path, settings: Settings
) -> None:
    settings.MATTER_DOCUMENT_MAX_BYTES = 1024
    matter = MatterFactory(client__firm=firm)

    response = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {
            "file": SimpleUploadedFile("big.bin", b"x" * 2048),
        },
    )

    assert response.status_code == 200
    assert "documents can be at most" in response.text
    assert not Document.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_an_upload_whose_body_is_far_over_the_limit_is_refused_unread(
    firm: Firm, staff: Client, unscoped: None, media_root: Path, settings: Settings
) -> None:
    settings.MATTER_DOCUMENT_MAX_BYTES = 1024
    matter = MatterFactory(client__firm=firm)

    response = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {
            "file": SimpleUploadedFile("huge.bin", b"x" * (1024 * 1024)),
        },
    )

    assert response.status_code == 413
    assert "too large" in response.text
    assert not Document.objects.exists()


def test_active_content_is_downloaded_as_plain_bytes(
    firm: Firm, staff: Client, media_root: Path
) -> None:
    document = DocumentFactory(
        matter__client__firm=firm, name="page.html", content_type="text/html"
    )

    response = staff.get(
        reverse("matters:document-download", args=[document.matter.uuid, document.uuid])
    )

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_folders_are_created_and_browsed_with_a_breadcrumb(
    firm: Firm, staff: Client, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)

    staff.post(reverse("matters:folder-create", args=[matter.uuid]), {"name": "Discovery"})
    with firm_scope():
        discovery = Folder.objects.get(matter=matter)
    made = staff.post(
        reverse("matters:folder-create", args=[matter.uuid]),
        {"name": "Depositions", "parent": str(discovery.uuid)},
    )
    with firm_scope():
        depositions = Folder.objects.get(parent=discovery)
    page = staff.get(reverse("matters:documents", args=[matter.uuid, depositions.uuid]))
    duplicate = staff.post(
        reverse("matters:folder-create", args=[matter.uuid]), {"name": "discovery"}
    )

    assert made["Location"] == reverse("matters:documents", args=[matter.uuid, discovery.uuid])
    assert page.context["contents"].breadcrumb == [discovery, depositions]
    assert reverse("matters:documents", args=[matter.uuid, discovery.uuid]) in page.text
    assert "A folder named “discovery” already exists here." in duplicate.text


def test_deleting_a_document_removes_it_from_the_folder(
    firm: Firm, staff: Client, firm_scope: Scope, media_root: Path
) -> None:
    document = DocumentFactory(matter__client__firm=firm)
    matter = document.matter

    response = staff.post(reverse("matters:document-delete", args=[matter.uuid, document.uuid]))

    assert response.status_code == 302
    with firm_scope():
        assert not Document.objects.exists()
