from django.urls import path

from . import views

app_name = "texting"

urlpatterns = [
    path("", views.communications, name="communications"),
    path("unread/", views.unread_badge, name="unread-badge"),
    path("new/", views.new_text, name="new"),
    path("contacts/<uuid:contact_id>/", views.conversation, name="conversation"),
    path("contacts/<uuid:contact_id>/thread/", views.conversation_thread, name="thread"),
    path("contacts/<uuid:contact_id>/older/", views.conversation_older, name="older"),
    path("contacts/<uuid:contact_id>/send/", views.conversation_send, name="send"),
    path("messages/<uuid:message_id>/retry/", views.message_retry_view, name="retry"),
    path("media/<uuid:media_id>/", views.media_file, name="media"),
]
