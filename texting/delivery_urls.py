"""Settings > Delivery, included under /settings/delivery/ by accounts.settings_urls (no
app_name: the name lives in the `settings` namespace)."""

from django.urls import path

from . import delivery_views as views

urlpatterns = [
    path("", views.delivery_dashboard, name="delivery"),
]
