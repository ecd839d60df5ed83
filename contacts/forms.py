"""The contact form (details plus phone and email formsets), the list filters, relationships.

Forms only parse and display: the contact services validate and write. Service errors are keyed
by input path ("phone_numbers[1].number"); ContactEditor maps them back onto the row the user
typed, so the sentence shows next to the field.
"""

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Firm

from .models import Contact, EmailAddress, PhoneNumber
from .selectors import contact_list

MAX_ROWS = 20
_ROW_ERROR_KEY = re.compile(r"^(phone_numbers|email_addresses)\[(\d+)\]\.(\w+)$")


class ContactFilterForm(forms.Form):
    """The list's search box and type filter (the template renders them with htmx attributes)."""

    q = forms.CharField(required=False, max_length=200)
    type = forms.ChoiceField(
        required=False,
        choices=[("", "All contacts"), ("person", "People"), ("company", "Companies")],
    )


class ContactForm(forms.Form):
    type = forms.ChoiceField(
        choices=Contact.Type.choices, initial=Contact.Type.PERSON, widget=forms.RadioSelect
    )
    # Not `prefix`: a form's `prefix` is the prefix of its HTML field names.
    name_prefix = forms.CharField(
        required=False,
        max_length=20,
        label="Prefix",
        widget=forms.TextInput(attrs={"placeholder": "Ms., Dr., …"}),
    )
    first_name = forms.CharField(required=False, max_length=100, label="First name")
    middle_name = forms.CharField(required=False, max_length=100, label="Middle name")
    last_name = forms.CharField(required=False, max_length=100, label="Last name")
    company_name = forms.CharField(
        required=False,
        max_length=200,
        label="Company",
        help_text="For a person: the company they work for.",
    )
    title = forms.CharField(required=False, max_length=100, label="Title")


class PhoneNumberForm(forms.Form):
    name = forms.ChoiceField(
        label="Label", choices=PhoneNumber.Label.choices, initial=PhoneNumber.Label.MOBILE
    )
    number = forms.CharField(
        label="Number",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "(202) 555-0143",
            }
        ),
    )
    texting = forms.BooleanField(label="Texting number", required=False)


class EmailAddressForm(forms.Form):
    name = forms.ChoiceField(
        label="Label", choices=EmailAddress.Label.choices, initial=EmailAddress.Label.WORK
    )
    # Checked by the service, which has the one sentence for a bad address.
    address = forms.CharField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.TextInput(
            attrs={"type": "email", "autocomplete": "email", "placeholder": "name@example.com"}
        ),
    )
    primary = forms.BooleanField(label="Primary", required=False)


PhoneNumberFormSet = forms.formset_factory(
    PhoneNumberForm, extra=1, can_delete=True, max_num=MAX_ROWS, validate_max=True
)
EmailAddressFormSet = forms.formset_factory(
    EmailAddressForm, extra=1, can_delete=True, max_num=MAX_ROWS, validate_max=True
)


def _rows(formset: forms.BaseFormSet, value_field: str) -> list[forms.Form]:  # type: ignore[type-arg]
    """The filled-in rows the user kept (blank and removed rows are dropped)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE") or not (data.get(value_field) or "").strip():
            continue
        rows.append(form)
    return rows


class ContactEditor:
    """The contact form with its two formsets, bound together; one per request."""

    def __init__(self, data: Any = None, *, contact: Contact | None = None) -> None:
        details: dict[str, Any] = {}
        phones: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        if contact is not None:
            details = {
                f: getattr(contact, f) for f in ContactForm.base_fields if f != "name_prefix"
            }
            details["name_prefix"] = contact.prefix
            phones = [
                {"name": p.label, "number": p.display, "texting": p.is_texting_number}
                for p in contact.phone_numbers.all()
            ]
            emails = [
                {"name": e.label, "address": e.address, "primary": e.is_primary}
                for e in contact.email_addresses.all()
            ]
        self.form = ContactForm(data, initial=details)
        self.phones = PhoneNumberFormSet(data, initial=phones, prefix="phones")
        self.emails = EmailAddressFormSet(data, initial=emails, prefix="emails")
        self._phone_rows: list[forms.Form] = []
        self._email_rows: list[forms.Form] = []

    def is_valid(self) -> bool:
        results = [self.form.is_valid(), self.phones.is_valid(), self.emails.is_valid()]
        return all(results)

    def service_kwargs(self) -> dict[str, Any]:
        """Arguments for contact_create / contact_update (numbers and emails replace the sets)."""
        self._phone_rows = _rows(self.phones, "number")
        self._email_rows = _rows(self.emails, "address")
        details = dict(self.form.cleaned_data)
        details["prefix"] = details.pop("name_prefix")
        return {
            **details,
            "phone_numbers": [
                (f.cleaned_data["name"], f.cleaned_data["number"], f.cleaned_data["texting"])
                for f in self._phone_rows
            ],
            "email_addresses": [
                (f.cleaned_data["name"], f.cleaned_data["address"], f.cleaned_data["primary"])
                for f in self._email_rows
            ],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show each of the service's sentences next to the field (or row) it is about."""
        if not hasattr(error, "error_dict"):
            self.form.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            match = _ROW_ERROR_KEY.match(key)
            if match:
                rows = self._phone_rows if match[1] == "phone_numbers" else self._email_rows
                index, field = int(match[2]), match[3]
                if index < len(rows):
                    form = rows[index]
                    form.add_error(field if field in form.fields else None, messages)
                    continue
            key = "name_prefix" if key == "prefix" else key
            if key in self.form.fields:
                self.form.add_error(key, messages)
            else:
                self.form.add_error(None, messages)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors or self.phones.total_error_count() or self.emails.total_error_count()
        )


class _ContactChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A contact by uuid; a malformed uuid is "not found" like a foreign or missing one."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                uuid.UUID(str(value))
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)


class RelationshipForm(forms.Form):
    related_contact = _ContactChoiceField(
        queryset=None,  # built per request from the firm (a class-level queryset has no scope)
        to_field_name="uuid",
        error_messages={
            "required": "Choose the contact to relate.",
            "invalid_choice": "That contact was not found.",
        },
    )
    description = forms.CharField(
        required=False,
        max_length=100,
        label="Relationship",
        widget=forms.TextInput(attrs={"placeholder": "Spouse, Employer, …"}),
    )

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["related_contact"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = contact_list(firm=firm)
