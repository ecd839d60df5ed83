"""The Celery app. Its configuration lives in Django settings under CELERY_*."""

import logging
import os
from contextvars import Token
from typing import Any

from celery import Celery, Task
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
)

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


# --- Logs (issue 9): Django's LOGGING in the worker, and the ids of each task's log lines ----

# The message header that carries the id of the request (or task) that enqueued a task.
REQUEST_ID_HEADER = "firm_texting_request_id"


@setup_logging.connect
def _logging_from_django_settings(loglevel: Any = None, **kwargs: Any) -> None:
    """Connected, this stops Celery from replacing the root logger's handlers with its own
    plain, unmasked ones: worker and beat log through settings.LOGGING (JSON lines with
    task ids, phone numbers masked), at the level given by --loglevel."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@before_task_publish.connect
def _request_id_sent_along(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task enqueued by a request (or by a task) logs that request's id in the worker."""
    from common.logging import request_id_var

    request_id = request_id_var.get()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


# Per running task id, the context variables' previous values: an eager task runs inside a
# request (or inside another eager task), whose ids come back when it ends.
_context_tokens: dict[str, tuple[Token[str | None], Token[str | None]]] = {}


@task_prerun.connect
def _log_context_entered(
    task_id: str | None = None, task: Task | None = None, **kwargs: Any
) -> None:
    from common.logging import request_id_var, task_id_var

    if task_id is None:
        return
    # From the message header in a worker; an eager task runs in its caller's context and
    # already has the caller's request id.
    sent = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    request_token = request_id_var.set(sent or request_id_var.get())
    _context_tokens[task_id] = (request_token, task_id_var.set(task_id))


@task_postrun.connect
def _log_context_left(task_id: str | None = None, **kwargs: Any) -> None:
    from common.logging import request_id_var, task_id_var

    tokens = _context_tokens.pop(task_id or "", None)
    if tokens is None:
        return
    request_token, task_token = tokens
    try:
        task_id_var.reset(task_token)
        request_id_var.reset(request_token)
    except ValueError:  # ended in another context than it started in: start afresh
        task_id_var.set(None)
        request_id_var.set(None)
