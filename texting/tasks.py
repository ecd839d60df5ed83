from celery import Task, shared_task
from django_scopes import scope

from .services import provider_event_process


@shared_task(
    bind=True,
    name="texting.provider_event_process",
    acks_late=True,
    max_retries=5,
    retry_backoff=5,
    retry_jitter=True,
)
def provider_event_process_task(self: Task, firm_id: int, event_id: int) -> None:
    """Apply one stored provider event; running it twice changes nothing the second time."""
    with scope(firm=firm_id):
        provider_event_process(firm_id=firm_id, event_id=event_id)
