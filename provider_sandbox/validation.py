"""Small checks shared by the API and control routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TypeGuard

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def is_e164(value: object) -> TypeGuard[str]:
    """A syntactically valid E.164 number; +1 numbers must have exactly ten digits after it."""
    if not isinstance(value, str) or not _E164.match(value):
        return False
    return not value.startswith("+1") or len(value) == 12


def parse_datetime(value: str) -> datetime | None:
    """Lenient RFC 3339 / ISO-8601 (0, 3 or 6 fractional digits, Z or offset); naive = UTC."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
