"""Settings > Text Messaging (S1–S4, C6): admins only (T2); firms whose plan or region has no
texting see the sentence that says why and nothing else (T3).

"Get started" is a three-step form kept in the session (business → verification → review);
each step re-validates what the earlier ones stored, and only Submit on the review calls the
service. The same steps serve firms that set up before verification existed: they already
have a number, so Submit only files the verification request.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.decorators import View, firm_admin_required
from accounts.http import FirmRequest
from accounts.selectors import texting_availability
from common.exceptions import ApplicationError

from .models import TextingSettings, VerificationSubmission
from .notification_texts import NotificationKind, notification_text, sample_event
from .selectors import texting_settings_get
from .services.setup import event_reminders_update, texting_details_update, texting_setup_submit
from .settings_forms import (
    EventRemindersForm,
    SetupBusinessForm,
    SetupVerificationForm,
    TextingDetailsForm,
    setup_details,
)
from .setup_selectors import (
    dropped_inbound_list,
    notification_template_previews,
    verification_submission_latest,
)

DROPPED_PER_PAGE = 25
TEMPLATE_DIR = "texting/settings"
SUBMITTED = (
    TextingSettings.VerificationStatus.PENDING,
    TextingSettings.VerificationStatus.VERIFIED,
)


def texting_settings_page(*, refuse_status: int = 403) -> Callable[[View], View]:
    """Admins only (403 for staff); a firm without texting gets the reason, never a form."""

    def decorate(view: View) -> View:
        @firm_admin_required
        @wraps(view)
        def wrapped(request: FirmRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            availability = texting_availability(firm=request.firm)
            if not availability.available:
                context = {"active": "", "availability": availability, "unavailable": True}
                return render(
                    request, f"{TEMPLATE_DIR}/unavailable.html", context, status=refuse_status
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _page(request: FirmRequest, template: str, active: str, **context: Any) -> HttpResponse:
    context.setdefault("texting_settings", texting_settings_get(firm=request.firm))
    return render(request, f"{TEMPLATE_DIR}/{template}", {"active": active, **context})


@texting_settings_page(refuse_status=200)
def text_messaging_overview(request: FirmRequest) -> HttpResponse:
    settings = texting_settings_get(firm=request.firm)
    has_number = bool(request.firm.toll_free_number_e164)
    return _page(
        request,
        "overview.html",
        "overview",
        texting_settings=settings,
        has_number=has_number,
        can_submit_verification=has_number and settings.verification_status not in SUBMITTED,
        draft=_draft(request) is not None,
    )


# --- Get started: business → verification → review → submit (S1, S2) -------------------------


def _draft_key(request: FirmRequest) -> str:
    return f"texting_setup:{request.firm.uuid}"


def _draft(request: FirmRequest) -> dict[str, dict[str, str]] | None:
    draft = request.session.get(_draft_key(request))
    return draft if isinstance(draft, dict) else None


def _draft_save(request: FirmRequest, step: str, form: forms.Form) -> None:
    draft = _draft(request) or {}
    draft[step] = {name: str(request.POST.get(name, "")) for name in form.fields}
    request.session[_draft_key(request)] = draft


def _setup_done(request: FirmRequest) -> bool:
    settings = texting_settings_get(firm=request.firm)
    return bool(request.firm.toll_free_number_e164) and settings.verification_status in SUBMITTED


def _initial(request: FirmRequest, step: str) -> dict[str, Any]:
    """What the form starts with: the firm's last submission, else what we know already."""
    latest = verification_submission_latest(firm=request.firm)
    settings = texting_settings_get(firm=request.firm)
    if step == "business":
        initial: dict[str, Any] = {
            "legal_name": request.firm.name,
            "contact_first_name": request.user.first_name,
            "contact_last_name": request.user.last_name,
            "contact_email": request.user.email,
            "entity_type": VerificationSubmission.EntityType.PRIVATE_PROFIT,
        }
        if latest is not None:
            initial.update(
                {
                    name: getattr(latest, name)
                    for name in SetupBusinessForm.base_fields
                    if hasattr(latest, name)
                }
            )
            initial["contact_phone"] = latest.contact_phone_e164
        initial["alternative_phone"] = settings.alternative_phone_e164
        initial["alternative_email"] = settings.alternative_email
        return initial
    if latest is not None:
        return {name: getattr(latest, name) for name in SetupVerificationForm.base_fields}
    sample = notification_text(
        NotificationKind.REMINDER,
        firm_name=request.firm.name,
        time_zone=request.firm.time_zone,
        event=sample_event(now=timezone.now(), time_zone=request.firm.time_zone),
        alternative_phone_e164=settings.alternative_phone_e164,
        alternative_email=settings.alternative_email,
    )
    return {
        "use_case_summary": (
            "Calendar notifications and reminders to the firm's clients, and two-way "
            "conversations with clients about their legal matters."
        ),
        "sample_message": sample,
        "opt_in_description": (
            "Clients give their mobile number and tick a box agreeing to receive texts "
            "from the firm on the signed intake form; they can reply STOP at any time."
        ),
    }


def _setup_step(
    request: FirmRequest, *, step: str, form_class: type[forms.Form], next_url: str
) -> HttpResponse:
    if _setup_done(request):
        messages.info(request, "Your firm's verification request is already filed.")
        return redirect("settings:text-messaging")
    draft = _draft(request) or {}
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            _draft_save(request, step, form)
            return redirect(next_url)
    elif step in draft:
        form = form_class(draft[step])
    else:
        form = form_class(initial=_initial(request, step))
    return _page(
        request,
        f"setup_{step}.html",
        "overview",
        form=form,
        step=step,
        has_number=bool(request.firm.toll_free_number_e164),
    )


@texting_settings_page()
def text_messaging_setup(request: FirmRequest) -> HttpResponse:
    return _setup_step(
        request,
        step="business",
        form_class=SetupBusinessForm,
        next_url="settings:text-messaging-setup-verification",
    )


@texting_settings_page()
def text_messaging_setup_verification(request: FirmRequest) -> HttpResponse:
    if "business" not in (_draft(request) or {}):
        return redirect("settings:text-messaging-setup")
    return _setup_step(
        request,
        step="verification",
        form_class=SetupVerificationForm,
        next_url="settings:text-messaging-setup-review",
    )


def _review_rows(form: forms.Form) -> list[tuple[str, str]]:
    rows = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if isinstance(field, forms.ChoiceField):
            value = dict(field.choices).get(value, value)  # type: ignore[arg-type]
        rows.append((str(field.label or name), "" if value is None else str(value)))
    return rows


@texting_settings_page()
def text_messaging_setup_review(request: FirmRequest) -> HttpResponse:
    if _setup_done(request):
        return redirect("settings:text-messaging")
    draft = _draft(request) or {}
    business = SetupBusinessForm(draft.get("business"))
    verification = SetupVerificationForm(draft.get("verification"))
    if not business.is_valid():
        return redirect("settings:text-messaging-setup")
    if not verification.is_valid():
        return redirect("settings:text-messaging-setup-verification")
    error = None
    if request.method == "POST":
        try:
            texting_setup_submit(
                firm=request.firm,
                actor=request.user,
                details=setup_details(business.cleaned_data, verification.cleaned_data),
            )
        except ApplicationError as exc:
            error = exc
        else:
            request.session.pop(_draft_key(request), None)
            messages.success(request, "Text messaging is set up; verification is pending.")
            return redirect("settings:text-messaging")
    return _page(
        request,
        "setup_review.html",
        "overview",
        business_rows=_review_rows(business),
        verification_rows=_review_rows(verification),
        error=error,
        has_number=bool(request.firm.toll_free_number_e164),
    )


# --- Your details, event reminders, templates (S4) ---------------------------------------------


@texting_settings_page()
def text_messaging_details(request: FirmRequest) -> HttpResponse:
    settings = texting_settings_get(firm=request.firm)
    form = TextingDetailsForm(
        request.POST or None,
        initial={
            "alternative_phone": settings.alternative_phone_e164,
            "alternative_email": settings.alternative_email,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            texting_details_update(
                firm=request.firm,
                actor=request.user,
                alternative_phone_e164=form.cleaned_data["alternative_phone"],
                alternative_email=form.cleaned_data["alternative_email"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your details were saved.")
            return redirect("settings:text-messaging-details")
    return _page(request, "details.html", "details", form=form)


@texting_settings_page()
def text_messaging_reminders(request: FirmRequest) -> HttpResponse:
    settings = texting_settings_get(firm=request.firm)
    initial_days = "" if settings.event_reminder_days is None else str(settings.event_reminder_days)
    form = EventRemindersForm(request.POST or None, initial={"days": initial_days})
    if request.method == "POST" and form.is_valid():
        try:
            event_reminders_update(
                firm=request.firm, actor=request.user, days=form.cleaned_data["days"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Event reminders were saved.")
            return redirect("settings:text-messaging-reminders")
    return _page(request, "reminders.html", "reminders", form=form)


@texting_settings_page()
def text_messaging_templates(request: FirmRequest) -> HttpResponse:
    settings = texting_settings_get(firm=request.firm)
    previews = notification_template_previews(
        firm=request.firm, settings=settings, now=timezone.now()
    )
    return _page(request, "templates.html", "templates", previews=previews)


# --- Dropped inbound texts (C6) ------------------------------------------------------------------


@texting_settings_page()
def text_messaging_dropped(request: FirmRequest) -> HttpResponse:
    paginator = Paginator(dropped_inbound_list(firm=request.firm), DROPPED_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return _page(request, "dropped.html", "dropped", page_obj=page_obj)
