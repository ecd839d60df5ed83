"""Billing pages (B1, B2, C12): the firm's time entries and bills, a matter's Activities and
Bills subtabs, the time entry form (also from a conversation: Actions → Add time), and the
printable bill page.

Adapters only: parse, call one selector or service, render. Matters, entries, bills and
conversations are looked up inside the request's firm, so another firm's uuid is 404 (or
"not found" in a form). Dates are the firm's: its zone is the request's active zone.
The payment pages (bank accounts, online payments, payment links) are payment_urls'.
"""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest
from common.exceptions import ApplicationError
from matters.models import Matter
from matters.selectors import matter_list
from matters.views import matter_tabs
from texting.models import Conversation
from texting.selectors import conversations_visible

from . import selectors, services
from .exceptions import ActivityBilled, NothingToBill
from .forms import (
    ActivityFilterForm,
    ActivityForm,
    BillFilterForm,
    RateForm,
    dollars_text,
)
from .models import Activity, Bill

PAGE_SIZE = 25


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value or "")
    except ValueError:
        return None


def _get_matter(request: FirmRequest, matter_id: UUID) -> Matter:
    return get_object_or_404(matter_list(firm=request.firm), uuid=matter_id)


def _get_activity(request: FirmRequest, activity_id: UUID) -> Activity:
    return get_object_or_404(selectors.activity_list(firm=request.firm), uuid=activity_id)


def _get_bill(request: FirmRequest, bill_id: UUID) -> Bill:
    return get_object_or_404(selectors.bill_detail_list(firm=request.firm), uuid=bill_id)


def _next_url(request: FirmRequest, default: str) -> str:
    """`next` when it is a path of this site (back to the list the user came from)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith("/") else default


def _page(request: FirmRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@firm_member_required
def index(request: FirmRequest) -> HttpResponse:
    """The Billing tab opens on the firm's time entries."""
    return redirect("billing:activity-list")


# --- The firm's time entries ------------------------------------------------------------------


def _render_activity_list(
    request: FirmRequest, rate_form: RateForm | None = None, status: int = 200
) -> HttpResponse:
    filters = ActivityFilterForm(request.GET, firm=request.firm)
    activities = selectors.activity_list(firm=request.firm, **filters.filters())
    if rate_form is None:
        rate = services.timekeeper_rate(firm=request.firm, user=request.user)
        rate_form = RateForm(initial={"rate": dollars_text(rate)})
    context = {
        "section": "activities",
        "filters": filters,
        "page": _page(request, activities),
        "totals": selectors.activity_totals(activities=activities),
        "rate_form": rate_form,
    }
    return render(request, "billing/activity_list.html", context, status=status)


@firm_member_required
def activity_list(request: FirmRequest) -> HttpResponse:
    """The firm's time entries (`?user=`, `?matter=`, `?billed=billed|unbilled`) with what
    they come to, and the signed-in user's default rate."""
    return _render_activity_list(request)


@require_POST
@firm_member_required
def timekeeper_rate_set(request: FirmRequest) -> HttpResponse:
    """Set the signed-in user's default rate (prefilled in their new time entries)."""
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.timekeeper_rate_set(
                firm=request.firm,
                actor=request.user,
                user=request.user,
                rate_cents=form.cleaned_data["rate"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Your default rate was saved.")
            return redirect("billing:activity-list")
    return _render_activity_list(request, rate_form=form, status=400)


# --- The time entry form ------------------------------------------------------------------------


def _conversation_param(request: FirmRequest) -> Conversation | None:
    """The conversation of `?conversation=<uuid>` (time spent texting, C12); 404 when it
    names none of the firm's."""
    if "conversation" not in request.GET:
        return None
    conversation_id = _uuid(request.GET.get("conversation"))
    if conversation_id is None:
        raise Http404("No such conversation.")
    conversations = conversations_visible(firm=request.firm).select_related("contact")
    return get_object_or_404(conversations, uuid=conversation_id)


def _matter_param(request: FirmRequest) -> Matter | None:
    """The matter of `?matter=<uuid>` (New time entry on a matter), or None: another firm's
    uuid is ignored like a malformed one."""
    matter_id = _uuid(request.GET.get("matter"))
    if matter_id is None:
        return None
    return matter_list(firm=request.firm).filter(uuid=matter_id).first()


def _conversation_form(
    request: FirmRequest, conversation: Conversation
) -> tuple[ActivityForm, dict[str, Any]]:
    """The form prefilled from the conversation: its description and date, the user's rate,
    and the contact's matters only (the one, when there is one)."""
    message_ids = [_uuid(value) for value in request.GET.getlist("messages")]
    proposal = services.conversation_time_defaults(
        firm=request.firm,
        user=request.user,
        conversation=conversation,
        message_uuids=[value for value in message_ids if value is not None] or None,
    )
    initial = ActivityForm.initial_new(
        user=request.user,
        rate_cents=proposal.rate_cents,
        matter=proposal.matters[0] if len(proposal.matters) == 1 else None,
        day=proposal.date,
    )
    initial["description"] = proposal.description
    matters = selectors.contact_matter_list(firm=request.firm, contact=conversation.contact)
    form = ActivityForm(request.POST or None, firm=request.firm, matters=matters, initial=initial)
    return form, {"conversation": conversation, "proposal": proposal}


@firm_member_required
def activity_create(request: FirmRequest) -> HttpResponse:
    """New time entry. `?matter=<uuid>` preselects a matter; `?conversation=<uuid>` (and
    optionally `&messages=<uuid>…`) logs time spent texting (C12): prefilled, one of the
    contact's matters, linked to the conversation, then back to the conversation."""
    conversation = _conversation_param(request)
    matter = _matter_param(request)
    context: dict[str, Any] = {"conversation": None}
    if conversation is not None:
        form, context = _conversation_form(request, conversation)
        done_url = reverse("texting:conversation", args=[conversation.contact.uuid])
    else:
        rate = services.timekeeper_rate(firm=request.firm, user=request.user)
        initial = ActivityForm.initial_new(user=request.user, rate_cents=rate, matter=matter)
        form = ActivityForm(request.POST or None, firm=request.firm, initial=initial)
        done_url = (
            reverse("billing:matter-activities", args=[matter.uuid])
            if matter
            else reverse("billing:activity-list")
        )
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(
                firm=request.firm,
                actor=request.user,
                user=form.cleaned_data["user"],
                conversation=conversation,
                **form.service_kwargs(),
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Time entry added to {activity.matter.display_number}.")
            return redirect(done_url)
    context.update({"form": form, "activity": None, "cancel_url": done_url})
    return render(request, "billing/activity_form.html", context)


@firm_member_required
def activity_edit(request: FirmRequest, activity_id: UUID) -> HttpResponse:
    """Change an unbilled entry; a billed one is shown read-only, with why."""
    activity = _get_activity(request, activity_id)
    done_url = _next_url(request, reverse("billing:activity-list"))
    context: dict[str, Any] = {"activity": activity, "cancel_url": done_url, "next": done_url}
    if activity.is_billed:
        context["billed_reason"] = ActivityBilled().message
        status = 409 if request.method == "POST" else 200
        return render(request, "billing/activity_form.html", context, status=status)
    form = ActivityForm(
        request.POST or None,
        firm=request.firm,
        with_user=False,
        initial=ActivityForm.initial_for(activity),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                firm=request.firm, actor=request.user, activity=activity, **form.service_kwargs()
            )
        except ApplicationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "The time entry was saved.")
            return redirect(done_url)
    context["form"] = form
    return render(request, "billing/activity_form.html", context)


@require_POST
@firm_member_required
def activity_delete(request: FirmRequest, activity_id: UUID) -> HttpResponse:
    activity = _get_activity(request, activity_id)
    done_url = _next_url(request, reverse("billing:activity-list"))
    try:
        services.activity_delete(firm=request.firm, actor=request.user, activity=activity)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:activity-edit", activity.uuid)
    messages.success(request, "The time entry was deleted.")
    return redirect(done_url)


# --- A matter's Activities and Bills subtabs ----------------------------------------------------


def _matter_page(
    request: FirmRequest, template: str, matter: Matter, active: str, **context: Any
) -> HttpResponse:
    context.update({"matter": matter, "tabs": matter_tabs(matter), "active": active})
    return render(request, template, context)


@firm_member_required
def matter_activities(request: FirmRequest, matter_id: UUID) -> HttpResponse:
    """A matter's time entries, what they come to and what is still unbilled."""
    matter = _get_matter(request, matter_id)
    activities = selectors.activity_list(firm=request.firm, matter=matter)
    return _matter_page(
        request,
        "billing/matter_activities.html",
        matter,
        "activities",
        page=_page(request, activities),
        totals=selectors.activity_totals(activities=activities),
    )


@firm_member_required
def matter_bills(request: FirmRequest, matter_id: UUID) -> HttpResponse:
    """A matter's bills, and Generate bill (disabled, with why, when nothing is unbilled)."""
    matter = _get_matter(request, matter_id)
    unbilled = selectors.matter_unbilled_totals(firm=request.firm, matter=matter)
    return _matter_page(
        request,
        "billing/matter_bills.html",
        matter,
        "bills",
        page=_page(request, selectors.bill_list(firm=request.firm, matter=matter)),
        unbilled=unbilled,
        nothing_to_bill=NothingToBill().message if unbilled.unbilled_count == 0 else "",
    )


@require_POST
@firm_member_required
def bill_generate(request: FirmRequest, matter_id: UUID) -> HttpResponse:
    """A draft bill of the matter's unbilled billable time."""
    matter = _get_matter(request, matter_id)
    try:
        bill = services.bill_generate(firm=request.firm, actor=request.user, matter=matter)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:matter-bills", matter.uuid)
    messages.success(request, f"Bill {bill.number} was created as a draft: review and issue it.")
    return redirect("billing:bill-detail", bill.uuid)


# --- Bills ----------------------------------------------------------------------------------


@firm_member_required
def bill_list(request: FirmRequest) -> HttpResponse:
    """The firm's bills, highest number first (`?state=draft|awaiting_payment|paid`)."""
    filters = BillFilterForm(request.GET)
    bills = selectors.bill_list(firm=request.firm, state=filters.state_value() or None)
    context = {"section": "bills", "filters": filters, "page": _page(request, bills)}
    return render(request, "billing/bill_list.html", context)


@firm_member_required
def bill_detail(request: FirmRequest, bill_id: UUID) -> HttpResponse:
    """The bill as the client reads it (printable), with its actions."""
    bill = _get_bill(request, bill_id)
    context = {
        "bill": bill,
        "line_items": list(bill.line_items.all()),
        "payments": bill.succeeded_payments,  # type: ignore[attr-defined]  # the selector's
        "is_draft": bill.state == Bill.State.DRAFT,
        "can_take_payment": bill.state == Bill.State.AWAITING_PAYMENT and bill.balance_cents > 0,
    }
    return render(request, "billing/bill_detail.html", context)


@require_POST
@firm_member_required
def bill_issue(request: FirmRequest, bill_id: UUID) -> HttpResponse:
    bill = _get_bill(request, bill_id)
    try:
        issued = services.bill_issue(firm=request.firm, actor=request.user, bill=bill)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Bill {issued.number} was issued.")
    return redirect("billing:bill-detail", bill.uuid)


@require_POST
@firm_member_required
def bill_delete(request: FirmRequest, bill_id: UUID) -> HttpResponse:
    bill = _get_bill(request, bill_id)
    try:
        services.bill_delete(firm=request.firm, actor=request.user, bill=bill)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing:bill-detail", bill.uuid)
    messages.success(
        request, f"Draft bill {bill.number} was deleted; its time entries are unbilled again."
    )
    return redirect("billing:matter-bills", bill.matter.uuid)
