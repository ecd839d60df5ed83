"""The worker keeps its database connection between tasks (CELERY_DB_REUSE_MAX), gets
Django's per-request connection checks before each task, and drops its connections after a
failed task. Eager tasks (the embedded default) run inside the caller's transaction and must
leave its connection alone."""

import pytest
from celery.signals import task_failure, task_postrun, task_prerun
from django.conf import settings
from django.db import connection, transaction

from accounts.models import Firm
from common.tasks import worker_heartbeat_task


def test_the_worker_is_told_to_reuse_its_database_connection() -> None:
    from config.celery import app

    assert settings.CELERY_DB_REUSE_MAX >= 100
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX


@pytest.mark.django_db(transaction=True)
def test_an_eager_task_inside_a_transaction_keeps_the_callers_connection() -> None:
    with transaction.atomic():
        Firm.objects.create(name="Inside the transaction LLP")
        raw_before = connection.connection
        worker_heartbeat_task.apply()  # eager: prerun runs our check
        assert connection.connection is raw_before
        # Still the same open transaction: the row is visible and the block commits.
        assert Firm.objects.filter(name="Inside the transaction LLP").exists()
    assert Firm.objects.filter(name="Inside the transaction LLP").exists()


# SQLite's in-memory test database cannot be closed and reopened: PostgreSQL, as the worker uses.
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_task_that_failed_leaves_no_connection_behind() -> None:
    Firm.objects.count()  # open a connection
    assert connection.connection is not None
    worker_heartbeat_task.push_request(is_eager=False)
    try:
        task_failure.send(sender=worker_heartbeat_task, task_id="t-1", exception=RuntimeError())
    finally:
        worker_heartbeat_task.pop_request()
    assert connection.connection is None
    assert Firm.objects.count() >= 0  # and the next task simply connects again


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_before_a_worker_task_a_connection_left_broken_is_replaced() -> None:
    Firm.objects.count()
    raw_before = connection.connection
    connection.errors_occurred = True  # what a query interrupted by a time limit leaves
    raw_before.close()  # and the server side is gone
    worker_heartbeat_task.push_request(is_eager=False)
    try:
        task_prerun.send(sender=worker_heartbeat_task, task_id="t-2", task=worker_heartbeat_task)
    finally:
        # As a worker would after the task: the log context the prerun opened is closed.
        task_postrun.send(sender=worker_heartbeat_task, task_id="t-2", task=worker_heartbeat_task)
        worker_heartbeat_task.pop_request()
    assert Firm.objects.count() >= 0  # a fresh connection, not an error
    assert connection.connection is not raw_before
