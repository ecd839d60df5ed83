"""Queued texts sent by a drain of the firm's outbox (outbound_drain.py), against the
provider sandbox over HTTP: every due text once, in order, only the firm's own; paced to
the provider's rate; what the provider refuses handed to the per-text task's retries."""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from config.celery import app
from texting.models import Message, ProviderEvent
from texting.provider import FailureReason
from texting.services import provider_events_drain
from texting.services.outbound_drain import OUTBOUND_DRAIN, outbound_drain, outbound_drain_soon
from texting.services.sending import message_send
from texting.tests.broker import published_only
from texting.tests.factories import texting_contact
from texting.tests.test_send_ratelimit import _forget_shared_bucket
from texting.tests.test_sending import (
    enqueued,
    feed_callbacks,
    fresh,
    queued_without_task,
    sandbox_sends,
)

Status = Message.Status


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 0


def queued(firm: Firm, sender: User | None, count: int, first: int = 143) -> list[Message]:
    """`count` QUEUED texts to different numbers, their drain not run (the tests run it)."""
    with scope(firm=firm.id):
        return [
            queued_without_task(firm, sender, to=f"+1202555{first + n:04d}") for n in range(count)
        ]


def drain(firm: Firm) -> int:
    with scope(firm=firm.id):
        return outbound_drain(firm_id=firm.id)


def test_a_drain_sends_every_due_text_of_its_firm_once_in_order(
    texting_firm: Firm, member: User, sandbox: Any, other_firm: Firm, settings: Any
) -> None:
    settings.TEXTING_DRAIN_SENDERS = 1  # one call at a time: the order is the drain's
    texts = queued(texting_firm, member, 3)
    later = queued(texting_firm, member, 1, first=200)[0]
    with scope(firm=texting_firm.id):
        Message.objects.filter(id=later.id).update(
            next_attempt_at=timezone.now() + timedelta(minutes=5)  # a retry not yet due
        )

    assert drain(texting_firm) == 3
    assert drain(texting_firm) == 0  # a re-run finds nothing left

    with scope(firm=texting_firm.id):
        assert [fresh(m).status for m in texts] == [Status.SENT] * 3
        assert all(fresh(m).attempts == 1 for m in texts)
        assert fresh(later).status == Status.QUEUED and fresh(later).attempts == 0
    assert all(len(sandbox_sends(sandbox, m)) == 1 for m in texts)
    sent_tags = [r["tag"] for r in sandbox.control.messages()]
    assert sent_tags == [str(m.uuid) for m in texts]  # in the order they were queued
    assert drain(other_firm) == 0


def test_a_drain_paces_its_sends_to_the_provider_rate(
    texting_firm: Firm, member: User, sandbox: Any, settings: Any
) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 4
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)
    sandbox.control.set_settings(rate_limit_segments_per_second=4)
    texts = queued(texting_firm, member, 7)
    try:
        started = time.monotonic()
        assert drain(texting_firm) == 7
        took = time.monotonic() - started
    finally:
        _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)

    # A burst of one second's worth (4), then one every quarter second: three more waits.
    assert took >= 0.7
    with scope(firm=texting_firm.id):
        assert [fresh(m).status for m in texts] == [Status.SENT] * 7
    sends = [r for r in sandbox.control.requests() if r["path"].endswith("/messages")]
    assert [r["status"] for r in sends] == [202] * 7  # never a 429


def test_what_the_provider_did_not_take_goes_to_the_per_text_retries(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    texts = queued(texting_firm, member, 2)
    sandbox.control.set_faults(send_500_rate=1.0)
    with django_capture_on_commit_callbacks() as callbacks:
        assert drain(texting_firm) == 2

    with scope(firm=texting_firm.id):
        for message in texts:
            waiting = fresh(message)
            assert waiting.status == Status.QUEUED and waiting.attempts == 1
            assert waiting.next_attempt_at is not None
            assert waiting.next_attempt_at > timezone.now()  # the drain will not take it now
    retries = enqueued(callbacks)
    assert [(task, args) for task, args, _ in retries] == [
        ("texting.message_deliver", (texting_firm.id, m.id)) for m in texts
    ]
    assert all(countdown >= 1 for _, _, countdown in retries)
    assert drain(texting_firm) == 0


@pytest.fixture
def published(texting_firm: Firm, other_firm: Firm) -> Iterator[list[tuple[str, Any]]]:
    """What is published to the broker during the test (nothing runs)."""
    with published_only(*(OUTBOUND_DRAIN.key(f.id) for f in (texting_firm, other_firm))) as sent:
        yield sent


def test_one_drain_is_queued_per_firm_until_it_has_run(
    texting_firm: Firm, member: User, other_firm: Firm, sandbox: Any, published: Any
) -> None:
    outbound_drain_soon(texting_firm.id)
    outbound_drain_soon(texting_firm.id)
    outbound_drain_soon(other_firm.id)
    assert published == [
        ("texting.outbound_drain", (texting_firm.id,)),
        ("texting.outbound_drain", (other_firm.id,)),
    ]

    text = queued(texting_firm, member, 1)[0]  # queued while the drain waits: nothing more
    outbound_drain_soon(texting_firm.id)
    assert drain(texting_firm) == 1  # the queued drain sends it
    with scope(firm=texting_firm.id):
        assert fresh(text).status == Status.SENT
    assert len(published) == 2
    outbound_drain_soon(texting_firm.id)  # after the drain: the next text queues the next one
    outbound_drain_soon(texting_firm.id)
    assert published[2:] == [("texting.outbound_drain", (texting_firm.id,))]


def test_a_drain_finding_another_running_sends_nothing_and_comes_back_later(
    texting_firm: Firm, member: User, sandbox: Any, published: Any
) -> None:
    text = queued(texting_firm, member, 1)[0]
    assert OUTBOUND_DRAIN.start(texting_firm.id)  # as if a drain were running
    try:
        assert drain(texting_firm) == 0
    finally:
        OUTBOUND_DRAIN.finish(texting_firm.id)
    with scope(firm=texting_firm.id):
        assert fresh(text).status == Status.QUEUED
    assert published == [("texting.outbound_drain", (texting_firm.id,))]  # in case it died
    assert drain(texting_firm) == 1


def test_status_callbacks_of_many_texts_are_applied_in_one_batch(
    texting_firm: Firm, member: User, sandbox: Any, django_assert_max_num_queries: Any
) -> None:
    texts = queued(texting_firm, member, 3) + queued(texting_firm, member, 1, first=4720)
    assert drain(texting_firm) == 4
    for message in texts:
        feed_callbacks(sandbox, texting_firm, message, process=False)
    with scope(firm=texting_firm.id):
        assert ProviderEvent.objects.filter(processed_at__isnull=True).count() == 4

        # One UPDATE per callback; the rest is the drain's, however many callbacks: the
        # firm, the batch read and locked, one lookup of all their messages, the mark, an
        # empty second read, the last look (and the savepoints that stand for transactions,
        # with their commit setting on PostgreSQL), and one look for webhook endpoints that
        # want the final statuses (X6).
        with django_assert_max_num_queries(4 + 12 + 1):
            assert provider_events_drain(firm_id=texting_firm.id) == 4

        assert [fresh(m).status for m in texts] == [Status.DELIVERED] * 3 + [Status.FAILED]
        assert fresh(texts[3]).failure_reason == FailureReason.UNREACHABLE_NUMBER


def test_provider_calls_go_side_by_side_and_each_text_once(
    texting_firm: Firm, member: User, sandbox: Any, settings: Any
) -> None:
    settings.TEXTING_DRAIN_SENDERS = 3
    texts = queued(texting_firm, member, 24)
    sandbox.control.set_faults(send_delay_seconds=0.05)  # each answer takes 50 ms

    started = time.monotonic()
    assert drain(texting_firm) == 24
    took = time.monotonic() - started

    assert took < 24 * 0.05 - 0.1  # one sender alone waits 1.2 s for the answers
    with scope(firm=texting_firm.id):
        assert {(fresh(m).status, fresh(m).attempts) for m in texts} == {(Status.SENT, 1)}
    tags = [r["tag"] for r in sandbox.control.messages()]
    assert sorted(tags) == sorted(str(m.uuid) for m in texts)  # each exactly once


def test_without_a_broker_a_send_goes_out_when_its_request_commits(
    texting_firm: Firm, member: User, sandbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The embedded default: tasks run in process, so the firm's drain runs on commit.
    OUTBOUND_DRAIN.finish(texting_firm.id)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with scope(firm=texting_firm.id):
            contact = texting_contact(texting_firm, "+12025550143")
            with django_capture_on_commit_callbacks(execute=True):
                message = message_send(
                    firm=texting_firm, sender=member, contact=contact, body="Court at 9"
                )
            assert fresh(message).status == Status.SENT
    finally:
        app.conf.task_always_eager = eager
    assert [r["tag"] for r in sandbox.control.messages()] == [str(message.uuid)]


def test_a_batch_never_sends_ahead_of_the_rate(
    texting_firm: Firm, member: User, sandbox: Any, settings: Any
) -> None:
    # A provider that refuses (429) what goes over its rate, but for one text queued (the
    # network's jitter between our clock and its): no room for a burst.
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 4
    _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)
    sandbox.control.set_settings(rate_limit_segments_per_second=4, queue_size=1)
    texts = queued(texting_firm, member, 10)
    try:
        assert drain(texting_firm) == 10
    finally:
        _forget_shared_bucket(settings.PROVIDER_ACCOUNT_ID)

    sends = [r for r in sandbox.control.requests() if r["path"].endswith("/messages")]
    assert [r["status"] for r in sends] == [202] * 10  # each left when its turn came
    with scope(firm=texting_firm.id):
        assert {fresh(m).status for m in texts} == {Status.SENT}
