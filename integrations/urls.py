"""Settings > Webhooks, included under /settings/webhooks/ by accounts.settings_urls (no
app_name: the names live in the `settings` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.webhook_list_view, name="webhooks"),
    path("<uuid:endpoint_id>/", views.webhook_detail_view, name="webhook-detail"),
    path("<uuid:endpoint_id>/test/", views.webhook_ping_view, name="webhook-test"),
    path("<uuid:endpoint_id>/delete/", views.webhook_delete_view, name="webhook-delete"),
]
