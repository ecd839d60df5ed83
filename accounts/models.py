"""Firms (the tenants), users, their role in the firm, and API tokens.

A user belongs to exactly one firm, through one Membership that carries the role (T2).
The firm is resolved from the membership once per request (accounts.middleware).
"""

import uuid
import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from common.models import FirmOwned, TimestampedModel

TIME_ZONE_CHOICES = sorted(
    (name, name.replace("_", " "))
    for name in zoneinfo.available_timezones()
    if name.startswith(("America/", "Europe/", "Australia/", "Pacific/", "Asia/", "Africa/"))
    or name == "UTC"
)


class Firm(TimestampedModel):
    """A law firm: the tenant every other row belongs to."""

    class Plan(models.TextChoices):
        EASYSTART = "easystart", "EasyStart"
        ESSENTIALS = "essentials", "Essentials"
        ADVANCED = "advanced", "Advanced"
        COMPLETE = "complete", "Complete"

    class Region(models.TextChoices):
        NORTH_AMERICA = "north_america", "North America"
        EU = "eu", "EU"
        AUSTRALIA = "australia", "Australia"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.ESSENTIALS)
    region = models.CharField(max_length=20, choices=Region.choices, default=Region.NORTH_AMERICA)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York"
    )
    # The one toll-free number the firm texts from (S2); null until texting is set up.
    toll_free_number_e164 = models.CharField(max_length=16, null=True, blank=True, unique=True)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address."""

    username = None  # type: ignore[assignment,misc]
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Membership(FirmOwned):
    """A user's place in their firm. One per user; the role decides what they may change."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        STAFF = "staff", "Staff"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class ApiToken(FirmOwned):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once.

    Scope `read` allows safe methods only; `read_write` allows everything the user's role
    allows. A revoked token stays as a record (revoked_at set) and never authenticates again.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, so a user can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.READ_WRITE)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def allows_writes(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class AuditEvent(FirmOwned):
    """One admin action (texting setup, tokens, webhooks, key rotation), as it happened.

    Append-only: written by accounts.audit.audit_record only, never updated or deleted by
    app code. `actor_email` keeps who did it readable after the user is gone ("system" for
    commands). `target` and `details` never hold a full phone number, a message body or a
    secret: a number is "toll-free number ending 1234", an endpoint is its host.
    """

    class Action(models.TextChoices):
        TEXTING_NUMBER_ASSIGNED = "texting.number_assigned", "Toll-free number assigned"
        TEXTING_VERIFICATION_SUBMITTED = (
            "texting.verification_submitted",
            "Toll-free verification submitted",
        )
        TEXTING_VERIFICATION_RESUBMITTED = (
            "texting.verification_resubmitted",
            "Toll-free verification resubmitted",
        )
        TEXTING_SETTINGS_CHANGED = "texting.settings_changed", "Texting settings changed"
        API_TOKEN_CREATED = "api_token.created", "API token created"
        API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
        WEBHOOK_ENDPOINT_ADDED = "webhook_endpoint.added", "Webhook endpoint added"
        WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled", "Webhook endpoint disabled"
        WEBHOOK_ENDPOINT_REMOVED = "webhook_endpoint.removed", "Webhook endpoint removed"
        MEMBER_ADDED = "member.added", "Member added"
        ENCRYPTION_KEYS_ROTATED = "encryption.keys_rotated", "Encryption keys rotated"

    SYSTEM = "system"

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_email = models.CharField(max_length=254)
    action = models.CharField(max_length=40, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["firm", "created_at"], name="audit_event_firm_time")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_email}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A record, not state: a second save would rewrite history.
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only.")
