"""Settings pages: the member's profile and API tokens (texting's own are in texting)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .decorators import firm_member_required
from .forms import ApiTokenCreateForm
from .http import FirmRequest
from .selectors import api_token_list, member_list, texting_availability
from .services import TokenNotRevocable, api_token_create, api_token_revoke


@firm_member_required
def settings_index(request: FirmRequest) -> HttpResponse:
    firm = request.firm
    context = {
        "availability": texting_availability(firm=firm),
        "members": member_list(firm=firm) if request.membership.is_admin else None,
    }
    return render(request, "accounts/settings_index.html", context)


@firm_member_required
def api_token_list_view(request: FirmRequest) -> HttpResponse:
    """The member's own tokens (admins: every token of the firm) and a form for a new one."""
    firm, membership = request.firm, request.membership
    new_token = None
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_token = api_token_create(
            firm=firm,
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
        )
        form = ApiTokenCreateForm()
    tokens = api_token_list(firm=firm, user=None if membership.is_admin else request.user)
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@require_POST
@firm_member_required
def api_token_revoke_view(request: FirmRequest, token_id: str) -> HttpResponse:
    try:
        token = api_token_revoke(
            firm=request.firm,
            actor=request.membership,
            token_uuid=str(token_id),
        )
    except TokenNotRevocable:
        raise Http404("No such API token.") from None
    messages.success(request, f"API token “{token.name}” was revoked.")
    return redirect("settings:api-tokens")
