"""Phone numbers for demo contacts and firms' own lines: valid North American numbers nobody
answers.

NANP reserves 555-0100 … 555-0199 in every area code for fiction, so those come first:
about 420 US and Canadian area codes give some 42,000 of them. A firm that needs more gets
other 555 lines (555-0200 upward, skipping 555-1212, directory assistance): 555 lines are
not handed out as subscriber numbers. Every number is checked with `phonenumbers` before
it is used, so each one passes the same validation a texting number typed in a form does.
"""

import random
from collections.abc import Iterator, Sequence
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumberType

from provider_sandbox.outcomes import FAILURE_CODES

from .vocabulary import CANADIAN_AREA_CODES

_FICTIONAL_EXCHANGE = 555
_FICTIONAL_LINES = range(100, 200)  # 555-0100 … 555-0199
_DIRECTORY_ASSISTANCE_LINE = 1212
_TEXTABLE_REGIONS = frozenset({"US", "CA"})
# Geographic NANP numbers come back as FIXED_LINE_OR_MOBILE: phonenumbers cannot tell.
_TEXTABLE_TYPES = frozenset({PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.MOBILE})


def _parsed(area_code: int, line: int) -> phonenumbers.PhoneNumber:
    national = area_code * 10_000_000 + _FICTIONAL_EXCHANGE * 10_000 + line
    return phonenumbers.PhoneNumber(country_code=1, national_number=national)


def textable_e164(area_code: int, line: int) -> str | None:
    """`+1<area><555><line>` if it is a valid US or Canadian mobile-capable number, else None.

    Toll-free (8XX), premium (900), personal (5XX) and Caribbean NANP area codes are None:
    a texting number must be a US or Canadian number a person can carry.
    """
    number = _parsed(area_code, line)
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) not in _TEXTABLE_REGIONS:
        return None
    if phonenumbers.number_type(number) not in _TEXTABLE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def textable_area_codes() -> tuple[int, ...]:
    """Every US and Canadian geographic area code that `phonenumbers` knows, ascending."""
    return tuple(code for code in range(200, 1000) if textable_e164(code, 100) is not None)


class NumberAllocator:
    """Hands out a firm's phone numbers: each one valid, textable and never given twice.

    Most come from the firm's home area codes, some from Canadian ones and the rest from
    anywhere in the US or Canada. The order depends only on `rng`, so a seeded run always
    gives the same numbers.
    """

    def __init__(self, rng: random.Random, home_area_codes: Sequence[int]) -> None:
        known = set(textable_area_codes())
        home = [code for code in home_area_codes if code in known]
        canadian = [code for code in CANADIAN_AREA_CODES if code in known and code not in home]
        elsewhere = sorted(known - set(home) - set(canadian))
        self._rng = rng
        self._pools = [self._fictional_pool(codes) for codes in (home, canadian, elsewhere)]
        self._overflow = self._overflow_numbers([*home, *canadian, *elsewhere])
        self._given: set[str] = set()

    def _fictional_pool(self, area_codes: Sequence[int]) -> list[tuple[int, int]]:
        pool = [(code, line) for code in area_codes for line in _FICTIONAL_LINES]
        self._rng.shuffle(pool)
        return pool

    @staticmethod
    def _overflow_numbers(area_codes: Sequence[int]) -> Iterator[tuple[int, int]]:
        for line in range(_FICTIONAL_LINES.stop, 10_000):
            # Lines the provider sandbox treats as failing test numbers would make demo
            # texts fail; directory assistance is not a person.
            if line == _DIRECTORY_ASSISTANCE_LINE or line in FAILURE_CODES:
                continue
            for code in area_codes:
                yield code, line

    def _next_candidate(self) -> tuple[int, int]:
        roll = self._rng.random()
        # 75% local, 10% Canadian, 15% from elsewhere; an empty pool falls through to the next.
        first = 0 if roll < 0.75 else 1 if roll < 0.85 else 2
        for index in (first, 0, 1, 2):
            if self._pools[index]:
                return self._pools[index].pop()
        candidate = next(self._overflow, None)
        if candidate is None:
            raise RuntimeError("No unused demo phone numbers are left.")
        return candidate

    def allocate(self) -> str:
        """The next unused number in E.164. Raises RuntimeError only if NANP runs out."""
        while True:
            area_code, line = self._next_candidate()
            e164 = textable_e164(area_code, line)
            if e164 is not None and e164 not in self._given:
                self._given.add(e164)
                return e164

    def allocate_local(self) -> str:
        """An unused number in one of the home area codes (a firm's own line), or any
        unused number once those are all given."""
        home = self._pools[0]
        while home:
            area_code, line = home.pop()
            e164 = textable_e164(area_code, line)
            if e164 is not None and e164 not in self._given:
                self._given.add(e164)
                return e164
        return self.allocate()
