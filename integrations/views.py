"""Settings > Webhooks (X6): admins only (T2); another firm's endpoint is 404."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import firm_admin_required
from accounts.http import FirmRequest

from .exceptions import WebhookEndpointInvalid
from .forms import WebhookEndpointCreateForm
from .models import WebhookEndpoint
from .selectors import webhook_delivery_log, webhook_endpoint_list
from .services import webhook_endpoint_create, webhook_endpoint_delete, webhook_ping


def _endpoint(request: FirmRequest, endpoint_id: object) -> WebhookEndpoint:
    return get_object_or_404(webhook_endpoint_list(firm=request.firm), uuid=endpoint_id)


@firm_admin_required
def webhook_list_view(request: FirmRequest) -> HttpResponse:
    """The firm's endpoints and a form for a new one; once added, its secret, shown once."""
    form = WebhookEndpointCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhook_endpoint_create(
                firm=request.firm,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except WebhookEndpointInvalid as error:
            for field, errors in (error.fields or {"url": [error.message]}).items():
                for message in errors:
                    form.add_error(field, message)
        else:
            return render(
                request,
                "integrations/webhook_created.html",
                {"endpoint": endpoint, "secret": secret},
            )
    endpoints = webhook_endpoint_list(firm=request.firm)
    return render(request, "integrations/webhook_list.html", {"form": form, "endpoints": endpoints})


@firm_admin_required
def webhook_detail_view(request: FirmRequest, endpoint_id: str) -> HttpResponse:
    """One endpoint and its delivery log."""
    endpoint = _endpoint(request, endpoint_id)
    deliveries = webhook_delivery_log(firm=request.firm, endpoint=endpoint)
    return render(
        request,
        "integrations/webhook_detail.html",
        {"endpoint": endpoint, "deliveries": deliveries},
    )


@require_POST
@firm_admin_required
def webhook_ping_view(request: FirmRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_ping(firm=request.firm, endpoint=endpoint)
    messages.success(request, "Test event queued; it appears in the delivery log below.")
    return redirect("settings:webhook-detail", endpoint_id=endpoint.uuid)


@require_POST
@firm_admin_required
def webhook_delete_view(request: FirmRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_endpoint_delete(firm=request.firm, endpoint=endpoint, actor=request.user)
    messages.success(request, "Webhook endpoint deleted.")
    return redirect("settings:webhooks")
