"""Thin Celery wrappers of the calendar's services."""

from celery import Task, shared_task

from .services import automated_texts_dispatch


@shared_task(bind=True, name="calendar_events.automated_texts_dispatch", ignore_result=True)
def automated_texts_dispatch_task(self: Task) -> None:
    """Every minute: held notices and due reminders that may go now, each sent once (E2,
    E3). Opens each firm's scope itself; a cache lock keeps two runs from overlapping."""
    automated_texts_dispatch()
