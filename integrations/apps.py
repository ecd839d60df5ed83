from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Texting and the calendar cannot import integrations (STYLE.md section 1): they
        # announce what happened with signals, and the webhooks listen (X6).
        from calendar_events.services.replies import attendee_answered
        from texting.signals import inbound_texts_stored, outbound_status_changed

        from .services import (
            on_attendee_answered,
            on_inbound_texts_stored,
            on_outbound_status_changed,
        )

        inbound_texts_stored.connect(on_inbound_texts_stored, dispatch_uid="integrations-inbound")
        outbound_status_changed.connect(
            on_outbound_status_changed, dispatch_uid="integrations-outbound-status"
        )
        attendee_answered.connect(on_attendee_answered, dispatch_uid="integrations-answered")
