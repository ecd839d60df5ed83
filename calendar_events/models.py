"""Calendar events (E1) and their attendees, with what each contact was texted (E2–E4).

Times are stored in UTC and shown in the firm's zone. An all-day event runs from 00:00 of
its first day to 00:00 after its last day, in the firm's zone when it was saved.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import FirmOwned
from contacts.models import Contact
from matters.models import Matter


class CalendarEvent(FirmOwned):
    """A hearing, meeting or deadline on the firm's calendar.

    Lifecycle::

        scheduled ──cancel──► cancelled ──delete──► deleted (hidden everywhere)
            └──────────────────delete─────────────────┘

    Cancelling (or deleting a scheduled event) texts a cancellation to every contact who
    was told of it; deleting a cancelled event texts nothing more.
    """

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    all_day = models.BooleanField(default=False)
    location = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, max_length=5000)
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            ),
        ]
        indexes = [
            # Calendar pages and the reminder scan: the firm's live events by start.
            models.Index(
                fields=["firm", "starts_at"],
                name="event_live_by_start",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["matter", "starts_at"],
                name="event_matter_by_start",
                condition=Q(deleted_at__isnull=True, matter__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class EventAttendee(FirmOwned):
    """A firm user or a contact invited to an event.

    Only a contact attendee with `notify_via_text` is texted. What is still to be texted
    is `pending_notice`: set by a change to the event, cleared when the text is created
    (or dropped as stale). Quiet hours (E3) keep it pending until 8:00 recipient time.
    A reminder is sent once per start time: `reminder_for_start` records the start it was
    sent for, so moving the event re-arms it.
    """

    class Notice(models.TextChoices):
        NONE = "", "None"
        CREATED = "created", "Invitation"
        UPDATED = "updated", "Update"
        CANCELLED = "cancelled", "Cancellation"

    class Response(models.TextChoices):
        NONE = "", "No response"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    event = models.ForeignKey(CalendarEvent, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notify_via_text = models.BooleanField(default=False)

    # The text still to send (E2, E3): its kind, since when, and a counter that makes each
    # notice's idempotency key unique.
    pending_notice = models.CharField(
        max_length=10, choices=Notice.choices, blank=True, default=Notice.NONE
    )
    pending_since = models.DateTimeField(null=True, blank=True)
    notices_sent = models.PositiveIntegerField(default=0)
    # The last invitation, update or cancellation texted, and when.
    notified_kind = models.CharField(max_length=10, choices=Notice.choices, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_for_start = models.DateTimeField(null=True, blank=True)
    # Why the last automated text could not be created (no texting number, texting off).
    text_problem = models.CharField(max_length=300, blank=True)

    response = models.CharField(
        max_length=10, choices=Response.choices, blank=True, default=Response.NONE
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_message = models.ForeignKey(
        "texting.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, contact__isnull=True)
                | Q(user__isnull=True, contact__isnull=False),
                name="attendee_is_user_or_contact",
            ),
            models.UniqueConstraint(
                fields=["event", "user"], name="attendee_user_once", condition=Q(user__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["event", "contact"],
                name="attendee_contact_once",
                condition=Q(contact__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(notify_via_text=False) | Q(contact__isnull=False),
                name="attendee_texted_only_if_contact",
            ),
        ]
        indexes = [
            # Held notices, found by the dispatcher each minute.
            models.Index(
                fields=["firm", "pending_since"],
                name="attendee_notice_pending",
                condition=~Q(pending_notice=""),
            ),
            # Y/N replies: a contact's events, most recently texted first.
            models.Index(
                fields=["firm", "contact"],
                name="attendee_texted_contact",
                condition=Q(notify_via_text=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Attendee {self.pk} of event {self.event_id}"

    @property
    def is_contact(self) -> bool:
        return self.contact_id is not None
