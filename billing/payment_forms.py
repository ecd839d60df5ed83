"""Forms of the bank account and payment link pages (B3, B4) and of the public payment page
(B5). References (an account) are resolved inside the firm given to `__init__`, so another
firm's uuid is "not found" and never its data.
"""

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.utils import timezone

from accounts.models import Firm
from common.exceptions import ApplicationError

from .forms import parse_dollars
from .gateway import Card
from .models import BankAccount
from .payment_selectors import bank_account_list

ACCOUNT_NOT_FOUND = "Account not found: choose one of the firm's accounts."
MAX_EXPIRY_DAYS = 365


def _place_service_error(form: forms.Form, error: ApplicationError) -> None:
    """A service's refusal, as a sentence on the first field it names that the form has
    (or on the form as a whole)."""
    for name in error.fields:
        if name in form.fields:
            form.add_error(name, error.message)
            return
    form.add_error(None, error.message)


class BankAccountForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="As the firm calls it, e.g. “IOLTA trust”.")
    kind = forms.ChoiceField(
        label="Kind",
        choices=BankAccount.Kind.choices,
        initial=BankAccount.Kind.OPERATING,
        widget=forms.RadioSelect,
    )

    def add_service_error(self, error: ApplicationError) -> None:
        _place_service_error(self, error)


class AccountChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An account of the firm named by uuid; a malformed uuid is "not found", like another
    firm's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=BankAccount.objects.none(),
            to_field_name="uuid",
            error_messages={"invalid_choice": ACCOUNT_NOT_FOUND},
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            UUID(str(value))
        except ValueError:
            raise forms.ValidationError(ACCOUNT_NOT_FOUND, code="invalid_choice") from None
        return super().to_python(value)

    def label_from_instance(self, obj: Any) -> str:
        account: BankAccount = obj
        return f"{account.name} ({account.get_kind_display()})"


class ChargeLinkForm(forms.Form):
    """ "Copy payment link" under an account: a charge of any amount into it."""

    account = AccountChoiceField()

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = bank_account_list(firm=firm)  # type: ignore[attr-defined]


class BillPaymentLinkForm(forms.Form):
    """A link to pay a bill's balance: into which account, and for how long."""

    account = AccountChoiceField(label="Deposit into", widget=forms.RadioSelect, empty_label=None)
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text="Leave empty for a link that works until the bill is paid or you revoke it.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, firm: Firm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = bank_account_list(firm=firm)  # type: ignore[attr-defined]

    def expires_at(self, now: datetime | None = None) -> datetime | None:
        days = self.cleaned_data.get("expires_in_days")
        return (now or timezone.now()) + timedelta(days=days) if days else None

    def add_service_error(self, error: ApplicationError) -> None:
        if "expires_at" in error.fields:
            self.add_error("expires_in_days", error.message)
        else:
            _place_service_error(self, error)


# --- The public payment page -----------------------------------------------------------------


class NoEchoInput(forms.TextInput):
    """A text box that never writes what was typed back into the page: card numbers and
    security codes are typed again after an error, never sent back to the browser."""

    def format_value(self, value: Any) -> str | None:
        return None


_EXPIRY = re.compile(r"^(\d{1,2})\s*/?\s*(\d{2}|\d{4})$")


class PaymentForm(forms.Form):
    """What the payer types. The amount is read as dollars and cents; the card as digits
    (spaces and dashes allowed); the expiry as MM/YY. Limits the service decides (the
    bill's balance, the Luhn check, an expired card) come back from it as field errors."""

    amount = forms.CharField(
        label="Amount (USD)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    payer_name = forms.CharField(
        label="Name on card",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    card_number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=NoEchoInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "1234 1234 1234 1234",
            }
        ),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": "MM/YY"}
        ),
    )
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=NoEchoInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}
        ),
    )
    attempt_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        try:
            cents = parse_dollars(self.cleaned_data["amount"])
        except ValueError:
            raise forms.ValidationError(
                "Enter an amount in dollars and cents, like 120.50."
            ) from None
        if cents <= 0:
            raise forms.ValidationError("Enter an amount above $0.00.")
        return cents

    def clean_payer_name(self) -> str:
        name = " ".join(self.cleaned_data["payer_name"].split())
        if not name:
            raise forms.ValidationError("Enter the name on the card.")
        return name

    def clean_card_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise forms.ValidationError("Enter the card number: 12 to 19 digits.")
        return digits

    def clean_expiry(self) -> tuple[int, int]:
        match = _EXPIRY.match(self.cleaned_data["expiry"].strip())
        if not match:
            raise forms.ValidationError("Enter the expiry as MM/YY, like 04/29.")
        month, year = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise forms.ValidationError("The month is 01 to 12.")
        return month, year if year >= 100 else 2000 + year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not (cvc.isdigit() and len(cvc) in (3, 4)):
            raise forms.ValidationError("The security code is the 3 or 4 digits on the card.")
        return cvc

    def card(self) -> Card:
        month, year = self.cleaned_data["expiry"]
        return Card(
            number=self.cleaned_data["card_number"],
            exp_month=month,
            exp_year=year,
            cvc=self.cleaned_data["cvc"],
        )

    def add_service_error(self, error: ApplicationError) -> None:
        _place_service_error(self, error)
