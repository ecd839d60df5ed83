from django.urls import include, path

from . import views

app_name = "settings"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("api-tokens/", views.api_token_list_view, name="api-tokens"),
    path(
        "api-tokens/<uuid:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"
    ),
    # Texting's own pages (Text Messaging, Notifications); included by dotted path, so
    # accounts imports nothing of texting (STYLE.md section 1: dependencies point from
    # texting to accounts).
    path("text-messaging/", include("texting.settings_urls")),
    path("notifications/", include("texting.notification_urls")),
    path("delivery/", include("texting.delivery_urls")),
    path("webhooks/", include("integrations.urls")),
    path("audit-log/", views.audit_log_view, name="audit-log"),
]
