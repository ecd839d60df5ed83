"""Staff pages of bank accounts (B3) and payment links (B4): the accounts and their ledgers
(a trust account's grouped by client and matter), Online payments with "Copy payment link"
under each account and the links made so far, and a bill's "Copy link to pay client
balance" with a one-click "Text this link" into the client's conversation.

Adapters only: parse, call one selector or service, render. Accounts, bills and links are
looked up inside the request's firm, so another firm's uuid is 404 (or "not found" in a
form). A link's token exists only in the response that made it: that page is never cached.
"""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import firm_member_required
from accounts.http import FirmRequest

from . import payment_selectors as selectors
from . import services
from .exceptions import BankAccountInvalid, PaymentLinkInvalid
from .models import BankAccount, Bill, PaymentLink
from .payment_forms import ACCOUNT_NOT_FOUND, BankAccountForm, BillPaymentLinkForm, ChargeLinkForm
from .templatetags.billing_amounts import money

LEDGER_PAGE_SIZE = 50
LINK_PAGE_SIZE = 25
LINK_STATES = {
    "usable": ("Usable", "badge--ok"),
    "revoked": ("Revoked", "badge--cancelled"),
    "expired": ("Expired", ""),
    "paid": ("Paid", "badge--brand"),
}


def _bill_context(bill: Bill) -> dict[str, object]:
    return {
        "bill": bill,
        "bill_url": reverse("billing:bill-detail", args=[bill.uuid]),
        "bill_label": f"Bill {bill.number}",
        "subtitle": f"Bill {bill.number} · {bill.client.name} · balance due "
        f"{money(bill.balance_cents)}",
    }


def _get_account(request: FirmRequest, account_id: UUID) -> BankAccount:
    return get_object_or_404(selectors.bank_account_list(firm=request.firm), uuid=account_id)


# --- Bank accounts ---------------------------------------------------------------------------


@firm_member_required
def account_list(request: FirmRequest) -> HttpResponse:
    """The firm's accounts with their balances, and the form that adds one."""
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.bank_account_create(
                firm=request.firm,
                actor=request.user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
            )
        except BankAccountInvalid as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"The account “{account.name}” was added.")
            return redirect("billing:account-list")
    context = {
        "section": "accounts",
        "form": form,
        "accounts": selectors.bank_account_list(firm=request.firm),
    }
    return render(request, "billing/account_list.html", context, status=400 if form.errors else 200)


@firm_member_required
def account_detail(request: FirmRequest, account_id: UUID) -> HttpResponse:
    """One account's ledger, newest first; for a trust account, first what it holds for
    each client and matter."""
    account = _get_account(request, account_id)
    entries = selectors.ledger_entry_list(firm=request.firm, account=account)
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    trust = []
    if account.kind == BankAccount.Kind.TRUST:
        trust = selectors.trust_ledger(firm=request.firm, account=account)
    context = {"section": "accounts", "account": account, "page": page, "trust": trust}
    return render(request, "billing/account_detail.html", context)


# --- Online payments -------------------------------------------------------------------------


def _online_payments(request: FirmRequest, status: int = 200) -> HttpResponse:
    links = selectors.payment_link_list(firm=request.firm)
    page = Paginator(links, LINK_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for link in page.object_list:
        label, css = LINK_STATES[selectors.payment_link_state(link)]
        rows.append((link, label, css))
    context = {
        "section": "online_payments",
        "accounts": list(selectors.bank_account_list(firm=request.firm)),
        "page": page,
        "links": rows,
    }
    return render(request, "billing/online_payments.html", context, status=status)


@firm_member_required
def online_payments(request: FirmRequest) -> HttpResponse:
    """Online payments: "Copy payment link" under each account, and the links made so far."""
    return _online_payments(request)


def _pay_url(request: FirmRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("pay:page", args=[token]))


def _link_created(
    request: FirmRequest, link: PaymentLink, token: str, bill: Bill | None
) -> HttpResponse:
    url = _pay_url(request, token)
    context: dict[str, object] = {
        "link": link,
        "url": url,
        "back_url": reverse("billing:online-payments"),
        "subtitle": f"Into {link.account.name}, any amount the client types",
    }
    if bill is not None:
        body = f"Here is the link to pay your bill {bill.number} from {request.firm.name}: {url}"
        text_url = reverse("texting:conversation", args=[bill.client.uuid])
        context.update(_bill_context(bill))
        context["text_url"] = f"{text_url}?{urlencode({'body': body})}"
        context["back_url"] = context["bill_url"]
    return render(request, "billing/link_created.html", context)


@never_cache
@require_POST
@firm_member_required
def charge_link_create(request: FirmRequest) -> HttpResponse:
    """ "Copy payment link" under an account: a link for a charge of any amount into it."""
    form = ChargeLinkForm(request.POST, firm=request.firm)
    if not form.is_valid():
        messages.error(request, ACCOUNT_NOT_FOUND)
        return _online_payments(request, status=400)
    account = form.cleaned_data["account"]
    link, token = services.payment_link_create(
        firm=request.firm, actor=request.user, account=account
    )
    return _link_created(request, link, token, None)


@require_POST
@firm_member_required
def payment_link_revoke(request: FirmRequest, link_id: UUID) -> HttpResponse:
    link = get_object_or_404(selectors.payment_link_list(firm=request.firm), uuid=link_id)
    services.payment_link_revoke(firm=request.firm, actor=request.user, link=link)
    messages.success(request, f"The link {link.token_prefix}… was revoked: it takes no payments.")
    return redirect("billing:online-payments")


@never_cache
@firm_member_required
def bill_payment_link(request: FirmRequest, bill_id: UUID) -> HttpResponse:
    """ "Copy link to pay client balance": choose the account (and an expiry); the link is
    then shown once, with "Text this link" into the client's conversation."""
    bill = get_object_or_404(selectors.bill_for_link_list(firm=request.firm), uuid=bill_id)
    accounts = list(selectors.bank_account_list(firm=request.firm))
    initial = {"account": accounts[0].uuid} if len(accounts) == 1 else {}
    form = BillPaymentLinkForm(request.POST or None, firm=request.firm, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            link, token = services.payment_link_create(
                firm=request.firm,
                actor=request.user,
                account=form.cleaned_data["account"],
                bill=bill,
                expires_at=form.expires_at(),
            )
        except PaymentLinkInvalid as error:
            form.add_service_error(error)
        else:
            return _link_created(request, link, token, bill)
    context = {**_bill_context(bill), "form": form, "has_accounts": bool(accounts)}
    return render(request, "billing/link_form.html", context, status=400 if form.errors else 200)
