from django.http import HttpRequest, HttpResponse

from accounts.decorators import firm_member_required
from common.views import render_coming_soon


@firm_member_required
def index(request: HttpRequest) -> HttpResponse:
    return render_coming_soon(
        request, title="Calendar", heading="Calendar",
        explanation="Events, invitations by text and Y/N confirmations will appear here.",
    )
