"""Forms of the billing pages: time entries (B1, C12), the default rate, list filters.

Every reference a form accepts (matter, user) is resolved inside the firm given to
`__init__`, so another firm's uuid is "not found" and never its data. Durations are typed as
hours:minutes or decimal hours ("1:30", "1.5"), money as dollars ("300", "$1,250.50"); the
services get seconds and cents, and own the ranges.
"""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Firm, User
from common.exceptions import ApplicationError
from matters.models import Matter
from matters.selectors import matter_list

from .models import Activity, Bill
from .selectors import timekeeper_list

NOT_FOUND_MATTER = "Matter not found: choose one of the firm's matters."
NOT_FOUND_CONTACT_MATTER = "Matter not found: choose one of the contact's matters."
NOT_FOUND_USER = "User not found: choose one of the firm's members."
DURATION_FORMAT = "Enter the time as hours:minutes (1:30) or hours (1.5)."
MONEY_FORMAT = "Enter an amount in dollars, such as 300 or 250.50."
# Where the services' field names are shown on the time entry form.
_SERVICE_FIELDS = {
    "matter": "matter",
    "quantity": "duration",
    "rate": "rate",
    "description": "description",
    "user": "user",
}
_HOURS_MINUTES = re.compile(r"^(\d{0,3}):(\d{1,2})$")
_DECIMAL_HOURS = re.compile(r"^(\d{0,3})(?:[.,](\d*))?$")
_DOLLARS = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d{0,2}))?$")


def parse_duration(text: str) -> int:
    """Seconds in "1:30" (hours:minutes), "1.5" or "1,5" (decimal hours), "45m" or "2h".
    Raises ValueError for anything else; the range is the service's to check."""
    value = text.strip().lower().replace(" ", "")
    if value.endswith("m") and value[:-1].isdigit():
        return int(value[:-1]) * 60
    value = value.removesuffix("h")
    match = _HOURS_MINUTES.match(value)
    if match:
        hours, minutes = int(match.group(1) or 0), int(match.group(2))
        if minutes >= 60:
            raise ValueError("minutes past 59")
        return hours * 3600 + minutes * 60
    match = _DECIMAL_HOURS.match(value)
    if match and (match.group(1) or match.group(2)):
        hours_text = f"{match.group(1) or 0}.{match.group(2) or 0}"
        seconds = Decimal(hours_text) * 3600
        return int(seconds.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    raise ValueError("not a duration")


def parse_dollars(text: str) -> int:
    """Cents in "300", "$1,250.50", "99.9". Raises ValueError for anything else."""
    value = text.strip().replace(" ", "")
    match = _DOLLARS.match(value)
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError("not an amount")
    try:
        amount = Decimal((match.group(1) or "0").replace(",", "") + "." + (match.group(2) or "0"))
    except InvalidOperation:
        raise ValueError("not an amount") from None
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def duration_text(seconds: int) -> str:
    """As the form shows a duration: "1:30"."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def dollars_text(cents: int) -> str:
    """As the form shows an amount: "300.00"."""
    return f"{cents // 100}.{cents % 100:02d}"


class _TypedField(forms.Field):
    """A short text read by `parse` (ValueError: `invalid`); empty is None."""

    widget = forms.TextInput
    invalid = ""
    max_chars = 20

    def parse(self, text: str) -> int:
        raise NotImplementedError

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if len(text) > self.max_chars:
                raise ValueError("too long")
            return self.parse(text)
        except ValueError:
            raise forms.ValidationError(self.invalid, code="invalid") from None

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "maxlength": str(self.max_chars)}


class DurationField(_TypedField):
    invalid = DURATION_FORMAT

    def parse(self, text: str) -> int:
        return parse_duration(text)


class DollarsField(_TypedField):
    invalid = MONEY_FORMAT

    def parse(self, text: str) -> int:
        return parse_dollars(text)


class _UuidChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An object named by uuid; a malformed uuid is "not found", like another firm's."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                UUID(str(value))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)


class MatterChoiceField(_UuidChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        matter: Matter = obj
        return f"{matter.display_number} · {matter.description}"[:120]


class UserChoiceField(_UuidChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.email


def _set_queryset(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    field: forms.ModelChoiceField = form.fields[name]  # type: ignore[type-arg, assignment]
    field.queryset = queryset


class ActivityForm(forms.Form):
    """A new or changed time entry. `matters` narrows the matters offered (a contact's, when
    the time was spent texting them, C12); `with_user` offers the firm's members (on a new
    entry only: an entry's user never changes)."""

    user = UserChoiceField(
        queryset=None,
        to_field_name="uuid",
        error_messages={"invalid_choice": NOT_FOUND_USER},
    )
    matter = MatterChoiceField(
        queryset=None,
        to_field_name="uuid",
        empty_label="Choose a matter…",
        error_messages={"invalid_choice": NOT_FOUND_MATTER},
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration = DurationField(
        help_text="Hours:minutes (1:30) or hours (1.5).",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1:30"}),
    )
    rate = DollarsField(
        label="Rate ($ per hour)",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    billable = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        firm: Firm,
        matters: QuerySet[Matter] | None = None,
        with_user: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.firm = firm
        if matters is None:
            matters = matter_list(firm=firm).order_by("display_number", "id")
        else:
            self.fields["matter"].error_messages["invalid_choice"] = NOT_FOUND_CONTACT_MATTER
        _set_queryset(self, "matter", matters)
        if with_user:
            _set_queryset(self, "user", timekeeper_list(firm=firm))
        else:
            del self.fields["user"]

    @staticmethod
    def initial_new(
        *, user: User, rate_cents: int, matter: Matter | None = None, day: dt.date | None = None
    ) -> dict[str, Any]:
        return {
            "user": user,
            "matter": matter,
            "date": day or timezone.localdate(),
            "rate": dollars_text(rate_cents),
            "billable": True,
        }

    @staticmethod
    def initial_for(activity: Activity) -> dict[str, Any]:
        return {
            "matter": activity.matter,
            "date": activity.date,
            "duration": duration_text(activity.quantity_seconds),
            "rate": dollars_text(activity.rate_cents),
            "description": activity.description,
            "billable": activity.billable,
        }

    def service_kwargs(self) -> dict[str, Any]:
        """activity_create's or activity_update's keyword arguments (but firm, actor and
        the user or activity)."""
        data = self.cleaned_data
        return {
            "matter": data["matter"],
            "date": data["date"],
            "quantity_seconds": data["duration"],
            "rate_cents": data["rate"],
            "description": data["description"],
            "billable": data["billable"],
        }

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's refusal on the fields it names (or on the form as a whole)."""
        placed = False
        for field in error.fields:
            name = _SERVICE_FIELDS.get(field)
            if name is not None and name in self.fields:
                # The sentence says what is wrong; the fields' own words are terse.
                self.add_error(name, error.message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class RateForm(forms.Form):
    """The signed-in user's default hourly rate, prefilled in their new time entries."""

    rate = DollarsField(
        label="Your default rate ($ per hour)",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def add_service_error(self, error: ApplicationError) -> None:
        self.add_error("rate", error.message)


class ActivityFilterForm(forms.Form):
    """The Activities list's filters; an unknown user or matter is ignored, like none."""

    BILLED_CHOICES = [("", "Billed and unbilled"), ("unbilled", "Unbilled"), ("billed", "Billed")]

    user = UserChoiceField(
        queryset=None, to_field_name="uuid", required=False, empty_label="All users"
    )
    matter = MatterChoiceField(
        queryset=None, to_field_name="uuid", required=False, empty_label="All matters"
    )
    billed = forms.ChoiceField(choices=BILLED_CHOICES, required=False)

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self, "user", timekeeper_list(firm=firm, active_only=False))
        _set_queryset(self, "matter", matter_list(firm=firm).order_by("display_number", "id"))

    def filters(self) -> dict[str, Any]:
        """activity_list's keyword arguments for the valid filters."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        billed = {"billed": True, "unbilled": False}.get(data.get("billed") or "")
        return {"user": data.get("user"), "matter": data.get("matter"), "billed": billed}


class BillFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "All states"), *Bill.State.choices], required=False)

    def state_value(self) -> str:
        return (self.cleaned_data.get("state") or "") if self.is_valid() else ""
