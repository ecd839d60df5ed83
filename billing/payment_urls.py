"""Staff pages of bank accounts, online payments and payment links (B3, B4), mounted under
/billing/ in the billing namespace (billing/urls.py adds these patterns)."""

from django.urls import URLPattern, path

from . import payment_views

urlpatterns: list[URLPattern] = [
    path("accounts/", payment_views.account_list, name="account-list"),
    path("accounts/<uuid:account_id>/", payment_views.account_detail, name="account-detail"),
    path("online-payments/", payment_views.online_payments, name="online-payments"),
    path(
        "online-payments/links/",
        payment_views.charge_link_create,
        name="charge-link-create",
    ),
    path(
        "online-payments/links/<uuid:link_id>/revoke/",
        payment_views.payment_link_revoke,
        name="payment-link-revoke",
    ),
    path(
        "bills/<uuid:bill_id>/payment-link/",
        payment_views.bill_payment_link,
        name="bill-payment-link",
    ),
]
