"""The outbox (N1): lost tasks, lost answers, dead workers, and a real worker end to end.

A send whose answer is lost (timeout after the request left) is re-sent only when no
callback with our tag came within the wait: the one documented window in which the
provider can get a text twice (PROVIDER_API.md decision 3). Every other case here ends
with exactly one send in the sandbox's own record.
"""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from texting.models import Message, MessageMedia, ProviderEvent
from texting.provider import ProviderClient, parse_message_callbacks
from texting.services import messaging_events_record
from texting.services.outbound_drain import outbound_drain
from texting.services.outbox import _SWEEP_LOCK_KEY, outbox_sweep
from texting.services.sending import DeliveryResult, message_reconcile, message_send
from texting.tasks import (
    inbound_media_fetch_task,
    outbox_sweep_task,
    provider_event_process_task,
)
from texting.tests.factories import texting_contact
from texting.tests.inbound import receive, texted_contact
from texting.tests.test_media import JPEG
from texting.tests.test_sending import (
    CLIENT,
    deliver,
    dispatched_callbacks,
    enqueued,
    feed_callbacks,
    fresh,
    sandbox_sends,
    send,
)

Status = Message.Status


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 0
    settings.TEXTING_OUTCOME_WAIT_SECONDS = 1
    settings.TEXTING_SWEEP_GRACE_SECONDS = 300


@pytest.fixture
def in_firm(firm_scope: Any) -> Iterator[None]:
    with firm_scope():
        yield


def later(seconds: float) -> Any:
    """Move the clock forward (the sandbox keeps its own)."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)


# --- the lost answer (outcome unknown) ----------------------------------------------------------


@pytest.fixture
def answer_lost(sandbox: Any, settings: Any) -> None:
    """The provider accepts the send but answers after our read timeout."""
    settings.PROVIDER_READ_TIMEOUT = 0.3
    sandbox.control.set_faults(send_delay_seconds=1.0)


def test_a_lost_answer_is_resolved_by_the_callback_and_never_re_sent(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    answer_lost: None,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = send(texting_firm, member)
    with django_capture_on_commit_callbacks() as callbacks:
        assert deliver(message) == DeliveryResult.OUTCOME_UNKNOWN

    waiting = fresh(message)
    assert waiting.status == Status.SENDING and waiting.provider_message_id == ""
    assert waiting.awaiting_callback_since is not None
    assert enqueued(callbacks) == [("texting.message_reconcile", (texting_firm.id, message.id), 1)]

    feed_callbacks(sandbox, texting_firm, message)  # they carry our tag

    done = fresh(message)
    assert done.status == Status.DELIVERED
    assert done.provider_message_id == sandbox_sends(sandbox, message)[0]["id"]
    assert done.awaiting_callback_since is None
    time.sleep(1.1)
    assert message_reconcile(firm_id=texting_firm.id, message_id=message.id) is False
    with later(3600), django_capture_on_commit_callbacks() as callbacks:
        outbox_sweep()
    assert enqueued(callbacks) == []
    assert len(sandbox_sends(sandbox, message)) == 1


def test_a_stored_callback_not_yet_applied_also_stops_the_re_send(
    texting_firm: Firm, member: User, sandbox: Any, answer_lost: None, in_firm: None
) -> None:
    message = send(texting_firm, member)
    deliver(message)
    for row in dispatched_callbacks(sandbox, message):
        # Stored by the webhook; its processing task has not run (or was lost).
        messaging_events_record(events=parse_message_callbacks(json.dumps(row["payload"])))
    time.sleep(1.1)

    assert message_reconcile(firm_id=texting_firm.id, message_id=message.id) is False

    assert fresh(message).status == Status.DELIVERED  # the reconcile applied them
    assert len(sandbox_sends(sandbox, message)) == 1


def test_with_no_callback_in_time_the_text_is_sent_again_the_documented_window(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    answer_lost: None,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sandbox.control.set_faults(callbacks_paused=True)
    message = send(texting_firm, member)
    assert deliver(message) == DeliveryResult.OUTCOME_UNKNOWN
    assert dispatched_callbacks(sandbox, message, timeout=0.5) == []
    assert message_reconcile(firm_id=texting_firm.id, message_id=message.id) is False  # too early

    time.sleep(1.1)
    with django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()
    assert report.reconciled == 1
    assert enqueued(callbacks) == [("texting.message_reconcile", (texting_firm.id, message.id), 0)]
    with django_capture_on_commit_callbacks() as callbacks:
        assert message_reconcile(firm_id=texting_firm.id, message_id=message.id) is True
    assert fresh(message).status == Status.QUEUED
    assert enqueued(callbacks) == [("texting.message_deliver", (texting_firm.id, message.id), 0)]

    sandbox.control.set_faults(send_delay_seconds=0)
    assert deliver(message) == DeliveryResult.SENT
    sends = sandbox_sends(sandbox, message)
    assert len(sends) == 2  # the provider got it twice: only in this window
    assert fresh(message).provider_message_id in {s["id"] for s in sends}

    sandbox.control.set_faults(callbacks_paused=False)
    feed_callbacks(sandbox, texting_firm, message)
    assert fresh(message).status == Status.DELIVERED


# --- the sweeper: lost tasks and dead workers ---------------------------------------------------


def test_the_sweeper_re_drives_a_queued_text_whose_drain_was_lost(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    lost = send(texting_firm, member)  # its on-commit publish never happens in this test
    with later(200), django_capture_on_commit_callbacks() as callbacks:
        recent = send(texting_firm, member, to="+12025550144")
        assert outbox_sweep().requeued == 0  # not late enough yet

    with later(301), django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()
        again = outbox_sweep()

    assert report.requeued == 1 and again.requeued == 0  # the next sweep waits again
    assert enqueued(callbacks) == [("texting.outbound_drain", (texting_firm.id,), 0)]
    assert deliver(lost) == DeliveryResult.SENT
    assert fresh(recent).status == Status.QUEUED
    assert len(sandbox_sends(sandbox, lost)) == 1


def test_a_queued_text_is_re_published_once_per_grace_period_from_the_sweepers_last_publish(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # From the row, a task lost and a task waiting behind a long backlog look the same: the
    # sweeper re-publishes, then waits a whole grace period from that publish (not from the
    # time the text was due) before publishing it again, however often it sweeps meanwhile.
    lost = send(texting_firm, member)
    published = []
    for seconds, requeued in [(301, 1), (302, 0), (450, 0), (600, 0), (602, 1), (605, 0)]:
        with later(seconds), django_capture_on_commit_callbacks() as callbacks:
            assert outbox_sweep().requeued == requeued, f"sweep at +{seconds}s"
        published += enqueued(callbacks)

    assert published == [("texting.outbound_drain", (texting_firm.id,), 0)] * 2
    assert deliver(lost) == DeliveryResult.SENT
    assert deliver(lost) == DeliveryResult.SKIPPED  # the duplicate publish changes nothing
    assert len(sandbox_sends(sandbox, lost)) == 1


def test_the_sweeper_re_drives_callbacks_whose_processing_task_was_lost(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Found by benchmarks/faults.py: Redis restarted empty after the webhook had stored the
    # callbacks, so their processing tasks were gone and the texts stayed "sent" for good.
    message = send(texting_firm, member)
    assert deliver(message) == DeliveryResult.SENT
    with django_capture_on_commit_callbacks():  # the processing tasks are never published
        feed_callbacks(sandbox, texting_firm, message, process=False)
    stored = ProviderEvent.objects.filter(tag=str(message.uuid), processed_at__isnull=True)
    assert stored.count() >= 1 and fresh(message).status == Status.SENT

    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep().events_redriven == 0  # not late enough yet
    with later(301), django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()

    redriven = enqueued(callbacks)
    assert (
        report.events_redriven
        == len(redriven)
        == ProviderEvent.objects.filter(tag=str(message.uuid)).count()
    )
    assert {name for name, _, _ in redriven} == {"texting.provider_event_process"}
    with later(302), django_capture_on_commit_callbacks():
        assert outbox_sweep().events_redriven == 0  # re-driven once per grace period
    for _, args, _ in redriven:  # what the worker does with them
        provider_event_process_task(*args)
    assert fresh(message).status == Status.DELIVERED
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()


def test_the_sweeper_fetches_the_media_of_an_mms_whose_fetch_task_was_lost(
    texting_firm: Firm,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Received inside the test's transaction: the fetch task's on-commit publish never
    # happens, as when Redis restarted empty after the inbound text was stored.
    texted_contact(texting_firm)
    mms = Message.objects.get(
        provider_message_id=receive(
            sandbox, texting_firm, text="The lease", media=[("lease.jpg", "image/jpeg", JPEG)]
        )
    )
    sms = Message.objects.get(provider_message_id=receive(sandbox, texting_firm, text="Thanks"))
    assert not MessageMedia.objects.filter(message=mms).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep().media_redriven == 0  # not late enough yet: its task may run
    with later(301), django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()
        again = outbox_sweep()
    assert report.media_redriven == 1 and again.media_redriven == 0  # once per grace period
    redriven = enqueued(callbacks)
    assert redriven == [("texting.inbound_media_fetch", (texting_firm.id, mms.id), 0)]
    assert fresh(sms).media_fetched_at is not None  # no media: looked at once, never re-driven
    with later(2 * 24 * 3600 + 60), django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep().media_redriven == 0  # the provider no longer keeps the media
    assert callbacks == []

    for _, args, _ in redriven:  # what the worker does with it
        inbound_media_fetch_task(*args)

    (media,) = MessageMedia.objects.filter(message=mms)
    assert media.accepted
    with media.file.open("rb") as stored:
        assert stored.read() == JPEG
    assert fresh(mms).media_fetched_at is not None
    with later(700), django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep().media_redriven == 0  # fetched: nothing more to do
    assert callbacks == []


def test_the_sweeper_goes_firm_by_firm(
    texting_firm: Firm,
    other_firm: Firm,
    member: User,
    outsider: User,
    sandbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other_firm.toll_free_number_e164 = "+18445550111"
    other_firm.save()
    with scope(firm=texting_firm.id):
        ours = send(texting_firm, member)
    with scope(firm=other_firm.id):
        theirs = send(other_firm, outsider)
    with later(400), django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()
    assert report.firms == 2 and report.requeued == 2
    assert sorted(enqueued(callbacks)) == sorted(
        [
            ("texting.outbound_drain", (texting_firm.id,), 0),
            ("texting.outbound_drain", (other_firm.id,), 0),
        ]
    )
    for firm, message in ((texting_firm, ours), (other_firm, theirs)):  # each drain its own
        with later(400), scope(firm=firm.id):
            assert outbound_drain(firm_id=firm.id) == 1
            assert fresh(message).status != Status.QUEUED  # (the sandbox owns one number)


def test_a_send_a_dead_worker_left_is_reconciled_never_blindly_re_sent(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = send(texting_firm, member)
    claimed_at = timezone.now()
    # A worker claimed it and was killed before the provider call returned.
    Message.objects.filter(id=message.id).update(status=Status.SENDING, updated_at=claimed_at)

    with later(200), django_capture_on_commit_callbacks() as callbacks:
        assert outbox_sweep().unknown == 0  # within the task time limit: it may be running
    with later(301), django_capture_on_commit_callbacks() as callbacks:
        report = outbox_sweep()
    assert (report.unknown, report.reconciled) == (1, 1)
    assert enqueued(callbacks) == [("texting.message_reconcile", (texting_firm.id, message.id), 0)]
    assert fresh(message).awaiting_callback_since == claimed_at
    assert sandbox.control.messages() == []

    with later(301):
        assert message_reconcile(firm_id=texting_firm.id, message_id=message.id) is True
    assert deliver(message) == DeliveryResult.SENT
    assert len(sandbox_sends(sandbox, message)) == 1


def test_a_send_a_dead_worker_got_through_is_completed_by_its_callbacks(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = send(texting_firm, member)
    Message.objects.filter(id=message.id).update(status=Status.SENDING)
    # The worker's request reached the provider; the worker died before recording it.
    with ProviderClient.from_settings() as client:
        client.send_message(
            from_number=message.from_e164, to=message.to_e164, text="x", tag=str(message.uuid)
        )

    feed_callbacks(sandbox, texting_firm, message)

    assert fresh(message).status == Status.DELIVERED
    assert fresh(message).provider_message_id  # learnt from the callback
    with later(3600), django_capture_on_commit_callbacks() as callbacks:
        outbox_sweep()
    assert enqueued(callbacks) == []
    assert len(sandbox_sends(sandbox, message)) == 1


def test_overlapping_sweeps_are_prevented_by_a_lock(
    texting_firm: Firm, member: User, in_firm: None, django_capture_on_commit_callbacks: Any
) -> None:
    send(texting_firm, member)
    with later(400), django_capture_on_commit_callbacks() as callbacks:
        assert cache.add(_SWEEP_LOCK_KEY, "another sweep", timeout=60)
        try:
            report = outbox_sweep()
        finally:
            cache.delete(_SWEEP_LOCK_KEY)
    assert report.locked and report.requeued == 0 and callbacks == []

    with later(400):
        assert outbox_sweep().requeued == 1
    assert cache.get(_SWEEP_LOCK_KEY) is None  # released after the run


def test_the_sweep_runs_every_minute_under_its_stable_name(settings: Any, db: None) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["texting-outbox-sweep"]
    assert entry["task"] == outbox_sweep_task.name == "texting.outbox_sweep"
    assert entry["schedule"] == 60
    outbox_sweep_task()  # no firm has texting: nothing to do, no error


# --- a real worker ------------------------------------------------------------------------------


@pytest.fixture
def worker_env(worker_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The root conftest's, with retries a second apart so a retried text lands quickly."""
    monkeypatch.setenv("TEXTING_RETRY_BACKOFF_SECONDS", "1")


@pytest.mark.worker
def test_a_real_worker_sends_a_text_to_delivered(
    worker_env: None, real_worker: object, texting_firm: Firm, member: User, sandbox: Any
) -> None:
    """With REDIS_URL a worker process delivers the text and applies its status callbacks
    (stored as the webhook stores them, which enqueues their processing); without it the
    tasks run in process on commit."""
    with scope(firm=texting_firm.id):
        contact = texting_contact(texting_firm, CLIENT)
        with transaction.atomic():
            message = message_send(
                firm=texting_firm, sender=member, contact=contact, body="Signed, thanks"
            )

        deadline = time.monotonic() + 30
        # Queued, then sending while the provider's answer is awaited, then sent.
        in_flight = (Status.QUEUED, Status.SENDING)
        while fresh(message).status in in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fresh(message).status == Status.SENT
        feed_callbacks(sandbox, texting_firm, message, process=False)
        while fresh(message).status != Status.DELIVERED and time.monotonic() < deadline:
            time.sleep(0.05)

        assert fresh(message).status == Status.DELIVERED
    assert len(sandbox_sends(sandbox, message)) == 1


@pytest.mark.worker
@pytest.mark.services  # Celery retries need a broker
def test_a_real_worker_retries_a_500_and_the_provider_gets_the_text_once(
    worker_env: None, real_worker: object, texting_firm: Firm, member: User, sandbox: Any
) -> None:
    sandbox.control.set_faults(send_500_rate=0.5, seed=1)  # this seed: a 500, then a 202
    with scope(firm=texting_firm.id):
        contact = texting_contact(texting_firm, CLIENT)
        with transaction.atomic():
            message = message_send(firm=texting_firm, sender=member, contact=contact, body="Hi")

        deadline = time.monotonic() + 30
        while fresh(message).status != Status.SENT and time.monotonic() < deadline:
            time.sleep(0.1)

        assert fresh(message).status == Status.SENT
        assert fresh(message).attempts == 2
    statuses = [r["status"] for r in sandbox.control.requests() if r["method"] == "POST"]
    assert statuses == [500, 202]
    assert len(sandbox_sends(sandbox, message)) == 1
