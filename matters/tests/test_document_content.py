"""Uploaded documents are judged by their bytes (issue 9): the recorded type is what the file
is, and web pages and programs are refused whatever their name or declared type."""

import html
import io
import struct
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import Firm, User
from common.filetypes import document_sniff
from matters import services
from matters.exceptions import DocumentInvalid
from matters.models import Document

from .factories import MatterFactory

Scope = Callable[[], AbstractContextManager[None]]

REFUSAL = "documents can't be web pages or programs."


def office_zip(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    box = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(box) + 4) + box + b"\x00\x00\x00\x08free" + b"\x00" * 32


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOC = OLE + b"\xec\xa5\xc1\x00" + b"\x00" * 64  # Word's FIB magic in the first sector
EML = (
    b"From: Ana Garcia <ana@example.com>\r\nTo: office@garcia-law.example\r\n"
    b"Subject: Lease\r\nContent-Type: text/html\r\n\r\n<html><body>See attached</body></html>\r\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 56


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload(firm: Firm, content: bytes, name: str, declared: str = "") -> Document:
    return services.document_upload(
        firm=firm,
        actor=None,
        matter=MatterFactory(client__firm=firm),
        file=ContentFile(content, name=name),
        content_type=declared,
    )


# --- Legal documents pass, recorded as what they are -----------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "declared", "recorded"),
    [
        (PDF, "Retainer.pdf", "application/pdf", "application/pdf"),
        (
            office_zip("word/document.xml"),
            "Motion.docx",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            office_zip("xl/workbook.xml"),
            "Fees.xlsx",
            "",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            office_zip("ppt/presentation.xml"),
            "Opening.pptx",
            "",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (DOC, "Old will.doc", "application/msword", "application/msword"),
        (OLE, "Email.msg", "application/vnd.ms-outlook", "application/vnd.ms-outlook"),
        (b"{\\rtf1\\ansi Hello}", "Letter.rtf", "application/rtf", "application/rtf"),
        ("Notes — café ✓\n".encode(), "notes.txt", "text/plain", "text/plain"),
        (b"date,hours\n2026-03-01,1.5\n", "hours.csv", "text/csv", "text/csv"),
        (b"date,hours\n", "hours.csv", "application/vnd.ms-excel", "text/plain"),
        (JPEG, "scan.jpg", "image/jpeg", "image/jpeg"),
        (PNG, "photo.jpg", "image/jpeg", "image/png"),  # a renamed PNG is a PNG
        (GIF, "logo.gif", "", "image/gif"),
        (ftyp(b"heic", b"mif1", b"heic"), "IMG_0001.HEIC", "image/heic", "image/heic"),
        (ftyp(b"mif1", b"mif1"), "IMG_0002.HEIF", "image/heif", "image/heif"),
        (EML, "Lease.eml", "message/rfc822", "message/rfc822"),
        (b"MZ: see you at 3\n", "note.txt", "", "text/plain"),  # "MZ" alone is no program
        (b"document.pdf attached\n", "note.txt", "", "text/plain"),
        (b"<Invoice><Total>450</Total></Invoice>", "export.xml", "text/xml", "text/plain"),
        (b"\x00\x01\x02\x03binary", "data.bin", "image/png", "application/octet-stream"),
        (b"caf\xe9 au lait", "latin1.txt", "text/plain", "application/octet-stream"),
    ],
)
def test_legal_documents_pass_with_the_type_their_bytes_show(
    firm: Firm,
    firm_scope: Scope,
    media_root: Path,
    content: bytes,
    name: str,
    declared: str,
    recorded: str,
) -> None:
    with firm_scope():
        document = upload(firm, content, name, declared)
        stored = Document.objects.get(pk=document.pk)
    assert (stored.name, stored.content_type, stored.size) == (name, recorded, len(content))
    with stored.file.open("rb") as handle:
        assert handle.read() == content


# --- Web pages and programs are refused, nothing stored --------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "declared", "what"),
    [
        (HTML, "invoice.pdf", "application/pdf", "an HTML page"),
        (b"  \n<html><body>hi</body></html>", "a.txt", "text/plain", "an HTML page"),
        (b"<p>Hello</p><img src=x onerror=alert(1)>", "note.txt", "", "an HTML page"),
        (b"<!-- x --><b>bold</b>", "note.docx", "", "an HTML page"),
        ("\ufeff<script>alert(1)</script>".encode(), "x.csv", "text/csv", "an HTML page"),
        ("<html><script>x</script>".encode("utf-16"), "wide.txt", "", "an HTML page"),
        (b"<IFRAME src=//evil>", "x.rtf", "", "an HTML page"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "a.png",
            "",
            "an SVG image",
        ),
        (
            b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
            "logo.xml",
            "",
            "an SVG image",
        ),
        (
            b"<?xml version='1.0'?><root><script>alert(1)</script></root>",
            "data.xml",
            "text/xml",
            "an XML document with scripts",
        ),
        (
            b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'></html>",
            "page.xml",
            "",
            "an XML document with scripts",
        ),
        (b"'use strict';\nfetch('/x')", "app.txt", "", "a JavaScript program"),
        (b"document.location = 'https://evil.example/'", "n.txt", "", "a JavaScript program"),
        (b"alert(1)", "app.js", "", "a JavaScript program"),  # by its name
        (b"alert(1)", "app", "application/javascript", "a JavaScript program"),
        (b"#!/bin/sh\nrm -rf ~\n", "readme.pdf", "application/pdf", "a script"),
        (b"#!/usr/bin/env python3\n# \xff\n", "run", "", "a script"),
        (b"<?php system($_GET['c']); ?>", "shell.jpg", "image/jpeg", "a script"),
        (b"echo hi", "setup.bat", "text/plain", "a script"),
        (PE, "contract.pdf", "application/pdf", "a program"),
        (ELF, "photo.jpg", "image/jpeg", "a program"),
        (MACHO, "brief.docx", "", "a program"),
        (b"\x00asm\x01\x00\x00\x00", "x.bin", "", "a program"),
        (PNG, "page.html", "image/png", "an HTML page"),  # the name decides what opens it
        (b"hello", "notes.txt", "text/html", "an HTML page"),
        (b"hello", "notes.txt", "image/svg+xml", "an SVG image"),
        (PDF, "viewer.exe", "application/pdf", "a program"),
    ],
)
def test_web_pages_and_programs_are_refused_and_nothing_is_stored(
    firm: Firm,
    firm_scope: Scope,
    media_root: Path,
    content: bytes,
    name: str,
    declared: str,
    what: str,
) -> None:
    with firm_scope():
        with pytest.raises(DocumentInvalid) as refused:
            upload(firm, content, name, declared)
        assert not Document.objects.exists()
    message = f"This file is {what}; {REFUSAL}"
    assert refused.value.message == message
    assert refused.value.fields == {"file": [message]}
    assert stored_files(media_root) == []


def test_a_real_pdf_is_accepted_and_html_is_not_by_the_same_sniffer() -> None:
    # The helper alone, for texting or any later caller: same verdicts without Django.
    assert document_sniff(PDF, name="a.pdf").content_type == "application/pdf"
    assert document_sniff(HTML, name="a.pdf", declared="application/pdf").refused == (
        "an HTML page"
    )
    assert document_sniff(b"Let me know = fine", name="a.txt").content_type == "text/plain"


# --- Through the upload page -----------------------------------------------------------------


@pytest.fixture
def staff(client_for: Callable[[User], Client], member: User) -> Client:
    return client_for(member)


def test_an_html_file_named_invoice_pdf_is_refused_on_the_upload_page(
    firm: Firm, staff: Client, firm_scope: Scope, media_root: Path
) -> None:
    matter = MatterFactory(client__firm=firm)

    response = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {"file": SimpleUploadedFile("invoice.pdf", HTML, "application/pdf")},
    )

    assert response.status_code == 200
    assert f"This file is an HTML page; {REFUSAL}" in html.unescape(response.text)
    assert "alert(document.cookie)" not in response.text
    with firm_scope():
        assert not Document.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("content", "name", "declared", "recorded"),
    [
        (PDF, "Retainer.pdf", "application/pdf", "application/pdf"),
        (PNG, "scan.pdf", "application/pdf", "image/png"),
    ],
)
def test_documents_uploaded_on_the_page_record_the_type_of_their_bytes(
    firm: Firm,
    staff: Client,
    firm_scope: Scope,
    media_root: Path,
    content: bytes,
    name: str,
    declared: str,
    recorded: str,
) -> None:
    matter = MatterFactory(client__firm=firm)

    response = staff.post(
        reverse("matters:document-upload", args=[matter.uuid]),
        {"file": SimpleUploadedFile(name, content, declared)},
    )

    assert response.status_code == 302
    with firm_scope():
        document = Document.objects.get()
    assert (document.name, document.content_type) == (name, recorded)
    download = staff.get(reverse("matters:document-download", args=[matter.uuid, document.uuid]))
    assert download["Content-Type"] == recorded
    assert b"".join(download.streaming_content) == content  # type: ignore[attr-defined]
