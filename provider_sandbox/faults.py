"""Fault injection: the ways our tests break the provider on purpose (PUT /sandbox/faults).

Rates are drawn from an RNG seeded whenever the faults are set, so a test that sets
`send_500_rate=0.5` sees the same sequence of failures on every run; 1.0 means always.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


class FaultsError(ValueError):
    """A fault setting has the wrong type or range; the message is a sentence for the caller."""


@dataclass
class Faults:
    """Current fault settings; all off by default."""

    send_500_rate: float = 0.0
    send_429_rate: float = 0.0
    # The send is accepted (and its callbacks happen) but the 202 is answered this late.
    send_delay_seconds: float = 0.0
    duplicate_callbacks: bool = False
    out_of_order_callbacks: bool = False
    callbacks_paused: bool = False


_RATES = ("send_500_rate", "send_429_rate")
_FLAGS = ("duplicate_callbacks", "out_of_order_callbacks", "callbacks_paused")


def _checked(name: str, value: Any) -> Any:
    if name in _FLAGS:
        if not isinstance(value, bool):
            raise FaultsError(f"{name} must be true or false.")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultsError(f"{name} must be a number.")
    if name in _RATES and not 0.0 <= value <= 1.0:
        raise FaultsError(f"{name} must be between 0 and 1.")
    if name == "send_delay_seconds" and not 0.0 <= value <= 600.0:
        raise FaultsError("send_delay_seconds must be between 0 and 600.")
    return float(value)


class FaultInjector:
    """Thread-safe holder of the fault settings and their seeded RNG."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._faults = Faults()
        self._rng = random.Random(seed)  # noqa: S311 (reproducible, not secret)

    def snapshot(self) -> Faults:
        with self._lock:
            return replace(self._faults)  # a shallow copy: every field is a number or a flag

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.snapshot())

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply `changes` (unknown keys refused, nothing applied on error); reseed the RNG.

        The key "seed" (int) may be given to reseed with another value.
        """
        known = {f.name for f in fields(Faults)}
        unknown = set(changes) - known - {"seed"}
        if unknown:
            raise FaultsError(f"Unknown fault setting(s): {', '.join(sorted(unknown))}.")
        checked = {k: _checked(k, v) for k, v in changes.items() if k != "seed"}
        seed = changes.get("seed", self._seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultsError("seed must be an integer.")
        with self._lock:
            for key, value in checked.items():
                setattr(self._faults, key, value)
            self._seed = seed
            self._rng = random.Random(seed)  # noqa: S311 (reproducible, not secret)
        return self.as_dict()

    def reset(self) -> None:
        with self._lock:
            self._faults = Faults()
            self._rng = random.Random(self._seed)  # noqa: S311

    def draw(self, rate: float) -> bool:
        """True with probability `rate`, from the seeded sequence."""
        if rate <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < rate
