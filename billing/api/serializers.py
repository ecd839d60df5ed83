"""Billing API serializers (B1–B5, A1) in Clio v4's names: activities (time entries), bills,
bank accounts and payment links.

Units, the same on every resource: money is integer cents in fields ending `_cents`
(`rate_cents` an hour, `total_cents`, `paid_cents`, `balance_cents`), never a decimal;
durations are integer seconds in `quantity` (Clio's name and unit). Dates are `YYYY-MM-DD`.

Every reference (matter, user, conversation, bank account, bill) is resolved inside the
request's firm, so another firm's uuid reads exactly like a missing one: "not found" (T1).
"""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Firm, User
from common.api.fields import FirmScopedRelatedField
from matters.models import Matter
from texting.models import Conversation

from ..models import Activity, BankAccount, Bill, PaymentLink
from ..payment_selectors import payment_link_state
from ..selectors import timekeeper_list
from ..services.activities import MAX_RATE_CENTS, MAX_SECONDS

ACTIVITY_TYPES = [("TimeEntry", "Time entry")]
ACCOUNT_TYPES = [(value, str(label)) for value, label in BankAccount.Kind.choices]
BILL_STATES = [(value, str(label)) for value, label in Bill.State.choices]
LINK_KINDS = [(value, str(label)) for value, label in PaymentLink.Kind.choices]
LINK_STATES = [
    ("usable", "Usable"),
    ("revoked", "Revoked"),
    ("expired", "Expired"),
    ("paid", "Paid"),
]


def _enum(choices: list[tuple[str, str]], *, description: str) -> dict[str, Any]:
    """An enum kept inline (under allOf, which the schema's enum hook leaves alone): `type`,
    `state` and `status` name other choice sets on other resources, and named enum
    components for them would collide. The description keeps drf-spectacular from
    unwrapping the allOf."""
    return {
        "allOf": [{"type": "string", "enum": [value for value, _ in choices]}],
        "description": description,
    }


def _firm_matters(firm: Firm) -> QuerySet[Matter]:
    return Matter.objects.for_firm(firm)


def _firm_users(firm: Firm) -> QuerySet[User]:
    return timekeeper_list(firm=firm)


def _firm_conversations(firm: Firm) -> QuerySet[Conversation]:
    return Conversation.objects.for_firm(firm)


def _firm_accounts(firm: Firm) -> QuerySet[BankAccount]:
    return BankAccount.objects.for_firm(firm)


def _firm_bills(firm: Firm) -> QuerySet[Bill]:
    return Bill.objects.for_firm(firm).select_related("matter")


def _reference(queryset: Any, name: str, **kwargs: Any) -> FirmScopedRelatedField:
    kwargs.setdefault("help_text", '{"id": "<uuid>"} or a bare uuid.')
    return FirmScopedRelatedField(model_queryset=queryset, model_name=name, **kwargs)


def _user_name(user: User) -> str:
    return user.get_full_name() or user.email


@extend_schema_field(_enum(ACCOUNT_TYPES, description="An operating or a trust account."))
class AccountTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ACCOUNT_TYPES, **kwargs)


# --- Shared output pieces -------------------------------------------------------------------


class BillingIdOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")


class BillingMatterOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    display_number = serializers.CharField()


class BillingPersonOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return _user_name(user)


class BillingClientOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()


class BillingErrorOutput(serializers.Serializer):  # type: ignore[type-arg]
    """`{"error": {...}}` as every API error (common/api/errors.py)."""

    error = serializers.DictField(
        help_text='{"type": str, "message": the sentence to show, "fields": {name: [str]}}'
    )


# --- Activities (time entries) --------------------------------------------------------------


class ActivityOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    type = serializers.SerializerMethodField()
    date = serializers.DateField()
    quantity = serializers.IntegerField(source="quantity_seconds", help_text="Seconds worked.")
    rate_cents = serializers.IntegerField(help_text="Hourly rate in cents.")
    total_cents = serializers.IntegerField(
        help_text="quantity × rate, to the nearest cent; 0 when not billable."
    )
    description = serializers.CharField()
    billable = serializers.BooleanField()
    billed = serializers.BooleanField(source="is_billed", help_text="On a bill: read-only now.")
    bill = BillingIdOutput(allow_null=True)
    matter = BillingMatterOutput()
    user = BillingPersonOutput(help_text="Whose time it is.")
    conversation = BillingIdOutput(
        allow_null=True, help_text="The text conversation it was logged from, or null."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(_enum(ACTIVITY_TYPES, description="Always TimeEntry (Clio's type)."))
    def get_type(self, activity: Activity) -> str:
        return "TimeEntry"


class ActivityListFilter(serializers.Serializer):  # type: ignore[type-arg]
    matter_id = serializers.UUIDField(required=False, help_text="Only this matter's entries.")
    user_id = serializers.UUIDField(required=False, help_text="Only this user's entries.")
    billed = serializers.BooleanField(
        required=False, help_text="true: only entries on a bill; false: only unbilled ones."
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only entries changed at or after."
    )


_QUANTITY_HELP = "Seconds worked (Clio's unit), more than 0 and at most 86400."
_RATE_HELP = "Hourly rate in cents (30000 = $300.00 an hour), 0 to 1000000."


class ActivityCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    matter = _reference(_firm_matters, "matter")
    user = _reference(
        _firm_users, "user", required=False, help_text="Defaults to the token's user."
    )
    date = serializers.DateField(required=False, help_text="Defaults to today (firm's time).")
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_SECONDS, help_text=_QUANTITY_HELP
    )
    rate_cents = serializers.IntegerField(
        min_value=0,
        max_value=MAX_RATE_CENTS,
        required=False,
        help_text=_RATE_HELP + " Defaults to the user's default rate.",
    )
    description = serializers.CharField(max_length=2000, help_text="What the work was.")
    billable = serializers.BooleanField(default=True)
    conversation = _reference(
        _firm_conversations,
        "conversation",
        required=False,
        allow_null=True,
        default=None,
        help_text='The text conversation it was logged from: {"id": "<uuid>"} or null.',
    )


class ActivityUpdateInput(serializers.Serializer):  # type: ignore[type-arg]
    """Only the fields given change; a billed entry cannot change (409)."""

    matter = _reference(_firm_matters, "matter", required=False)
    date = serializers.DateField(required=False)
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_SECONDS, required=False, help_text=_QUANTITY_HELP
    )
    rate_cents = serializers.IntegerField(
        min_value=0, max_value=MAX_RATE_CENTS, required=False, help_text=_RATE_HELP
    )
    description = serializers.CharField(max_length=2000, required=False)
    billable = serializers.BooleanField(required=False)


# --- Bills ----------------------------------------------------------------------------------


class BillLineItemOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A time entry as the bill shows it: copied when the bill was generated."""

    id = serializers.UUIDField(source="uuid")
    activity = BillingIdOutput(help_text="The time entry it was copied from.")
    date = serializers.DateField()
    description = serializers.CharField()
    user_name = serializers.CharField()
    quantity = serializers.IntegerField(source="quantity_seconds", help_text="Seconds.")
    rate_cents = serializers.IntegerField(help_text="Hourly rate in cents.")
    total_cents = serializers.IntegerField()


class BillPaymentOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A succeeded payment of the bill (declined and failed attempts change nothing)."""

    id = serializers.UUIDField(source="uuid")
    amount_cents = serializers.IntegerField()
    bank_account = BillingIdOutput(source="account", help_text="Where it was deposited.")
    payer_name = serializers.CharField()
    card_last4 = serializers.CharField()
    created_at = serializers.DateTimeField(help_text="When it was paid.")


class BillOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    number = serializers.IntegerField(help_text="1, 2, 3 … per firm.")
    state = serializers.SerializerMethodField()
    matter = BillingMatterOutput()
    client = BillingClientOutput()
    issued_at = serializers.DateField(source="issued_on", help_text="The bill's date.")
    due_at = serializers.DateField(source="due_on", help_text="The date payment is due.")
    total_cents = serializers.IntegerField()
    paid_cents = serializers.IntegerField(help_text="The sum of the succeeded payments.")
    balance_cents = serializers.IntegerField(help_text="total_cents − paid_cents.")
    line_items = BillLineItemOutput(many=True, source="line_items.all")
    payments = BillPaymentOutput(
        many=True, source="succeeded_payments", help_text="Succeeded payments, oldest first."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(
        _enum(BILL_STATES, description="draft → awaiting_payment (issued) → paid.")
    )
    def get_state(self, bill: Bill) -> str:
        return bill.state


class BillListFilter(serializers.Serializer):  # type: ignore[type-arg]
    matter_id = serializers.UUIDField(required=False, help_text="Only this matter's bills.")
    state = serializers.ChoiceField(choices=BILL_STATES, required=False)
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only bills changed at or after (a payment changes a bill)."
    )


class BillCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    matter = _reference(_firm_matters, "matter")
    issued_at = serializers.DateField(required=False, help_text="Defaults to today.")
    due_at = serializers.DateField(required=False, help_text="Defaults to 30 days after.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        issued, due = attrs.get("issued_at"), attrs.get("due_at")
        if issued is not None and due is not None and due < issued:
            raise serializers.ValidationError({"due_at": ["Due before the bill's date."]})
        return attrs


# --- Bank accounts --------------------------------------------------------------------------


class BankAccountListFilter(serializers.Serializer):  # type: ignore[type-arg]
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only accounts changed at or after (a payment changes one)."
    )


class BankAccountOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    type = serializers.SerializerMethodField()
    balance_cents = serializers.IntegerField(help_text="The sum of what was deposited, in cents.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(_enum(ACCOUNT_TYPES, description="An operating or a trust account."))
    def get_type(self, account: BankAccount) -> str:
        return account.kind


class BankAccountCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=100, help_text="Unique in the firm.")
    type = AccountTypeField()


# --- Payment links --------------------------------------------------------------------------


class PaymentLinkAccountOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    type = serializers.SerializerMethodField()

    @extend_schema_field(_enum(ACCOUNT_TYPES, description="An operating or a trust account."))
    def get_type(self, account: BankAccount) -> str:
        return account.kind


class PaymentLinkBillOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="uuid")
    number = serializers.IntegerField()
    balance_cents = serializers.IntegerField()


class PaymentLinkOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A payment link; never its token, which only the create response carries (in `url`)."""

    id = serializers.UUIDField(source="uuid")
    kind = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    bank_account = PaymentLinkAccountOutput(source="account")
    bill = PaymentLinkBillOutput(allow_null=True)
    matter = BillingMatterOutput(allow_null=True)
    created_by = BillingPersonOutput(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(
        _enum(LINK_KINDS, description="bill: pays a bill's balance; charge: any amount.")
    )
    def get_kind(self, link: PaymentLink) -> str:
        return link.kind

    @extend_schema_field(
        _enum(
            LINK_STATES,
            description="usable, or why it takes no payment: revoked, expired, or its bill paid.",
        )
    )
    def get_state(self, link: PaymentLink) -> str:
        return payment_link_state(link)


class PaymentLinkCreatedOutput(PaymentLinkOutput):
    url = serializers.SerializerMethodField(
        help_text="The link to text the client. Shown only in this response: store it now."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, link: PaymentLink) -> str:
        return str(self.context["url"])


class PaymentLinkListFilter(serializers.Serializer):  # type: ignore[type-arg]
    bill_id = serializers.UUIDField(required=False, help_text="Only this bill's links.")
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only links changed at or after."
    )


class PaymentLinkCreateInput(serializers.Serializer):  # type: ignore[type-arg]
    bank_account = _reference(_firm_accounts, "bank account", help_text="Where money goes.")
    bill = _reference(
        _firm_bills,
        "bill",
        required=False,
        allow_null=True,
        default=None,
        help_text="An issued bill whose balance the link pays; null for a charge of any amount.",
    )
    matter = _reference(
        _firm_matters,
        "matter",
        required=False,
        allow_null=True,
        default=None,
        help_text="What a charge is for (a trust deposit is held for its client); "
        "a bill's link takes the bill's matter.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Null: never expires."
    )
