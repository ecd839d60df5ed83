"""How many SMS segments a text costs (C5), the way carriers split it (PROVIDER_API.md §9).

GSM-7: 160 septets in one segment, 153 per part once concatenated (the 6-byte header eats
the rest); the extension characters ^{}[]~\\|€ (and form feed) take two septets, escape and
character, and that pair is never split across parts. Any character outside GSM-7 makes the
whole text UCS-2: 70 UTF-16 code units in one segment, 67 per part; a character outside the
Basic Multilingual Plane (most emoji) is a surrogate pair, costs two units and is never
split either. The provider limits texts to 2048 characters and counts its rate limit in
segments, so the compose box shows this count and the sender reserves it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

# The provider's limit on one text (PROVIDER_API.md §1, `text` maxLength).
MAX_TEXT_CHARS = 2048


class Encoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What the compose box shows: encoding, segments, and room left in the last one."""

    encoding: Encoding
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int  # capacity of one segment at this length (single or per part)
    remaining: int  # units still free in the last segment


def is_gsm7(text: str) -> bool:
    """True when every character of `text` exists in the GSM-7 alphabet (basic or extension)."""
    return GSM7_ALL.issuperset(text)


def encoding_of(text: str) -> Encoding:
    return Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2


def _units(text: str, encoding: Encoding) -> int:
    """Septets or UTF-16 code units of `text`, counted in C: this runs for every text stored."""
    if encoding is Encoding.GSM7:
        return len(text) + sum(text.count(ch) for ch in GSM7_EXTENSION)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segment_info(text: str) -> SegmentInfo:
    """Encoding, segment count (at least 1, also for an empty text) and room left."""
    encoding = encoding_of(text)
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is Encoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    units = _units(text, encoding)
    if units <= single:
        return SegmentInfo(encoding, 1, units, single, single - units)
    segments, used = 1, 0
    for cost in _costs(text, encoding):
        if used + cost > part:  # an escape or surrogate pair moves whole to the next part
            segments += 1
            used = 0
        used += cost
    return SegmentInfo(encoding, segments, units, part, part - used)


def segment_count(text: str) -> int:
    """Number of segments the provider bills and rate-limits `text` as (at least 1)."""
    return segment_info(text).segments
