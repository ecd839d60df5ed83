"""Settings > Notifications, included under /settings/notifications/ by
accounts.settings_urls (no app_name: the names live in the `settings` namespace)."""

from django.urls import path

from . import notification_views as views

urlpatterns = [
    path("", views.notification_settings, name="notifications"),
    path("push/subscribe/", views.push_subscribe, name="push-subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push-unsubscribe"),
]
