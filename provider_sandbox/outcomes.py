"""Test numbers: the destination decides what happens to an outbound message.

A destination whose last four digits are one of the codes below fails with that error code;
every other destination is delivered. The table is the single source for the sandbox's
behaviour and for docs/provider-sandbox.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOLL_FREE_PATTERN = re.compile(r"^\+1(800|833|844|855|866|877|888)[2-9]\d{6}$")


@dataclass(frozen=True)
class FailureCode:
    code: int
    name: str  # Bandwidth's error name, sent as the callback's `description`
    reason: str  # the C8 failure reason the app maps it to (PROVIDER_API.md section 4)
    carrier_side: bool  # failed after being handed to the carrier (an MMS: after message-sending)


FAILURE_CODES: dict[int, FailureCode] = {
    f.code: f
    for f in (
        FailureCode(4720, "invalid-destination-address", "unreachable number", True),
        FailureCode(4721, "destination-tn-deactivated", "unreachable number", True),
        FailureCode(4750, "destination-rejected-message", "rejected by carrier", True),
        FailureCode(4770, "destination-spam-detected", "rejected by carrier", True),
        FailureCode(4775, "destination-rejected-due-to-user-opt-out", "opted out", True),
        FailureCode(4795, "tfn-not-verified", "blocked (toll-free number not verified)", False),
        FailureCode(5100, "temporary-app-error", "temporary error", False),
        FailureCode(5600, "destination-carrier-queue-full", "temporary error", True),
        FailureCode(5610, "submit_sm-or-submit_multi-failed", "carrier error", True),
        FailureCode(5620, "destination-app-error", "carrier error", True),
        FailureCode(5999, "unknown-error", "unknown error", False),
        FailureCode(9902, "delivery-receipt-expired", "unknown outcome", True),
        FailureCode(9999, "unknown-error", "unknown error", True),
    )
}

# Not a test number: the message expired in the rate-limit queue before it could leave.
EXPIRED = FailureCode(4360, "message-not-sent-expiration-date-passed", "unknown error", False)
TOLL_FREE_NOT_VERIFIED = FAILURE_CODES[4795]


def failure_for_destination(to: str) -> FailureCode | None:
    """The failure a message to `to` ends with, or None when it is delivered."""
    digits = "".join(ch for ch in to if ch.isdigit())
    if len(digits) < 4:
        return None
    return FAILURE_CODES.get(int(digits[-4:]))


def is_toll_free(number: str) -> bool:
    """True for a North American toll-free number in E.164 (the TFV API's pattern)."""
    return bool(TOLL_FREE_PATTERN.match(number))
