"""Quiet hours for automated texts (E3): only between 8:00 and 20:00 recipient time.

The recipient's zone comes from the number's area code (phonenumbers' time-zone data).
An area code that spans zones counts as all of them, so a text goes only when it is
daytime in each; a number with no geography (toll-free, personal, unknown) uses the firm's
zone. Texts a person types are never held: only calendar notifications and reminders ask here.
"""

import functools
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as number_zones

DAY_STARTS = time(8, 0)
DAY_ENDS = time(20, 0)
# Number types whose area code says where the phone is; toll-free, personal (5XX) and
# other non-geographic numbers map to every zone of the country, which says nothing.
_GEOGRAPHIC = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
# An area code spans two zones at most (208: Boise and Los Angeles); more means no geography.
_MAX_ZONES = 3


@functools.lru_cache(maxsize=65536)
def _zones_of_number(number_e164: str) -> tuple[str, ...]:
    try:
        number = phonenumbers.parse(number_e164)
    except phonenumbers.NumberParseException:
        return ()
    if phonenumbers.number_type(number) not in _GEOGRAPHIC:
        return ()
    zones = [
        z for z in number_zones.time_zones_for_number(number) if z != number_zones.UNKNOWN_TIMEZONE
    ]
    return tuple(zones) if len(zones) <= _MAX_ZONES else ()


def recipient_zones(number_e164: str, *, fallback_zone: str) -> tuple[ZoneInfo, ...]:
    """The zones a text to `number_e164` may be read in; the fallback when unknown."""
    names = _zones_of_number(number_e164) or (fallback_zone,)
    return tuple(_zone(name) for name in names)


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _is_daytime(moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time()
    return DAY_STARTS <= local < DAY_ENDS


def may_send_now(number_e164: str, *, now: datetime, fallback_zone: str) -> bool:
    """Whether an automated text may go to `number_e164` at `now` (8:00–20:00 there)."""
    return all(
        _is_daytime(now, z) for z in recipient_zones(number_e164, fallback_zone=fallback_zone)
    )


def next_send_time(number_e164: str, *, now: datetime, fallback_zone: str) -> datetime:
    """`now` if an automated text may go now, else the next 8:00 (in the last zone to wake)."""
    zones = recipient_zones(number_e164, fallback_zone=fallback_zone)
    moment = now
    # Each step moves to the next 8:00 of a zone still in its night; zones an area code
    # spans are hours apart, so this settles in a step or two.
    for _ in range(2 * len(zones) + 2):
        asleep = [z for z in zones if not _is_daytime(moment, z)]
        if not asleep:
            return moment
        local = moment.astimezone(asleep[0])
        day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
        moment = datetime.combine(day, DAY_STARTS, tzinfo=asleep[0])
    return moment
