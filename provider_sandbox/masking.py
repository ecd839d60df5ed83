"""Keeping phone numbers out of logs: texts are attorney-client content, numbers identify people.

Never log message text at all; log phone numbers only through these helpers.
"""

from __future__ import annotations

import re

# A free-standing run of 8-15 digits, optionally after "+" or its URL-encoded form, is taken
# for a phone number (ids that mix digits and letters, like message ids, are left alone).
_NUMBER_IN_TEXT = re.compile(r"(?<![\w])(?:\+|%2[bB])?\d{8,15}(?![\w])")


def mask_number(number: str | None) -> str:
    """Return the number reduced to its last four digits, e.g. "…4720"."""
    if not number:
        return "-"
    digits = "".join(ch for ch in number if ch.isdigit())
    return "…" + digits[-4:]


def mask_numbers_in(text: str) -> str:
    """Return `text` (a request line, a path) with every phone-number-like run masked."""
    return _NUMBER_IN_TEXT.sub(lambda m: mask_number(m.group(0)), text)
