"""Communications pages (C2–C5, C8, C9, C13): the firm's threads, one thread, a new text.

Thin views: reads come from selectors, every change from a service. Live parts are HTMX
partials polled by the page (the thread, the rows, the navigation badge), so a text that
arrives or changes status shows without a reload.
"""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from accounts.selectors import texting_availability
from common.exceptions import ApplicationError
from contacts.models import Contact
from contacts.selectors import contact_list

from . import selectors
from .forms import ComposeForm, ConversationFilterForm
from .models import Conversation, Message, MessageMedia
from .notification_selectors import unread_badge_get
from .segments import Encoding, segment_info
from .services.reading import conversation_unread_clear
from .services.sending import message_retry, message_send

PAGE_SIZE = 25
PICKER_SIZE = 10
# The longest text `?body=` may prefill the compose box with.
PREFILL_MAX_CHARS = 2000


def _wants_partial(request: FirmRequest) -> bool:
    # A history restore asks for the whole page although it comes from htmx.
    return bool(request.htmx) and not request.htmx.history_restore_request  # type: ignore[attr-defined]


@firm_member_required
def communications(request: FirmRequest) -> HttpResponse:
    """C3: every thread of the firm, newest activity first, with this user's unread counts."""
    availability = texting_availability(firm=request.firm)
    filters = ConversationFilterForm(request.GET)
    filters.is_valid()
    query = filters.cleaned_data.get("q", "")
    context: dict[str, object] = {"availability": availability, "filters": filters, "query": query}
    if availability.available:
        context["page_obj"] = selectors.conversation_page(
            firm=request.firm,
            user=request.user,
            number=request.GET.get("page"),
            per_page=PAGE_SIZE,
            query=query,
        )
        context["texting_settings"] = selectors.texting_settings_get(firm=request.firm)
    template = (
        "texting/_conversation_rows.html"
        if _wants_partial(request)
        else "texting/communications.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@firm_member_required
def unread_badge(request: FirmRequest) -> HttpResponse:
    """The navigation's unread count (C9), polled by every page; with badge counts off
    (S5), an empty element that polls no more."""
    badge = unread_badge_get(firm=request.firm, user=request.user)
    return render(request, "texting/_unread_badge.html", {"unread_badge": badge})


@firm_member_required
def new_text(request: FirmRequest) -> HttpResponse:
    """C4: pick a contact by typing; choosing one opens its thread with the history."""
    query = request.GET.get("q", "").strip()[:200]
    contacts = list(contact_list(firm=request.firm, query=query)[:PICKER_SIZE]) if query else []
    context = {
        "availability": texting_availability(firm=request.firm),
        "query": query,
        "contacts": contacts,
    }
    template = (
        "texting/_new_text_picker.html" if _wants_partial(request) else "texting/new_text.html"
    )
    return render(request, template, context)


def _contact(request: FirmRequest, contact_id: UUID) -> Contact:
    return get_object_or_404(contact_list(firm=request.firm), uuid=contact_id)


def _message_of(conversation: Conversation | None, message_id: str | None) -> Message | None:
    """A message of this conversation named by a query or form value (None otherwise)."""
    if conversation is None or not message_id:
        return None
    try:
        uuid = UUID(message_id)
    except ValueError:
        return None
    return (
        Message.objects.for_firm(conversation.firm_id)
        .filter(conversation=conversation, uuid=uuid)
        .first()
    )


def _why_not_textable(request: FirmRequest, contact: Contact) -> str:
    """The sentence shown instead of the compose box, or "" when the contact can be texted."""
    availability = texting_availability(firm=request.firm)
    if not availability.available:
        return availability.reason
    if not request.firm.toll_free_number_e164:
        if request.membership.is_admin:
            return "Your firm has no texting number yet: get one in Settings → Text Messaging."
        return "Your firm has no texting number yet; an admin can set one up in Settings."
    if not contact.texting_number_e164:  # type: ignore[attr-defined]  # contact_list's
        return (
            f"{contact.name} has no texting number. Mark one of their mobile numbers as the "
            "texting number to text them."
        )
    return ""


def _thread_context(
    request: FirmRequest, contact: Contact, conversation: Conversation | None, since: str | None
) -> dict[str, object]:
    first = _message_of(conversation, since)
    thread = (
        selectors.thread_recent(firm=request.firm, conversation=conversation, since=first)
        if conversation is not None
        else []
    )
    return {
        "contact": contact,
        "conversation": conversation,
        "thread": thread,
        "since": thread[0].uuid if thread else "",
        "has_older": first is None and len(thread) >= selectors.THREAD_WINDOW,
    }


@firm_member_required
def conversation(request: FirmRequest, contact_id: UUID) -> HttpResponse:
    """One contact's thread (C1): history, statuses, compose box; opening it reads it (C9)."""
    contact = _contact(request, contact_id)
    thread = selectors.conversation_of(firm=request.firm, contact=contact)
    if thread is not None:
        conversation_unread_clear(firm=request.firm, user=request.user, conversation=thread)
    context = _thread_context(request, contact, thread, None)
    # `?body=` prefills the compose box (a payment link to paste, B4); the user still sends.
    body = request.GET.get("body", "")[:PREFILL_MAX_CHARS]
    context.update(
        {
            "form": ComposeForm(initial={"body": body}),
            "compose_count": _count_text(body) if body else "",
            "why_not": _why_not_textable(request, contact),
        }
    )
    return render(request, "texting/conversation.html", context)


def _count_text(body: str) -> str:
    """What the compose box's counter shows for `body`, as static/js/app.js writes it."""
    info = segment_info(body)
    length, segments = len(body), info.segments
    text = f"{length} character{'' if length == 1 else 's'} · "
    text += f"{segments} segment{'' if segments == 1 else 's'}"
    if info.encoding is Encoding.UCS2:
        text += " (special characters: 70 per segment)"
    return text


@firm_member_required
def conversation_thread(request: FirmRequest, contact_id: UUID) -> HttpResponse:
    """The live part of the thread page (polled): messages from the first one shown on."""
    contact = _contact(request, contact_id)
    thread = selectors.conversation_of(firm=request.firm, contact=contact)
    if thread is not None:
        conversation_unread_clear(firm=request.firm, user=request.user, conversation=thread)
    context = _thread_context(request, contact, thread, request.GET.get("since"))
    return render(request, "texting/_thread.html", context)


@firm_member_required
def conversation_older(request: FirmRequest, contact_id: UUID) -> HttpResponse:
    """The page of messages before `before`, loaded as the user scrolls up (without it,
    the newest page)."""
    contact = _contact(request, contact_id)
    thread = selectors.conversation_of(firm=request.firm, contact=contact)
    before = _message_of(thread, request.GET.get("before"))
    older: list[Message] = []
    has_more = False
    if thread is not None and before is not None:
        older, has_more = selectors.thread_older(
            firm=request.firm, conversation=thread, before=before
        )
    elif thread is not None:
        older = selectors.thread_recent(firm=request.firm, conversation=thread)
        has_more = len(older) >= selectors.THREAD_WINDOW
    context = {"contact": contact, "older": older, "has_more": has_more}
    return render(request, "texting/_older.html", context)


def _apply_error(form: ComposeForm, error: ApplicationError) -> None:
    field_errors = error.fields.get("body")
    form.add_error("body" if field_errors else None, field_errors or error.message)


@require_POST
@firm_member_required
def conversation_send(request: FirmRequest, contact_id: UUID) -> HttpResponse:
    """Send the compose box's text (C4). The idempotency key makes a resubmission a no-op."""
    contact = _contact(request, contact_id)
    form = ComposeForm(request.POST)
    if form.is_valid():
        try:
            message_send(
                firm=request.firm,
                sender=request.user,
                contact=contact,
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ApplicationError as error:
            _apply_error(form, error)
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        return _compose_with_errors(request, contact, form)
    if not _wants_partial(request):
        return redirect("texting:conversation", contact.uuid)
    thread = selectors.conversation_of(firm=request.firm, contact=contact)
    context = _thread_context(request, contact, thread, request.POST.get("since"))
    context["form"] = ComposeForm()  # a new key for the next text
    return render(request, "texting/_sent.html", context)


def _compose_with_errors(request: FirmRequest, contact: Contact, form: ComposeForm) -> HttpResponse:
    context = {"contact": contact, "form": form, "why_not": ""}
    if not _wants_partial(request):
        thread = selectors.conversation_of(firm=request.firm, contact=contact)
        context.update(_thread_context(request, contact, thread, None))
        return render(request, "texting/conversation.html", context, status=400)
    response = render(request, "texting/_compose.html", context)
    response["HX-Retarget"] = "#compose"
    response["HX-Reswap"] = "outerHTML"
    return response


@require_POST
@firm_member_required
def message_retry_view(request: FirmRequest, message_id: UUID) -> HttpResponse:
    """Retry a failed text whose reason says "try again" (C8): a new, linked attempt."""
    failed = get_object_or_404(
        Message.objects.for_firm(request.firm).select_related("conversation__contact"),
        uuid=message_id,
    )
    contact = failed.conversation.contact
    try:
        message_retry(firm=request.firm, actor=request.user, message=failed)
    except ApplicationError as error:
        messages.error(request, error.message)
        if _wants_partial(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("texting:conversation", args=[contact.uuid])
            return response
    if not _wants_partial(request):
        return redirect("texting:conversation", contact.uuid)
    context = _thread_context(request, contact, failed.conversation, request.POST.get("since"))
    return render(request, "texting/_thread.html", context)


@xframe_options_sameorigin  # a text attachment shows in a sandboxed iframe of its thread
@firm_member_required
def media_file(request: FirmRequest, media_id: UUID) -> FileResponse:
    """An accepted attachment of an inbound MMS (C7), shown inline in its thread."""
    media = get_object_or_404(
        MessageMedia.objects.for_firm(request.firm).filter(accepted=True), uuid=media_id
    )
    if not media.file:
        raise Http404
    content_type = str(media.metadata.get("content_type") or "application/octet-stream")
    response = FileResponse(media.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    # A text file or an SVG opened directly must not run as a page of ours.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
