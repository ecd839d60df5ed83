"""Staff pages of bank accounts, online payments and payment links (B3, B4), mounted under
/billing/ in the billing namespace (billing/urls.py adds these patterns)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
