"""THE table from the provider's `errorCode` (message-failed callbacks) to our C8 reasons.

Source: PROVIDER_API.md §4 (Bandwidth's messaging error codes) and its "Quick mapping".
The first digit decides what a code we have never seen means: 4xxx is a client/content or
carrier rejection (re-sending unchanged gives the same result), 5xxx a service failure
(may succeed later), 9xxx ambiguous (the message may well have been delivered).

`retry` is *automatic* retry policy for the sending pipeline, from §4's retry column:
never / later with backoff (volumetric) / at most once (delayed) / yes. Whether the UI
offers a human "Retry" button is a different question, answered by `offers_retry()`
(the help article's "Please try again" reasons, C8).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import models


class FailureReason(models.TextChoices):
    """Why an outbound text failed (PRODUCT.md C8). Values are stored in the database."""

    UNREACHABLE_NUMBER = "unreachable_number", "Unreachable number"
    REJECTED_BY_CARRIER = "rejected_by_carrier", "Rejected by carrier"
    TEMPORARY_ERROR = "temporary_error", "Temporary error"
    UNKNOWN_ERROR = "unknown_error", "Unknown error"
    CARRIER_ERROR = "carrier_error", "Carrier error"
    BLOCKED_UNVERIFIED = "blocked_unverified", "Blocked (toll-free number not verified)"
    OPTED_OUT = "opted_out", "Opted out"


class RetryPolicy(enum.StrEnum):
    """Automatic retry policy for a failure code (PROVIDER_API.md §4, retry column)."""

    NEVER = "never"  # N: re-sending unchanged gives the same result (or may double-send)
    LATER = "later"  # L: volumetric; back off (minutes) and re-send
    ONCE = "once"  # 1: at most one delayed re-send
    YES = "yes"  # Y: transient; retry with backoff


# One short sentence per reason, from the help article's "Failed text messages" list
# (/work/shared/seed/clio-text-messaging-help-article.txt); "opted out" is ours (C10).
GUIDANCE: dict[FailureReason, str] = {
    FailureReason.UNREACHABLE_NUMBER: (
        "Check that the contact's texting number is a correctly formatted North American number."
    ),
    FailureReason.REJECTED_BY_CARRIER: (
        "The contact's carrier rejected the text; the number may be unable to receive texts."
    ),
    FailureReason.TEMPORARY_ERROR: (
        "The text was not delivered because of an unusual error; please try again."
    ),
    FailureReason.UNKNOWN_ERROR: (
        "An unexpected error occurred while delivering the text; please try again."
    ),
    FailureReason.CARRIER_ERROR: (
        "An error on the contact's carrier side stopped the text; please try again."
    ),
    FailureReason.BLOCKED_UNVERIFIED: (
        "The text was blocked because your toll-free number has not been verified yet."
    ),
    FailureReason.OPTED_OUT: (
        "The contact opted out of texts; they must text START before you can text them again."
    ),
}

_OFFERS_RETRY = frozenset(
    {FailureReason.TEMPORARY_ERROR, FailureReason.UNKNOWN_ERROR, FailureReason.CARRIER_ERROR}
)


def offers_retry(reason: FailureReason | str) -> bool:
    """True when the help article tells the user to "try again" (C8: show a Retry button)."""
    return FailureReason(reason) in _OFFERS_RETRY


@dataclass(frozen=True, slots=True)
class Failure:
    """What one `errorCode` means for us."""

    reason: FailureReason
    retry: RetryPolicy
    description: str  # Bandwidth's short name for the code, e.g. "invalid-destination-address"
    code: int = 0
    # True only when the message may have been delivered although it "failed" (9902, 9xxx):
    # never re-send automatically, the recipient could get it twice.
    ambiguous: bool = False

    @property
    def retryable(self) -> bool:
        return self.retry is not RetryPolicy.NEVER

    @property
    def guidance(self) -> str:
        return GUIDANCE[self.reason]


_R = FailureReason
_P = RetryPolicy

# code: (reason, retry, Bandwidth's name). Every code of §4's table, plus the extra codes
# of the third-party transcription where our reading differs from the range default.
_TABLE: dict[int, tuple[FailureReason, RetryPolicy, str]] = {
    # --- 4xxx detected by Bandwidth: final -------------------------------------------------
    4001: (_R.REJECTED_BY_CARRIER, _P.NEVER, "service-not-allowed"),
    4301: (_R.REJECTED_BY_CARRIER, _P.NEVER, "malformed-invalid-encoding"),
    4302: (_R.REJECTED_BY_CARRIER, _P.NEVER, "malformed-invalid-from-number"),
    4303: (_R.UNREACHABLE_NUMBER, _P.NEVER, "malformed-invalid-to-number"),
    4350: (_R.UNREACHABLE_NUMBER, _P.NEVER, "malformed-for-destination"),
    4360: (_R.REJECTED_BY_CARRIER, _P.NEVER, "message-not-sent-expiration-date-passed"),
    4401: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-routing-error"),
    4403: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-forbidden-from-number"),
    4404: (_R.UNREACHABLE_NUMBER, _P.NEVER, "rejected-forbidden-to-number"),
    4405: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-unallocated-from-number"),
    4406: (_R.UNREACHABLE_NUMBER, _P.NEVER, "rejected-unallocated-to-number"),
    4407: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-account-not-defined-from-number"),
    4408: (_R.UNREACHABLE_NUMBER, _P.NEVER, "rejected-account-not-defined-to-number"),
    4409: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-invalid-from-profile"),
    4410: (_R.REJECTED_BY_CARRIER, _P.NEVER, "media-unavailable"),
    4411: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-message-size-limit-exceeded"),
    4412: (_R.REJECTED_BY_CARRIER, _P.NEVER, "media-content-invalid"),
    4420: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-carrier-does-not-exist"),
    4421: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-forbidden-no-destination"),
    4431: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-forbidden-shortcode"),
    4432: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-forbidden-country"),
    # §4 quick mapping files "TF not enabled on account" under blocked, next to 4795.
    4433: (_R.BLOCKED_UNVERIFIED, _P.NEVER, "rejected-forbidden-tollfree"),
    4434: (_R.UNREACHABLE_NUMBER, _P.NEVER, "rejected-forbidden-tollfree-for-recipient"),
    4435: (_R.REJECTED_BY_CARRIER, _P.NEVER, "forbidden-too-many-recipients"),
    4451: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-wrong-user-id"),
    4452: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-wrong-application-id"),
    4470: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-spam-detected"),
    4475: (_R.OPTED_OUT, _P.NEVER, "destination-rejected-due-to-user-opt-out"),
    4481: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-from-number-in-blacklist"),
    4482: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-to-number-in-blacklist"),
    4492: (_R.UNREACHABLE_NUMBER, _P.NEVER, "reject-emergency"),
    4493: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-unauthorized"),
    # --- 47xx rejected by the carrier ------------------------------------------------------
    4700: (_R.REJECTED_BY_CARRIER, _P.NEVER, "invalid-service-type"),
    4701: (_R.UNREACHABLE_NUMBER, _P.NEVER, "destination-service-unavailable"),
    4702: (_R.UNREACHABLE_NUMBER, _P.ONCE, "destination-subscriber-unavailable"),
    4711: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-message-size-limit-exceeded"),
    4712: (_R.REJECTED_BY_CARRIER, _P.NEVER, "media-content-invalid"),
    4720: (_R.UNREACHABLE_NUMBER, _P.NEVER, "invalid-destination-address"),
    4721: (_R.UNREACHABLE_NUMBER, _P.NEVER, "destination-tn-deactivated"),
    4730: (_R.UNREACHABLE_NUMBER, _P.NEVER, "no-route-to-destination-carrier"),
    4740: (_R.REJECTED_BY_CARRIER, _P.NEVER, "invalid-source-address-address"),
    4750: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-message"),
    4751: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-message-size-invalid"),
    4752: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-malformed"),
    4770: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-spam-detected"),
    4771: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-shortened-url"),
    4772: (_R.REJECTED_BY_CARRIER, _P.NEVER, "rejected-tn-blocked"),
    4773: (_R.REJECTED_BY_CARRIER, _P.NEVER, "inactive-campaign"),
    4774: (_R.REJECTED_BY_CARRIER, _P.NEVER, "provisioning-issue"),
    4775: (_R.OPTED_OUT, _P.NEVER, "destination-rejected-due-to-user-opt-out"),
    4780: (_R.TEMPORARY_ERROR, _P.LATER, "volume-violation-tmo"),
    4781: (_R.TEMPORARY_ERROR, _P.LATER, "volume-violation-att"),
    4785: (_R.TEMPORARY_ERROR, _P.LATER, "volumetric-violation"),
    4790: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-sc"),
    4791: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-sc"),
    4792: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-sc"),
    4793: (_R.REJECTED_BY_CARRIER, _P.NEVER, "destination-rejected-sc"),
    # Never until the number is VERIFIED; the verification flow re-enables sending.
    4795: (_R.BLOCKED_UNVERIFIED, _P.NEVER, "tfn-not-verified"),
    # --- 5xxx service failures --------------------------------------------------------------
    5100: (_R.TEMPORARY_ERROR, _P.YES, "temporary-app-error"),
    5101: (_R.TEMPORARY_ERROR, _P.YES, "temporary-app-shutdown"),
    5106: (_R.TEMPORARY_ERROR, _P.ONCE, "impossible-to-route"),
    5111: (_R.TEMPORARY_ERROR, _P.YES, "temporary-app-connection-closed"),
    5201: (_R.TEMPORARY_ERROR, _P.ONCE, "temporary-rout-error-retries-exceeded"),
    5211: (_R.TEMPORARY_ERROR, _P.YES, "temporary-app-error-app-busy"),
    5220: (_R.TEMPORARY_ERROR, _P.YES, "temporary-store-error"),
    5231: (_R.TEMPORARY_ERROR, _P.YES, "discarded-concatenation-timeout"),
    5500: (_R.CARRIER_ERROR, _P.ONCE, "message-send-failed"),
    5501: (_R.CARRIER_ERROR, _P.ONCE, "message-send-failed"),
    5600: (_R.TEMPORARY_ERROR, _P.ONCE, "destination-carrier-queue-full"),
    5610: (_R.CARRIER_ERROR, _P.ONCE, "submit_sm-or-submit_multi-failed"),
    5620: (_R.CARRIER_ERROR, _P.ONCE, "destination-app-error"),
    5630: (_R.CARRIER_ERROR, _P.ONCE, "message-not-acknowledged"),
    5650: (_R.CARRIER_ERROR, _P.ONCE, "destination-failed"),
    5999: (_R.UNKNOWN_ERROR, _P.ONCE, "unknown-error"),
    # --- 9xxx ambiguous ---------------------------------------------------------------------
    # No delivery receipt within ~2 h: often delivered anyway (toll-free) → never re-send.
    9902: (_R.UNKNOWN_ERROR, _P.NEVER, "delivery-receipt-expired"),
    9999: (_R.UNKNOWN_ERROR, _P.ONCE, "unknown-error"),
}

_AMBIGUOUS = frozenset({9902})

KNOWN_CODES: frozenset[int] = frozenset(_TABLE)


def failure_for_code(code: int) -> Failure:
    """Map a message-failed `errorCode` to our reason and retry policy; total on all ints.

    Unknown codes go by their first digit: 4xxx rejected by carrier (never retry), 5xxx
    temporary error (retryable), 9xxx unknown error (ambiguous, never auto re-send);
    anything else is an unknown error that is not retried.
    """
    known = _TABLE.get(code)
    if known is not None:
        reason, retry, name = known
        return Failure(reason, retry, name, code=code, ambiguous=code in _AMBIGUOUS)
    if 4000 <= code <= 4999:
        return Failure(_R.REJECTED_BY_CARRIER, _P.NEVER, "unrecognised-client-error", code=code)
    if 5000 <= code <= 5999:
        return Failure(_R.TEMPORARY_ERROR, _P.YES, "unrecognised-service-error", code=code)
    if 9000 <= code <= 9999:
        return Failure(
            _R.UNKNOWN_ERROR, _P.NEVER, "unrecognised-ambiguous-error", code=code, ambiguous=True
        )
    return Failure(_R.UNKNOWN_ERROR, _P.NEVER, "unrecognised-error", code=code)
