"""Dates and times for long lists: the Communications rows and the texts of a thread.

Django's `date` filter builds a DateFormat for every value; a page of 25 rows or a thread
of 30 texts formats 50 to 60 of them, which was a third of such a page's server time on our
benchmark machine (benchmarks/read_path.py). These two give exactly what `date` gives for
the two formats the lists use, in the active time zone (the firm's), for a fraction of it.
"""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def iso_time(value: datetime | None) -> str:
    """As `|date:"c"`: ISO 8601 in the active time zone, for `<time datetime>`."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat()


@register.filter
def short_time(value: datetime | None) -> str:
    """As `|date:"M j, g:i A"`: "Nov 29, 5:41 PM" in the active time zone."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    hour = local.hour % 12 or 12
    noon = "AM" if local.hour < 12 else "PM"
    return f"{_MONTHS[local.month - 1]} {local.day}, {hour}:{local.minute:02d} {noon}"
