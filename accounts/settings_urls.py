from django.urls import path

from . import views

app_name = "settings"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("api-tokens/", views.api_token_list_view, name="api-tokens"),
    path(
        "api-tokens/<uuid:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"
    ),
    path("text-messaging/", views.text_messaging_settings, name="text-messaging"),
    path("notifications/", views.notification_settings, name="notifications"),
]
