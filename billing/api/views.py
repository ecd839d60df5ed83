"""Billing API (B1–B5, A1) in Clio v4's shape: /api/v1/activities/ (time entries),
/api/v1/bills/, /api/v1/bank_accounts/ and /api/v1/payment_links/.

Every write goes through billing.services; lookups start from the request's firm, so
another firm's id is 404 like a missing one (T1). Money is integer cents, durations seconds
(see serializers.py).
"""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from common.api.envelope import envelope, enveloped
from common.api.pagination import EnvelopeCursorPagination
from common.api.views import FirmAPIView

from .. import payment_selectors, selectors, services
from ..models import Activity, BankAccount, Bill, PaymentLink
from .serializers import (
    ActivityCreateInput,
    ActivityListFilter,
    ActivityOutput,
    ActivityUpdateInput,
    BankAccountCreateInput,
    BankAccountListFilter,
    BankAccountOutput,
    BillCreateInput,
    BillingErrorOutput,
    BillListFilter,
    BillOutput,
    PaymentLinkCreatedOutput,
    PaymentLinkCreateInput,
    PaymentLinkListFilter,
    PaymentLinkOutput,
)

_E = BillingErrorOutput
_READ_ERRORS: dict[int, Any] = {403: _E, 404: _E}
_CREATE_ERRORS: dict[int, Any] = {400: _E, 403: _E}
_WRITE_ERRORS: dict[int, Any] = {400: _E, 403: _E, 404: _E}
_CONFLICT_ERRORS: dict[int, Any] = {403: _E, 404: _E, 409: _E}
_LIMIT = OpenApiParameter("limit", int, description="Rows per page, at most 200.")


class _BillingApi(FirmAPIView):
    @property
    def actor(self) -> User:
        return self.membership.user

    def filters(self, serializer_class: type[Any], request: Request) -> dict[str, Any]:
        # .dict(): a BooleanField reads a missing key of a QueryDict as an unticked box.
        given = serializer_class(data=request.query_params.dict())
        given.is_valid(raise_exception=True)
        return dict(given.validated_data)


# --- Activities (time entries) --------------------------------------------------------------

ACTIVITY_TAGS = ["Activities"]


class ActivityPagination(EnvelopeCursorPagination):
    ordering = ("-date", "-id")


class _ActivityApi(_BillingApi):
    pagination_class = ActivityPagination

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.activity_list(firm=self.firm).select_related("conversation")

    def output(self, activity: Activity, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=activity.pk)
        return envelope(ActivityOutput(fresh).data, status=status_code)


class ActivityListApi(_ActivityApi):
    """GET lists the firm's time entries, newest date first; POST records one."""

    @extend_schema(
        tags=ACTIVITY_TAGS,
        operation_id="activity_list",
        summary="List time entries (newest date first)",
        parameters=[ActivityListFilter, _LIMIT],
        responses={200: ActivityOutput(many=True), 400: _E, 403: _E},
    )
    def get(self, request: Request) -> Response:
        given = self.filters(ActivityListFilter, request)
        entries = self.get_queryset()
        if "matter_id" in given:
            entries = entries.filter(matter__uuid=given["matter_id"])
        if "user_id" in given:
            entries = entries.filter(user__uuid=given["user_id"])
        if "billed" in given:
            entries = entries.filter(bill__isnull=not given["billed"])
        if "updated_since" in given:
            entries = entries.filter(updated_at__gte=given["updated_since"])
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ActivityOutput(page, many=True).data)

    @extend_schema(
        tags=ACTIVITY_TAGS,
        operation_id="activity_create",
        summary="Record a time entry",
        description="`quantity` is seconds; `rate_cents` is cents an hour and defaults to the "
        "user's default rate; `user` defaults to the token's user.",
        request=ActivityCreateInput,
        responses={201: enveloped(ActivityOutput), **_CREATE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        payload = ActivityCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = data.get("user") or self.actor
        rate_cents = data.get("rate_cents")
        if rate_cents is None:
            rate_cents = services.timekeeper_rate(firm=self.firm, user=user)
        activity = services.activity_create(
            firm=self.firm,
            actor=self.actor,
            user=user,
            matter=data["matter"],
            date=data.get("date") or timezone.localdate(),
            quantity_seconds=data["quantity"],
            rate_cents=rate_cents,
            description=data["description"],
            billable=data["billable"],
            conversation=data["conversation"],
        )
        return self.output(activity, status_code=status.HTTP_201_CREATED)


class ActivityDetailApi(_ActivityApi):
    """GET reads one entry; PATCH changes the fields given; DELETE removes it (unbilled only)."""

    @extend_schema(
        tags=ACTIVITY_TAGS,
        operation_id="activity_retrieve",
        summary="Get a time entry",
        responses={200: enveloped(ActivityOutput), **_READ_ERRORS},
    )
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(ActivityOutput(self.get_object()).data)

    @extend_schema(
        tags=ACTIVITY_TAGS,
        operation_id="activity_update",
        summary="Change a time entry",
        description="Only the fields given change. A billed entry cannot change (409).",
        request=ActivityUpdateInput,
        responses={200: enveloped(ActivityOutput), **_WRITE_ERRORS, 409: _E},
    )
    def patch(self, request: Request, id: UUID) -> Response:
        activity: Activity = self.get_object()  # type: ignore[assignment]
        payload = ActivityUpdateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        if "quantity" in changes:
            changes["quantity_seconds"] = changes.pop("quantity")
        activity = services.activity_update(
            firm=self.firm, actor=self.actor, activity=activity, **changes
        )
        return self.output(activity)

    @extend_schema(
        tags=ACTIVITY_TAGS,
        operation_id="activity_delete",
        summary="Delete a time entry",
        description="A billed entry cannot go (409): delete its draft bill first.",
        responses={204: None, **_CONFLICT_ERRORS},
    )
    def delete(self, request: Request, id: UUID) -> Response:
        activity: Activity = self.get_object()  # type: ignore[assignment]
        services.activity_delete(firm=self.firm, actor=self.actor, activity=activity)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Bills ----------------------------------------------------------------------------------

BILL_TAGS = ["Bills"]


class BillPagination(EnvelopeCursorPagination):
    ordering = ("-number", "-id")


class _BillApi(_BillingApi):
    pagination_class = BillPagination

    def get_queryset(self) -> QuerySet[Bill]:
        """The firm's bills with matter, client, line items and payments: a fixed number of
        queries per page, however many bills, lines and payments."""
        return selectors.bill_detail_list(firm=self.firm)

    def output(self, bill: Bill, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=bill.pk)
        return envelope(BillOutput(fresh).data, status=status_code)


class BillListApi(_BillApi):
    """GET lists the firm's bills, newest number first; POST generates one for a matter."""

    @extend_schema(
        tags=BILL_TAGS,
        operation_id="bill_list",
        summary="List bills (newest first)",
        parameters=[BillListFilter, _LIMIT],
        responses={200: BillOutput(many=True), 400: _E, 403: _E},
    )
    def get(self, request: Request) -> Response:
        given = self.filters(BillListFilter, request)
        bills = self.get_queryset()
        if "matter_id" in given:
            bills = bills.filter(matter__uuid=given["matter_id"])
        if "state" in given:
            bills = bills.filter(state=given["state"])
        if "updated_since" in given:
            bills = bills.filter(updated_at__gte=given["updated_since"])
        page = self.paginate_queryset(bills)
        return self.get_paginated_response(BillOutput(page, many=True).data)

    @extend_schema(
        tags=BILL_TAGS,
        operation_id="bill_create",
        summary="Generate a bill for a matter",
        description="A draft bill of every unbilled billable time entry of the matter, which "
        "become billed. 409 when the matter has none.",
        request=BillCreateInput,
        responses={201: enveloped(BillOutput), **_CREATE_ERRORS, 409: _E},
    )
    def post(self, request: Request) -> Response:
        payload = BillCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        bill = services.bill_generate(
            firm=self.firm,
            actor=self.actor,
            matter=data["matter"],
            issued_on=data.get("issued_at"),
            due_on=data.get("due_at"),
        )
        return self.output(bill, status_code=status.HTTP_201_CREATED)


class BillDetailApi(_BillApi):
    """GET reads one bill; DELETE removes a draft (its entries are unbilled again)."""

    @extend_schema(
        tags=BILL_TAGS,
        operation_id="bill_retrieve",
        summary="Get a bill",
        responses={200: enveloped(BillOutput), **_READ_ERRORS},
    )
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(BillOutput(self.get_object()).data)

    @extend_schema(
        tags=BILL_TAGS,
        operation_id="bill_delete",
        summary="Delete a draft bill",
        description="Its time entries are unbilled again. Only a draft can go (409).",
        responses={204: None, **_CONFLICT_ERRORS},
    )
    def delete(self, request: Request, id: UUID) -> Response:
        bill: Bill = self.get_object()  # type: ignore[assignment]
        services.bill_delete(firm=self.firm, actor=self.actor, bill=bill)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BillIssueApi(_BillApi):
    @extend_schema(
        tags=BILL_TAGS,
        operation_id="bill_issue",
        summary="Issue a draft bill",
        description="draft → awaiting_payment (a bill of $0 is paid at once). 409 when the "
        "bill is not a draft.",
        request=None,
        responses={200: enveloped(BillOutput), **_CONFLICT_ERRORS},
    )
    def post(self, request: Request, id: UUID) -> Response:
        bill: Bill = self.get_object()  # type: ignore[assignment]
        bill = services.bill_issue(firm=self.firm, actor=self.actor, bill=bill)
        return self.output(bill)


# --- Bank accounts --------------------------------------------------------------------------

ACCOUNT_TAGS = ["Bank accounts"]


class BankAccountPagination(EnvelopeCursorPagination):
    ordering = ("name", "id")


class _BankAccountApi(_BillingApi):
    pagination_class = BankAccountPagination

    def get_queryset(self) -> QuerySet[BankAccount]:
        return payment_selectors.bank_account_list(firm=self.firm)


class BankAccountListApi(_BankAccountApi):
    """GET lists the firm's accounts by name; POST opens one."""

    @extend_schema(
        tags=ACCOUNT_TAGS,
        operation_id="bank_account_list",
        summary="List bank accounts (by name)",
        parameters=[BankAccountListFilter, _LIMIT],
        responses={200: BankAccountOutput(many=True), 400: _E, 403: _E},
    )
    def get(self, request: Request) -> Response:
        given = self.filters(BankAccountListFilter, request)
        accounts = self.get_queryset()
        if "updated_since" in given:
            accounts = accounts.filter(updated_at__gte=given["updated_since"])
        page = self.paginate_queryset(accounts)
        return self.get_paginated_response(BankAccountOutput(page, many=True).data)

    @extend_schema(
        tags=ACCOUNT_TAGS,
        operation_id="bank_account_create",
        summary="Create a bank account",
        request=BankAccountCreateInput,
        responses={201: enveloped(BankAccountOutput), **_CREATE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        payload = BankAccountCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        account = services.bank_account_create(
            firm=self.firm, actor=self.actor, name=data["name"], kind=data["type"]
        )
        return envelope(BankAccountOutput(account).data, status=status.HTTP_201_CREATED)


class BankAccountDetailApi(_BankAccountApi):
    @extend_schema(
        tags=ACCOUNT_TAGS,
        operation_id="bank_account_retrieve",
        summary="Get a bank account and its balance",
        responses={200: enveloped(BankAccountOutput), **_READ_ERRORS},
    )
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(BankAccountOutput(self.get_object()).data)


# --- Payment links --------------------------------------------------------------------------

LINK_TAGS = ["Payment links"]


class _PaymentLinkApi(_BillingApi):
    pagination_class = EnvelopeCursorPagination  # newest first

    def get_queryset(self) -> QuerySet[PaymentLink]:
        return payment_selectors.payment_link_list(firm=self.firm).select_related("created_by")

    def fresh(self, link: PaymentLink) -> PaymentLink:
        return self.get_queryset().get(pk=link.pk)


class PaymentLinkListApi(_PaymentLinkApi):
    """GET lists the firm's payment links, newest first; POST makes one."""

    @extend_schema(
        tags=LINK_TAGS,
        operation_id="payment_link_list",
        summary="List payment links (newest first)",
        description="Links never show their token: it is in the `url` of the create response only.",
        parameters=[PaymentLinkListFilter, _LIMIT],
        responses={200: PaymentLinkOutput(many=True), 400: _E, 403: _E},
    )
    def get(self, request: Request) -> Response:
        given = self.filters(PaymentLinkListFilter, request)
        links = self.get_queryset()
        if "bill_id" in given:
            links = links.filter(bill__uuid=given["bill_id"])
        if "updated_since" in given:
            links = links.filter(updated_at__gte=given["updated_since"])
        page = self.paginate_queryset(links)
        return self.get_paginated_response(PaymentLinkOutput(page, many=True).data)

    @extend_schema(
        tags=LINK_TAGS,
        operation_id="payment_link_create",
        summary="Make a payment link",
        description="With `bill`: a link to pay the issued bill's balance into the account. "
        "Without: a charge of any amount the client types. The response's `url` carries the "
        "link's secret token and is never shown again.",
        request=PaymentLinkCreateInput,
        responses={201: enveloped(PaymentLinkCreatedOutput), **_CREATE_ERRORS},
    )
    def post(self, request: Request) -> Response:
        payload = PaymentLinkCreateInput(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        link, token = services.payment_link_create(
            firm=self.firm,
            actor=self.actor,
            account=data["bank_account"],
            bill=data["bill"],
            matter=data["matter"],
            expires_at=data["expires_at"],
        )
        url = request.build_absolute_uri(reverse("pay:page", kwargs={"token": token}))
        body = PaymentLinkCreatedOutput(self.fresh(link), context={"url": url}).data
        return envelope(body, status=status.HTTP_201_CREATED)


class PaymentLinkDetailApi(_PaymentLinkApi):
    @extend_schema(
        tags=LINK_TAGS,
        operation_id="payment_link_retrieve",
        summary="Get a payment link",
        responses={200: enveloped(PaymentLinkOutput), **_READ_ERRORS},
    )
    def get(self, request: Request, id: UUID) -> Response:
        return envelope(PaymentLinkOutput(self.get_object()).data)


class PaymentLinkRevokeApi(_PaymentLinkApi):
    @extend_schema(
        tags=LINK_TAGS,
        operation_id="payment_link_revoke",
        summary="Revoke a payment link",
        description="It takes no more payments. Revoking a revoked link changes nothing.",
        request=None,
        responses={200: enveloped(PaymentLinkOutput), **_READ_ERRORS},
    )
    def post(self, request: Request, id: UUID) -> Response:
        link: PaymentLink = self.get_object()  # type: ignore[assignment]
        link = services.payment_link_revoke(firm=self.firm, actor=self.actor, link=link)
        return envelope(PaymentLinkOutput(self.fresh(link)).data)
