"""Forms of the matters pages. Every reference field's queryset is built per request from the
firm (a class-level queryset on a scoped model would raise at import, and must not cross firms).
"""

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.models import Firm, User
from common.exceptions import ApplicationError
from contacts.models import Contact
from contacts.selectors import contact_list

from .models import Folder, Matter
from .selectors import folder_list, matter_attorney_choices
from .services import document_max_bytes

NOT_FOUND_CONTACT = "No contact with that id was found; choose one of the firm's contacts."
NOT_FOUND_FOLDER = "That folder was not found in this matter."


def firm_contacts(firm: Firm) -> QuerySet[Contact]:
    """The firm's contacts by name: what a client or related-contact picker offers."""
    return contact_list(firm=firm)


class ContactChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        contact: Contact = obj
        return contact.name or "(no name)"


class AttorneyChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.email


def add_service_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's error on the fields it names (or on the form as a whole)."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            form.add_error(field, messages)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class MatterForm(forms.Form):
    """Create or edit a matter. `client` lists the firm's contacts only (T1)."""

    client = ContactChoiceField(
        queryset=None,
        to_field_name="uuid",
        empty_label="Choose a contact…",
        error_messages={"invalid_choice": NOT_FOUND_CONTACT},
    )
    display_number = forms.CharField(
        label="Matter number",
        max_length=50,
        required=False,
        help_text="Leave blank to number it automatically, e.g. 00042-Garcia.",
    )
    description = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(choices=Matter.Status.choices, initial=Matter.Status.OPEN)
    responsible_attorney = AttorneyChoiceField(
        queryset=None,
        to_field_name="uuid",
        required=False,
        empty_label="Nobody yet",
        error_messages={"invalid_choice": "Choose one of the firm's members."},
    )
    open_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave blank for today (pending matters get one when they open).",
    )

    def __init__(self, *args: Any, firm: Firm, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field: forms.ModelChoiceField = self.fields["client"]  # type: ignore[type-arg, assignment]
        client_field.queryset = firm_contacts(firm)
        attorney_field: forms.ModelChoiceField = self.fields["responsible_attorney"]  # type: ignore[type-arg, assignment]
        attorney_field.queryset = matter_attorney_choices(firm=firm)
        if editing:
            self.fields["display_number"].required = True
            self.fields["display_number"].help_text = ""

    @staticmethod
    def initial_for(matter: Matter) -> dict[str, Any]:
        return {
            "client": matter.client,
            "display_number": matter.display_number,
            "description": matter.description,
            "status": matter.status,
            "responsible_attorney": matter.responsible_attorney,
            "open_date": matter.open_date,
        }


class RelatedContactAddForm(forms.Form):
    """Relate another of the firm's contacts to a matter."""

    contact = ContactChoiceField(
        queryset=None,
        to_field_name="uuid",
        empty_label="Choose a contact…",
        error_messages={"invalid_choice": NOT_FOUND_CONTACT},
    )
    relationship = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Spouse, Opposing counsel"}),
    )

    def __init__(self, *args: Any, firm: Firm, matter: Matter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["contact"]  # type: ignore[type-arg, assignment]
        # Any of the firm's contacts validates (so the service can say why the client or a
        # duplicate is refused); the list offers only those that can still be added.
        field.queryset = firm_contacts(firm)
        offered = (
            firm_contacts(firm)
            .exclude(pk=matter.client_id)
            .exclude(related_matter_links__matter=matter)
        )
        field.widget.choices = [("", "Choose a contact…")] + [
            (str(contact.uuid), contact.name or "(no name)") for contact in offered
        ]


class FolderCreateForm(forms.Form):
    name = forms.CharField(label="Folder name", max_length=255)
    parent: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        queryset=None,
        to_field_name="uuid",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": NOT_FOUND_FOLDER},
    )

    def __init__(self, *args: Any, firm: Firm, matter: Matter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["parent"]  # type: ignore[type-arg, assignment]
        field.queryset = folder_list(firm=firm, matter=matter)


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label="File", allow_empty_file=False)
    folder: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        queryset=None,
        to_field_name="uuid",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": NOT_FOUND_FOLDER},
    )

    def __init__(self, *args: Any, firm: Firm, matter: Matter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["folder"]  # type: ignore[type-arg, assignment]
        field.queryset = folder_list(firm=firm, matter=matter)
        limit_mb = document_max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = f"Up to {limit_mb} MB."


def folder_initial(folder: Folder | None) -> dict[str, Any]:
    return {"parent": folder, "folder": folder}
