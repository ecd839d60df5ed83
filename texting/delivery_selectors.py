"""Reads for the delivery dashboard (X8): how the firm's texts fared, day by day.

Every figure comes from a fixed number of aggregate queries (three), whatever the number of
texts: counts grouped by day, direction, status and failure reason, and two medians taken
in the database by ranking the delivery times with window functions (portable: SQLite has
no MEDIAN, and percentile_cont is PostgreSQL's alone). Only the grouped counts and the
middle rows come back to Python, never the texts themselves.

A text belongs to the day it was created, in the firm's time zone: an outbound text
queued at 23:58 and delivered at 00:01 counts on the day it was written, so each day's
"sent" splits exactly into delivered, failed and pending.

The window is read by range from Message's message_firm_created (firm, created_at) index,
so the cost follows the texts in the window, not the firm's whole history.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from accounts.models import Firm

from .models import Message
from .provider.failure_reasons import FailureReason

MAX_DAYS = 366
NO_REASON_LABEL = "No reason recorded"


@dataclass(frozen=True)
class DayDelivery:
    """One day of the window (the firm's local date), zeros when nothing happened."""

    day: date
    sent: int  # outbound texts created that day, whatever became of them
    delivered: int
    failed: int
    received: int  # inbound texts
    median_delivery: timedelta | None  # over that day's delivered texts with both times

    @property
    def pending(self) -> int:
        """Outbound texts without an outcome yet (queued, sending, sent)."""
        return self.sent - self.delivered - self.failed

    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.failed)


@dataclass(frozen=True)
class FailureShare:
    reason: str  # FailureReason value, "" when the text failed without one
    label: str
    count: int
    share: float  # of the window's failed texts, 0..1


@dataclass(frozen=True)
class DeliverySummary:
    days: int
    first_day: date
    last_day: date  # today, in the firm's zone
    time_zone: str
    per_day: tuple[DayDelivery, ...]  # oldest first, one per day of the window
    sent: int
    delivered: int
    failed: int
    received: int
    failures: tuple[FailureShare, ...]  # most frequent first
    median_delivery: timedelta | None
    timed_deliveries: int  # delivered texts with both times, what the median is taken over

    @property
    def pending(self) -> int:
        return self.sent - self.delivered - self.failed

    @property
    def delivery_rate(self) -> float | None:
        """delivered / (delivered + failed); None when no text reached an outcome."""
        return _rate(self.delivered, self.failed)

    @property
    def has_texts(self) -> bool:
        return bool(self.sent or self.received)


def _rate(delivered: int, failed: int) -> float | None:
    finished = delivered + failed
    return delivered / finished if finished else None


def delivery_window(*, days: int, time_zone: str, now: datetime) -> tuple[date, date]:
    """The window's first and last local dates: today and the `days - 1` before it."""
    last_day = timezone.localtime(now, ZoneInfo(time_zone)).date()
    return last_day - timedelta(days=days - 1), last_day


def delivery_summary(*, firm: Firm, days: int, now: datetime | None = None) -> DeliverySummary:
    """How the firm's texts of the last `days` days (today included, local dates) fared.

    Three queries whatever the volume; read-only. Raises ValueError when `days` is not
    between 1 and MAX_DAYS.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}.")
    zone = ZoneInfo(firm.time_zone)
    first_day, last_day = delivery_window(
        days=days, time_zone=firm.time_zone, now=now or timezone.now()
    )
    window = Message.objects.for_firm(firm).filter(
        created_at__gte=datetime.combine(first_day, time(0), tzinfo=zone),
        created_at__lt=datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone),
    )
    local_day = TruncDate("created_at", tzinfo=zone)

    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[str, int] = defaultdict(int)
    grouped = (
        window.annotate(day=local_day)
        .values_list("day", "direction", "status", "failure_reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    for day, direction, status, reason, n in grouped:
        tally = counts[day]
        if direction == Message.Direction.INBOUND:
            tally["received"] += n
            continue
        tally["sent"] += n
        if status == Message.Status.DELIVERED:
            tally["delivered"] += n
        elif status == Message.Status.FAILED:
            tally["failed"] += n
            reasons[reason] += n

    median, timed = _median_delivery(window)
    day_medians = _daily_median_delivery(window, local_day)
    per_day = tuple(
        DayDelivery(
            day=day,
            sent=counts[day]["sent"],
            delivered=counts[day]["delivered"],
            failed=counts[day]["failed"],
            received=counts[day]["received"],
            median_delivery=day_medians.get(day),
        )
        for day in (first_day + timedelta(days=i) for i in range(days))
    )
    failed = sum(reasons.values())
    return DeliverySummary(
        days=days,
        first_day=first_day,
        last_day=last_day,
        time_zone=firm.time_zone,
        per_day=per_day,
        sent=sum(d.sent for d in per_day),
        delivered=sum(d.delivered for d in per_day),
        failed=failed,
        received=sum(d.received for d in per_day),
        failures=_failure_shares(reasons, failed),
        median_delivery=median,
        timed_deliveries=timed,
    )


def _failure_shares(reasons: dict[str, int], failed: int) -> tuple[FailureShare, ...]:
    labels = dict(FailureReason.choices)
    shares = [
        FailureShare(
            reason=reason,
            label=labels.get(reason, NO_REASON_LABEL) if reason else NO_REASON_LABEL,
            count=count,
            share=count / failed,
        )
        for reason, count in reasons.items()
        if count
    ]
    return tuple(sorted(shares, key=lambda s: (-s.count, s.label)))


def _delivered_with_times(window: QuerySet[Message]) -> QuerySet[Message]:
    return window.filter(
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.DELIVERED,
        sent_at__isnull=False,
        delivered_at__isnull=False,
    )


_DURATION = ExpressionWrapper(F("delivered_at") - F("sent_at"), output_field=DurationField())


def _middle_rows(window: QuerySet[Message], partition_by: TruncDate | None = None) -> QuerySet[Any]:
    """The delivered texts ranked by duration (per partition), keeping only the middle one
    (odd count) or two (even count) of each ranking, annotated with `duration` and `total`."""
    partition = [partition_by] if partition_by is not None else None
    return (
        _delivered_with_times(window)
        .annotate(
            duration=_DURATION,
            position=Window(
                RowNumber(), partition_by=partition, order_by=[_DURATION.asc(), F("id").asc()]
            ),
            total=Window(Count("id"), partition_by=partition),
        )
        .filter(position__gte=(F("total") + 1) / 2, position__lte=(F("total") + 2) / 2)
        .order_by()
    )


def _median_delivery(window: QuerySet[Message]) -> tuple[timedelta | None, int]:
    """The median of delivered_at - sent_at, and how many texts it is taken over.

    The rows are ranked by duration in the database; only the middle one (odd count) or
    two (even count) come back, and the median of two is their mean.
    """
    middle = list(_middle_rows(window).values_list("duration", "total"))
    if not middle:
        return None, 0
    durations = [duration for duration, _ in middle]
    return sum(durations, timedelta()) / len(durations), middle[0][1]


def _daily_median_delivery(
    window: QuerySet[Message], local_day: TruncDate
) -> dict[date, timedelta]:
    """Each local day's median delivery time: the middle row(s) of each day's ranking, so
    at most two rows per day come back."""
    middles: dict[date, list[timedelta]] = defaultdict(list)
    rows = _middle_rows(window.annotate(day=local_day), local_day).values_list("day", "duration")
    for day, duration in rows:
        middles[day].append(duration)
    return {day: sum(pair, timedelta()) / len(pair) for day, pair in middles.items()}
