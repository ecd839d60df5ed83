import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from django_scopes import scope, scopes_disabled
from pytest_django.fixtures import Settings

from accounts.models import Firm, User
from contacts.models import Contact
from matters import services
from matters.exceptions import (
    DocumentInvalid,
    FolderNameInvalid,
    FolderNameTaken,
    InvalidStatusTransition,
    MatterNumberTaken,
    ReferenceNotFound,
    RelatedContactInvalid,
)
from matters.models import Document, Folder, Matter, MatterRelatedContact
from matters.services import RelatedContactSpec

from .factories import ContactFactory, FolderFactory, MatterFactory, MatterRelatedContactFactory

Scope = Callable[[], AbstractContextManager[None]]

# 15:00 UTC is 10:00 in New York (the factories' firm time zone): the firm's date is Mar 2.
NOON_ISH = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def create(firm: Firm, client: Contact, **kwargs: object) -> Matter:
    return services.matter_create(
        firm=firm,
        actor=None,
        client=client,
        description=str(kwargs.pop("description", "Estate plan")),
        **kwargs,
    )  # type: ignore[arg-type]


# --- Numbers --------------------------------------------------------------------------------


def test_auto_numbers_are_sequential_per_firm_and_independent_across_firms(
    firm: Firm, other_firm: Firm
) -> None:
    garcia = ContactFactory(firm=firm, last_name="Garcia")
    lee = ContactFactory(firm=firm, last_name="Lee")
    stranger = ContactFactory(firm=other_firm, last_name="Novak")
    with scope(firm=firm.id):
        first = create(firm, garcia)
        second = create(firm, lee)
    with scope(firm=other_firm.id):
        elsewhere = create(other_firm, stranger)
    with scope(firm=firm.id):
        third = create(firm, garcia)

    assert [first.display_number, second.display_number, third.display_number] == [
        "00001-Garcia",
        "00002-Lee",
        "00003-Garcia",
    ]
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert elsewhere.display_number == "00001-Novak"


def test_auto_number_uses_the_company_name_for_a_company_client(
    firm: Firm, firm_scope: Scope
) -> None:
    company = ContactFactory(
        firm=firm, type=Contact.Type.COMPANY, first_name="", last_name="", company_name="Acme Corp"
    )
    with firm_scope():
        matter = create(firm, company)
    assert matter.display_number == "00001-Acme Corp"


def test_auto_number_skips_a_number_someone_typed_by_hand(firm: Firm, firm_scope: Scope) -> None:
    garcia = ContactFactory(firm=firm, last_name="Garcia")
    with firm_scope():
        typed = create(firm, garcia, display_number="00002-Garcia")
        auto = create(firm, garcia)
    assert typed.number == 1
    assert auto.display_number == "00003-Garcia"


def test_a_given_number_already_used_in_the_firm_is_refused(
    firm: Firm, other_firm: Firm, firm_scope: Scope
) -> None:
    client = ContactFactory(firm=firm)
    with firm_scope():
        create(firm, client, display_number="2024-001")
        with pytest.raises(MatterNumberTaken) as refused:
            create(firm, client, display_number=" 2024-001 ")
        assert Matter.objects.count() == 1
    assert "already has the number “2024-001”" in refused.value.message
    assert "display_number" in refused.value.fields

    with scope(firm=other_firm.id):  # numbers are unique per firm, not globally
        other = create(other_firm, ContactFactory(firm=other_firm), display_number="2024-001")
    assert other.display_number == "2024-001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_never_share_a_number(firm: Firm) -> None:
    workers = 6
    client = ContactFactory(firm=firm, last_name="Garcia")
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def create_one() -> None:
        while True:
            try:
                create(firm, client)
                return
            except OperationalError as error:
                # The test run's in-memory SQLite shares one cache between threads and
                # answers "table is locked" instead of waiting as a database file does;
                # waiting is what a file database (and PostgreSQL's row lock) does for us.
                if connection.vendor != "sqlite" or "locked" not in str(error):
                    raise
                time.sleep(0.01)

    def work() -> None:
        try:
            barrier.wait()
            with scope(firm=firm.id):
                for _ in range(3):
                    create_one()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with scopes_disabled():
        numbers = sorted(Matter.objects.filter(firm=firm).values_list("number", flat=True))
    assert numbers == list(range(1, workers * 3 + 1))


# --- References -----------------------------------------------------------------------------


def test_a_client_of_another_firm_is_refused_and_nothing_is_created(
    firm: Firm, other_firm: Firm, firm_scope: Scope, unscoped: None
) -> None:
    foreign = ContactFactory(firm=other_firm)
    with firm_scope(), pytest.raises(ReferenceNotFound) as refused:
        create(firm, foreign)
    assert refused.value.fields == {"client": [f"No contact with id {foreign.uuid} was found."]}
    assert Matter.objects.count() == 0


def test_a_responsible_attorney_of_another_firm_is_refused(
    firm: Firm, outsider: User, member: User, firm_scope: Scope
) -> None:
    client = ContactFactory(firm=firm)
    with firm_scope():
        with pytest.raises(ReferenceNotFound):
            create(firm, client, responsible_attorney=outsider)
        matter = create(firm, client, responsible_attorney=member)
    assert matter.responsible_attorney == member


# --- Status and dates -----------------------------------------------------------------------


def test_closing_sets_the_close_date_and_reopening_clears_it(firm: Firm, firm_scope: Scope) -> None:
    client = ContactFactory(firm=firm)
    with time_machine.travel(NOON_ISH, tick=False), firm_scope():
        matter = create(firm, client)
        assert (matter.status, matter.open_date, matter.close_date) == (
            Matter.Status.OPEN,
            date(2026, 3, 2),
            None,
        )
    with time_machine.travel(datetime(2026, 5, 11, 3, 0, tzinfo=UTC), tick=False), firm_scope():
        # 03:00 UTC is still May 10 in New York: the firm's date counts.
        closed = services.matter_update(firm=firm, actor=None, matter=matter, status="closed")
        assert Matter.objects.get(pk=matter.pk).close_date == date(2026, 5, 10)
    assert closed.status == Matter.Status.CLOSED
    with firm_scope():
        reopened = services.matter_update(firm=firm, actor=None, matter=closed, status="open")
        stored = Matter.objects.get(pk=matter.pk)
    assert reopened.status == stored.status == Matter.Status.OPEN
    assert stored.close_date is None
    assert stored.open_date == date(2026, 3, 2)


def test_a_pending_matter_gets_its_open_date_when_opened(firm: Firm, firm_scope: Scope) -> None:
    client = ContactFactory(firm=firm)
    with time_machine.travel(NOON_ISH, tick=False), firm_scope():
        matter = create(firm, client, status="pending")
        assert matter.open_date is None
        opened = services.matter_update(firm=firm, actor=None, matter=matter, status="open")
    assert opened.open_date == date(2026, 3, 2)


def test_an_open_matter_cannot_go_back_to_pending_and_nothing_changes(
    firm: Firm, firm_scope: Scope
) -> None:
    client = ContactFactory(firm=firm)
    with firm_scope():
        matter = create(firm, client)
        with pytest.raises(InvalidStatusTransition) as refused:
            services.matter_update(
                firm=firm, actor=None, matter=matter, status="pending", description="Changed"
            )
        stored = Matter.objects.get(pk=matter.pk)
    assert refused.value.message == "The matter is open; it cannot be set to pending."
    assert (stored.status, stored.description) == (Matter.Status.OPEN, "Estate plan")


def test_changing_to_a_number_another_matter_has_is_refused(firm: Firm, firm_scope: Scope) -> None:
    client = ContactFactory(firm=firm)
    with firm_scope():
        first = create(firm, client)
        second = create(firm, client)
        with pytest.raises(MatterNumberTaken):
            services.matter_update(
                firm=firm, actor=None, matter=second, display_number=first.display_number
            )
        # Saving a matter with its own number is not a clash.
        same = services.matter_update(
            firm=firm, actor=None, matter=second, display_number=second.display_number
        )
    assert same.display_number == second.display_number


# --- Related contacts -----------------------------------------------------------------------


def test_related_contacts_can_be_added_relabelled_and_removed(
    firm: Firm, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)
    spouse = ContactFactory(firm=firm)
    with firm_scope():
        link = services.matter_related_contact_add(
            firm=firm, actor=None, matter=matter, contact=spouse, relationship="  Spouse "
        )
        assert link.relationship == "Spouse"
        services.matter_related_contact_update(
            firm=firm, actor=None, related_contact=link, relationship="Former spouse"
        )
        assert MatterRelatedContact.objects.get(pk=link.pk).relationship == "Former spouse"
        services.matter_related_contact_remove(firm=firm, actor=None, related_contact=link)
        assert not MatterRelatedContact.objects.filter(matter=matter).exists()
        assert Contact.objects.filter(pk=spouse.pk).exists()


def test_a_contact_cannot_be_related_twice(firm: Firm, firm_scope: Scope) -> None:
    link = MatterRelatedContactFactory(matter__client__firm=firm)
    with firm_scope():
        with pytest.raises(RelatedContactInvalid) as refused:
            services.matter_related_contact_add(
                firm=firm,
                actor=None,
                matter=link.matter,
                contact=link.contact,
                relationship="Other",
            )
        assert MatterRelatedContact.objects.filter(matter=link.matter).count() == 1
    assert "already a related contact" in refused.value.message


def test_the_client_cannot_be_a_related_contact(firm: Firm, firm_scope: Scope) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        with pytest.raises(RelatedContactInvalid):
            services.matter_related_contact_add(
                firm=firm, actor=None, matter=matter, contact=matter.client
            )
        related = ContactFactory(firm=firm)
        services.matter_related_contact_add(firm=firm, actor=None, matter=matter, contact=related)
        with pytest.raises(RelatedContactInvalid):  # nor may a related contact become client
            services.matter_update(firm=firm, actor=None, matter=matter, client=related)
        assert Matter.objects.get(pk=matter.pk).client_id == matter.client_id


def test_a_related_contact_of_another_firm_is_refused(
    firm: Firm, other_firm: Firm, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)
    foreign = ContactFactory(firm=other_firm)
    with firm_scope():
        with pytest.raises(ReferenceNotFound):
            services.matter_related_contact_add(
                firm=firm, actor=None, matter=matter, contact=foreign
            )
        assert not MatterRelatedContact.objects.exists()


def test_updating_related_contacts_replaces_the_set_and_keeps_surviving_links(
    firm: Firm, firm_scope: Scope
) -> None:
    matter = MatterFactory(client__firm=firm)
    kept = MatterRelatedContactFactory(matter=matter, relationship="Spouse")
    dropped = MatterRelatedContactFactory(matter=matter)
    newcomer = ContactFactory(firm=firm)
    with firm_scope():
        services.matter_update(
            firm=firm,
            actor=None,
            matter=matter,
            related_contacts=[
                RelatedContactSpec(kept.contact, "Ex-spouse"),
                RelatedContactSpec(newcomer, ""),
            ],
        )
        links = list(MatterRelatedContact.objects.filter(matter=matter).order_by("id"))
    assert [(link.contact_id, link.relationship) for link in links] == [
        (kept.contact_id, "Ex-spouse"),
        (newcomer.pk, ""),
    ]
    assert links[0].pk == kept.pk
    assert dropped.pk not in {link.pk for link in links}


# --- Folders --------------------------------------------------------------------------------


def test_folder_names_are_unique_within_their_parent(firm: Firm, firm_scope: Scope) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        pleadings = services.folder_create(firm=firm, actor=None, matter=matter, name="Pleadings")
        with pytest.raises(FolderNameTaken):
            services.folder_create(firm=firm, actor=None, matter=matter, name=" pleadings ")
        inside = services.folder_create(
            firm=firm, actor=None, matter=matter, name="Pleadings", parent=pleadings
        )
        with pytest.raises(FolderNameTaken):
            services.folder_create(
                firm=firm, actor=None, matter=matter, name="PLEADINGS", parent=pleadings
            )
        other_matter = MatterFactory(client=matter.client)
        elsewhere = services.folder_create(
            firm=firm, actor=None, matter=other_matter, name="Pleadings"
        )
        assert Folder.objects.filter(matter=matter).count() == 2
    assert inside.parent == pleadings
    assert elsewhere.matter == other_matter


@pytest.mark.parametrize("name", ["", "   ", "a/b", "back\\slash", ".", "..", "x" * 256])
def test_bad_folder_names_are_refused(firm: Firm, firm_scope: Scope, name: str) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        with pytest.raises(FolderNameInvalid):
            services.folder_create(firm=firm, actor=None, matter=matter, name=name)
        assert not Folder.objects.exists()


def test_a_parent_folder_of_another_matter_is_refused(firm: Firm, firm_scope: Scope) -> None:
    matter = MatterFactory(client__firm=firm)
    foreign_parent = FolderFactory(matter__client__firm=firm)
    with firm_scope(), pytest.raises(ReferenceNotFound):
        services.folder_create(
            firm=firm, actor=None, matter=matter, name="Inside", parent=foreign_parent
        )


def test_folder_get_or_create_returns_the_existing_folder(firm: Firm, firm_scope: Scope) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        made = services.folder_get_or_create(firm=firm, matter=matter, name="Text messages")
        again = services.folder_get_or_create(firm=firm, matter=matter, name="text messages")
        assert Folder.objects.filter(matter=matter).count() == 1
    assert made.pk == again.pk


# --- Documents ------------------------------------------------------------------------------


def test_document_upload_stores_the_file_and_records_its_size(
    firm: Firm, member: User, firm_scope: Scope, media_root: Path
) -> None:
    matter = MatterFactory(client__firm=firm)
    folder = FolderFactory(matter=matter)
    body = b"%PDF-1.4 retainer agreement"
    with firm_scope():
        document = services.document_upload(
            firm=firm,
            actor=member,
            matter=matter,
            folder=folder,
            file=ContentFile(body, name="Retainer Garcia.pdf"),
            content_type="application/pdf; charset=binary",
        )
        stored = Document.objects.get(pk=document.pk)
    assert (stored.name, stored.size, stored.content_type) == (
        "Retainer Garcia.pdf",
        len(body),
        "application/pdf",
    )
    assert stored.folder == folder and stored.uploaded_by == member
    # The stored object's name says nothing about the client or the file's name.
    assert "Garcia" not in stored.file.name and "Retainer" not in stored.file.name
    assert stored.file.name.startswith(f"firms/{firm.uuid}/documents/")
    with stored.file.open("rb") as handle:
        assert handle.read() == body
    assert stored_files(media_root) == [media_root / stored.file.name]


def test_a_document_over_the_size_limit_is_refused_and_nothing_is_stored(
    firm: Firm, firm_scope: Scope, media_root: Path, settings: Settings
) -> None:
    settings.MATTER_DOCUMENT_MAX_BYTES = 1024 * 1024
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        with pytest.raises(DocumentInvalid) as refused:
            services.document_upload(
                firm=firm,
                actor=None,
                matter=matter,
                file=ContentFile(b"x" * (1024 * 1024 + 1), name="big.bin"),
            )
        exactly = services.document_upload(
            firm=firm,
            actor=None,
            matter=matter,
            file=ContentFile(b"x" * 1024 * 1024, name="ok.bin"),
        )
        assert list(Document.objects.all()) == [exactly]
    assert refused.value.message == "The file is 1.0 MB; documents can be at most 1 MB."
    assert len(stored_files(media_root)) == 1


def test_an_empty_document_is_refused(firm: Firm, firm_scope: Scope, media_root: Path) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope(), pytest.raises(DocumentInvalid):
        services.document_upload(
            firm=firm, actor=None, matter=matter, file=ContentFile(b"", name="empty.txt")
        )
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\ana\\Desktop\\scan 1.pdf", "scan 1.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202etxt.exe", "evil txt.exe"),
        ("line\nbreak.txt", "line break.txt"),
        ("..", "document"),
        ("a" * 300 + ".docx", "a" * 250 + ".docx"),
    ],
)
def test_document_names_are_sanitised_for_display(raw: str, shown: str) -> None:
    assert services.document_name_clean(raw) == shown


@pytest.mark.parametrize(
    ("declared", "recorded"),
    [
        ("Image/PNG", "image/png"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("text/html\r\nX-Injected: 1", "application/octet-stream"),
        ("", "application/octet-stream"),
        ("notatype", "application/octet-stream"),
    ],
)
def test_declared_content_types_are_sanitised(declared: str, recorded: str) -> None:
    assert services.content_type_clean(declared) == recorded


def test_a_folder_of_another_matter_is_refused_for_an_upload(
    firm: Firm, firm_scope: Scope, media_root: Path
) -> None:
    matter = MatterFactory(client__firm=firm)
    foreign_folder = FolderFactory(matter__client__firm=firm)
    with firm_scope(), pytest.raises(ReferenceNotFound):
        services.document_upload(
            firm=firm,
            actor=None,
            matter=matter,
            folder=foreign_folder,
            file=ContentFile(b"data", name="a.txt"),
        )
    assert stored_files(media_root) == []


def test_deleting_a_document_removes_its_file_after_commit(
    firm: Firm,
    firm_scope: Scope,
    media_root: Path,
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[list[object]]],
) -> None:
    matter = MatterFactory(client__firm=firm)
    with firm_scope():
        document = services.document_upload(
            firm=firm, actor=None, matter=matter, file=ContentFile(b"data", name="a.txt")
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.document_delete(firm=firm, actor=None, document=document)
        assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_services_refuse_objects_of_another_firm(
    firm: Firm, other_firm: Firm, firm_scope: Scope
) -> None:
    foreign_matter = MatterFactory(client__firm=other_firm)
    with firm_scope():
        with pytest.raises(ReferenceNotFound):
            services.matter_update(
                firm=firm, actor=None, matter=foreign_matter, description="Taken over"
            )
        with pytest.raises(ReferenceNotFound):
            services.folder_create(firm=firm, actor=None, matter=foreign_matter, name="X")
    with scopes_disabled():
        assert Matter.objects.get(pk=foreign_matter.pk).description != "Taken over"
        assert not Folder.objects.exists()


def test_matter_factory_refuses_to_build_a_cross_firm_graph(firm: Firm, other_firm: Firm) -> None:
    with pytest.raises(ValueError, match="another firm"):
        MatterFactory(client=ContactFactory(firm=other_firm), firm=firm)
