"""What services publish to the broker, seen without running it."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery.signals import before_task_publish
from django.core.cache import cache

from config.celery import app
from texting.services import drains


@contextmanager
def published_only(*drain_marks: str) -> Iterator[list[tuple[str, Any]]]:
    """(task name, args) of each task published meanwhile: nothing runs (task_always_eager
    is off) and the queue is emptied after. `drain_marks` are cleared first, and this
    process's memory of trusted marks found held: an earlier test's firm may have had the
    same id."""
    sent: list[tuple[str, Any]] = []

    def record(sender: str, body: Any, **_: Any) -> None:
        sent.append((sender, tuple(body[0])))

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    before_task_publish.connect(record, weak=False)
    cache.delete_many(list(drain_marks))
    drains._found_held.clear()
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)
        app.conf.task_always_eager = eager
        app.control.purge()
