from django.urls import path

from . import webhooks

app_name = "webhooks"

urlpatterns = [
    path("messaging", webhooks.messaging, name="messaging"),
    path("verification", webhooks.verification, name="verification"),
    path("voice", webhooks.voice, name="voice"),
]
