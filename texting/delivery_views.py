"""Settings > Delivery (X8): how the firm's texts fared over the last 7, 30 or 90 days.

Admins only, as the other texting settings (T2: staff get 403 and no tab); a firm whose
plan or region has no texting is told why (T3). A range the page does not offer shows the
default one with a notice rather than an error: the page only reads.
"""

from django.http import HttpResponse
from django.shortcuts import render

from accounts.decorators import firm_admin_required
from accounts.http import FirmRequest
from accounts.selectors import texting_availability

from .delivery_selectors import delivery_summary

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30


def _days(raw: str | None) -> tuple[int, bool]:
    """The range asked for, and whether it was refused (then the default)."""
    if raw is None:
        return DEFAULT_DAYS, False
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and int(raw) in RANGES:
        return int(raw), False
    return DEFAULT_DAYS, True


@firm_admin_required
def delivery_dashboard(request: FirmRequest) -> HttpResponse:
    availability = texting_availability(firm=request.firm)
    if not availability.available:
        return render(request, "texting/delivery_dashboard.html", {"availability": availability})
    days, refused = _days(request.GET.get("days"))
    context = {
        "availability": availability,
        "summary": delivery_summary(firm=request.firm, days=days),
        "ranges": RANGES,
        "range_refused": refused,
    }
    return render(request, "texting/delivery_dashboard.html", context)
