from django.apps import AppConfig


class CalendarEventsConfig(AppConfig):
    name = "calendar_events"
    verbose_name = "Calendar"

    def ready(self) -> None:
        # Texting cannot import the calendar (STYLE.md section 1): it announces stored
        # inbound texts, and the calendar reads the Y/N replies among them (E4).
        from texting.signals import inbound_texts_stored

        from .services.replies import on_inbound_texts_stored

        inbound_texts_stored.connect(on_inbound_texts_stored, dispatch_uid="calendar-replies")
