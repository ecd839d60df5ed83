"""The demo phone numbers: valid, textable, never given twice, never a sandbox test number."""

import random

from common.phones import phone_to_e164
from demo.numbers import NumberAllocator, textable_area_codes
from provider_sandbox.outcomes import FAILURE_CODES


def test_number_allocator_goes_past_the_fictional_range_with_valid_unique_numbers() -> None:
    fictional = len(textable_area_codes()) * 100
    allocator = NumberAllocator(random.Random(1), (212, 646))
    numbers = [allocator.allocate() for _ in range(fictional + 300)]

    assert len(set(numbers)) == len(numbers)
    first_fictional = numbers[:fictional]
    assert all(n[5:8] == "555" and "0100" <= n[8:] <= "0199" for n in first_fictional)
    overflow = numbers[fictional:]
    for number in overflow:
        assert phone_to_e164(number, texting=True) == number
        assert not "0100" <= number[8:] <= "0199"
    for number in random.Random(2).sample(first_fictional, 500):
        assert phone_to_e164(number, texting=True) == number


def test_number_allocator_prefers_the_firms_area_codes() -> None:
    allocator = NumberAllocator(random.Random(3), (416, 647))
    numbers = [allocator.allocate() for _ in range(200)]

    local = [n for n in numbers if n[2:5] in {"416", "647"}]
    assert len(local) > 100
    assert len({n[2:5] for n in numbers}) > 2


def test_overflow_numbers_never_end_in_a_sandbox_failure_code() -> None:
    lines = [line for _, line in NumberAllocator._overflow_numbers([202])]
    assert lines[0] == 200 and lines[-1] == 9998  # 9999 is a failure code too
    assert not set(lines) & set(FAILURE_CODES)
    assert 4719 in lines and 4722 in lines


def test_a_local_number_is_in_a_home_area_code_and_never_given_twice() -> None:
    allocator = NumberAllocator(random.Random(4), (303, 720))
    given = {allocator.allocate() for _ in range(150)}

    local = [allocator.allocate_local() for _ in range(60)]
    assert all(number[2:5] in {"303", "720"} for number in local)
    assert not set(local) & given
    assert len(set(local)) == 60
    # Once the home area codes' fictional lines are all given, any unused number follows.
    rest = [allocator.allocate_local() for _ in range(100)]
    assert len(set(rest) | set(local) | given) == 310
