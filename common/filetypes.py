"""What an uploaded file really is, from its bytes: the content type to record, or why it is
refused (web pages and programs). Pure functions, no I/O, no Django.

The declared content type and the file name come from the uploader's browser, so anyone can
set them: they never make a file acceptable. A file that a browser would run or render as a
page (HTML, SVG, XML with scripts, JavaScript) or that is a program (PE, ELF, Mach-O,
WebAssembly, a `#!` script) is refused whatever it is called, and so is a file *named* like
one (`notes.html`, `setup.exe`): saved to a laptop, the name alone decides what opens it.

Signatures come from `filetype` (pure Python, no libmagic). texting.media keeps its own,
stricter MMS sniffer; this one is for documents, which may be any inert format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import filetype

TEXT_PLAIN: Final = "text/plain"
OCTET_STREAM: Final = "application/octet-stream"

HTML_PAGE: Final = "an HTML page"
SVG_IMAGE: Final = "an SVG image"
XML_WITH_SCRIPTS: Final = "an XML document with scripts"
JAVASCRIPT: Final = "a JavaScript program"
SCRIPT: Final = "a script"
PROGRAM: Final = "a program"

# Text files whose declared type is kept (the bytes being text bears it out).
_TEXT_TYPES: Final = frozenset(
    {
        TEXT_PLAIN,
        "text/csv",
        "text/tab-separated-values",
        "text/markdown",
        "text/calendar",
        "text/vcard",
        "text/x-vcard",
        "message/rfc822",
        "application/rtf",
        "text/rtf",
    }
)
# Binary containers `filetype` cannot always name; the declared type is kept when it fits.
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_TYPES: Final = frozenset(
    {
        "application/vnd.ms-outlook",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/x-ole-storage",
    }
)

_PROGRAM_TYPES: Final = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/wasm",
        "application/x-shockwave-flash",
        "application/x-google-chrome-extension",
    }
)
# Signatures of two to four printable characters that also start ordinary notes ("MZ: see
# you at 3", "BMW is outside", "ID3 ..."): text that matches one is text.
WEAK_SIGNATURES: Final = frozenset(
    {
        "image/bmp",
        "application/x-msdownload",
        "audio/mpeg",
        "application/x-shockwave-flash",
        "application/x-google-chrome-extension",
        "application/x-lzip",
    }
)
# Mach-O (32/64-bit, both byte orders) and fat binaries / Java classes (CAFEBABE).
_MACHO_MAGICS: Final = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)

_ACTIVE_DECLARED: Final[dict[str, str]] = {
    "text/html": HTML_PAGE,
    "application/xhtml+xml": HTML_PAGE,
    "image/svg+xml": SVG_IMAGE,
    "text/javascript": JAVASCRIPT,
    "application/javascript": JAVASCRIPT,
    "application/x-javascript": JAVASCRIPT,
    "application/ecmascript": JAVASCRIPT,
    "text/ecmascript": JAVASCRIPT,
    "application/x-sh": SCRIPT,
    "application/x-shellscript": SCRIPT,
    "application/x-msdownload": PROGRAM,
    "application/x-msdos-program": PROGRAM,
    "application/x-executable": PROGRAM,
    "application/x-mach-binary": PROGRAM,
    "application/wasm": PROGRAM,
    "application/hta": PROGRAM,
}
_ACTIVE_EXTENSIONS: Final[dict[str, str]] = {
    **dict.fromkeys(("html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "hta"), HTML_PAGE),
    **dict.fromkeys(("svg", "svgz"), SVG_IMAGE),
    **dict.fromkeys(("js", "mjs", "cjs", "jse", "wasm"), JAVASCRIPT),
    **dict.fromkeys(
        ("sh", "bash", "zsh", "csh", "ksh", "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "wsf"),
        SCRIPT,
    ),
    **dict.fromkeys(
        ("exe", "dll", "com", "scr", "msi", "cpl", "pif", "app", "elf", "so", "dylib", "jar"),
        PROGRAM,
    ),
}

# A page a browser sniffs as HTML starts with one of these tags (WHATWG MIME Sniffing 7.1),
# after optional whitespace, followed by a space or ">".
_HTML_START: Final = re.compile(
    r"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    r"|object|embed|meta|link|svg|math|template|form|img|base)[\s>/]|<!--",
)
_XML_ACTIVE: Final = re.compile(
    r"<script|<svg|http://www\.w3\.org/1999/xhtml|<\?xml-stylesheet|<html|\bjavascript:"
)
_JS_START: Final = re.compile(
    r"(?:['\"]use strict['\"]|\(\s*function\b|!function\b|\(\s*\(\s*\)\s*=>"
    r"|function\s*[\w$]*\s*\([^)]*\)\s*\{|(?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=[^=]"
    r"|(?:window|document)\.[\w$]+\s*[(=.]|import\s+[\w${},\s*]+\s+from\s+['\"]"
    r"|export\s+(?:default|const|function|class)\b)"
)
_HEAD_CHARS: Final = 4096


@dataclass(frozen=True, slots=True)
class Verdict:
    """The content type to record, or the `refused` label ("an HTML page") of active content."""

    content_type: str = ""
    refused: str = ""

    @property
    def accepted(self) -> bool:
        return not self.refused


def _text_of(content: bytes) -> str | None:
    """The text of `content` when it is text (UTF-8, or UTF-16 with a byte order mark)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def active_text(text: str) -> str:
    """The label of markup or code a browser or shell would run; "" for inert text. Also
    texting.media's rule for text attachments, so what a thread accepts can be filed."""
    head = text[:_HEAD_CHARS].lstrip("\ufeff \t\r\n\f")
    lowered = head.lower()
    if head.startswith("#!") or lowered.startswith("<?php"):
        return SCRIPT
    if lowered.startswith(("<svg", "<!doctype svg")):
        return SVG_IMAGE
    if lowered.startswith("<?xml"):
        if "<svg" in lowered:
            return SVG_IMAGE
        if _XML_ACTIVE.search(text.lower()):
            return XML_WITH_SCRIPTS
        return ""
    if _HTML_START.match(lowered):
        return HTML_PAGE
    if _JS_START.match(head):
        return JAVASCRIPT
    return ""


def _extension(name: str) -> str:
    stem, dot, suffix = name.strip().rstrip(". ").rpartition(".")
    return suffix.lower() if dot and stem else ""


def _clean_type(raw: str) -> str:
    return (raw or "").split(";", 1)[0].strip().lower()


def document_sniff(content: bytes, *, name: str = "", declared: str = "") -> Verdict:
    """Judge an uploaded document by its bytes (and refuse an active name or declared type).

    Accepted: the sniffed type when the bytes have a known signature; for text, the declared
    type when it is a plain text format (text/csv, message/rfc822...) else text/plain; the
    declared type of an Office container `filetype` cannot name; otherwise octet-stream.
    """
    declared_type = _clean_type(declared)
    # The bytes first, so a program named "scan.pdf" reads "a program", not the name's label.
    kind = filetype.guess(content) if content else None
    text = _text_of(content)
    if kind is not None and kind.mime in WEAK_SIGNATURES and text is not None:
        kind = None
    if kind is not None and kind.mime in _PROGRAM_TYPES:
        return Verdict(refused=PROGRAM)
    if kind is None and content.startswith(_MACHO_MAGICS) and text is None:
        return Verdict(refused=PROGRAM)
    if kind is None:
        # Not UTF-8: markup in another encoding still starts with ASCII tags.
        label = active_text(text if text is not None else content[:_HEAD_CHARS].decode("latin-1"))
        if label:
            return Verdict(refused=label)
    # Saved to a laptop, the name decides what opens the file: a PNG named page.html is a page.
    refused = _ACTIVE_EXTENSIONS.get(_extension(name))
    if kind is None and not refused:
        refused = _ACTIVE_DECLARED.get(declared_type, "")
    if refused:
        return Verdict(refused=refused)
    if kind is not None:
        return Verdict(content_type=str(kind.mime))
    if text is not None:
        return Verdict(content_type=declared_type if declared_type in _TEXT_TYPES else TEXT_PLAIN)
    if content.startswith(_OLE_MAGIC) and declared_type in _OLE_TYPES:
        return Verdict(content_type=declared_type)
    if content[4:8] == b"ftyp" and declared_type.split("/", 1)[0] in {"image", "video", "audio"}:
        return Verdict(content_type=declared_type)  # HEIF, 3GPP...: ISO media `filetype` skips
    return Verdict(content_type=OCTET_STREAM)
