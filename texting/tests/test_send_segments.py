"""Segment counting (C5): GSM-7 160 / 153, UCS-2 70 / 67, extension characters count two."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texting.segments import Encoding, segment_count, segment_info


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", Encoding.GSM7, 1),
        ("Your hearing is on Monday at 9am.", Encoding.GSM7, 1),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),
        ("a" * 307, Encoding.GSM7, 3),
        ("€" * 80, Encoding.GSM7, 1),  # 160 septets: each extension char is escape + char
        ("€" * 81, Encoding.GSM7, 2),
        ("a" * 159 + "{", Encoding.GSM7, 2),  # 161 septets
        ("^{}[]~\\|", Encoding.GSM7, 1),  # 16 septets
        ("Café à 5 €, Ça va? ¿Qué? Ñandù ÄÖÜ ß", Encoding.GSM7, 1),
        # 306 septets would fit two parts, but the pair at the boundary moves whole.
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 3),
        ("ç", Encoding.UCS2, 1),  # lower-case ç is not in GSM-7 (only Ç is)
        ("Thanks 🙂", Encoding.UCS2, 1),
        ("Ω" + "ы" * 69, Encoding.UCS2, 1),  # Ω is GSM-7, ы is not: all UCS-2, 70 units
        ("ы" * 71, Encoding.UCS2, 2),
        ("ы" * 134, Encoding.UCS2, 2),
        ("ы" * 135, Encoding.UCS2, 3),
        ("🙂" * 35, Encoding.UCS2, 1),  # 70 UTF-16 units
        ("🙂" * 36, Encoding.UCS2, 2),
        ("ы" * 66 + "🙂" + "ы" * 66, Encoding.UCS2, 3),  # a surrogate pair is never split
        ("x" * 2048, Encoding.GSM7, 14),
    ],
)
def test_segment_count(text: str, encoding: Encoding, segments: int) -> None:
    info = segment_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)
    assert segment_count(text) == segments


def test_the_compose_box_sees_the_room_left() -> None:
    assert segment_info("a" * 150).remaining == 10
    assert segment_info("a" * 170).per_segment == 153
    assert segment_info("a" * 170).remaining == 153 - 17
    assert segment_info("ы" * 10).remaining == 60


# GSM-7 basic and extension characters, others that force UCS-2, an astral emoji and a lone
# surrogate (JSON may carry one): the units counted in C agree with a per-character count.
_MIXED = st.text(alphabet=st.sampled_from([*"ab {}[]€~|^\fé中ñ", "🙂", "\ud800"]))


@given(_MIXED)
def test_units_are_the_sum_of_each_characters_cost(text: str) -> None:
    info = segment_info(text)
    if info.encoding is Encoding.GSM7:
        expected = sum(2 if ch in "{}[]€~|^\f" else 1 for ch in text)
    else:
        expected = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    assert info.units == expected
