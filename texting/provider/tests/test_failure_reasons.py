"""The errorCode → C8 reason table (PROVIDER_API.md §4 quick mapping) and its ranges."""

import pytest

from texting.provider import GUIDANCE, FailureReason, RetryPolicy, failure_for_code, offers_retry
from texting.provider.failure_reasons import KNOWN_CODES

R = FailureReason

# The sandbox's test numbers (destination's last four digits) and the reason each must map to.
TEST_NUMBER_CODES = {
    4720: R.UNREACHABLE_NUMBER,
    4750: R.REJECTED_BY_CARRIER,
    4770: R.REJECTED_BY_CARRIER,
    4775: R.OPTED_OUT,
    4795: R.BLOCKED_UNVERIFIED,
    5100: R.TEMPORARY_ERROR,
    5600: R.TEMPORARY_ERROR,
    5610: R.CARRIER_ERROR,
    5620: R.CARRIER_ERROR,
    5999: R.UNKNOWN_ERROR,
    9902: R.UNKNOWN_ERROR,
    9999: R.UNKNOWN_ERROR,
}

QUICK_MAPPING = {
    R.UNREACHABLE_NUMBER: [4720, 4721, 4303, 4350, 4404, 4406, 4408, 4701, 4702, 4730],
    R.REJECTED_BY_CARRIER: [4750, 4770, 4771, 4772, 4751, 4752, 4700],
    R.OPTED_OUT: [4775, 4475],
    R.BLOCKED_UNVERIFIED: [4795, 4433],
    R.TEMPORARY_ERROR: [5100, 5101, 5106, 5111, 5201, 5211, 5220, 5231, 5600, 4780, 4781, 4785],
    R.CARRIER_ERROR: [5500, 5501, 5610, 5620, 5630, 5650],
    R.UNKNOWN_ERROR: [5999, 9999, 9902],
}


@pytest.mark.parametrize(("code", "reason"), sorted(TEST_NUMBER_CODES.items()))
def test_every_test_number_code_maps_to_its_c8_reason(code, reason):
    assert failure_for_code(code).reason is reason


@pytest.mark.parametrize(
    ("code", "reason"),
    [(code, reason) for reason, codes in QUICK_MAPPING.items() for code in codes],
)
def test_quick_mapping(code, reason):
    failure = failure_for_code(code)
    assert failure.reason is reason
    assert failure.code == code
    assert failure.description  # Bandwidth's name for the code


def test_reason_values_are_exactly_the_c8_set():
    assert {r.value for r in FailureReason} == {
        "unreachable_number",
        "rejected_by_carrier",
        "temporary_error",
        "unknown_error",
        "carrier_error",
        "blocked_unverified",
        "opted_out",
    }


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        (4720, RetryPolicy.NEVER),
        (4775, RetryPolicy.NEVER),
        (4795, RetryPolicy.NEVER),
        (4702, RetryPolicy.ONCE),
        (4785, RetryPolicy.LATER),
        (5100, RetryPolicy.YES),
        (5600, RetryPolicy.ONCE),
        (5620, RetryPolicy.ONCE),
        (5999, RetryPolicy.ONCE),
        (9902, RetryPolicy.NEVER),
        (9999, RetryPolicy.ONCE),
    ],
)
def test_retry_policy_follows_section_4(code, retry):
    assert failure_for_code(code).retry is retry


def test_only_9902_is_ambiguous_among_known_codes():
    assert [c for c in sorted(KNOWN_CODES) if failure_for_code(c).ambiguous] == [9902]
    assert not failure_for_code(9902).retryable


@pytest.mark.parametrize(
    ("code", "reason", "retry", "ambiguous"),
    [
        (4999, R.REJECTED_BY_CARRIER, RetryPolicy.NEVER, False),
        (4476, R.REJECTED_BY_CARRIER, RetryPolicy.NEVER, False),
        (5777, R.TEMPORARY_ERROR, RetryPolicy.YES, False),
        (9000, R.UNKNOWN_ERROR, RetryPolicy.NEVER, True),
        (9903, R.UNKNOWN_ERROR, RetryPolicy.NEVER, True),
        (0, R.UNKNOWN_ERROR, RetryPolicy.NEVER, False),
        (1234, R.UNKNOWN_ERROR, RetryPolicy.NEVER, False),
        (-1, R.UNKNOWN_ERROR, RetryPolicy.NEVER, False),
    ],
)
def test_unknown_codes_map_by_range(code, reason, retry, ambiguous):
    failure = failure_for_code(code)
    assert (failure.reason, failure.retry, failure.ambiguous) == (reason, retry, ambiguous)


def test_every_reason_has_one_short_guidance_sentence():
    assert set(GUIDANCE) == set(FailureReason)
    for sentence in GUIDANCE.values():
        assert sentence.endswith(".")
        assert sentence.count(". ") == 0
        assert len(sentence) <= 100
    assert failure_for_code(4795).guidance == GUIDANCE[R.BLOCKED_UNVERIFIED]


def test_retry_is_offered_where_the_help_article_says_try_again():
    assert {r for r in FailureReason if offers_retry(r)} == {
        R.TEMPORARY_ERROR,
        R.UNKNOWN_ERROR,
        R.CARRIER_ERROR,
    }
    assert offers_retry("carrier_error")
