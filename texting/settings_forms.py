"""Forms of Settings > Text Messaging (S1, S4) and Settings > Notifications (S5). They only
parse and validate; the services (texting.services.setup, .notifications) check the same
rules again and do the writes."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.phones import phone_to_e164

from .models import VerificationSubmission
from .services.setup import (
    MESSAGE_VOLUME_MAX,
    MESSAGE_VOLUME_MIN,
    REMINDER_DAYS_MAX,
    REMINDER_DAYS_MIN,
    SetupDetails,
)

# The provider's use cases (PROVIDER_API.md §5) that fit a law firm's texting.
USE_CASES = [
    ("Legal Services", "Legal services: conversations with clients about their matters"),
    ("Appointments", "Appointments and calendar notifications"),
    ("Reminders", "Reminders"),
    ("Billing", "Billing and payment links"),
    ("Mixed", "A mix of the above"),
]
EIN_INPUT_RE = re.compile(r"^(\d{2})-?(\d{7})$")
TEXT_LIMIT = 500


def _texting_phone(raw: str) -> str:
    """+1 phone number in E.164, or ValidationError with the sentence of common.phones."""
    return phone_to_e164(raw, texting=True)


def _https_url(value: str) -> None:
    if value and not value.lower().startswith("https://"):
        raise ValidationError(
            "Enter an address that starts with https:// (carriers refuse plain http).",
            code="not_https",
        )


class AlternativeContactMixin(forms.Form):
    """The alternative phone or email clients may use (S1): at least one of them."""

    alternative_phone = forms.CharField(
        label="Alternative phone",
        required=False,
        max_length=30,
        help_text="A US or Canadian number clients can call, e.g. the office's main line.",
    )
    alternative_email = forms.EmailField(
        label="Alternative email",
        required=False,
        max_length=254,
        help_text="Printed in every calendar notification text, with the phone number.",
    )

    def clean_alternative_phone(self) -> str:
        raw = self.cleaned_data.get("alternative_phone", "").strip()
        return _texting_phone(raw) if raw else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        phone_ok = "alternative_phone" not in self.errors
        email_ok = "alternative_email" not in self.errors
        if (
            phone_ok
            and email_ok
            and not cleaned.get("alternative_phone")
            and not cleaned.get("alternative_email")
        ):
            self.add_error(
                "alternative_phone",
                "Give a phone number or an email clients can use to reach the firm.",
            )
        return cleaned


class SetupBusinessForm(AlternativeContactMixin):
    """Step 1 of "Get started with text messaging": the firm, its contact person, and the
    alternative contact clients are given."""

    legal_name = forms.CharField(label="Firm's legal name", max_length=200)
    dba = forms.CharField(
        label="Doing business as (DBA)",
        required=False,
        max_length=200,
        help_text="Only if clients know the firm by another name.",
    )
    entity_type = forms.ChoiceField(
        label="Kind of business", choices=VerificationSubmission.EntityType.choices
    )
    ein = forms.CharField(
        label="Employer Identification Number (EIN)",
        required=False,
        max_length=12,
        help_text="Required unless the firm is a sole proprietorship, e.g. 12-3456789.",
    )
    address_line1 = forms.CharField(label="Street address", max_length=200)
    address_line2 = forms.CharField(label="Suite, floor", required=False, max_length=200)
    city = forms.CharField(max_length=100)
    state = forms.CharField(label="State or province", max_length=50)
    postal_code = forms.CharField(label="ZIP or postal code", max_length=20)
    website = forms.URLField(
        label="Website",
        max_length=300,
        assume_scheme="https",
        validators=[_https_url],
        help_text="The firm's public website; carriers check that it works.",
    )
    contact_first_name = forms.CharField(label="Contact person: first name", max_length=100)
    contact_last_name = forms.CharField(label="Contact person: last name", max_length=100)
    contact_email = forms.EmailField(label="Contact person: email", max_length=254)
    contact_phone = forms.CharField(label="Contact person: phone", max_length=30)

    field_order = [
        "legal_name",
        "dba",
        "entity_type",
        "ein",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "website",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        "alternative_phone",
        "alternative_email",
    ]

    def clean_contact_phone(self) -> str:
        return _texting_phone(self.cleaned_data.get("contact_phone", ""))

    def clean_ein(self) -> str:
        raw = self.cleaned_data.get("ein", "").strip()
        if not raw:
            return ""
        match = EIN_INPUT_RE.fullmatch(raw)
        if not match:
            raise ValidationError("Enter the EIN as nine digits, e.g. 12-3456789.")
        return f"{match.group(1)}-{match.group(2)}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        sole = cleaned.get("entity_type") == VerificationSubmission.EntityType.SOLE_PROPRIETOR
        if "ein" not in self.errors and cleaned.get("entity_type"):
            if sole:
                cleaned["ein"] = ""  # the provider refuses an EIN for a sole proprietor
            elif not cleaned.get("ein"):
                self.add_error("ein", "Enter the firm's EIN; only sole proprietors leave it out.")
        return cleaned


class SetupVerificationForm(forms.Form):
    """Step 2: what toll-free verification needs to know about the firm's texting."""

    use_case = forms.ChoiceField(label="Use case", choices=USE_CASES, initial="Legal Services")
    use_case_summary = forms.CharField(
        label="How the firm will use texting",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    monthly_volume = forms.IntegerField(
        label="Texts per month (estimate)",
        min_value=MESSAGE_VOLUME_MIN,
        max_value=MESSAGE_VOLUME_MAX,
        initial=500,
    )
    sample_message = forms.CharField(
        label="Sample message",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A text the firm would really send, starting with the firm's name.",
    )
    opt_in_description = forms.CharField(
        label="How clients agree to receive texts",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opt_in_image_url = forms.URLField(
        label="Where the agreement can be seen",
        max_length=300,
        assume_scheme="https",
        validators=[_https_url],
        help_text="A public link to the intake form or a screenshot of the consent wording.",
    )


def setup_details(business: dict[str, Any], verification: dict[str, Any]) -> SetupDetails:
    """The service's input from the cleaned data of both steps."""
    return SetupDetails(
        legal_name=business["legal_name"],
        dba=business["dba"],
        entity_type=business["entity_type"],
        ein=business["ein"],
        address_line1=business["address_line1"],
        address_line2=business["address_line2"],
        city=business["city"],
        state=business["state"],
        postal_code=business["postal_code"],
        website=business["website"],
        contact_first_name=business["contact_first_name"],
        contact_last_name=business["contact_last_name"],
        contact_email=business["contact_email"],
        contact_phone_e164=business["contact_phone"],
        alternative_phone_e164=business["alternative_phone"],
        alternative_email=business["alternative_email"],
        use_case=verification["use_case"],
        use_case_summary=verification["use_case_summary"],
        monthly_volume=verification["monthly_volume"],
        sample_message=verification["sample_message"],
        opt_in_description=verification["opt_in_description"],
        opt_in_image_url=verification["opt_in_image_url"],
    )


class TextingDetailsForm(AlternativeContactMixin):
    """Your details (S4): the alternative phone and email."""


REMINDER_CHOICES = [("", "Off: no automatic reminders")] + [
    (str(days), f"{days} day{'s' if days > 1 else ''} before the event")
    for days in range(REMINDER_DAYS_MIN, REMINDER_DAYS_MAX + 1)
]


class EventRemindersForm(forms.Form):
    """Event reminders (S4): N days before the event, or off."""

    days = forms.TypedChoiceField(
        label="Send an automatic reminder",
        choices=REMINDER_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={
            "invalid_choice": "Choose Off or a number of days between 1 and 30 before the event."
        },
        help_text="Contacts notified by text get one reminder per event at this time.",
    )


class NotificationPreferencesForm(forms.Form):
    """A member's own notifications for text messages (S5)."""

    badge_counts = forms.BooleanField(
        label="Badge counts",
        required=False,
        help_text="Unread counts on the Communications tab and on each conversation.",
    )
    push = forms.BooleanField(
        label="Push notifications",
        required=False,
        help_text=(
            "A notification on this browser or phone for each new text: the contact's name "
            "only, never the text or a phone number. On a phone, add Firm Texting to the "
            "home screen first."
        ),
    )

    def __init__(self, *args: Any, push_configured: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not push_configured:
            # Disabled: the saved value stands whatever is posted.
            self.fields["push"].disabled = True
            self.fields["push"].help_text = "Push is not configured on this server."
