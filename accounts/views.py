"""Settings pages: the member's profile, API tokens and the audit log (texting's own are
in texting)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .audit import audit_event_list
from .decorators import firm_admin_required, firm_member_required
from .forms import ApiTokenCreateForm
from .http import FirmRequest
from .models import AuditEvent
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


AUDIT_PER_PAGE = 50


class AuditLogFilterForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("", "All actions"), *AuditEvent.Action.choices],
        required=False,
        error_messages={"invalid_choice": "Choose an action from the list."},
    )


@firm_admin_required
def audit_log_view(request: FirmRequest) -> HttpResponse:
    """The firm's audit log, newest first (`?action=` filters); admins only (403 for staff).
    An unknown action is a form error and lists nothing, rather than everything."""
    form = AuditLogFilterForm(request.GET)
    if form.is_valid():
        events = audit_event_list(firm=request.firm, action=form.cleaned_data["action"] or None)
    else:
        events = audit_event_list(firm=request.firm).none()
    page = Paginator(events, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"form": form, "page": page})
