"""The event form (E1, E2): every reference it accepts — matter, firm users, contacts — is
resolved inside the firm given to `__init__`, so another firm's uuid is "not found" and
never its data. Dates and times are read in the firm's zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Firm, User
from common.exceptions import ApplicationError
from common.unset import UNSET
from contacts.models import Contact
from contacts.selectors import contact_list
from matters.models import Matter
from matters.selectors import matter_list

from .models import CalendarEvent
from .selectors import event_user_choices
from .services import AttendeeSpec, why_no_texts

NOT_FOUND_CONTACT = "Contact not found: choose one of the firm's contacts."
NOT_FOUND_MATTER = "Matter not found: choose one of the firm's matters."
NOT_FOUND_USER = "User not found: choose one of the firm's members."
ENDS_BEFORE_START = "The event must end after it starts."
# Where the services' field names are shown on this form.
_SERVICE_FIELDS = {
    "title": "title",
    "end_at": "end_date",
    "matter": "matter",
    "attendees": "contacts",
}


def firm_contacts(firm: Firm, query: str | None = None) -> QuerySet[Contact]:
    """The firm's contacts by name (those matching `query` when given), each with
    `texting_number_e164` (or None)."""
    return contact_list(firm=firm, query=query)


def at_local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def _to_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _uuids(values: list[str]) -> list[str]:
    """The well-formed uuids among `values`, normalised, in order, each once."""
    seen: list[str] = []
    for value in values:
        try:
            text = str(UUID(value))
        except (TypeError, ValueError):
            continue
        if text not in seen:
            seen.append(text)
    return seen


class MatterChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        matter: Matter = obj
        return f"{matter.display_number} · {matter.description}"[:120]


class UuidChoicesField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Objects named by uuid; a malformed uuid is "not found", like another firm's."""

    def clean(self, value: Any) -> Any:
        for item in value or ():
            try:
                UUID(str(item))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().clean(value)


class UserChoiceField(UuidChoicesField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.email


@dataclass(frozen=True)
class ContactRow:
    """One contact attendee as the form shows it."""

    contact: Contact
    notify: bool

    @property
    def texting_number(self) -> str | None:
        return getattr(self.contact, "texting_number_e164", None)


class EventForm(forms.Form):
    """Create or edit an event. Contact attendees arrive as `contacts` (uuids, one per row)
    and `notify` (the uuids whose Notify via text box is ticked)."""

    title = forms.CharField(max_length=200)
    all_day = forms.BooleanField(label="All day", required=False)
    start_date = forms.DateField(label="Start date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = forms.DateField(label="End date", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(
        label="End time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    location = forms.CharField(max_length=300, required=False)
    description = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    matter = MatterChoiceField(
        queryset=None,
        to_field_name="uuid",
        required=False,
        empty_label="No matter",
        error_messages={"invalid_choice": NOT_FOUND_MATTER},
    )
    users = UserChoiceField(
        label="Firm users",
        queryset=None,
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": NOT_FOUND_USER, "invalid_pk_value": NOT_FOUND_USER},
    )
    contacts = UuidChoicesField(
        queryset=None,
        to_field_name="uuid",
        required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "invalid_choice": NOT_FOUND_CONTACT,
            "invalid_pk_value": NOT_FOUND_CONTACT,
        },
    )
    notify = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.firm = firm
        self.zone = ZoneInfo(firm.time_zone)
        # The sentence shown by the Notify via text boxes when they are off ("" when on).
        self.no_texts_reason = why_no_texts(firm=firm)
        matter_field: forms.ModelChoiceField = self.fields["matter"]  # type: ignore[type-arg, assignment]
        matter_field.queryset = matter_list(firm=firm).order_by("display_number", "id")
        users_field: forms.ModelMultipleChoiceField = self.fields["users"]  # type: ignore[type-arg, assignment]
        users_field.queryset = event_user_choices(firm=firm)
        contacts_field: forms.ModelMultipleChoiceField = self.fields["contacts"]  # type: ignore[type-arg, assignment]
        contacts_field.queryset = firm_contacts(firm)
        self._rows: list[ContactRow] | None = None

    # --- initial values ------------------------------------------------------------------

    @staticmethod
    def initial_new(
        *, firm: Firm, matter: Matter | None = None, day: date | None = None
    ) -> dict[str, Any]:
        """A one-hour event at the next full hour (on `day` when given), firm's zone."""
        now = timezone.localtime(timezone.now(), ZoneInfo(firm.time_zone))
        start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        if day is not None:
            start = start.replace(year=day.year, month=day.month, day=day.day)
        end = start + timedelta(hours=1)
        return {
            "start_date": start.date(),
            "start_time": start.time(),
            "end_date": end.date(),
            "end_time": end.time(),
            "matter": matter,
        }

    @staticmethod
    def initial_for(event: CalendarEvent, *, firm: Firm) -> dict[str, Any]:
        """The form's values for `event` (its attendees prefetched), in the firm's zone."""
        zone = ZoneInfo(firm.time_zone)
        start = event.starts_at.astimezone(zone)
        end = event.ends_at.astimezone(zone)
        attendees = list(event.attendees.all())
        if event.all_day:
            last_day = max((end - timedelta(days=1)).date(), start.date())
            times: dict[str, Any] = {"end_date": last_day, "start_time": None, "end_time": None}
        else:
            times = {"end_date": end.date(), "start_time": start.time(), "end_time": end.time()}
        return {
            "title": event.title,
            "all_day": event.all_day,
            "start_date": start.date(),
            **times,
            "location": event.location,
            "description": event.description,
            "matter": event.matter,
            "users": [a.user for a in attendees if a.user is not None],
            "contacts": [str(a.contact.uuid) for a in attendees if a.contact is not None],
            "notify": [
                str(a.contact.uuid)
                for a in attendees
                if a.contact is not None and a.notify_via_text
            ],
        }

    # --- validation ----------------------------------------------------------------------

    def clean_notify(self) -> set[str]:
        raw = self.data.getlist("notify") if hasattr(self.data, "getlist") else []
        return set(_uuids(raw))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start_date, end_date = data.get("start_date"), data.get("end_date")
        if start_date is None or end_date is None:
            return data
        if data.get("all_day"):
            if end_date < start_date:
                self.add_error("end_date", ENDS_BEFORE_START)
                return data
            data["starts_at"] = at_local(start_date, time(0), self.zone)
            data["ends_at"] = at_local(end_date + timedelta(days=1), time(0), self.zone)
            return data
        for name, what in (("start_time", "start"), ("end_time", "end")):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, f"Enter the {what} time, or tick All day.")
        if data.get("start_time") is None or data.get("end_time") is None:
            return data
        data["starts_at"] = at_local(start_date, data["start_time"], self.zone)
        data["ends_at"] = at_local(end_date, data["end_time"], self.zone)
        if data["ends_at"] < data["starts_at"]:
            self.add_error("end_date", ENDS_BEFORE_START)
        return data

    def add_service_error(self, error: ApplicationError) -> None:
        """Show a service's refusal on the fields it names (or on the form as a whole)."""
        placed = False
        for field, messages in error.fields.items():
            name = _SERVICE_FIELDS.get(field)
            if name is not None:
                self.add_error(name, messages)
                placed = True
        if not placed:
            self.add_error(None, error.message)

    # --- what the services get -----------------------------------------------------------

    def attendee_specs(self) -> list[AttendeeSpec]:
        data = self.cleaned_data
        notify: set[str] = data.get("notify") or set()
        contacts = [
            AttendeeSpec(contact=contact, notify_via_text=str(contact.uuid) in notify)
            for contact in data.get("contacts") or []
        ]
        return contacts + [AttendeeSpec(user=user) for user in data.get("users") or []]

    def create_kwargs(self) -> dict[str, Any]:
        """event_create's keyword arguments (besides firm and actor)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "all_day": data["all_day"],
            "location": data["location"],
            "description": data["description"],
            "matter": data["matter"],
            "attendees": self.attendee_specs(),
        }

    def update_kwargs(self, event: CalendarEvent) -> dict[str, Any]:
        """event_update's keyword arguments: every field, but a start or end shown unchanged
        (the form keeps minutes only) stays as it is, so saving a new description does not
        move the event by its seconds and text everyone an update."""
        kwargs = self.create_kwargs()
        if kwargs["all_day"] != event.all_day:
            return kwargs
        same_start = _to_minute(event.starts_at) == kwargs["starts_at"]
        same_end = _to_minute(event.ends_at) == kwargs["ends_at"]
        if same_start:
            kwargs["starts_at"] = UNSET
            # The service keeps the length when only the start is given: the end is given
            # whenever the start is.
            if same_end:
                kwargs["ends_at"] = UNSET
        return kwargs

    # --- what the template shows ---------------------------------------------------------

    def contact_rows(self) -> list[ContactRow]:
        """The contact attendees to show: those posted (when bound) or the initial ones,
        each resolved in the firm (an unknown uuid is left out: its error is shown)."""
        if self._rows is None:
            if self.is_bound and hasattr(self.data, "getlist"):
                wanted = _uuids(self.data.getlist("contacts"))
                notify = set(_uuids(self.data.getlist("notify")))
            else:
                wanted = _uuids(self.initial.get("contacts") or [])
                notify = set(_uuids(self.initial.get("notify") or []))
            found = {str(c.uuid): c for c in firm_contacts(self.firm).filter(uuid__in=wanted)}
            self._rows = [
                ContactRow(contact=found[key], notify=key in notify)
                for key in wanted
                if key in found
            ]
        return self._rows
