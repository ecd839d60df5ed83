"""Settings pages: the member's profile, API tokens, and entry points of later capabilities."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError
from common.views import render_coming_soon

from .decorators import firm_admin_required, firm_member_required
from .forms import ApiTokenCreateForm
from .selectors import api_token_list, member_list, texting_availability
from .services import api_token_create, api_token_revoke


@firm_member_required
def settings_index(request: HttpRequest) -> HttpResponse:
    firm = request.firm  # type: ignore[attr-defined]
    context = {
        "availability": texting_availability(firm=firm),
        "members": member_list(firm=firm) if request.membership.is_admin else None,  # type: ignore[attr-defined]
    }
    return render(request, "accounts/settings_index.html", context)


@firm_member_required
def api_token_list_view(request: HttpRequest) -> HttpResponse:
    """The member's own tokens (admins: every token of the firm) and a form for a new one."""
    firm, membership = request.firm, request.membership  # type: ignore[attr-defined]
    new_token = None
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_token = api_token_create(firm=firm, user=request.user,  # type: ignore[arg-type]
                                        name=form.cleaned_data["name"],
                                        scope=form.cleaned_data["scope"])
        form = ApiTokenCreateForm()
    tokens = api_token_list(firm=firm, user=None if membership.is_admin else request.user)
    return render(request, "accounts/api_tokens.html",
                  {"form": form, "tokens": tokens, "new_token": new_token})


@require_POST
@firm_member_required
def api_token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    try:
        token = api_token_revoke(firm=request.firm, actor=request.membership,  # type: ignore[attr-defined]
                                 token_uuid=str(token_id))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"API token “{token.name}” was revoked.")
    return redirect("settings:api-tokens")


@firm_admin_required
def text_messaging_settings(request: HttpRequest) -> HttpResponse:
    availability = texting_availability(firm=request.firm)  # type: ignore[attr-defined]
    return render_coming_soon(
        request, title="Text Messaging", heading="Get started with text messaging",
        explanation=availability.reason or (
            "Setting up the firm's toll-free number and its verification arrives with the "
            "texting capability."
        ),
    )


@firm_member_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    return render_coming_soon(
        request, title="Notifications", heading="Notifications for text messages",
        explanation="Badge counts and push notifications for new texts are set here once "
                    "texting is available.",
    )
