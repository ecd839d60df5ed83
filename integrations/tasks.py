"""Thin Celery wrappers: ids in, the firm's scope opened, one service called."""

from celery import Task, shared_task
from django_scopes import scope

from .services import webhook_deliver, webhook_sweep


@shared_task(bind=True, name="integrations.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver_task(self: Task, firm_id: int, delivery_id: int) -> None:
    """One attempt of one webhook delivery. Idempotent: the service claims the delivery with
    a conditional update, so a duplicated, early or late task does nothing. Retries are
    scheduled by the service (WEBHOOKS_RETRY_SCHEDULE_SECONDS), not by Celery."""
    with scope(firm=firm_id):
        webhook_deliver(firm_id=firm_id, delivery_id=delivery_id)


@shared_task(bind=True, name="integrations.webhook_sweep", acks_late=False, ignore_result=True)
def webhook_sweep_task(self: Task) -> None:
    """Every minute: re-enqueue due deliveries whose task was lost. Opens each firm's scope
    itself; a cache lock keeps two runs from overlapping."""
    webhook_sweep()
