"""Inbound MMS media (C7): the type from the bytes, size-limited, kept once, filed once per
matter in "Text messages"; refused types leave only their "not accepted" line."""

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django_scopes import scope
from hypothesis import given
from hypothesis import strategies as st

from common.filetypes import document_sniff
from matters.models import Document, Folder
from matters.services import RelatedContactSpec, matter_create
from texting.media import media_filename, media_sniff
from texting.models import Message, MessageMedia, MessageMediaDocument, ProviderEvent
from texting.provider import parse_message_callbacks
from texting.services import messaging_events_record
from texting.services.media import inbound_media_fetch, media_max_bytes, size_label
from texting.tasks import inbound_media_fetch_task, provider_event_process_task
from texting.tests.factories import texting_contact
from texting.tests.inbound import deliver, receive, texted_contact

# --- samples: just enough of each format's header --------------------------------------------


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    box = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(box) + 4) + box + b"\x00\x00\x00\x08free" + b"\x00" * 32


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 32
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 32
MP3_ID3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 32
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 64
AAC = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 32
AMR = b"#!AMR\n" + b"\x3c" * 32
OGG = b"OggS\x00\x02" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
OLE_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"\xec\xa5\xc1\x00" + b"\x00" * 64
BMP = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00" + b"\x00" * 48
GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + b"\x00" * 16
TEXT = "Court date moved to March 3. Café ✓\n".encode()


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + b"\x00" * 9
    return b"\xff\xd8" + app0 + b"\xff\xff" + sof0 + b"\xff\xda" + b"\x00" * 32


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00" + b"\x00" * 32


def webp_vp8x(width: int, height: int) -> bytes:
    dims = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF\x24\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00" + dims + b"\x00" * 16


def office_zip(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"mif1", b"mif1"), "image/heif"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"3gp4", b"3gp4", b"isom"), "video/3gpp"),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (MP3_ID3, "audio/mpeg"),
        (MP3_FRAME, "audio/mpeg"),
        (AAC, "audio/aac"),
        (AMR, "audio/amr"),
        (OGG, "audio/ogg"),
        (WAV, "audio/wav"),
        (TEXT, "text/plain"),
        ("\ufeffWith a byte order mark".encode(), "text/plain"),
        (b"BMW is parked outside", "text/plain"),  # "BM" alone does not make a bitmap
        (b"MZ: see you at 3", "text/plain"),  # nor "MZ" a program
        (png(4032, 3024), "image/png"),
        (jpeg(4000, 3000), "image/jpeg"),
        (gif(480, 270), "image/gif"),
        (webp_vp8x(1080, 1920), "image/webp"),
    ],
)
def test_allowed_types_are_recognised_from_their_bytes(content, content_type):
    sniffed = media_sniff(content)
    assert sniffed.accepted
    assert sniffed.content_type == content_type


@pytest.mark.parametrize(
    ("content", "refused_type"),
    [
        (PDF, "PDF document"),
        (OLE_DOC, "Word document"),
        (office_zip("word/document.xml"), "Word document"),
        (office_zip("xl/workbook.xml"), "Excel spreadsheet"),
        (plain_zip(), "ZIP archive"),
        (GZIP, "compressed archive"),
        (EXE, "program"),
        (ELF, "program"),
        (BMP, "BMP image"),
        (ftyp(b"avif", b"avif", b"mif1"), "AVIF image"),
        (b"{\\rtf1\\ansi Hello}", "RTF document"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG image"),
        (b"<?xml version='1.0'?><smil/>", "XML document"),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEND:VCARD\r\n", "contact card"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"<?php system($_GET['c']); ?>", "script"),
        # Text a matter's Documents would refuse is refused here too (common.filetypes).
        (b"<b>Monday</b> at 3", "web page"),
        (b"<!-- hi -->", "web page"),
        (b"var x = 5;", "script"),
        # Pixel floods: a few bytes that claim billions of pixels.
        (png(100_000, 100_000), "image too large"),
        (jpeg(65_500, 65_500), "image too large"),
        (gif(65_535, 65_535), "image too large"),
        (webp_vp8x(16_384, 16_384), "image too large"),
        (b"caf\xe9 in Latin-1", "unknown file type"),
        (b"\x00\x01\x02\x03 binary", "unknown file type"),
        (b"", "empty file"),
    ],
)
def test_other_types_are_refused_with_a_human_type(content, refused_type):
    sniffed = media_sniff(content)
    assert not sniffed.accepted
    assert sniffed.refused_type == refused_type
    assert sniffed.content_type == ""


OPENINGS = ["", "<b>", "<div ", "<!--", "var x = ", "function f() {", "#!", "<svg", "<?xml "]


@given(st.builds(str.__add__, st.sampled_from(OPENINGS), st.text(max_size=80)))
def test_a_text_a_thread_accepts_is_a_document_its_matters_accept(text):
    """Accepted text attachments are filed on the contact's matters: the two judgements of
    text (texting.media, common.filetypes) must agree, or the file silently stays unfiled."""
    content = text.encode()
    sniffed = media_sniff(content)
    if sniffed.accepted and sniffed.content_type == "text/plain":
        name = media_filename("attachment", sniffed)
        assert document_sniff(content, name=name, declared=sniffed.content_type).accepted


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.jpg", JPEG, "photo.jpg"),
        ("photo.JPEG", JPEG, "photo.JPEG"),
        ("photo.jpg", PNG, "photo.png"),
        ("notes", TEXT, "notes.txt"),
        ("minutes 3.5", TEXT, "minutes 3.5.txt"),
        ("scan.pdf", PDF, "scan.pdf"),
    ],
)
def test_file_names_end_in_the_extension_of_what_the_bytes_are(name, content, expected):
    assert media_filename(name, media_sniff(content)) == expected


def test_size_labels():
    assert size_label(5 * 1024 * 1024) == "5 MB"
    assert size_label(1536 * 1024) == "1.5 MB"
    assert size_label(64 * 1024) == "64 KB"


# --- the fetch task, against the sandbox ---------------------------------------------------


def media_of(firm, message_id: str) -> list[MessageMedia]:
    with scope(firm=firm.id):
        message = Message.objects.get(provider_message_id=message_id)
        return list(MessageMedia.objects.filter(message=message).order_by("position"))


def fetch(firm, message_id: str) -> None:
    with scope(firm=firm.id):
        message = Message.objects.get(provider_message_id=message_id)
    inbound_media_fetch_task(firm.id, message.id)


def stored_files(firm) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "firms" / str(firm.uuid)
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def client_with_two_matters(texting_firm):
    """A texted contact who is the client of one matter and a related contact of another,
    plus a matter of someone else."""
    contact = texted_contact(texting_firm)
    other = texting_contact(texting_firm, "+12025550199")
    with scope(firm=texting_firm.id):
        own = matter_create(firm=texting_firm, actor=None, client=contact, description="Lease")
        related = matter_create(
            firm=texting_firm,
            actor=None,
            client=other,
            description="Divorce",
            related_contacts=[RelatedContactSpec(contact, "Spouse")],
        )
        unrelated = matter_create(firm=texting_firm, actor=None, client=other, description="Will")
    return contact, [own, related], unrelated


@pytest.mark.django_db
def test_jpeg_and_text_become_media_and_one_document_per_matter_however_often_fetched(
    texting_firm, sandbox, client_with_two_matters, firm_scope
):
    _contact, matters, unrelated = client_with_two_matters
    message_id = receive(
        sandbox,
        texting_firm,
        text="Here are the photos",
        media=[
            ("IMG_0001.jpg", "image/jpeg", JPEG),
            ("notes.txt", "text/plain", TEXT),
        ],
        times=2,
    )
    fetch(texting_firm, message_id)
    fetch(texting_firm, message_id)
    with scope(firm=texting_firm.id):
        message = Message.objects.get(provider_message_id=message_id)
        inbound_media_fetch(firm_id=texting_firm.id, message_id=message.id)

    media = media_of(texting_firm, message_id)
    # Position 0 is the carrier's .smil part: skipped, never recorded.
    assert [m.position for m in media] == [1, 2]
    assert all(m.accepted for m in media)
    assert [m.metadata["content_type"] for m in media] == ["image/jpeg", "text/plain"]
    assert [m.metadata["filename"] for m in media] == ["IMG_0001.jpg", "notes.txt"]
    assert [m.metadata["size"] for m in media] == [len(JPEG), len(TEXT)]
    for item, content in zip(media, (JPEG, TEXT), strict=True):
        assert "IMG_0001" not in item.file.name and "notes" not in item.file.name
        with item.file.open("rb") as stored:
            assert stored.read() == content

    with firm_scope():
        links = MessageMediaDocument.objects.all()
        assert links.count() == 4
        assert {(link.media_id, link.matter_id) for link in links} == {
            (m.id, matter.id) for m in media for matter in matters
        }
        for matter in matters:
            folder = Folder.objects.get(matter=matter)
            assert (folder.name, folder.parent) == ("Text messages", None)
            documents = Document.objects.filter(matter=matter).order_by("name")
            assert [(d.name, d.content_type, d.size, d.folder) for d in documents] == [
                ("IMG_0001.jpg", "image/jpeg", len(JPEG), folder),
                ("notes.txt", "text/plain", len(TEXT), folder),
            ]
            assert documents[0].file.read() == JPEG
        assert not Document.objects.filter(matter=unrelated).exists()
    # Two media copies for the thread, one document copy per matter: nothing more.
    assert len(stored_files(texting_firm)) == 2 + 4


@pytest.mark.django_db
def test_pdf_and_executable_renamed_photo_jpg_are_refused_and_nothing_is_stored(
    texting_firm, sandbox, client_with_two_matters, firm_scope
):
    message_id = receive(
        sandbox,
        texting_firm,
        media=[
            ("contract.pdf", "application/pdf", PDF),
            ("photo.jpg", "image/jpeg", EXE),
            ("report.docx", "image/png", office_zip("word/document.xml")),
        ],
    )
    fetch(texting_firm, message_id)
    fetch(texting_firm, message_id)
    media = media_of(texting_firm, message_id)
    assert [(m.position, m.accepted, m.metadata["refused_type"]) for m in media] == [
        (1, False, "PDF document"),
        (2, False, "program"),
        (3, False, "Word document"),
    ]
    assert all(not m.file for m in media)
    assert all("content_type" not in m.metadata for m in media)
    with firm_scope():
        assert not Document.objects.exists()
        assert not MessageMediaDocument.objects.exists()
    assert stored_files(texting_firm) == []


@pytest.mark.django_db
def test_attachment_over_the_size_limit_is_refused_and_not_stored(texting_firm, sandbox, settings):
    # The provider itself caps files at 3.5 MB, under the 5 MB default: test at 1 MB.
    settings.TEXTING_MEDIA_MAX_BYTES = 1024 * 1024
    texted_contact(texting_firm)
    big = JPEG + b"\x00" * (1024 * 1024)
    message_id = receive(
        sandbox,
        texting_firm,
        media=[("big.jpg", "image/jpeg", big), ("ok.jpg", "image/jpeg", JPEG)],
    )
    fetch(texting_firm, message_id)
    refused, accepted = media_of(texting_firm, message_id)
    assert (refused.accepted, refused.metadata) == (False, {"refused_type": "file over 1 MB"})
    assert not refused.file
    assert accepted.accepted
    assert len(stored_files(texting_firm)) == 1


def test_default_size_limit_is_5_mb(settings):
    del settings.TEXTING_MEDIA_MAX_BYTES
    assert media_max_bytes() == 5 * 1024 * 1024
    assert size_label(media_max_bytes()) == "5 MB"


@pytest.mark.django_db
def test_size_limit_comes_from_the_setting(texting_firm, sandbox, settings):
    settings.TEXTING_MEDIA_MAX_BYTES = 64 * 1024
    texted_contact(texting_firm)
    message_id = receive(
        sandbox, texting_firm, media=[("a.png", "image/png", PNG + b"\x00" * 64 * 1024)]
    )
    fetch(texting_firm, message_id)
    (media,) = media_of(texting_firm, message_id)
    assert media.metadata == {"refused_type": "file over 64 KB"}


@pytest.mark.django_db
def test_type_comes_from_the_bytes_not_the_name_or_declared_type(texting_firm, sandbox):
    texted_contact(texting_firm)
    message_id = receive(sandbox, texting_firm, media=[("photo.jpg", "image/jpeg", PNG)])
    fetch(texting_firm, message_id)
    (media,) = media_of(texting_firm, message_id)
    assert media.accepted
    assert media.metadata["content_type"] == "image/png"
    assert media.metadata["filename"] == "photo.png"


@pytest.mark.django_db
def test_contact_without_matters_gets_media_in_the_thread_and_a_later_matter_on_rerun(
    texting_firm, sandbox, firm_scope
):
    contact = texted_contact(texting_firm)
    message_id = receive(sandbox, texting_firm, media=[("a.gif", "image/gif", GIF)])
    fetch(texting_firm, message_id)
    (media,) = media_of(texting_firm, message_id)
    assert media.accepted and media.file
    with firm_scope():
        assert not Document.objects.exists()
        matter = matter_create(firm=texting_firm, actor=None, client=contact, description="New")
    fetch(texting_firm, message_id)
    fetch(texting_firm, message_id)
    with firm_scope():
        assert Document.objects.get().matter == matter
        assert MessageMedia.objects.count() == 1


@pytest.mark.django_db
def test_media_gone_from_the_provider_is_marked_not_downloadable(texting_firm, sandbox):
    texted_contact(texting_firm)
    injected = sandbox.control.inject_text(
        "+12025550143", "+18445550100", "", media=[("a.jpg", "image/jpeg", JPEG)]
    )
    # Providers keep inbound media two days; after that the download is a 404.
    requests.delete(
        injected["media_urls"][1], auth=(sandbox.username, sandbox.password), timeout=5
    ).raise_for_status()
    deliver(sandbox, texting_firm, injected["message_id"])
    fetch(texting_firm, injected["message_id"])
    (media,) = media_of(texting_firm, injected["message_id"])
    assert (media.accepted, media.metadata) == (
        False,
        {"refused_type": "file could not be downloaded"},
    )


@pytest.mark.django_db
def test_fetch_of_a_message_without_media_or_of_no_message_does_nothing(texting_firm, sandbox):
    texted_contact(texting_firm)
    message_id = receive(sandbox, texting_firm, text="plain")
    fetch(texting_firm, message_id)
    assert media_of(texting_firm, message_id) == []
    with scope(firm=texting_firm.id):
        assert inbound_media_fetch(firm_id=texting_firm.id, message_id=10**9) == 0


@pytest.mark.django_db
def test_media_urls_outside_the_providers_media_path_are_never_fetched(
    texting_firm, sandbox, firm_scope
):
    texted_contact(texting_firm)
    injected = sandbox.control.inject_text(
        "+12025550143", "+18445550100", "", media=[("a.jpg", "image/jpeg", JPEG)]
    )
    real = injected["media_urls"][1]
    account_media = real.split("/media/")[0] + "/media/"
    hostile = [
        "http://169.254.169.254/latest/meta-data/iam/a.jpg",
        "http://10.0.0.8/api/v2/users/9900000/media/x/1/a.jpg",
        "https://attacker.example/api/v2/users/9900000/media/x/1/a.jpg",
        real.replace("127.0.0.1", "localhost"),
        account_media.replace("/9900000/", "/1234567/") + "x/1/a.jpg",
        account_media + "../../../../sandbox/messages",
        real,
    ]
    (callback,) = sandbox.control.callbacks(message_id=injected["message_id"])
    payload = callback["payload"]
    payload[0]["message"]["media"] = hostile
    messaging_events_record(events=parse_message_callbacks(json.dumps(payload)))
    with firm_scope():
        event = ProviderEvent.objects.get(provider_message_id=injected["message_id"])
    provider_event_process_task(texting_firm.id, event.id)
    before = len(sandbox.control.requests())
    fetch(texting_firm, injected["message_id"])

    media = media_of(texting_firm, injected["message_id"])
    assert [m.metadata.get("refused_type") for m in media] == [
        "file could not be downloaded"
    ] * 6 + [None]
    assert [m.accepted for m in media] == [False] * 6 + [True]
    # Only the one genuine media URL reached the provider.
    media_requests = [
        r for r in sandbox.control.requests()[before:] if "/media/" in r.get("path", "")
    ]
    assert len(media_requests) == 1
