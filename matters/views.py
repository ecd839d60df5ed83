"""Matter pages: the list, create/edit, the matter's subtabs (Overview, Communications,
Documents), and the contact's Matters subtab. Adapters only: parse, call one service or
selector, render. Objects are looked up inside the request's firm, so another firm's uuid is 404.
"""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from accounts.decorators import firm_member_required
from accounts.models import Firm, User
from common.exceptions import ApplicationError
from contacts.models import Contact
from contacts.selectors import contact_list
from contacts.views import contact_tabs
from texting.subtabs import subtab_context

from . import selectors, services
from .forms import (
    DocumentUploadForm,
    FolderCreateForm,
    MatterForm,
    RelatedContactAddForm,
    add_service_error,
    firm_contacts,
)
from .models import Document, Folder, Matter

PAGE_SIZE = 25
# Types a browser could render or run even when asked to download; served as plain bytes.
_ACTIVE_CONTENT_MARKERS = ("html", "xml", "javascript", "ecmascript", "svg")
# Multipart overhead allowed on top of the document size limit before a body is refused unread.
_UPLOAD_SLACK_BYTES = 256 * 1024


def _firm(request: HttpRequest) -> Firm:
    return request.firm  # type: ignore[attr-defined, no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _get_matter(request: HttpRequest, matter_id: UUID) -> Matter:
    return get_object_or_404(selectors.matter_list(firm=_firm(request)), uuid=matter_id)


def matter_tabs(matter: Matter) -> list[tuple[str, str, str]]:
    """The matter's subtabs as (label, url, key) for common/_subtabs.html."""
    return [
        ("Overview", reverse("matters:detail", args=[matter.uuid]), "overview"),
        ("Communications", reverse("matters:communications", args=[matter.uuid]), "communications"),
        ("Documents", reverse("matters:documents", args=[matter.uuid]), "documents"),
        # The calendar app's page (a URL name only: matters imports nothing from it).
        ("Calendar", reverse("calendar_events:matter-calendar", args=[matter.uuid]), "calendar"),
        # Billing's pages, likewise by URL name (B1, B2).
        ("Activities", reverse("billing:matter-activities", args=[matter.uuid]), "activities"),
        ("Bills", reverse("billing:matter-bills", args=[matter.uuid]), "bills"),
    ]


def _matter_page(
    request: HttpRequest,
    template: str,
    matter: Matter,
    active: str,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    context.update({"matter": matter, "tabs": matter_tabs(matter), "active": active})
    return render(request, template, context, status=status)


# --- List, create, edit ---------------------------------------------------------------------


@firm_member_required
def matter_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    if status not in Matter.Status.values:
        status = ""
    matters = selectors.matter_list(firm=_firm(request), query=query, status=status or None)
    page = Paginator(matters, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "status": status, "statuses": Matter.Status.choices}
    htmx = request.htmx  # type: ignore[attr-defined]
    # A history restore (cache miss after Back) wants the whole page, though htmx asks.
    partial = bool(htmx) and not htmx.history_restore_request
    template = "matters/_matter_rows.html" if partial else "matters/matter_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _preselected_client(request: HttpRequest) -> Contact | None:
    raw = request.GET.get("client", "")
    try:
        client_uuid = UUID(raw)
    except ValueError:
        return None
    return firm_contacts(_firm(request)).filter(uuid=client_uuid).first()


@firm_member_required
def matter_create(request: HttpRequest) -> HttpResponse:
    firm = _firm(request)
    client = _preselected_client(request)
    form = MatterForm(
        request.POST or None,
        firm=firm,
        initial={"client": client, "responsible_attorney": request.user},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_create(
                firm=firm,
                actor=_user(request),
                client=data["client"],
                description=data["description"],
                display_number=data["display_number"],
                status=data["status"],
                responsible_attorney=data["responsible_attorney"],
                open_date=data["open_date"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Matter {matter.display_number} was created.")
            return redirect("matters:detail", matter.uuid)
    cancel_url = (
        reverse("matters:contact-matters", args=[client.uuid])
        if client
        else reverse("matters:list")
    )
    return render(
        request,
        "matters/matter_form.html",
        {"form": form, "matter": None, "cancel_url": cancel_url},
    )


@firm_member_required
def matter_edit(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    firm = _firm(request)
    matter = _get_matter(request, matter_id)
    form = MatterForm(
        request.POST or None, firm=firm, editing=True, initial=MatterForm.initial_for(matter)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_update(
                firm=firm,
                actor=_user(request),
                matter=matter,
                client=data["client"],
                description=data["description"],
                display_number=data["display_number"],
                status=data["status"],
                responsible_attorney=data["responsible_attorney"],
                open_date=data["open_date"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The matter was saved.")
            return redirect("matters:detail", matter.uuid)
    return render(
        request,
        "matters/matter_form.html",
        {
            "form": form,
            "matter": matter,
            "cancel_url": reverse("matters:detail", args=[matter.uuid]),
        },
    )


# --- Overview and related contacts ----------------------------------------------------------


def _render_overview(
    request: HttpRequest, matter: Matter, add_form: RelatedContactAddForm | None = None
) -> HttpResponse:
    firm = _firm(request)
    return _matter_page(
        request,
        "matters/matter_detail.html",
        matter,
        "overview",
        related_contacts=selectors.matter_related_contact_list(firm=firm, matter=matter),
        add_form=add_form or RelatedContactAddForm(firm=firm, matter=matter),
    )


@firm_member_required
def matter_detail(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    return _render_overview(request, _get_matter(request, matter_id))


@require_POST
@firm_member_required
def related_contact_add(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    firm = _firm(request)
    matter = _get_matter(request, matter_id)
    form = RelatedContactAddForm(request.POST, firm=firm, matter=matter)
    if form.is_valid():
        try:
            services.matter_related_contact_add(
                firm=firm,
                actor=_user(request),
                matter=matter,
                contact=form.cleaned_data["contact"],
                relationship=form.cleaned_data["relationship"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The related contact was added.")
            return redirect("matters:detail", matter.uuid)
    return _render_overview(request, matter, add_form=form)


@require_POST
@firm_member_required
def related_contact_remove(request: HttpRequest, matter_id: UUID, related_id: UUID) -> HttpResponse:
    firm = _firm(request)
    matter = _get_matter(request, matter_id)
    link = get_object_or_404(
        selectors.matter_related_contact_list(firm=firm, matter=matter), uuid=related_id
    )
    services.matter_related_contact_remove(firm=firm, actor=_user(request), related_contact=link)
    messages.success(request, "The related contact was removed from the matter.")
    return redirect("matters:detail", matter.uuid)


# --- Communications -------------------------------------------------------------------------


@firm_member_required
def matter_communications(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    matter = _get_matter(request, matter_id)
    context = subtab_context(
        firm=_firm(request), user=_user(request), page=request.GET.get("page"), matter=matter
    )
    return _matter_page(
        request, "matters/matter_communications.html", matter, "communications", **context
    )


# --- Documents ------------------------------------------------------------------------------


def _render_documents(
    request: HttpRequest,
    matter: Matter,
    folder: Folder | None,
    *,
    folder_form: FolderCreateForm | None = None,
    upload_form: DocumentUploadForm | None = None,
    upload_error: str = "",
    status: int = 200,
) -> HttpResponse:
    firm = _firm(request)
    initial = {"parent": folder, "folder": folder}
    return _matter_page(
        request,
        "matters/matter_documents.html",
        matter,
        "documents",
        status=status,
        contents=selectors.folder_contents(firm=firm, matter=matter, folder=folder),
        folder_form=folder_form or FolderCreateForm(firm=firm, matter=matter, initial=initial),
        upload_form=upload_form or DocumentUploadForm(firm=firm, matter=matter, initial=initial),
        upload_error=upload_error,
    )


def _documents_url(matter: Matter, folder: Folder | None) -> str:
    if folder is None:
        return reverse("matters:documents", args=[matter.uuid])
    return reverse("matters:documents", args=[matter.uuid, folder.uuid])


@firm_member_required
def matter_documents(
    request: HttpRequest, matter_id: UUID, folder_id: UUID | None = None
) -> HttpResponse:
    matter = _get_matter(request, matter_id)
    folder = None
    if folder_id is not None:
        folder = get_object_or_404(
            selectors.folder_list(firm=_firm(request), matter=matter), uuid=folder_id
        )
    return _render_documents(request, matter, folder)


@require_POST
@firm_member_required
def folder_create(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    firm = _firm(request)
    matter = _get_matter(request, matter_id)
    form = FolderCreateForm(request.POST, firm=firm, matter=matter)
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            services.folder_create(
                firm=firm,
                actor=_user(request),
                matter=matter,
                name=form.cleaned_data["name"],
                parent=parent,
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The folder was created.")
            return redirect(_documents_url(matter, parent))
    parent = form.cleaned_data.get("parent")
    return _render_documents(request, matter, parent, folder_form=form)


@require_POST
@firm_member_required
def document_upload(request: HttpRequest, matter_id: UUID) -> HttpResponse:
    firm = _firm(request)
    matter = _get_matter(request, matter_id)
    limit = services.document_max_bytes()
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > limit + _UPLOAD_SLACK_BYTES:
        # Refused before the body is read: nothing is parsed, spooled or stored.
        return _render_documents(
            request,
            matter,
            None,
            status=413,
            upload_error=f"The file is too large; documents can be at most "
            f"{limit // (1024 * 1024)} MB.",
        )
    form = DocumentUploadForm(request.POST, request.FILES, firm=firm, matter=matter)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        folder = form.cleaned_data["folder"]
        try:
            services.document_upload(
                firm=firm,
                actor=_user(request),
                matter=matter,
                file=upload,
                folder=folder,
                name=upload.name or "",
                content_type=upload.content_type or "",
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The document was uploaded.")
            return redirect(_documents_url(matter, folder))
    folder = form.cleaned_data.get("folder")
    return _render_documents(request, matter, folder, upload_form=form)


def _get_document(request: HttpRequest, matter: Matter, document_id: UUID) -> Document:
    documents = selectors.document_list(firm=_firm(request), matter=matter)
    return get_object_or_404(documents.select_related("folder"), uuid=document_id)


@firm_member_required
def document_download(request: HttpRequest, matter_id: UUID, document_id: UUID) -> HttpResponse:
    matter = _get_matter(request, matter_id)
    document = _get_document(request, matter, document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this document is missing.") from None
    content_type = document.content_type or services.FALLBACK_CONTENT_TYPE
    if any(marker in content_type for marker in _ACTIVE_CONTENT_MARKERS):
        content_type = services.FALLBACK_CONTENT_TYPE
    response = FileResponse(
        handle, as_attachment=True, filename=document.name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # A streamed response; firm_member_required types every view as returning HttpResponse.
    return response  # type: ignore[return-value]


@require_POST
@firm_member_required
def document_delete(request: HttpRequest, matter_id: UUID, document_id: UUID) -> HttpResponse:
    matter = _get_matter(request, matter_id)
    document = _get_document(request, matter, document_id)
    folder = document.folder
    services.document_delete(firm=_firm(request), actor=_user(request), document=document)
    messages.success(request, "The document was deleted.")
    return redirect(_documents_url(matter, folder))


# --- The contact's Matters subtab -----------------------------------------------------------


@firm_member_required
def contact_matters(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """Matters where the contact is client or related contact, with the contact's role (C2)."""
    firm = _firm(request)
    contact = get_object_or_404(contact_list(firm=firm, with_details=True), uuid=contact_id)
    roles = selectors.matter_roles_for_contact(firm=firm, contact=contact)
    return render(
        request,
        "matters/contact_matters.html",
        {"contact": contact, "tabs": contact_tabs(contact), "roles": roles},
    )
