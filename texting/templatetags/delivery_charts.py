"""The delivery dashboard's charts (X8): inline SVG drawn on the server from its summary.

The plots have no viewBox: every x, width, y and height is a percentage of the plot, so the
bars stretch to any width (390 px phones too) while the text stays its own size. Axis
labels are HTML around the plot. No inline style: colours come from classes in
static/css/delivery.css, positions from SVG attributes (CSP without 'unsafe-inline').
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

from ..delivery_selectors import DayDelivery, DeliverySummary

register = template.Library()

# Of each day's slot: the outbound bar, then the received one, with a gap either side.
_GAP, _BAR = 0.12, 0.38
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TICKS = (100, 75, 50, 25, 0)  # gridlines, in percent of the scale, top first


def _pct(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def day_text(day: date) -> str:
    """ "Mar 5" """
    return f"{_MONTHS[day.month - 1]} {day.day}"


@register.filter
def percent(rate: float | None) -> str:
    """A rate (0..1) as "96.4%"; "—" when there is none (nothing to divide by)."""
    if rate is None:
        return "—"
    rounded = Decimal(str(rate * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded}%"


@register.filter
def duration_text(value: timedelta | None) -> str:
    """ "0.4 s", "4 s", "1 min 12 s", "1 h 5 min", "2 d 3 h"; "—" when there is none."""
    if value is None:
        return "—"
    seconds = max(value.total_seconds(), 0.0)
    if seconds < 1:
        return f"{seconds:.1f} s"
    whole = int(Decimal(str(seconds)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if whole < 60:
        return f"{whole} s"
    for unit, size, small, small_size in (
        ("d", 86400, "h", 3600),
        ("h", 3600, "min", 60),
        ("min", 60, "s", 1),
    ):
        if whole >= size:
            big, rest = divmod(whole, size)
            part = rest // small_size
            return f"{big} {unit} {part} {small}" if part else f"{big} {unit}"
    return f"{whole} s"  # pragma: no cover - every whole >= 60 matched above


def _nice_top(value: float) -> float:
    """The smallest "round" scale top at or above `value`: 4 steps of 1, 2, 5 (or 2.5 from
    25 up, never a fraction) × 10^k, so every gridline has a round label."""
    if value <= 0:
        return 4.0
    step = value / 4
    magnitude = 10 ** (len(str(int(step))) - 1) if step >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if step <= factor * magnitude and (factor * magnitude) % 1 == 0:
            return 4 * factor * magnitude
    return 4 * 10 * magnitude  # pragma: no cover - the loop's last factor always fits


@dataclass(frozen=True)
class Rect:
    css: str
    x: str
    y: str
    width: str
    height: str


@dataclass(frozen=True)
class DayColumn:
    day: date
    title: str
    x: str  # the slot, for the hover target
    width: str
    rects: tuple[Rect, ...]


@dataclass(frozen=True)
class Tick:
    level: int  # 100, 75, 50, 25 or 0: where, in percent of the plot from the bottom
    y: str
    label: str


def _ticks(top: float, label: Any) -> tuple[Tick, ...]:
    return tuple(Tick(level, _pct(100 - level), label(top * level / 100)) for level in TICKS)


def _count_label(value: float) -> str:
    return f"{value:g}"


def _x_labels(summary: DeliverySummary) -> tuple[str, ...]:
    days = summary.per_day
    return (day_text(days[0].day), day_text(days[len(days) // 2].day), day_text(days[-1].day))


def _slot(summary: DeliverySummary) -> float:
    """Each day's share of the plot's width, in percent."""
    return 100 / len(summary.per_day)


def _column(index: int, slot: float, day: DayDelivery, title: str, rects: list[Rect]) -> DayColumn:
    return DayColumn(day.day, title, _pct(index * slot), _pct(slot), tuple(rects))


def _bar(index: int, slot: float, css: str, height: float) -> list[Rect]:
    """A day's single bar, centred in its slot; at least a sliver high, so a 0% rate or an
    instant delivery still shows, unlike a day with nothing to show."""
    height = max(height, 0.6)
    left = index * slot + slot * 0.18
    return [Rect(css, _pct(left), _pct(100 - height), _pct(slot * 0.64), _pct(height))]


def _chart(
    summary: DeliverySummary,
    chart_id: str,
    chart_title: str,
    columns: list[DayColumn],
    ticks: tuple[Tick, ...],
) -> dict[str, Any]:
    """The context of texting/delivery/_columns.html."""
    return {
        "chart_id": chart_id,
        "chart_title": chart_title,
        "columns": columns,
        "ticks": ticks,
        "x_labels": _x_labels(summary),
    }


def _stack(
    x: float, width: float, top: float, parts: list[tuple[str, int]], floor: float = 0.0
) -> list[Rect]:
    rects = []
    for css, value in parts:
        if not value:
            continue
        height = value / top * 100
        floor += height
        rects.append(Rect(css, _pct(x), _pct(100 - floor), _pct(width), _pct(height)))
    return rects


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@register.inclusion_tag("texting/delivery/_columns.html")
def texts_chart(summary: DeliverySummary) -> dict[str, Any]:
    """Per day: a stacked outbound bar (delivered, failed, pending) and a received bar."""
    top = _nice_top(max(max(d.sent, d.received) for d in summary.per_day))
    slot = _slot(summary)
    columns = []
    for i, day in enumerate(summary.per_day):
        left = i * slot
        outbound = [
            ("bar--delivered", day.delivered),
            ("bar--failed", day.failed),
            ("bar--pending", day.pending),
        ]
        rects = _stack(left + slot * _GAP, slot * _BAR, top, outbound)
        received = [("bar--received", day.received)]
        rects += _stack(left + slot * (_GAP + _BAR), slot * _BAR, top, received)
        title = (
            f"{day_text(day.day)}: {day.sent} sent ({day.delivered} delivered, {day.failed} "
            f"failed, {day.pending} pending), {day.received} received"
        )
        columns.append(_column(i, slot, day, title, rects))
    title = (
        f"Texts per day over the last {summary.days} days: {summary.sent} sent "
        f"({summary.delivered} delivered, {summary.failed} failed, {summary.pending} "
        f"pending) and {summary.received} received."
    )
    return _chart(summary, "texts-chart", title, columns, _ticks(top, _count_label))


@register.inclusion_tag("texting/delivery/_columns.html")
def rate_chart(summary: DeliverySummary) -> dict[str, Any]:
    """Per day: a bar as high as the day's delivery rate; a day without outcomes has none.
    A dashed line marks the window's rate."""
    slot = _slot(summary)
    columns = []
    for i, day in enumerate(summary.per_day):
        rate = day.delivery_rate
        rects: list[Rect] = []
        if rate is not None:
            rects = _bar(i, slot, "bar--rate" if rate >= 0.9 else "bar--rate-low", rate * 100)
            title = (
                f"{day_text(day.day)}: {percent(rate)} delivered "
                f"({day.delivered} of {day.delivered + day.failed})"
            )
        else:
            title = f"{day_text(day.day)}: no text delivered or failed"
        columns.append(_column(i, slot, day, title, rects))
    overall = summary.delivery_rate
    title = (
        f"Delivery rate per day over the last {summary.days} days; the dashed line is "
        f"the rate over all of them, {percent(overall)}."
    )
    context = _chart(summary, "rate-chart", title, columns, _ticks(100, lambda v: f"{v:g}%"))
    context["overall_y"] = None if overall is None else _pct(100 - overall * 100)
    return context


@register.inclusion_tag("texting/delivery/_columns.html")
def median_chart(summary: DeliverySummary) -> dict[str, Any]:
    """Per day: a bar as long as the day's median time to delivery."""
    seconds = [d.median_delivery.total_seconds() for d in summary.per_day if d.median_delivery]
    top = _nice_top(max(max(seconds, default=0), 0))
    slot = _slot(summary)
    columns = []
    for i, day in enumerate(summary.per_day):
        rects: list[Rect] = []
        if day.median_delivery is not None:
            rects = _bar(i, slot, "bar--median", day.median_delivery.total_seconds() / top * 100)
            title = f"{day_text(day.day)}: median {duration_text(day.median_delivery)}"
        else:
            title = f"{day_text(day.day)}: no delivery timed"
        columns.append(_column(i, slot, day, title, rects))
    title = (
        f"Median time to delivery per day over the last {summary.days} days; over all "
        f"of them, {duration_text(summary.median_delivery)}."
    )
    ticks = _ticks(top, lambda v: duration_text(timedelta(seconds=v)) if v else "0")
    return _chart(summary, "median-chart", title, columns, ticks)


@dataclass(frozen=True)
class ReasonBar:
    label: str
    count: int
    share: float
    label_y: str
    bar_y: str
    width: str


REASON_ROW = 40  # px per reason: its label, then its bar


@register.inclusion_tag("texting/delivery/_chart_failures.html")
def failures_chart(summary: DeliverySummary) -> dict[str, Any]:
    """One horizontal bar per reason, as long as its count against the most frequent's."""
    most = max((f.count for f in summary.failures), default=1)
    bars = [
        ReasonBar(
            label=f.label,
            count=f.count,
            share=f.share,
            label_y=str(i * REASON_ROW + 14),
            bar_y=str(i * REASON_ROW + 20),
            width=_pct(max(f.count / most * 100, 0.6)),
        )
        for i, f in enumerate(summary.failures)
    ]
    return {
        "summary": summary,
        "bars": bars,
        "height": str(len(bars) * REASON_ROW),
        "label": _plural(summary.failed, "failed text"),
    }
