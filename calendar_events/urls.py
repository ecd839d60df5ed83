from django.urls import path

from . import views

app_name = "calendar_events"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.event_create, name="event-create"),
    path("contact-picker/", views.contact_picker, name="contact-picker"),
    path("attendee-row/", views.attendee_row, name="attendee-row"),
    path("matter/<uuid:matter_id>/", views.matter_calendar, name="matter-calendar"),
    path("<uuid:event_id>/", views.event_detail, name="event-detail"),
    path("<uuid:event_id>/edit/", views.event_edit, name="event-edit"),
    path("<uuid:event_id>/cancel/", views.event_cancel, name="event-cancel"),
    path("<uuid:event_id>/delete/", views.event_delete, name="event-delete"),
]
