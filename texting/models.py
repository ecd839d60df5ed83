"""Texting: the firm's texting settings and the provider's callbacks as received.

Conversations and messages arrive with the texting pipeline (issue 4); this module holds
what the provider webhooks need now.
"""

from django.db import models

from common.fields import EncryptedJSONField
from common.models import FirmOwned


class TextingSettings(FirmOwned):
    """One per firm: toll-free verification state (S3) and how clients reach the firm (S1).

    Verification lifecycle: not_submitted → pending → verified | rejected; a rejected firm
    may resubmit (→ pending). Updated by the provider's verification webhook and a poll.
    """

    class VerificationStatus(models.TextChoices):
        NOT_SUBMITTED = "not_submitted", "Not submitted"
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    # The alternative phone or email clients may use; read out to callers (C11) and printed
    # in calendar notifications (E2).
    alternative_phone_e164 = models.CharField(max_length=16, blank=True)
    alternative_email = models.EmailField(blank=True)
    verification_status = models.CharField(
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.NOT_SUBMITTED,
    )
    verification_denial_code = models.PositiveIntegerField(null=True, blank=True)
    verification_decline_reason = models.TextField(blank=True)
    verification_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "texting settings"
        constraints = [
            models.UniqueConstraint(fields=["firm"], name="one_texting_settings_per_firm"),
        ]

    def __str__(self) -> str:
        return f"Texting settings of firm {self.firm_id}"


class ProviderEvent(FirmOwned):
    """One callback from the provider, stored once however often it is delivered (P3).

    The provider delivers at least once and in any order, so each event carries a dedupe
    key (PROVIDER_API.md §2: message id, type and recipient for messaging) unique per firm;
    a replay inserts nothing. The parsed payload is encrypted: it holds message text and
    phone numbers. Processing happens in a task; `processed_at` records when.
    """

    class Kind(models.TextChoices):
        MESSAGING = "messaging", "Messaging"
        VERIFICATION = "verification", "Toll-free verification"
        VOICE = "voice", "Voice"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    event_type = models.CharField(max_length=40)
    # A hash of the provider's identifying fields: no phone number in clear text here.
    dedupe_key = models.CharField(max_length=64)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Our own id, echoed by the provider on status callbacks of messages we sent.
    tag = models.CharField(max_length=64, blank=True, db_index=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = EncryptedJSONField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "dedupe_key"], name="provider_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_type} ({self.provider_message_id or self.uuid})"
