"""The Celery app. Its configuration lives in Django settings under CELERY_*."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("firm_texting")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _in_worker(task: Task | None) -> bool:
    # Eager tasks run inside the caller's request and transaction: leave its connection be.
    return task is not None and not getattr(task.request, "is_eager", False)


@task_prerun.connect
def _database_connection_checked(sender: Task | None = None, **kwargs: Any) -> None:
    """What Django does at the start of each request, before each task: connections past
    CONN_MAX_AGE or left unusable are closed, and the health check runs again on next use.
    Needed because the worker reuses its connection (CELERY_DB_REUSE_MAX)."""
    if _in_worker(sender):
        from django.db import close_old_connections

        close_old_connections()


@task_failure.connect
def _database_connections_closed(sender: Task | None = None, **kwargs: Any) -> None:
    """A task that failed (a time limit may have interrupted a query) leaves no connection
    for the next one: the next task connects afresh."""
    if _in_worker(sender):
        from django.db import connections

        connections.close_all()
