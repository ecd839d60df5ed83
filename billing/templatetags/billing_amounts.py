"""How billing pages show money and time: "$1,234.56", "1.50 h", "1:30"."""

from django import template

register = template.Library()


@register.filter
def money(cents: int | None) -> str:
    """Cents as dollars with thousands separators: 123456 → "$1,234.56", -500 → "-$5.00"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


@register.filter
def hours(seconds: int | None) -> str:
    """Seconds as decimal hours, two places: 5400 → "1.50 h"."""
    if seconds is None:
        return ""
    hundredths = (int(seconds) * 100 + 1800) // 3600
    return f"{hundredths // 100:,}.{hundredths % 100:02d} h"


@register.filter
def hours_minutes(seconds: int | None) -> str:
    """Seconds as hours:minutes: 5400 → "1:30"."""
    if seconds is None:
        return ""
    minutes = (int(seconds) + 30) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"
