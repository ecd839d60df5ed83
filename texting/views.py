from django.http import HttpRequest, HttpResponse

from accounts.decorators import firm_member_required
from accounts.selectors import texting_availability
from common.views import render_coming_soon


@firm_member_required
def communications(request: HttpRequest) -> HttpResponse:
    availability = texting_availability(firm=request.firm)  # type: ignore[attr-defined]
    return render_coming_soon(
        request, title="Communications", heading="Text messages",
        explanation=availability.reason or (
            "Conversations with your clients will be listed here, one row per contact."
        ),
    )
