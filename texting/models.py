"""Texting: settings, provider callbacks as received, conversations and their messages."""

import uuid as uuid_module

from django.conf import settings
from django.db import models

from common.fields import EncryptedJSONField, EncryptedTextField
from common.models import FirmOwned

from .provider.failure_reasons import FailureReason


class WrittenPerText(FirmOwned):
    """Base of the tables written for every text sent or received (provider events,
    messages, conversations, read states): they keep only the indexes their queries use
    (each model's Meta), not FirmOwned's single-column ones on firm, created_at and
    updated_at. Every index is one more write for each new row version, and these rows get
    several per text; each query of them is by firm (or conversation) and a composite index.
    """

    firm = models.ForeignKey(
        "accounts.Firm", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


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
    verification_submitted_at = models.DateTimeField(null=True, blank=True)
    # Automatic event reminders (S4, E3): this many days before the start; null is off.
    event_reminder_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Setup in progress (S2): set by the one request allowed to order a number or file the
    # verification, so two admins submitting at once cannot order two numbers. A claim
    # older than a few minutes is stale (a crashed request) and may be taken over.
    setup_claimed_at = models.DateTimeField(null=True, blank=True)
    # The provider's number order, kept from the moment it is placed until its number is
    # the firm's: a retry after a lost answer polls this order instead of ordering again.
    number_order_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "texting settings"
        constraints = [
            models.UniqueConstraint(fields=["firm"], name="one_texting_settings_per_firm"),
            models.CheckConstraint(
                condition=models.Q(event_reminder_days__isnull=True)
                | models.Q(event_reminder_days__gte=1, event_reminder_days__lte=30),
                name="event_reminder_days_1_to_30",
            ),
        ]

    def __str__(self) -> str:
        return f"Texting settings of firm {self.firm_id}"


class ProviderEvent(WrittenPerText):
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
    provider_message_id = models.CharField(max_length=64, blank=True)
    # Our own id, echoed by the provider on status callbacks of messages we sent.
    tag = models.CharField(max_length=64, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = EncryptedJSONField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "dedupe_key"], name="provider_event_once"),
        ]
        indexes = [
            # What a drain reads: the firm's unprocessed events in id order. Partial, so it
            # holds only the backlog, not every callback ever stored.
            models.Index(
                fields=["firm", "id"],
                condition=models.Q(processed_at__isnull=True),
                name="provider_event_unprocessed",
            ),
            # A text's callbacks: by the provider's message id, or by our tag.
            models.Index(fields=["firm", "provider_message_id"], name="provider_event_message"),
            models.Index(fields=["firm", "tag"], name="provider_event_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_type} ({self.provider_message_id or self.uuid})"


class Conversation(WrittenPerText):
    """The one thread between the firm and a contact (C1). Created by the first text."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="conversations"
    )
    # Kept on each new message so the Communications list sorts and previews without
    # scanning messages.
    last_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    # The last message's direction and first characters, copied when it becomes the last
    # one: a row of the list then reads nothing of the large messages table, whose pages a
    # long list would otherwise fetch one by one from disk (benchmarks/read_path.py).
    last_message_direction = models.CharField(max_length=10, blank=True, default="")
    last_message_preview = EncryptedTextField(blank=True, default="")
    # The last time the firm texted this contact: inbound texts are accepted only after one
    # (C6), and among contacts sharing a number the most recently texted gets the reply.
    last_outbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "contact"], name="one_conversation_per_contact"
            ),
        ]
        # The Communications tab's order; with the id, a page deep in the list is an
        # index-only walk instead of sorting all of the firm's conversations.
        indexes = [
            models.Index(fields=["firm", "-last_message_at", "-id"], name="conversation_list_order")
        ]

    def __str__(self) -> str:
        return f"Conversation {self.uuid}"


# Characters of a text kept as its conversation's preview; the list shows up to 90.
PREVIEW_CHARS = 100


def preview_of(body: str) -> str:
    """What a conversation keeps of its last text's body for the list (empty: media only)."""
    return body[:PREVIEW_CHARS]


class Message(WrittenPerText):
    """One text, either way. Bodies are encrypted at rest (C1); messages are never edited
    by hand or hard-deleted: they are the record.

    Outbound lifecycle (C8), moved only forward by guarded updates:

        queued ──► sending ──► sent ──► delivered
           ▲          │          │
           └─retry────┤          └──► failed (failure_reason, error_code)
                      └──────────────► failed

    The row itself is the outbox: `queued` with `next_attempt_at` means "a deliver task is
    due"; a sweeper re-enqueues rows whose task was lost. `awaiting_callback_since` marks a
    send whose outcome is unknown (timeout after the request was sent): it is re-sent only
    when no callback carrying our tag arrived in time. A retry from the UI creates a new
    message linked by `retry_of`. Inbound messages are `received`; a text without media is
    stored with `media_fetched_at` set, an MMS gets it when its fetch task is done, so an
    MMS whose task was lost is found by the sweeper and fetched again.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        RECEIVED = "received", "Received"

    conversation = models.ForeignKey(  # indexed by (conversation, created_at)
        Conversation, on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    body = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices)
    failure_reason = models.CharField(max_length=30, choices=FailureReason.choices, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True)
    segments = models.PositiveSmallIntegerField(default=1)
    from_e164 = models.CharField(max_length=16)
    to_e164 = models.CharField(max_length=16)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Texts the product sends by itself (opt-out confirmations, reminders) rather than a
    # person; quiet hours (E3) apply only to these.
    automated = models.BooleanField(default=False)
    retry_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="retried_by"
    )
    # The same key twice (a double-click, a client retry) returns the first message.
    idempotency_key = models.UUIDField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    awaiting_callback_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # Inbound only: when its media fetch finished (stored with it for a text without media).
    media_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "idempotency_key"], name="message_idempotency_key_once"
            ),
            # An inbound text delivered twice by the provider is stored once (N1).
            models.UniqueConstraint(
                fields=["firm", "provider_message_id"],
                condition=models.Q(direction="inbound"),
                name="inbound_message_once",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            # The delivery dashboard's window of a firm's texts (X8), read by range.
            models.Index(fields=["firm", "created_at"], name="message_firm_created"),
            models.Index(fields=["status", "next_attempt_at"]),
            # A status callback's text when its tag is missing (inbound: the constraint).
            models.Index(fields=["firm", "provider_message_id"], name="message_provider_id"),
            # What an outbound drain reads: the firm's queued texts, oldest first. Partial,
            # so it holds only the outbox, not every text ever sent.
            models.Index(
                fields=["firm", "id"],
                condition=models.Q(direction="outbound", status="queued"),
                name="outbound_queued",
            ),
            # The sweeper's inbound texts whose media fetch has not finished: a few rows.
            models.Index(
                fields=["firm", "created_at"],
                condition=models.Q(direction="inbound", media_fetched_at__isnull=True),
                name="inbound_media_unfetched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} message {self.uuid} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in {self.Status.DELIVERED, self.Status.FAILED, self.Status.RECEIVED}


def message_media_upload_to(instance: "MessageMedia", filename: str) -> str:
    return f"firms/{instance.firm.uuid}/text-media/{uuid_module.uuid4()}"


class MessageMedia(FirmOwned):
    """One attachment of an inbound MMS (C7). Accepted ones keep a private copy for the
    thread and a Document in each of the contact's matters; refused ones keep only their
    type for the "attachment not accepted" line. Metadata is encrypted."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="media")
    position = models.PositiveSmallIntegerField()
    accepted = models.BooleanField()
    # {"filename", "content_type", "size", "refused_type"}: names can be sensitive.
    metadata = EncryptedJSONField()
    file = models.FileField(upload_to=message_media_upload_to, blank=True, max_length=300)

    class Meta:
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="media_position_once"),
        ]

    def __str__(self) -> str:
        return f"Media {self.position} of {self.message_id}"


class MessageMediaDocument(FirmOwned):
    """The Document an accepted attachment became in one matter: once per (media, matter)."""

    media = models.ForeignKey(MessageMedia, on_delete=models.PROTECT, related_name="documents")
    document = models.OneToOneField(
        "matters.Document", on_delete=models.PROTECT, related_name="text_media"
    )
    matter = models.ForeignKey("matters.Matter", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["media", "matter"], name="media_document_once_per_matter"
            ),
        ]


class ReadState(WrittenPerText):
    """How much of a conversation one user has read (C9). `unread_count` is maintained as
    messages arrive, so badges cost one indexed sum, not a count over messages."""

    conversation = models.ForeignKey(  # indexed by read_state_once
        Conversation, on_delete=models.CASCADE, related_name="read_states", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unread_count = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="read_state_once"),
        ]
        indexes = [models.Index(fields=["firm", "user", "unread_count"])]


class OptOut(FirmOwned):
    """A number that asked not to be texted by this firm (C10). Active while `opted_in_at`
    is null; START/UNSTOP sets it. Sends to an active opt-out fail with `opted_out`."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", "Replied with an opt-out word"
        PROVIDER = "provider", "Reported by the provider (4775)"

    number_e164 = models.CharField(max_length=16)
    source = models.CharField(max_length=10, choices=Source.choices)
    opted_out_at = models.DateTimeField()
    opted_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "number_e164"], name="opt_out_once_per_number"),
        ]


class DroppedInbound(FirmOwned):
    """An inbound text not put in any thread (C6): who, when, why — never the body."""

    class Reason(models.TextChoices):
        UNKNOWN_SENDER = "unknown_sender", "Not the texting number of any contact"
        NEVER_TEXTED = "never_texted", "A contact the firm has not texted yet"

    sender_e164 = models.CharField(max_length=16)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    received_at = models.DateTimeField()
    provider_message_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "provider_message_id"], name="dropped_inbound_once"
            ),
        ]


class VerificationSubmission(FirmOwned):
    """What an admin filed for toll-free verification (S1, S2): one row per submission,
    newest last, so the form can be prefilled for a resubmission and the record shows who
    asserted what about the firm. Business details, not client content: stored in clear."""

    class EntityType(models.TextChoices):
        SOLE_PROPRIETOR = "SOLE_PROPRIETOR", "Sole proprietorship"
        PRIVATE_PROFIT = "PRIVATE_PROFIT", "Private company (LLP, PLLC, PC, LLC)"
        PUBLIC_PROFIT = "PUBLIC_PROFIT", "Publicly traded company"
        NON_PROFIT = "NON_PROFIT", "Non-profit (legal aid)"
        GOVERNMENT = "GOVERNMENT", "Government (public defender)"

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phone_number_e164 = models.CharField(max_length=16)
    legal_name = models.CharField(max_length=200)
    dba = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=50)
    postal_code = models.CharField(max_length=20)
    website = models.URLField(max_length=300)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    ein = models.CharField(max_length=20, blank=True)
    contact_first_name = models.CharField(max_length=100)
    contact_last_name = models.CharField(max_length=100)
    contact_email = models.EmailField()
    contact_phone_e164 = models.CharField(max_length=16)
    use_case = models.CharField(max_length=60)
    use_case_summary = models.TextField(max_length=500)
    monthly_volume = models.PositiveIntegerField()
    sample_message = models.TextField(max_length=500)
    opt_in_description = models.TextField(max_length=500)
    opt_in_image_url = models.URLField(max_length=300)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Verification submission {self.uuid}"


class NotificationPreference(FirmOwned):
    """One member's notifications for text messages (S5). A member without a row has the
    defaults: badge counts on, push off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Unread counts on the navigation's Communications tab and on each conversation (C9).
    badge_counts = models.BooleanField(default=True)
    # A Web Push notification for each new inbound text, on every browser the member
    # subscribed (C9).
    push = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of user {self.user_id}"


class PushSubscription(FirmOwned):
    """One browser's Web Push subscription for a member (C9): where the push service takes
    our notifications (`endpoint`) and the keys the payload is encrypted to (RFC 8291).

    An endpoint is one browser profile's, so it is unique across firms; a browser a member
    of another firm subscribed first is told to subscribe anew (a new endpoint). Deleted
    when the push service answers 404/410 (the browser dropped it), when the member
    unsubscribes, or when they turn push off.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=1000, unique=True)
    # The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["firm", "user"], name="push_subscription_user")]

    def __str__(self) -> str:
        return f"Push subscription {self.uuid}"
