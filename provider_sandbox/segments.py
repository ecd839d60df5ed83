"""Segment counting the way carriers split SMS (PROVIDER_API.md section 9).

GSM-7: 160 septets in one segment, 153 per part when concatenated; the extension characters
take two septets (escape + char) and an escape pair is never split across parts.
UCS-2 (any character outside GSM-7): 70 UTF-16 code units single, 67 per part; a surrogate
pair (most emoji) is never split. MMS is always one segment.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


def is_gsm7(text: str) -> bool:
    """True when every character of `text` can be sent in the GSM-7 alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str) -> tuple[list[int], int, int]:
    """Per-character cost in encoding units, plus the single and per-part capacity."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text], GSM7_SINGLE, GSM7_PART
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text], UCS2_SINGLE, UCS2_PART


def segment_count(text: str, *, is_mms: bool = False) -> int:
    """Number of segments `text` is billed and rate-limited as (at least 1)."""
    if is_mms:
        return 1
    costs, single, part = _units(text)
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        # An escape pair or a surrogate pair moves whole to the next part.
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return segments
