"""Quiet hours of automated texts (E3): 8:00–20:00 in the recipient's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texting.quiet_hours import may_send_now, next_send_time, recipient_zones

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
CHICAGO = "America/Chicago"

DC = "+12025550143"  # 202: Washington, DC (New York's zone)
SAN_FRANCISCO = "+14155550143"  # 415: Los Angeles's zone
IDAHO = "+12085550143"  # 208: Boise and Los Angeles
TOLL_FREE = "+18445550143"
PERSONAL = "+15005550143"  # 5XX personal numbers: no geography


def test_the_zone_comes_from_the_area_code() -> None:
    assert recipient_zones(DC, fallback_zone=CHICAGO) == (NY,)
    assert recipient_zones(SAN_FRANCISCO, fallback_zone=CHICAGO) == (LA,)


@pytest.mark.parametrize("number", [TOLL_FREE, PERSONAL, "not a number"])
def test_numbers_without_geography_use_the_firms_zone(number: str) -> None:
    assert recipient_zones(number, fallback_zone=CHICAGO) == (ZoneInfo(CHICAGO),)


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        ((7, 59), False),
        ((8, 0), True),
        ((13, 0), True),
        ((19, 59), True),
        ((20, 0), False),
        ((23, 30), False),
        ((2, 0), False),
    ],
)
def test_automated_texts_go_between_8_and_20_recipient_time(
    local: tuple[int, int], allowed: bool
) -> None:
    moment = datetime(2026, 12, 1, *local, tzinfo=LA)
    assert may_send_now(SAN_FRANCISCO, now=moment, fallback_zone="America/New_York") is allowed


def test_an_area_code_spanning_two_zones_waits_for_daytime_in_both() -> None:
    # 8:30 in Boise is 7:30 in Los Angeles: not yet daytime everywhere 208 rings.
    moment = datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo("America/Boise"))
    assert not may_send_now(IDAHO, now=moment, fallback_zone=CHICAGO)
    assert next_send_time(IDAHO, now=moment, fallback_zone=CHICAGO) == datetime(
        2026, 12, 1, 8, 0, tzinfo=LA
    )


def test_a_text_held_at_22_goes_at_8_the_next_morning() -> None:
    moment = datetime(2026, 12, 1, 22, 0, tzinfo=LA)
    assert next_send_time(SAN_FRANCISCO, now=moment, fallback_zone=CHICAGO) == datetime(
        2026, 12, 2, 8, 0, tzinfo=LA
    )
    early = datetime(2026, 12, 2, 5, 0, tzinfo=LA)
    assert next_send_time(SAN_FRANCISCO, now=early, fallback_zone=CHICAGO) == datetime(
        2026, 12, 2, 8, 0, tzinfo=LA
    )


def test_8_oclock_is_local_on_both_sides_of_a_daylight_saving_change() -> None:
    # New York leaves daylight saving on Sunday 1 November 2026 at 2:00.
    before = datetime(2026, 10, 31, 21, 0, tzinfo=NY)  # EDT, UTC-4
    after = next_send_time(DC, now=before, fallback_zone=CHICAGO)
    assert after == datetime(2026, 11, 1, 8, 0, tzinfo=NY)
    assert after.utcoffset() is not None and after.utcoffset().total_seconds() == -5 * 3600  # EST


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_the_next_send_time_is_always_daytime_and_never_before_now(naive: datetime) -> None:
    now = naive.replace(tzinfo=ZoneInfo("UTC"))
    for number in (DC, SAN_FRANCISCO, IDAHO, TOLL_FREE):
        moment = next_send_time(number, now=now, fallback_zone=CHICAGO)
        assert moment >= now
        assert may_send_now(number, now=moment, fallback_zone=CHICAGO)
        assert (moment == now) == may_send_now(number, now=now, fallback_zone=CHICAGO)
