from django.http import HttpResponse

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from accounts.selectors import texting_availability
from common.views import render_coming_soon


@firm_member_required
def communications(request: FirmRequest) -> HttpResponse:
    availability = texting_availability(firm=request.firm)
    return render_coming_soon(
        request,
        title="Communications",
        heading="Text messages",
        explanation=availability.reason
        or ("Conversations with your clients will be listed here, one row per contact."),
    )
