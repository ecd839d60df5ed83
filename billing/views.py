from django.http import HttpResponse

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from common.views import render_coming_soon


@firm_member_required
def index(request: FirmRequest) -> HttpResponse:
    return render_coming_soon(
        request,
        title="Billing",
        heading="Billing",
        explanation="Time entries, bills and payment links will appear here.",
    )
