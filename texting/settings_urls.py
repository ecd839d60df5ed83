"""Settings > Text Messaging, included under /settings/text-messaging/ by
accounts.settings_urls (no app_name: the names live in the `settings` namespace)."""

from django.urls import path

from . import settings_views as views

urlpatterns = [
    path("", views.text_messaging_overview, name="text-messaging"),
    path("get-started/", views.text_messaging_setup, name="text-messaging-setup"),
    # The verification form for firms that set up before verification existed (S3's
    # banner links here): the same steps; Submit then only files the verification.
    path("verification/", views.text_messaging_setup, name="text-messaging-verification"),
    path(
        "get-started/verification/",
        views.text_messaging_setup_verification,
        name="text-messaging-setup-verification",
    ),
    path(
        "get-started/review/",
        views.text_messaging_setup_review,
        name="text-messaging-setup-review",
    ),
    path("details/", views.text_messaging_details, name="text-messaging-details"),
    path("reminders/", views.text_messaging_reminders, name="text-messaging-reminders"),
    path("templates/", views.text_messaging_templates, name="text-messaging-templates"),
    path("dropped-texts/", views.text_messaging_dropped, name="text-messaging-dropped"),
]
