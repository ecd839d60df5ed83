"""What an MMS attachment really is, decided from its bytes (C7).

Pure functions, no I/O: `media_sniff(content)` looks at magic numbers only — never at the
file name or the type the sender's phone (or the provider) declared, both of which anyone
can set. Allowed: photos (JPEG, PNG, GIF, WebP, HEIC/HEIF), videos (MP4, 3GPP, QuickTime),
audio (MP3, AAC/M4A, AMR, Ogg, WAV) and plain text. Everything else is refused with a short
human type for the "attachment not accepted (PDF document)" line of the thread.

Signatures come from `filetype` (pure Python, no libmagic); ISO base media files (MP4,
MOV, 3GP, M4A, HEIC, AVIF all start with an `ftyp` box) are told apart here by their
brands, which `filetype` only partly knows. Text is UTF-8 without NUL bytes that matched no
binary signature and is not markup, a vCard or a script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import filetype

from common.filetypes import (
    HTML_PAGE,
    JAVASCRIPT,
    SCRIPT,
    SVG_IMAGE,
    TEXT_PLAIN,
    WEAK_SIGNATURES,
    XML_WITH_SCRIPTS,
    active_text,
)

# Sniffed type → (content type we store, file extension we give it).
ALLOWED: Final[dict[str, tuple[str, str]]] = {
    "image/jpeg": ("image/jpeg", "jpg"),
    "image/png": ("image/png", "png"),
    "image/apng": ("image/png", "png"),  # an animated PNG is a PNG to every viewer
    "image/gif": ("image/gif", "gif"),
    "image/webp": ("image/webp", "webp"),
    "image/heic": ("image/heic", "heic"),
    "image/heif": ("image/heif", "heif"),
    "video/mp4": ("video/mp4", "mp4"),
    "video/x-m4v": ("video/mp4", "mp4"),
    "video/3gpp": ("video/3gpp", "3gp"),
    "video/3gpp2": ("video/3gpp2", "3g2"),
    "video/quicktime": ("video/quicktime", "mov"),
    "audio/mpeg": ("audio/mpeg", "mp3"),
    "audio/mp4": ("audio/mp4", "m4a"),
    "audio/aac": ("audio/aac", "aac"),
    "audio/amr": ("audio/amr", "amr"),
    "audio/ogg": ("audio/ogg", "ogg"),
    "audio/x-wav": ("audio/wav", "wav"),
    TEXT_PLAIN: (TEXT_PLAIN, "txt"),
}

PROGRAM: Final = "program"
ARCHIVE: Final = "compressed archive"
UNKNOWN: Final = "unknown file type"

# Refused types people recognise; other images/videos/audio read "BMP image", "AVI video"...
_REFUSED_LABELS: Final[dict[str, str]] = {
    "application/pdf": "PDF document",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/rtf": "RTF document",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.ms-powerpoint": "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint presentation"
    ),
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/epub+zip": "e-book",
    "application/postscript": "PostScript document",
    "application/x-sqlite3": "database file",
    "application/dicom": "DICOM image",
    "application/font-woff": "font file",
    "application/font-sfnt": "font file",
    "application/zip": "ZIP archive",
    "application/x-rar-compressed": "RAR archive",
    "application/x-7z-compressed": "7-Zip archive",
    "application/x-msdownload": PROGRAM,
    "application/x-executable": PROGRAM,
    "application/wasm": PROGRAM,
    "application/x-shockwave-flash": PROGRAM,
    "application/x-google-chrome-extension": PROGRAM,
    "application/x-deb": PROGRAM,
    "application/x-rpm": PROGRAM,
    "application/x-nintendo-nes-rom": PROGRAM,
    "application/vnd.ms-cab-compressed": ARCHIVE,
    "application/x-tar": ARCHIVE,
    "application/gzip": ARCHIVE,
    "application/x-bzip2": ARCHIVE,
    "application/x-xz": ARCHIVE,
    "application/x-compress": ARCHIVE,
    "application/x-lzop": ARCHIVE,
    "application/x-lzip": ARCHIVE,
    "application/x-lz4": ARCHIVE,
    "application/zstd": ARCHIVE,
    "application/x-brotli": ARCHIVE,
    "application/x-unix-archive": ARCHIVE,
    "image/avif": "AVIF image",
    "image/vnd.adobe.photoshop": "Photoshop image",
    "image/x-icon": "icon",
    "image/vnd.dwg": "AutoCAD drawing",
}

# ISO base media file format: the brands of the leading `ftyp` box say what the file is.
_HEIC_BRANDS: Final = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"})
_HEIF_BRANDS: Final = frozenset({"mif1", "msf1", "mif2"})
_AVIF_BRANDS: Final = frozenset({"avif", "avis"})
_MP4_AUDIO_BRANDS: Final = frozenset({"M4A ", "M4B ", "M4P "})
_MP4_VIDEO_BRANDS: Final = frozenset(
    {"mp41", "mp42", "mp71", "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9"}
    | {"avc1", "dash", "mmp4", "MSNV", "M4V ", "M4VH", "M4VP", "f4v ", "XAVC", "MQT "}
)
_MAX_BRANDS: Final = 64

# Names that already fit the type keep their own spelling of the extension.
_EXTENSION_ALIASES: Final[dict[str, set[str]]] = {
    "jpg": {"jpg", "jpeg", "jpe", "jfif"},
    "heic": {"heic", "heif"},
    "heif": {"heif", "heic"},
    "mp4": {"mp4", "m4v"},
    "3gp": {"3gp", "3gpp"},
    "mp3": {"mp3", "mpga"},
    "ogg": {"ogg", "oga", "opus"},
    "txt": {"txt", "text"},
}

# Text formats that are not plain text: markup a browser would render, cards, scripts.
_TEXT_REFUSED_PREFIXES: Final = (
    ("<?xml", "XML document"),
    ("<svg", "SVG image"),
    ("<!doctype html", "web page"),
    ("<html", "web page"),
    ("<script", "web page"),
    ("begin:vcard", "contact card"),
    ("begin:vcalendar", "calendar file"),
    ("#!", "script"),
    ("<?php", "script"),
)

# common.filetypes' labels of active text, in the words the thread uses for them.
_ACTIVE_TEXT_LABELS: Final[dict[str, str]] = {
    HTML_PAGE: "web page",
    XML_WITH_SCRIPTS: "web page",
    SVG_IMAGE: "SVG image",
    JAVASCRIPT: "script",
    SCRIPT: "script",
}

# An image whose header claims more pixels than any phone camera takes is a decompression
# bomb ("pixel flood"): a few kilobytes that would need gigabytes to display or thumbnail.
MAX_IMAGE_PIXELS: Final = 100_000_000
IMAGE_TOO_LARGE: Final = "image too large"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic: C0–CF but DHT
# C4, JPG C8 and DAC CC) carry the size.
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xDA)})


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The verdict on one attachment: an allowed `content_type` (with the `extension` its
    name should end in), or the human `refused_type` for a refused one."""

    content_type: str = ""
    extension: str = ""
    refused_type: str = ""

    @property
    def accepted(self) -> bool:
        return not self.refused_type


def _accepted(sniffed_type: str) -> Sniffed:
    content_type, extension = ALLOWED[sniffed_type]
    return Sniffed(content_type=content_type, extension=extension)


def _refused_label(mime: str, extension: str) -> str:
    label = _REFUSED_LABELS.get(mime)
    if label is not None:
        return label
    family = mime.split("/", 1)[0]
    if family in {"image", "video", "audio"}:
        return f"{extension.upper()} {family}"
    return UNKNOWN


def _ftyp_brands(content: bytes) -> list[str] | None:
    """Major then compatible brands of a leading `ftyp` box; None when there is none."""
    if len(content) < 16 or content[4:8] != b"ftyp":
        return None
    size = int.from_bytes(content[0:4], "big")
    end = min(max(size, 16), len(content), 16 + 4 * _MAX_BRANDS)
    brands = [content[8:12].decode("latin-1")]
    brands += [content[i : i + 4].decode("latin-1") for i in range(16, end - 3, 4)]
    return brands


def _iso_media_type(brands: list[str]) -> Sniffed:
    major, compatible = brands[0], set(brands[1:])
    every = {major, *compatible}
    # The major brand says what the file is; compatible brands only what can read it.
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and compatible & _AVIF_BRANDS):
        return Sniffed(refused_type="AVIF image")
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and compatible & _HEIC_BRANDS):
        return _accepted("image/heic")
    if major in _HEIF_BRANDS:
        return _accepted("image/heif")
    if major == "qt  ":
        return _accepted("video/quicktime")
    if major.startswith("3gp") or major.startswith("3ge") or major.startswith("3gg"):
        return _accepted("video/3gpp")
    if major.startswith("3g2"):
        return _accepted("video/3gpp2")
    if major in _MP4_AUDIO_BRANDS:
        return _accepted("audio/mp4")
    if major in {"crx ", "CR3 "}:
        return Sniffed(refused_type="CR3 image")
    if every & _MP4_VIDEO_BRANDS:
        return _accepted("video/mp4")
    return Sniffed(refused_type=UNKNOWN)


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain_text(content: bytes) -> Sniffed:
    if not _is_text(content):
        return Sniffed(refused_type=UNKNOWN)
    text = content.decode("utf-8")
    head = text.lstrip("\ufeff \t\r\n").lower()[:1024]
    for prefix, label in _TEXT_REFUSED_PREFIXES:
        if head.startswith(prefix):
            if prefix == "<?xml" and "<svg" in head:
                return Sniffed(refused_type="SVG image")
            return Sniffed(refused_type=label)
    # The rule matter documents apply (common.filetypes): a text attachment accepted here is
    # filed on the contact's matters, so one that would be refused there is refused here.
    if active := active_text(text):
        return Sniffed(refused_type=_ACTIVE_TEXT_LABELS[active])
    return _accepted(TEXT_PLAIN)


def media_sniff(content: bytes) -> Sniffed:
    """Decide what `content` is from its bytes alone; refuse anything not allowed (C7)."""
    if not content:
        return Sniffed(refused_type="empty file")
    brands = _ftyp_brands(content)
    if brands is not None:
        return _iso_media_type(brands)
    kind = filetype.guess(content)
    if kind is None or (kind.mime in WEAK_SIGNATURES and _is_text(content)):
        return _plain_text(content)
    mime = str(kind.mime)
    if mime in ALLOWED and mime != TEXT_PLAIN:
        pixels = image_pixels(content, mime)
        if pixels is not None and pixels > MAX_IMAGE_PIXELS:
            return Sniffed(refused_type=IMAGE_TOO_LARGE)
        return _accepted(mime)
    return Sniffed(refused_type=_refused_label(mime, str(kind.extension)))


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    i, end = 2, len(content)
    for _ in range(1000):  # a real file reaches its frame header within a few markers
        if i + 1 >= end or content[i] != 0xFF:
            return None
        marker = content[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
        elif marker in _JPEG_STANDALONE:
            i += 2
        elif marker in _JPEG_SOF:
            if i + 9 > end:
                return None
            height = int.from_bytes(content[i + 5 : i + 7], "big")
            width = int.from_bytes(content[i + 7 : i + 9], "big")
            return width, height
        elif i + 4 > end:
            return None
        else:
            i += 2 + int.from_bytes(content[i + 2 : i + 4], "big")
    return None


def _webp_size(content: bytes) -> tuple[int, int] | None:
    chunk = content[12:16]
    if chunk == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        height = int.from_bytes(content[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(content) >= 25:
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(content) >= 30:
        width = int.from_bytes(content[26:28], "little") & 0x3FFF
        height = int.from_bytes(content[28:30], "little") & 0x3FFF
        return width, height
    return None


def image_pixels(content: bytes, mime: str) -> int | None:
    """Width × height an image's header declares (PNG, GIF, JPEG, WebP); None if unknown.

    Read from the header only: nothing is decoded, so a bomb costs nothing to measure.
    """
    size: tuple[int, int] | None = None
    if mime in {"image/png", "image/apng"} and len(content) >= 24 and content[12:16] == b"IHDR":
        size = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    elif mime == "image/gif" and len(content) >= 10:
        size = int.from_bytes(content[6:8], "little"), int.from_bytes(content[8:10], "little")
    elif mime == "image/jpeg":
        size = _jpeg_size(content)
    elif mime == "image/webp":
        size = _webp_size(content)
    return None if size is None else size[0] * size[1]


def media_filename(name: str, sniffed: Sniffed) -> str:
    """`name` ending in the extension of what the bytes are: "photo.jpg" holding a PNG
    becomes "photo.png", "notes" holding text "notes.txt". Expects a sanitised name."""
    if not sniffed.accepted:
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and stem:
        if suffix.lower() in _EXTENSION_ALIASES.get(sniffed.extension, {sniffed.extension}):
            return name
        # "photo.jpg" → "photo.png"; "notes 3.5" is not an extension: append instead.
        if 2 <= len(suffix) <= 5 and suffix.isalnum() and not suffix.isdigit():
            return f"{stem}.{sniffed.extension}"
    return f"{name}.{sniffed.extension}"
