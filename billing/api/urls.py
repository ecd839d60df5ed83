from django.urls import path

from .views import (
    ActivityDetailApi,
    ActivityListApi,
    BankAccountDetailApi,
    BankAccountListApi,
    BillDetailApi,
    BillIssueApi,
    BillListApi,
    PaymentLinkDetailApi,
    PaymentLinkListApi,
    PaymentLinkRevokeApi,
)

urlpatterns = [
    path("activities/", ActivityListApi.as_view(), name="activity-list"),
    path("activities/<uuid:id>/", ActivityDetailApi.as_view(), name="activity-detail"),
    path("bills/", BillListApi.as_view(), name="bill-list"),
    path("bills/<uuid:id>/", BillDetailApi.as_view(), name="bill-detail"),
    path("bills/<uuid:id>/issue/", BillIssueApi.as_view(), name="bill-issue"),
    path("bank_accounts/", BankAccountListApi.as_view(), name="bank-account-list"),
    path("bank_accounts/<uuid:id>/", BankAccountDetailApi.as_view(), name="bank-account-detail"),
    path("payment_links/", PaymentLinkListApi.as_view(), name="payment-link-list"),
    path("payment_links/<uuid:id>/", PaymentLinkDetailApi.as_view(), name="payment-link-detail"),
    path(
        "payment_links/<uuid:id>/revoke/",
        PaymentLinkRevokeApi.as_view(),
        name="payment-link-revoke",
    ),
]
