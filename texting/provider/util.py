"""Small pure helpers shared by the client, the result types and the callback parsers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)
NANP_E164_RE = re.compile(r"^\+1(\d{10})$", re.ASCII)

# ISO-8601 as the provider writes it: date, T (or space), time with 0..9 fractional digits
# (examples show none, 3 and 6), then Z or a numeric offset. Week/ordinal dates are refused.
_TIMESTAMP_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt ]"
    r"(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$",
    re.ASCII,
)

# Runs of 7+ digits (optionally with + and separators) look like phone numbers.
_PHONEISH_RE = re.compile(r"\+?\d(?:[\d\-. ()]{5,}\d)")


def is_e164(value: object) -> bool:
    """E.164 syntax; a +1 (North American) number must have exactly ten digits after +1."""
    if not isinstance(value, str) or E164_RE.fullmatch(value) is None:
        return False
    return not value.startswith("+1") or len(value) == 12


def mask_number(value: str | None) -> str:
    """`+15554443333` → `***3333`: enough to correlate in logs, not enough to identify."""
    if not value:
        return "-"
    digits = re.sub(r"\D", "", value)
    return "***" + digits[-4:] if len(digits) >= 4 else "***"


def redact(text: str | None, limit: int = 300) -> str:
    """A provider description made safe for exceptions and logs: phone-like runs masked,
    length capped. The provider echoes our input ("'+1555…' is not a valid E.164")."""
    if not text:
        return ""
    cleaned = _PHONEISH_RE.sub(lambda m: mask_number(m.group(0)), str(text))
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def parse_timestamp(value: str) -> datetime:
    """Parse the provider's ISO-8601 timestamps leniently into an aware datetime.

    Accepts 0–9 fractional digits (beyond 6 are truncated: microsecond precision), `Z` or a
    `±hh:mm`/`±hhmm`/`±hh` offset; a timestamp with no zone is taken as UTC. Raises
    ValueError for anything else.
    """
    if not isinstance(value, str):
        raise ValueError("timestamp is not a string")
    m = _TIMESTAMP_RE.fullmatch(value.strip())
    if m is None:
        raise ValueError("timestamp is not ISO-8601")
    fraction = (m["f"] or "").ljust(6, "0")[:6]
    tz = m["tz"]
    tzinfo: timezone
    if tz is None or tz in ("Z", "z"):
        tzinfo = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        body = tz[1:].replace(":", "")
        hours, minutes = int(body[:2]), int(body[2:4] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError("timestamp offset out of range")
        tzinfo = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return datetime(
        int(m["y"]),
        int(m["mo"]),
        int(m["d"]),
        int(m["h"]),
        int(m["mi"]),
        int(m["s"] or 0),
        int(fraction),
        tzinfo=tzinfo,
    )


def e164_to_nanp(number: str) -> str:
    """`+18445550100` → `8445550100` (the numbers API's 10-digit form)."""
    m = NANP_E164_RE.fullmatch(number)
    if m is None:
        raise ValueError("not a +1 (NANP) E.164 number")
    return m.group(1)


def nanp_to_e164(number: str) -> str:
    """`8445550100` (or `18445550100`) → `+18445550100`."""
    digits = number.strip()
    if re.fullmatch(r"1?\d{10}", digits, re.ASCII) is None:
        raise ValueError("not a 10-digit NANP number")
    return "+1" + digits[-10:]


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


def checked_media_url(media_prefix: str, media_url: str) -> tuple[str, str]:
    """(URL to fetch, media id) when `media_url` lies under `media_prefix` (our account's
    `{messaging}/users/{accountId}/media/`): same scheme, host and port, no credentials,
    query or fragment, no empty, `.`/`..` or encoded-slash segments. Raises ValueError with
    a short reason otherwise, so a forged callback URL can never make us fetch elsewhere.
    """
    if not isinstance(media_url, str) or not media_url or len(media_url) > 4096:
        raise ValueError("empty or too long")
    if any(ch.isspace() or not ch.isprintable() for ch in media_url):
        raise ValueError("whitespace or control characters")
    prefix = urlsplit(media_prefix)
    try:
        url = urlsplit(media_url)
        port = _port(url.scheme.lower(), url.port)
    except ValueError:
        raise ValueError("not a URL") from None
    if (
        url.scheme.lower() != prefix.scheme
        or (url.hostname or "") != (prefix.hostname or "")
        or port != _port(prefix.scheme, prefix.port)
    ):
        raise ValueError("not the provider's media origin")
    if url.username is not None or url.password is not None or url.query or url.fragment:
        raise ValueError("credentials, query or fragment in URL")
    if not url.path.startswith(prefix.path):
        raise ValueError("not under this account's media path")
    rest = url.path[len(prefix.path) :]
    for segment in rest.split("/"):
        decoded = unquote(segment)
        if not segment or decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            raise ValueError("bad media id segment")
    # Rebuilt from our own prefix: the origin and path prefix fetched are never the caller's.
    return media_prefix + rest, unquote(rest)
