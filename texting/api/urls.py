from django.urls import path

from . import views
from .settings_views import TextingSettingsApi

urlpatterns = [
    path("texting/", TextingSettingsApi.as_view(), name="texting-settings"),
    path(
        "text_message_conversations/",
        views.ConversationListApi.as_view(),
        name="text-conversation-list",
    ),
    path(
        "text_message_conversations/<uuid:id>/",
        views.ConversationDetailApi.as_view(),
        name="text-conversation-detail",
    ),
    path(
        "text_message_conversations/<uuid:id>/messages/",
        views.ConversationMessagesApi.as_view(),
        name="text-conversation-messages",
    ),
    path(
        "text_message_conversations/<uuid:id>/read/",
        views.ConversationReadApi.as_view(),
        name="text-conversation-read",
    ),
    path("text_messages/", views.TextMessageCreateApi.as_view(), name="text-message-create"),
    path(
        "text_messages/unread_count/",
        views.UnreadCountApi.as_view(),
        name="text-message-unread-count",
    ),
    path(
        "text_messages/<uuid:id>/", views.TextMessageDetailApi.as_view(), name="text-message-detail"
    ),
    path(
        "text_messages/<uuid:id>/retry/",
        views.TextMessageRetryApi.as_view(),
        name="text-message-retry",
    ),
    path(
        "text_messages/<uuid:id>/media/<int:position>/",
        views.TextMessageMediaApi.as_view(),
        name="text-message-media",
    ),
]
