"""The delivery dashboard (X8): its selector against texts at known times, and its page."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Firm, User
from texting.delivery_selectors import delivery_summary
from texting.models import Conversation, Message
from texting.provider.failure_reasons import FailureReason
from texting.templatetags.delivery_charts import duration_text
from texting.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

# Thursday 20 March 2025, 11:00 in New York (EDT, UTC-4): the firm's "today".
NOW = datetime(2025, 3, 20, 15, 0, tzinfo=UTC)
OUT, IN = Message.Direction.OUTBOUND, Message.Direction.INBOUND
DELIVERED, FAILED, SENT = Message.Status.DELIVERED, Message.Status.FAILED, Message.Status.SENT


def text(
    conversation: Conversation,
    at: datetime,
    *,
    direction: str = OUT,
    status: str = DELIVERED,
    delivery_seconds: float | None = 5,
    reason: str = "",
) -> Message:
    """A text created at `at`; a delivered one reaches the phone `delivery_seconds` after
    it was sent (one second after it was created)."""
    sent_at = at + timedelta(seconds=1) if direction == OUT else None
    delivered_at = (
        sent_at + timedelta(seconds=delivery_seconds)
        if status == DELIVERED and sent_at and delivery_seconds is not None
        else None
    )
    message: Message = MessageFactory(  # type: ignore[assignment]
        conversation=conversation,
        direction=direction,
        status=Message.Status.RECEIVED if direction == IN else status,
        failure_reason=reason,
        sent_at=sent_at,
        delivered_at=delivered_at,
        failed_at=at + timedelta(seconds=30) if status == FAILED else None,
    )
    with scopes_disabled():
        Message.objects.filter(id=message.id).update(created_at=at)
    return message


@pytest.fixture
def conversation(firm: Firm) -> Conversation:
    made: Conversation = ConversationFactory(contact__firm=firm)  # type: ignore[assignment]
    return made


def summary(firm: Firm, days: int = 30, now: datetime = NOW) -> Any:
    with scopes_disabled():  # the selector filters by firm itself
        return delivery_summary(firm=firm, days=days, now=now)


# --- the selector ---------------------------------------------------------------------------


def test_every_day_of_the_window_is_there_oldest_first_even_without_texts(firm: Firm) -> None:
    result = summary(firm, days=7)

    assert [d.day for d in result.per_day] == [date(2025, 3, 14 + i) for i in range(7)]
    assert all((d.sent, d.delivered, d.failed, d.received) == (0, 0, 0, 0) for d in result.per_day)
    assert result.delivery_rate is None
    assert result.median_delivery is None
    assert result.failures == ()
    assert not result.has_texts


def test_texts_count_on_their_day_in_the_firms_time_zone_across_midnight(
    firm: Firm, conversation: Conversation
) -> None:
    # 23:30 on 18 March in New York is 03:30 UTC on the 19th; 00:30 on the 19th is 04:30.
    text(conversation, datetime(2025, 3, 19, 3, 30, tzinfo=UTC))
    text(conversation, datetime(2025, 3, 19, 4, 30, tzinfo=UTC), status=FAILED, reason="x")
    text(conversation, datetime(2025, 3, 19, 4, 40, tzinfo=UTC), direction=IN)
    text(conversation, datetime(2025, 3, 19, 4, 45, tzinfo=UTC), status=SENT)

    days = {d.day: d for d in summary(firm, days=7).per_day}

    assert (days[date(2025, 3, 18)].sent, days[date(2025, 3, 18)].delivered) == (1, 1)
    the_19th = days[date(2025, 3, 19)]
    assert (the_19th.sent, the_19th.delivered, the_19th.failed) == (2, 0, 1)
    assert (the_19th.pending, the_19th.received) == (1, 1)


def test_a_firm_in_another_zone_splits_the_same_texts_on_its_own_midnight(
    conversation: Conversation, firm: Firm
) -> None:
    firm.time_zone = "America/Los_Angeles"  # UTC-7: both texts are on the 18th there
    firm.save()
    text(conversation, datetime(2025, 3, 19, 3, 30, tzinfo=UTC))
    text(conversation, datetime(2025, 3, 19, 4, 30, tzinfo=UTC))

    days = {d.day: d.sent for d in summary(firm, days=7).per_day}

    assert days[date(2025, 3, 18)] == 2
    assert days[date(2025, 3, 19)] == 0


def test_delivery_rate_is_delivered_over_delivered_and_failed_outbound_texts(
    firm: Firm, conversation: Conversation
) -> None:
    at = datetime(2025, 3, 17, 14, 0, tzinfo=UTC)
    for _ in range(3):
        text(conversation, at)
    text(conversation, at, status=FAILED, reason=FailureReason.OPTED_OUT)
    text(conversation, at, status=SENT)  # no outcome yet: not in the rate
    text(conversation, at, direction=IN)  # inbound: never in the rate

    result = summary(firm)

    assert (result.sent, result.delivered, result.failed, result.pending) == (5, 3, 1, 1)
    assert result.received == 1
    assert result.delivery_rate == pytest.approx(0.75)
    assert {d.day: d.delivery_rate for d in result.per_day}[date(2025, 3, 17)] == 0.75
    assert {d.day: d.delivery_rate for d in result.per_day}[date(2025, 3, 16)] is None


def test_only_pending_texts_give_no_rate_rather_than_a_division_by_zero(
    firm: Firm, conversation: Conversation
) -> None:
    text(conversation, datetime(2025, 3, 17, 14, 0, tzinfo=UTC), status=SENT)

    result = summary(firm)

    assert result.has_texts
    assert result.delivery_rate is None


def test_failures_by_reason_have_counts_shares_and_labels_most_frequent_first(
    firm: Firm, conversation: Conversation
) -> None:
    at = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
    for reason, count in [
        (FailureReason.TEMPORARY_ERROR, 1),
        (FailureReason.REJECTED_BY_CARRIER, 3),
        (FailureReason.UNREACHABLE_NUMBER, 2),
        ("", 2),  # failed before any reason was known
    ]:
        for _ in range(count):
            text(conversation, at, status=FAILED, reason=reason)
    text(conversation, at)  # delivered: not a failure

    failures = summary(firm).failures

    assert [(f.label, f.count) for f in failures] == [
        ("Rejected by carrier", 3),
        ("No reason recorded", 2),
        ("Unreachable number", 2),
        ("Temporary error", 1),
    ]
    assert [f.share for f in failures] == [0.375, 0.25, 0.25, 0.125]
    assert failures[0].reason == FailureReason.REJECTED_BY_CARRIER


def test_the_median_of_an_odd_count_is_the_middle_delivery_time(
    firm: Firm, conversation: Conversation
) -> None:
    at = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
    for seconds in (30, 2, 700, 4, 9):
        text(conversation, at, delivery_seconds=seconds)
    text(conversation, at, status=FAILED, reason=FailureReason.CARRIER_ERROR)

    result = summary(firm)

    assert result.median_delivery == timedelta(seconds=9)
    assert result.timed_deliveries == 5


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_times(
    firm: Firm, conversation: Conversation
) -> None:
    at = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
    for seconds in (1, 4, 10, 600):
        text(conversation, at, delivery_seconds=seconds)
    # Delivered without a delivery time (an old import): not in the median.
    text(conversation, at, delivery_seconds=None)

    result = summary(firm)

    assert result.median_delivery == timedelta(seconds=7)
    assert result.timed_deliveries == 4
    assert result.delivered == 5


def test_each_day_has_its_own_median(firm: Firm, conversation: Conversation) -> None:
    monday = datetime(2025, 3, 17, 14, 0, tzinfo=UTC)
    tuesday = datetime(2025, 3, 18, 14, 0, tzinfo=UTC)
    for seconds in (3, 5, 100):
        text(conversation, monday, delivery_seconds=seconds)
    for seconds in (20, 40):
        text(conversation, tuesday, delivery_seconds=seconds)

    result = summary(firm, days=7)
    medians = {d.day: d.median_delivery for d in result.per_day}

    assert medians[date(2025, 3, 17)] == timedelta(seconds=5)
    assert medians[date(2025, 3, 18)] == timedelta(seconds=30)
    assert medians[date(2025, 3, 19)] is None
    assert result.median_delivery == timedelta(seconds=20)


def test_the_window_starts_at_local_midnight_days_minus_one_days_ago(
    firm: Firm, conversation: Conversation
) -> None:
    # The 30 days are 19 February to 20 March; 19 February starts at 05:00 UTC (EST).
    text(conversation, NOW - timedelta(days=31))
    text(conversation, datetime(2025, 2, 19, 4, 59, tzinfo=UTC), direction=IN)  # 18th, 23:59
    text(conversation, datetime(2025, 2, 19, 5, 1, tzinfo=UTC))  # the 19th, 00:01
    text(conversation, NOW - timedelta(minutes=5), status=FAILED, reason="opted_out")

    thirty = summary(firm, days=30)
    ninety = summary(firm, days=90)

    assert (thirty.sent, thirty.received) == (2, 0)
    assert thirty.per_day[0].sent == 1
    assert thirty.per_day[-1].failed == 1
    assert (ninety.sent, ninety.received) == (3, 1)
    assert len(ninety.per_day) == 90


def test_another_firms_texts_are_never_counted(firm: Firm, other_firm: Firm) -> None:
    theirs: Conversation = ConversationFactory(contact__firm=other_firm)  # type: ignore[assignment]
    at = datetime(2025, 3, 17, 14, 0, tzinfo=UTC)
    text(theirs, at, status=FAILED, reason=FailureReason.OPTED_OUT)
    text(theirs, at, delivery_seconds=50)
    text(theirs, at, direction=IN)

    mine = summary(firm)

    assert not mine.has_texts
    assert (mine.failed, mine.failures, mine.median_delivery) == (0, (), None)
    assert summary(other_firm).sent == 2


def test_days_outside_the_range_are_refused(firm: Firm) -> None:
    for days in (0, -7, 367):
        with pytest.raises(ValueError):
            summary(firm, days=days)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.4, "0.4 s"),
        (4, "4 s"),
        (59.6, "1 min"),
        (72, "1 min 12 s"),
        (3600 + 300, "1 h 5 min"),
        (2 * 86400 + 3 * 3600, "2 d 3 h"),
    ],
)
def test_durations_read_as_a_person_would_say_them(seconds: float, expected: str) -> None:
    assert duration_text(timedelta(seconds=seconds)) == expected


# --- the page -------------------------------------------------------------------------------

URL = "/settings/delivery/"


def day_columns(page: str, chart_id: str) -> int:
    """How many day columns the chart `chart_id` draws."""
    chart = page.split(f'id="{chart_id}"', 1)[1].split("</svg>", 1)[0]
    return chart.count('class="chart__day"')


@pytest.fixture
def history(firm: Firm, conversation: Conversation) -> None:
    """Two weeks ago: 3 delivered (median 4 s), 1 failed; yesterday: 1 received."""
    at = NOW - timedelta(days=14)
    for seconds in (2, 4, 70):
        text(conversation, at, delivery_seconds=seconds)
    text(conversation, at, status=FAILED, reason=FailureReason.REJECTED_BY_CARRIER)
    text(conversation, NOW - timedelta(days=1), direction=IN)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_url_is_the_settings_delivery_page() -> None:
    assert reverse("settings:delivery") == URL


def test_an_admin_sees_the_numbers_and_a_bar_group_per_day(
    admin: User, client_for: Callable[[User], Client], history: None, frozen: Any
) -> None:
    response = client_for(admin).get(URL)

    assert response.status_code == 200
    page = response.text
    assert "75.0%" in page  # 3 delivered of 4 with an outcome
    assert "4 s" in page  # the median
    assert "Rejected by carrier" in page
    for chart in ("texts-chart", "rate-chart", "median-chart"):
        assert day_columns(page, chart) == 30
    assert 'aria-current="page"' in page and ">30 days<" in page
    assert 'style="' not in page.split("<main", 1)[1]  # CSP: no inline styles


@pytest.mark.parametrize("days", [7, 90])
def test_the_range_switch_changes_the_window(
    admin: User, client_for: Callable[[User], Client], history: None, frozen: Any, days: int
) -> None:
    response = client_for(admin).get(URL, {"days": days})

    assert response.status_code == 200
    assert response.context["summary"].days == days
    assert day_columns(response.text, "texts-chart") == days
    if days == 7:  # the texts of two weeks ago are outside; yesterday's reply is in
        assert response.context["summary"].sent == 0
        assert response.context["summary"].received == 1
        assert "—" in response.text  # no rate without outcomes


@pytest.mark.parametrize("bad", ["abc", "31", "-7", "0", "", "9" * 40, "30.0"])
def test_a_range_the_page_does_not_offer_shows_the_default_with_a_notice(
    admin: User, client_for: Callable[[User], Client], history: None, frozen: Any, bad: str
) -> None:
    response = client_for(admin).get(URL, {"days": bad})

    assert response.status_code == 200
    assert response.context["summary"].days == 30
    assert "That range is not available" in response.text


def test_the_page_says_so_when_the_window_has_no_texts(
    admin: User, client_for: Callable[[User], Client], frozen: Any
) -> None:
    response = client_for(admin).get(URL, {"days": 7})

    assert response.status_code == 200
    assert "No texts in the last 7 days." in response.text
    assert "<svg" not in response.text


def test_staff_are_refused_and_do_not_see_the_tab(
    member: User, admin: User, client_for: Callable[[User], Client]
) -> None:
    refused = client_for(member).get(URL)
    settings_page = client_for(member).get(reverse("settings:index"))

    assert refused.status_code == 403
    assert URL not in settings_page.text
    assert URL in client_for(admin).get(reverse("settings:index")).text


def test_another_firms_admin_sees_only_their_own_texts(
    outsider: User,
    other_firm: Firm,
    client_for: Callable[[User], Client],
    history: None,
    frozen: Any,
) -> None:
    theirs: Conversation = ConversationFactory(contact__firm=other_firm)  # type: ignore[assignment]
    text(theirs, NOW - timedelta(days=2), status=FAILED, reason=FailureReason.OPTED_OUT)

    response = client_for(outsider).get(URL)

    summary_seen = response.context["summary"]
    assert (summary_seen.sent, summary_seen.failed, summary_seen.received) == (1, 1, 0)
    assert "Rejected by carrier" not in response.text
    assert "Opted out" in response.text


def test_a_firm_without_texting_is_told_why(
    firm: Firm, admin: User, client_for: Callable[[User], Client]
) -> None:
    firm.plan = Firm.Plan.EASYSTART
    firm.save()

    response = client_for(admin).get(URL)

    assert response.status_code == 200
    assert "Text messaging is not available" in response.text
    assert "summary" not in response.context


@pytest.mark.parametrize("texts", [10, 200])
def test_the_query_count_does_not_grow_with_the_texts(
    admin: User,
    conversation: Conversation,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
    frozen: Any,
    texts: int,
) -> None:
    for i in range(texts):
        at = NOW - timedelta(days=i % 30, minutes=i)
        if i % 7 == 0:
            text(conversation, at, status=FAILED, reason=list(FailureReason)[i % 3])
        elif i % 5 == 0:
            text(conversation, at, direction=IN)
        else:
            text(conversation, at, delivery_seconds=i % 13 + 1)
    client = client_for(admin)
    client.get(URL)  # the first request after sign-in also saves the session

    # User, membership, the navigation badge (preference, unread total), then the
    # dashboard's three: counts, the median, the daily medians.
    with django_assert_max_num_queries(7):
        response = client.get(URL)

    assert response.status_code == 200
    assert response.context["summary"].sent + response.context["summary"].received == texts
