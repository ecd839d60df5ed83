"""Contact pages: the searchable list, the contact record with its tabs, create and edit.

Adapters only: selectors read, services write, forms parse. Another firm's contact is a 404
like a missing one (T1); staff and admins may both create and edit contacts (T2).
"""

import contextlib
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from accounts.decorators import firm_member_required
from accounts.models import Firm, Membership
from common.exceptions import ApplicationError
from texting.subtabs import subtab_context

from . import selectors, services
from .forms import ContactEditor, ContactFilterForm, RelationshipForm
from .models import Contact

PAGE_SIZE = 25
PICKER_SIZE = 10

Tab = tuple[str, str, str]


class FirmRequest(HttpRequest):
    """What FirmMiddleware and django-htmx add to every request these views see."""

    firm: Firm
    membership: Membership
    htmx: HtmxDetails


def contact_tabs(contact: Contact) -> list[Tab]:
    """The contact record's sub-tabs as (label, url, key), for common/_subtabs.html.

    Keys: "overview", "communications", "matters". The Matters tab is the matters app's page;
    it is left out only while that app does not provide `matters:contact-matters`.
    """
    tabs = [
        ("Overview", reverse("contacts:detail", args=[contact.uuid]), "overview"),
        (
            "Communications",
            reverse("contacts:communications", args=[contact.uuid]),
            "communications",
        ),
    ]
    # Provided by the matters app (matters imports contacts, never the reverse).
    with contextlib.suppress(NoReverseMatch):
        tabs.append(("Matters", reverse("matters:contact-matters", args=[contact.uuid]), "matters"))
    return tabs


def _wants_partial(request: FirmRequest) -> bool:
    # A history restore asks for the whole page although it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _error_sentence(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


@firm_member_required
def contact_list(request: FirmRequest) -> HttpResponse:
    filters = ContactFilterForm(request.GET)
    filters.is_valid()
    query = filters.cleaned_data.get("q", "")
    contacts = selectors.contact_list(
        firm=request.firm, query=query, type=filters.cleaned_data.get("type") or None
    )
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filters": filters, "page_obj": page, "query": query}
    if _wants_partial(request):
        response = render(request, "contacts/_contact_rows.html", context)
    else:
        response = render(request, "contacts/contact_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@firm_member_required
def contact_create(request: FirmRequest) -> HttpResponse:
    editor = ContactEditor(request.POST if request.method == "POST" else None)
    if request.method == "POST" and editor.is_valid():
        try:
            contact = services.contact_create(firm=request.firm, **editor.service_kwargs())
        except ValidationError as error:
            editor.add_service_errors(error)
        else:
            messages.success(request, f"{contact.name} was added to your contacts.")
            return redirect("contacts:detail", contact.uuid)
    return render(request, "contacts/contact_form.html", {"editor": editor, "contact": None})


@firm_member_required
def contact_edit(request: FirmRequest, uuid: UUID) -> HttpResponse:
    contact = get_object_or_404(
        selectors.contact_list(firm=request.firm, with_details=True), uuid=uuid
    )
    editor = ContactEditor(request.POST if request.method == "POST" else None, contact=contact)
    if request.method == "POST" and editor.is_valid():
        try:
            contact = services.contact_update(
                firm=request.firm, contact=contact, **editor.service_kwargs()
            )
        except ValidationError as error:
            editor.add_service_errors(error)
        else:
            messages.success(request, f"Changes to {contact.name} were saved.")
            return redirect("contacts:detail", contact.uuid)
    return render(request, "contacts/contact_form.html", {"editor": editor, "contact": contact})


@firm_member_required
def contact_detail(request: FirmRequest, uuid: UUID) -> HttpResponse:
    contact = get_object_or_404(
        selectors.contact_list(firm=request.firm, with_details=True), uuid=uuid
    )
    context = {
        "contact": contact,
        "tabs": contact_tabs(contact),
        "related": selectors.related_contacts(firm=request.firm, contact=contact),
        "relationship_form": RelationshipForm(firm=request.firm),
    }
    return render(request, "contacts/contact_detail.html", context)


@firm_member_required
def contact_communications(request: FirmRequest, uuid: UUID) -> HttpResponse:
    contact = get_object_or_404(selectors.contact_list(firm=request.firm), uuid=uuid)
    context = {"contact": contact, "tabs": contact_tabs(contact)}
    context.update(
        subtab_context(
            firm=request.firm,
            user=request.membership.user,
            page=request.GET.get("page"),
            contact=contact,
        )
    )
    return render(request, "contacts/contact_communications.html", context)


@firm_member_required
def contact_picker(request: FirmRequest) -> HttpResponse:
    """Up to ten of the firm's contacts matching `q`, as radio options (an HTMX partial)."""
    query = request.GET.get("q", "").strip()[:200]
    contacts = selectors.contact_list(firm=request.firm, query=query)
    with contextlib.suppress(ValueError):  # a malformed `exclude` excludes nothing
        contacts = contacts.exclude(uuid=UUID(request.GET.get("exclude", "")))
    context = {"query": query, "contacts": list(contacts[:PICKER_SIZE]) if query else []}
    return render(request, "contacts/_contact_picker.html", context)


@require_POST
@firm_member_required
def relationship_add(request: FirmRequest, uuid: UUID) -> HttpResponse:
    contact = get_object_or_404(selectors.contact_list(firm=request.firm), uuid=uuid)
    form = RelationshipForm(request.POST, firm=request.firm)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("contacts:detail", contact.uuid)
    related = form.cleaned_data["related_contact"]
    try:
        services.contact_relationship_add(
            firm=request.firm,
            contact=contact,
            related_contact=related,
            description=form.cleaned_data["description"],
        )
    except (ApplicationError, ValidationError) as error:
        messages.error(request, _error_sentence(error))
    else:
        messages.success(request, f"{related.name} was added to the related contacts.")
    return redirect("contacts:detail", contact.uuid)


@require_POST
@firm_member_required
def relationship_remove(request: FirmRequest, uuid: UUID, related_uuid: UUID) -> HttpResponse:
    contacts = selectors.contact_list(firm=request.firm)
    contact = get_object_or_404(contacts, uuid=uuid)
    related = get_object_or_404(contacts, uuid=related_uuid)
    try:
        services.contact_relationship_remove(
            firm=request.firm, contact=contact, related_contact=related
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{related.name} was removed from the related contacts.")
    return redirect("contacts:detail", contact.uuid)
