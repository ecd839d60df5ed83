from django.apps import AppConfig


class CalendarEventsConfig(AppConfig):
    name = "calendar_events"
    verbose_name = "Calendar"
