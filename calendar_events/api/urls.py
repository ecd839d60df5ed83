from django.urls import path

from .views import CalendarEntryCancelApi, CalendarEntryDetailApi, CalendarEntryListApi

urlpatterns = [
    path("calendar_entries/", CalendarEntryListApi.as_view(), name="calendar-entry-list"),
    path(
        "calendar_entries/<uuid:id>/",
        CalendarEntryDetailApi.as_view(),
        name="calendar-entry-detail",
    ),
    path(
        "calendar_entries/<uuid:id>/cancel/",
        CalendarEntryCancelApi.as_view(),
        name="calendar-entry-cancel",
    ),
]
