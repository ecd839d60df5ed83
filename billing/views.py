from django.http import HttpRequest, HttpResponse

from accounts.decorators import firm_member_required
from common.views import render_coming_soon


@firm_member_required
def index(request: HttpRequest) -> HttpResponse:
    return render_coming_soon(
        request, title="Billing", heading="Billing",
        explanation="Time entries, bills and payment links will appear here.",
    )
