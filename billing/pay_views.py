"""The public payment page (B5): /pay/<token>/, no sign-in, the token says which link.

The token is the only key to the page, so it is handled like a password: only its hash is
looked up (`payment_link_find`); every response is `Cache-Control: no-store`; no page sends
the address on as a Referer (`Referrer-Policy: no-referrer`, and `strict-origin` on the
pages with the form: with no-referrer a browser sends `Origin: null` with the form, which
Django's CSRF check refuses; strict-origin still sends no path anywhere); and neither
Django's request log nor its CSRF log, which write the path of a refused request, see it.
Card numbers go to the service and the gateway only: never stored (the service keeps the
last 4), never logged, never written back into the page.

`payment_submit` is called outside any transaction (it calls the gateway between two of
its own); the form's `attempt_key` makes a double click or a resubmitted page one payment.
"""

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import get_callable
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django_scopes import scope

from accounts.models import Firm

from .exceptions import PaymentInvalid, PaymentLinkUnusable
from .forms import dollars_text
from .gateway import DECLINED_CARD, ERROR_CARD, SUCCESS_CARD
from .models import Payment, PaymentLink
from .payment_forms import PaymentForm
from .payment_selectors import bill_for_link_list
from .services import payment_link_find, payment_link_problem, payment_submit

logger = logging.getLogger(__name__)

UNUSABLE_TITLES = {
    "revoked": "This payment link was cancelled",
    "expired": "This payment link has expired",
    "paid": "This bill is paid",
    "in_progress": "A payment is being processed",
}
TEST_CARDS = [
    (" ".join(number[i : i + 4] for i in range(0, len(number), 4)), outcome)
    for number, outcome in (
        (SUCCESS_CARD, "succeeds"),
        (DECLINED_CARD, "is declined"),
        (ERROR_CARD, "fails with a processing error"),
    )
]


class _CsrfWithoutPath(CsrfViewMiddleware):
    """Django's CSRF checks, unchanged; a refusal is logged without the path (the token)."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        response: HttpResponse = get_callable(settings.CSRF_FAILURE_VIEW)(request, reason=reason)
        logger.warning("Forbidden (%s): a payment page", reason, extra={"status_code": 403})
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response


_View = Callable[..., HttpResponseBase]
_csrf_protect = cast(Callable[[_View], _View], decorator_from_middleware(_CsrfWithoutPath))


def _private(view: _View) -> _View:
    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponseBase:
        try:
            response = view(request, token)
        except Exception:
            # Django would log "Internal Server Error: /pay/<token>/": the token. Logged
            # here without the path, and the visitor gets the site's error page.
            logger.exception("payment page failed")
            response = render(request, "500.html", status=500)
        add_never_cache_headers(response)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # Django logs "Not Found: /pay/<token>/" for a 4xx: that would write the token.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return wrapped


@csrf_exempt  # from the site-wide check only: _csrf_protect makes the same one, quietly
@_private
@_csrf_protect
@sensitive_post_parameters("card_number", "cvc")  # never in an error report
def pay_page(request: HttpRequest, token: str) -> HttpResponse:
    """The payment form (GET), the payment (POST), and the pages a link can end on."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    found = payment_link_find(token)
    if found is None:
        return render(request, "billing/pay_not_found.html", status=404)
    firm, link = found
    # A signed-in member of another firm may open a client's link: the link's firm decides.
    with scope(firm=firm.id), timezone.override(ZoneInfo(firm.time_zone)):
        if request.method == "POST":
            return _submit(request, firm, link)
        problem = payment_link_problem(link)
        if problem is not None:
            return _unusable(request, firm, link, problem)
        initial: dict[str, object] = {"attempt_key": uuid.uuid4()}
        if link.bill is not None:
            initial["amount"] = dollars_text(link.bill.balance_cents)
        return _form_page(request, firm, link, PaymentForm(initial=initial))


def _submit(request: HttpRequest, firm: Firm, link: PaymentLink) -> HttpResponse:
    form = PaymentForm(request.POST)
    if not form.is_valid():
        problem = payment_link_problem(link)
        if problem is not None:
            return _unusable(request, firm, link, problem)
        return _form_page(request, firm, link, form, status=400)
    try:
        payment = payment_submit(
            firm=firm,
            link=link,
            amount_cents=form.cleaned_data["amount"],
            card=form.card(),
            payer_name=form.cleaned_data["payer_name"],
            attempt_key=form.cleaned_data["attempt_key"],
        )
    except PaymentLinkUnusable as problem:
        return _unusable(request, firm, link, problem)
    except PaymentInvalid as error:
        form.add_service_error(error)
        return _form_page(request, firm, link, form, status=400)
    logger.info(
        "Payment through a link: %s",
        payment.status,
        extra={"firm_id": firm.id, "payment_link_id": link.id, "payment_id": payment.id},
    )
    if payment.status == Payment.Status.SUCCEEDED:
        return _receipt(request, firm, link, payment)
    if payment.status == Payment.Status.PENDING:
        # The same attempt, posted again while the first is still with the gateway.
        return _unusable(
            request,
            firm,
            link,
            PaymentLinkUnusable(
                "in_progress",
                "Your payment is being processed. Please wait a moment, then reload this page.",
            ),
        )
    # Declined or failed: nothing changed. The form again, with a new attempt key so that
    # trying again (another card, or the same after a processing error) is a new attempt.
    data = request.POST.copy()
    data["attempt_key"] = str(uuid.uuid4())
    retry = PaymentForm(data)
    retry.is_valid()
    return _form_page(
        request,
        firm,
        link,
        retry,
        failure=payment.failure_message or "The payment failed.",
        status=402,
    )


def _page_context(firm: Firm, link: PaymentLink) -> dict[str, object]:
    return {"pay_firm": firm, "link": link, "bill": link.bill, "matter": link.matter}


def _form_page(
    request: HttpRequest,
    firm: Firm,
    link: PaymentLink,
    form: PaymentForm,
    *,
    failure: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        **_page_context(firm, link),
        "form": form,
        "failure": failure,
        "test_cards": TEST_CARDS if _sandbox() else [],
    }
    response = render(request, "billing/pay_page.html", context, status=status)
    # The form's POST must carry this page's Origin for the CSRF check (see above).
    response["Referrer-Policy"] = "strict-origin"
    return response


def _unusable(
    request: HttpRequest, firm: Firm, link: PaymentLink, problem: PaymentLinkUnusable
) -> HttpResponse:
    context = {
        **_page_context(firm, link),
        "title": UNUSABLE_TITLES.get(problem.reason, "This link cannot take a payment"),
        "message": problem.message,
        "reason": problem.reason,
    }
    status = 409 if problem.reason == "in_progress" else 410
    return render(request, "billing/pay_unusable.html", context, status=status)


def _receipt(request: HttpRequest, firm: Firm, link: PaymentLink, payment: Payment) -> HttpResponse:
    bill = None
    if payment.bill_id is not None:
        bill = bill_for_link_list(firm=firm).get(id=payment.bill_id)  # as paid now
    context = {
        **_page_context(firm, link),
        "bill": bill,
        "payment": payment,
    }
    return render(request, "billing/pay_receipt.html", context)


def _sandbox() -> bool:
    return getattr(settings, "PAYMENT_GATEWAY", "sandbox") == "sandbox"
