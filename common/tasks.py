import socket

from celery import Task, shared_task

from .heartbeat import heartbeat_record


@shared_task(bind=True, name="common.worker_heartbeat", ignore_result=True, acks_late=False)
def worker_heartbeat_task(self: Task) -> None:
    """Record that a worker is alive. Harmless to run any number of times."""
    heartbeat_record(hostname=getattr(self.request, "hostname", None) or socket.gethostname())
