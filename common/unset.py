"""A marker for "not given" in services that change only the fields passed (None is a value)."""

from typing import Final


class Unset:
    """The type of UNSET: an argument of an update service that was not given."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()
