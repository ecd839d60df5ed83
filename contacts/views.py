from django.http import HttpRequest, HttpResponse

from accounts.decorators import firm_member_required
from common.views import render_coming_soon


@firm_member_required
def contact_list(request: HttpRequest) -> HttpResponse:
    return render_coming_soon(request, title="Contacts", heading="Contacts", explanation="")
