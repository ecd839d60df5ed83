"""Reads for the Webhooks settings pages."""

from django.db.models import QuerySet

from accounts.models import Firm

from .models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, firm: Firm) -> QuerySet[WebhookEndpoint]:
    """The firm's endpoints, newest first (the secret is not read)."""
    return (
        WebhookEndpoint.objects.for_firm(firm)
        .defer("secret")
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_log(
    *, firm: Firm, endpoint: WebhookEndpoint, limit: int = 100
) -> list[WebhookDelivery]:
    """The latest deliveries to `endpoint`, newest first, with their event's type and id
    (the payload is not read)."""
    return list(
        WebhookDelivery.objects.for_firm(firm)
        .filter(endpoint=endpoint)
        .select_related("event")
        .defer("event__payload")
        .order_by("-created_at", "-id")[:limit]
    )
