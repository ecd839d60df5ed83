"""Pure pieces, tested without a process: segments, test numbers, rate limit, masking."""

from __future__ import annotations

from provider_sandbox.masking import mask_number, mask_numbers_in
from provider_sandbox.outcomes import failure_for_destination, is_toll_free
from provider_sandbox.ratelimit import RateLimiter
from provider_sandbox.segments import segment_count


def test_escape_pair_is_never_split_across_parts() -> None:
    # 152 plain + "^" would need 154 septets in part one: the pair moves to part two.
    assert segment_count("a" * 152 + "^" + "a" * 10) == 2
    assert segment_count("a" * 152 + "^" + "a" * 152) == 3


def test_surrogate_pair_is_never_split_across_parts() -> None:
    assert segment_count("ж" * 66 + "😀" + "ж" * 66) == 3


def test_mms_is_one_segment_whatever_the_text() -> None:
    assert segment_count("ж" * 1000, is_mms=True) == 1


def test_last_four_digits_decide_the_outcome() -> None:
    assert failure_for_destination("+12025550143") is None
    failure = failure_for_destination("+12025554775")
    assert failure is not None
    assert (failure.code, failure.reason) == (4775, "opted out")


def test_toll_free_pattern() -> None:
    assert is_toll_free("+18445550100")
    assert not is_toll_free("+12025550100")
    assert not is_toll_free("+18441550100")  # exchange may not start with 1


def test_rate_limiter_bursts_then_queues_then_refuses() -> None:
    limiter = RateLimiter(segments_per_second=2, queue_size=1)
    first, second, third, fourth = (limiter.admit(1, now=100.0) for _ in range(4))
    assert (first.departs_at, second.departs_at) == (100.0, 100.0)
    assert third.accepted and third.departs_at == 100.5
    assert not fourth.accepted
    assert fourth.retry_after == 1
    assert limiter.admit(1, now=101.0).accepted  # the queue drained


def test_phone_numbers_are_masked_in_logs() -> None:
    assert mask_number("+12025554720") == "…4720"
    line = "GET /x/%2B18445550100/y?to=+12025550143 id=1720000000123ab12cd34ef56gh78"
    assert mask_numbers_in(line) == "GET /x/…0100/y?to=…0143 id=1720000000123ab12cd34ef56gh78"
