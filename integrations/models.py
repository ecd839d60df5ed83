"""Webhooks for integrators (X6): the firm's endpoints, the events, one delivery per
endpoint and event, and every attempt of a delivery.

A delivery's lifecycle (services.py; every move is a conditional update):

    PENDING ──claimed by webhook_deliver──> SENDING ──2xx──> DELIVERED
       ^                                      │
       └──── other answer or error, ──────────┤
             next_attempt_at = now + backoff  └── out of attempts ──> FAILED

A SENDING row whose worker died is put back to PENDING by the sweep.
"""

from django.conf import settings
from django.db import models

from common.fields import EncryptedJSONField, EncryptedTextField
from common.models import FirmOwned


class EventType(models.TextChoices):
    TEXT_MESSAGE_RECEIVED = "text_message.received", "Text message received"
    TEXT_MESSAGE_DELIVERED = "text_message.delivered", "Text message delivered"
    TEXT_MESSAGE_FAILED = "text_message.failed", "Text message failed"
    CALENDAR_CONFIRMATION_CHANGED = (
        "calendar_entry.confirmation_changed",
        "Calendar entry confirmation changed",
    )
    # Sent on demand ("Send test event") to one endpoint, subscribed or not.
    PING = "ping", "Test event (ping)"


SUBSCRIBABLE = [choice for choice in EventType if choice != EventType.PING]


class WebhookEndpoint(FirmOwned):
    """A URL of the firm's own systems that gets the events it subscribed to, signed with
    `secret` (readable, to sign: encrypted at rest; shown to the admin once)."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # EventType values
    is_active = models.BooleanField(default=True)
    secret = EncryptedTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["firm", "is_active"], name="webhook_endpoint_active")]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(FirmOwned):
    """Something integrators hear about. `uuid` is the event id sent as `Webhook-Id`: the
    same for every attempt and every endpoint, for receivers to deduplicate on. The payload
    may hold a text's body, so it is encrypted at rest like the body itself (C1)."""

    type = models.CharField(max_length=50, choices=EventType.choices)
    payload = EncryptedJSONField()

    def __str__(self) -> str:
        return f"{self.type} {self.uuid}"


class WebhookDelivery(FirmOwned):
    """One event on its way to one endpoint (lifecycle in the module docstring)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.uuid} ({self.status})"


class WebhookAttempt(FirmOwned):
    """One POST of a delivery: the answer's status code, or the error, and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
