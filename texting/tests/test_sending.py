"""Outbound texts end to end against the provider sandbox (C5, C8, C10, N1).

Deliveries are driven by calling `message_deliver` (the task's body) directly; status
callbacks reach the app the way the webhook stores them: the sandbox's own record of the
callbacks it dispatched is parsed, stored once (`messaging_events_record`) and processed
(`provider_event_process`), in the order the sandbox sent them. A callback the sandbox
holds back (paused) is never fed.
"""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm, User
from contacts.exceptions import ContactNotFound
from contacts.tests.factories import ContactFactory
from texting.exceptions import (
    EmptyMessage,
    MessageNotRetryable,
    MessageTooLong,
    NoTextingNumber,
    NoTollFreeNumber,
    TextingUnavailable,
)
from texting.models import Conversation, Message, OptOut, ProviderEvent
from texting.provider import GUIDANCE, FailureReason, offers_retry, parse_message_callbacks
from texting.services import messaging_events_record, provider_event_process
from texting.services.outbound_drain import outbound_drain_soon
from texting.services.sending import (
    DeliveryPostponed,
    DeliveryResult,
    _publish,
    message_deliver,
    message_retry,
    message_send,
    status_events_apply,
)
from texting.tasks import message_deliver_task
from texting.tests.factories import texting_contact

CLIENT = "+12025550143"
Status = Message.Status


def number(code: str) -> str:
    """A sandbox test number: the last four digits decide the outcome."""
    return f"+1202555{code}"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    """Most tests send a handful of texts; the rate limit has its own tests."""
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 0


@pytest.fixture
def in_firm(firm_scope: Any) -> Iterator[None]:
    with firm_scope():
        yield


def send(
    firm: Firm, sender: User | None, to: str = CLIENT, body: str = "See you at 3pm", **kw: Any
) -> Message:
    contact = texting_contact(firm, to)
    return message_send(firm=firm, sender=sender, contact=contact, body=body, **kw)


def deliver(message: Message) -> DeliveryResult:
    return message_deliver(firm_id=message.firm_id, message_id=message.id)


def fresh(message: Message) -> Message:
    message.refresh_from_db()
    return message


def enqueued(callbacks: list[Any]) -> list[tuple[str, tuple[int, ...], float]]:
    """(task name, args, countdown) of each task a service enqueued on commit."""
    out = []
    for callback in callbacks:
        if callback.func is _publish:  # sending.py's delayed enqueue
            task, args = callback.args
            out.append((task.name, tuple(args), callback.keywords["countdown"]))
        elif callback.func is outbound_drain_soon:  # a send queues its firm's drain
            out.append(("texting.outbound_drain", tuple(callback.args), 0.0))
        else:  # Celery's delay_on_commit: partial(task.delay, *args)
            out.append((callback.func.__self__.name, tuple(callback.args), 0.0))
    return out


def sandbox_sends(sandbox: Any, message: Message) -> list[dict[str, Any]]:
    """What the provider accepted with this message's tag (its own record)."""
    return list(sandbox.control.messages(tag=str(message.uuid)))


def process_stored_events(firm: Firm) -> int:
    with scope(firm=firm.id):
        ids = list(
            ProviderEvent.objects.for_firm(firm)
            .filter(processed_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for event_id in ids:
            provider_event_process(firm_id=firm.id, event_id=event_id)
    return len(ids)


def dispatched_callbacks(
    sandbox: Any, message: Message, *, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """The messaging callbacks the sandbox dispatched for every send with our tag, in the
    order it dispatched them; waits (up to `timeout`) for those still due."""
    deadline = time.monotonic() + timeout
    while True:
        rows: list[dict[str, Any]] = []
        for sent in sandbox_sends(sandbox, message):
            rows += sandbox.control.callbacks(kind="messaging", message_id=sent["id"])
        if not any(r["state"] == "pending" for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    dispatched = [r for r in rows if r["state"] != "pending"]
    return sorted(dispatched, key=lambda r: (r["due_at"], r["id"]))


def feed_callbacks(
    sandbox: Any, firm: Firm, message: Message, *, timeout: float = 5.0, process: bool = True
) -> list[str]:
    """Give the app what the sandbox dispatched, one callback at a time, as the webhook
    stores it; then (unless `process` is off, for a worker to do it) as its task applies
    it. Returns the event types in arrival order."""
    arrived = []
    for row in dispatched_callbacks(sandbox, message, timeout=timeout):
        events = parse_message_callbacks(json.dumps(row["payload"]))
        messaging_events_record(events=events)
        if process:
            process_stored_events(firm)
        arrived.append(row["event_type"])
    return arrived


# --- sending: checks, idempotency, the outbox row ---------------------------------------------


def test_send_queues_the_text_and_enqueues_its_delivery_on_commit(
    texting_firm: Firm, member: User, in_firm: None, django_capture_on_commit_callbacks: Any
) -> None:
    contact = texting_contact(texting_firm, CLIENT)
    with django_capture_on_commit_callbacks() as callbacks:
        message = message_send(
            firm=texting_firm, sender=member, contact=contact, body="Your hearing is at 9 €"
        )

    assert message.status == Status.QUEUED
    assert message.direction == Message.Direction.OUTBOUND
    assert (message.from_e164, message.to_e164) == ("+18445550100", CLIENT)
    assert message.segments == 1
    assert message.next_attempt_at is not None and message.sent_by == member
    conversation = Conversation.objects.get(firm=texting_firm, contact=contact)
    assert conversation.last_message == message
    assert conversation.last_message_at is not None and conversation.last_outbound_at is not None
    # Ids only: never a body or a number in the broker.
    assert enqueued(callbacks) == [("texting.outbound_drain", (texting_firm.id,), 0)]


def test_the_same_idempotency_key_twice_makes_one_message(
    texting_firm: Firm, member: User, in_firm: None, django_capture_on_commit_callbacks: Any
) -> None:
    contact = texting_contact(texting_firm, CLIENT)
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks() as callbacks:
        first = message_send(
            firm=texting_firm, sender=member, contact=contact, body="Hi", idempotency_key=key
        )
        again = message_send(
            firm=texting_firm, sender=member, contact=contact, body="Hi", idempotency_key=key
        )
    assert again.id == first.id
    assert Message.objects.filter(firm=texting_firm).count() == 1
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("plan without texting", TextingUnavailable),
        ("no toll-free number", NoTollFreeNumber),
        ("contact of another firm", ContactNotFound),
        ("contact without texting number", NoTextingNumber),
        ("empty body", EmptyMessage),
        ("blank body", EmptyMessage),
        ("body over 2048 characters", MessageTooLong),
    ],
)
def test_send_refuses_with_a_clear_error_and_creates_nothing(
    case: str,
    error: type[Exception],
    texting_firm: Firm,
    other_firm: Firm,
    member: User,
    in_firm: None,
    unscoped: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = texting_contact(texting_firm, CLIENT)
    body = "Hello"
    if case == "plan without texting":
        texting_firm.plan = Firm.Plan.EASYSTART
        texting_firm.save()
    elif case == "no toll-free number":
        texting_firm.toll_free_number_e164 = None
        texting_firm.save()
    elif case == "contact of another firm":
        contact = texting_contact(other_firm, CLIENT)
    elif case == "contact without texting number":
        contact = ContactFactory(firm=texting_firm)
    elif case == "empty body":
        body = ""
    elif case == "blank body":
        body = "  \n "
    elif case == "body over 2048 characters":
        body = "x" * 2049

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(error) as raised:
        message_send(firm=texting_firm, sender=member, contact=contact, body=body)

    assert str(raised.value).endswith(".")  # a sentence the user reads
    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 0
    assert callbacks == []


def test_a_body_of_exactly_2048_characters_is_accepted(
    texting_firm: Firm, member: User, in_firm: None
) -> None:
    message = send(texting_firm, member, body="x" * 2048)
    assert message.status == Status.QUEUED
    assert message.segments == 14  # ceil(2048 / 153)
    error = MessageTooLong(length=2049, limit=2048)
    assert error.message == "A text can have at most 2048 characters; this one has 2049."


# --- delivering: once, to DELIVERED ------------------------------------------------------------


def test_a_text_is_sent_once_with_our_tag_and_ends_delivered(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member, body="Please bring your ID")

    assert deliver(message) == DeliveryResult.SENT
    sent = fresh(message)
    assert sent.status == Status.SENT and sent.sent_at is not None and sent.attempts == 1

    records = sandbox_sends(sandbox, message)
    assert len(records) == 1
    assert records[0]["tag"] == str(message.uuid)
    assert records[0]["to"] == [CLIENT] and records[0]["text"] == "Please bring your ID"
    assert records[0]["id"] == sent.provider_message_id

    # An SMS gets one status callback: Bandwidth sends message-sending for MMS only.
    assert feed_callbacks(sandbox, texting_firm, message) == ["message-delivered"]
    done = fresh(message)
    assert done.status == Status.DELIVERED
    assert done.delivered_at is not None and done.failure_reason == ""


def test_delivering_the_same_message_twice_posts_once(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    assert deliver(message) == DeliveryResult.SENT
    assert deliver(message) == DeliveryResult.SKIPPED  # a replayed or duplicated task
    message_deliver_task(texting_firm.id, message.id)  # the task itself, once more
    assert len(sandbox_sends(sandbox, message)) == 1
    posts = [r for r in sandbox.control.requests() if r["method"] == "POST"]
    assert len([r for r in posts if r["path"].endswith("/messages")]) == 1


def queued_without_task(firm: Firm, sender: User | None, to: str = CLIENT) -> Message:
    """A queued text whose task was never published: as if the broker lost it after commit.

    With transactional_db the on-commit publish would run for real; it is dropped here.
    """
    with transaction.atomic():
        message = send(firm, sender, to=to)
        connection.run_on_commit.clear()
    return message


@pytest.mark.services  # two connections racing for one row need PostgreSQL
def test_two_workers_racing_for_one_message_post_once(
    transactional_db: None, texting_firm: Firm, member: User, sandbox: Any
) -> None:
    with scope(firm=texting_firm.id):
        message = queued_without_task(texting_firm, member)
    barrier = threading.Barrier(4)
    results: list[DeliveryResult] = []

    def worker() -> None:
        try:
            with scope(firm=texting_firm.id):
                barrier.wait()
                results.append(deliver(message))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == sorted([DeliveryResult.SENT] + [DeliveryResult.SKIPPED] * 3)
    assert len(sandbox_sends(sandbox, message)) == 1
    with scope(firm=texting_firm.id):
        assert fresh(message).status == Status.SENT


# --- failure reasons (C8) ------------------------------------------------------------------------

C8_CASES = [
    ("4720", FailureReason.UNREACHABLE_NUMBER, "correctly formatted North American number"),
    ("4750", FailureReason.REJECTED_BY_CARRIER, "carrier rejected the text"),
    ("4770", FailureReason.REJECTED_BY_CARRIER, "carrier rejected the text"),
    ("4775", FailureReason.OPTED_OUT, "must text START"),
    ("4795", FailureReason.BLOCKED_UNVERIFIED, "has not been verified yet"),
    ("5100", FailureReason.TEMPORARY_ERROR, "unusual error; please try again"),
    ("5600", FailureReason.TEMPORARY_ERROR, "unusual error; please try again"),
    ("5610", FailureReason.CARRIER_ERROR, "carrier side stopped the text; please try again"),
    ("5620", FailureReason.CARRIER_ERROR, "carrier side stopped the text; please try again"),
    ("5999", FailureReason.UNKNOWN_ERROR, "unexpected error occurred"),
    ("9999", FailureReason.UNKNOWN_ERROR, "unexpected error occurred"),
    ("9902", FailureReason.UNKNOWN_ERROR, "unexpected error occurred"),
]


@pytest.mark.parametrize(("code", "reason", "guidance"), C8_CASES)
def test_each_failure_reason_end_to_end_with_its_guidance(
    code: str,
    reason: FailureReason,
    guidance: str,
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
) -> None:
    message = send(texting_firm, member, to=number(code))
    assert deliver(message) == DeliveryResult.SENT

    arrived = feed_callbacks(sandbox, texting_firm, message)

    assert arrived[-1] == "message-failed"
    failed = fresh(message)
    assert failed.status == Status.FAILED
    assert failed.failure_reason == reason
    assert failed.error_code == int(code)
    assert failed.failed_at is not None
    assert guidance in GUIDANCE[FailureReason(failed.failure_reason)]
    assert offers_retry(failed.failure_reason) == (
        reason
        in {FailureReason.TEMPORARY_ERROR, FailureReason.CARRIER_ERROR, FailureReason.UNKNOWN_ERROR}
    )
    assert len(sandbox_sends(sandbox, message)) == 1  # a failure is never re-sent by itself


def test_an_unverified_toll_free_number_is_blocked(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    sandbox.control.set_settings(block_unverified=True)
    message = send(texting_firm, member)
    deliver(message)
    feed_callbacks(sandbox, texting_firm, message)
    assert fresh(message).failure_reason == FailureReason.BLOCKED_UNVERIFIED


def test_an_invalid_number_fails_as_unreachable_without_a_post(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member, to="+1202555")
    assert deliver(message) == DeliveryResult.FAILED
    assert fresh(message).failure_reason == FailureReason.UNREACHABLE_NUMBER
    assert sandbox.control.messages() == []


# --- provider errors: retry, rate limit, our own configuration ---------------------------------


def test_a_500_is_retried_and_then_delivered_once(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    sandbox.control.set_faults(send_500_rate=1.0)
    before = timezone.now()

    with pytest.raises(DeliveryPostponed) as postponed:
        deliver(message)

    waiting = fresh(message)
    assert waiting.status == Status.QUEUED and waiting.attempts == 1
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > before
    assert postponed.value.countdown >= 1
    assert sandbox.control.messages() == []  # a 500 means "not sent" (PROVIDER_API.md §1)

    sandbox.control.set_faults(send_500_rate=0.0)
    assert deliver(message) == DeliveryResult.SENT  # Celery's retry runs the same body
    feed_callbacks(sandbox, texting_firm, message)
    assert fresh(message).status == Status.DELIVERED
    assert fresh(message).attempts == 2
    assert len(sandbox_sends(sandbox, message)) == 1


def test_a_429_puts_the_next_attempt_after_retry_after(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None, settings: Any
) -> None:
    settings.TEXTING_RETRY_BACKOFF_SECONDS = 0  # so only Retry-After decides
    message = send(texting_firm, member)
    sandbox.control.set_faults(send_429_rate=1.0)
    before = timezone.now()

    with pytest.raises(DeliveryPostponed) as postponed:
        deliver(message)

    assert postponed.value.http_status == 429
    assert postponed.value.retry_after == 1
    assert postponed.value.countdown >= 1
    waiting = fresh(message)
    assert waiting.status == Status.QUEUED
    assert (waiting.next_attempt_at - before).total_seconds() >= 1


def test_the_task_retries_through_celery_and_fails_the_text_when_out_of_retries(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    sandbox.control.set_faults(send_500_rate=1.0)
    with pytest.raises(DeliveryPostponed) as postponed:
        deliver(message)

    # What Celery calls once max_retries is spent (the row is QUEUED again by then).
    message_deliver_task.on_failure(
        postponed.value, "task-id", (texting_firm.id, message.id), {}, None
    )

    failed = fresh(message)
    assert failed.status == Status.FAILED
    assert failed.failure_reason == FailureReason.TEMPORARY_ERROR
    assert offers_retry(failed.failure_reason)


def test_the_last_celery_retry_gives_up_with_the_provider_error(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    sandbox.control.set_faults(send_500_rate=1.0)
    task = message_deliver_task
    task.push_request(id="t-1", retries=task.max_retries, called_directly=False, is_eager=False)
    try:
        with pytest.raises(DeliveryPostponed):  # no retry left: Celery then calls on_failure
            task.run(texting_firm.id, message.id)
    finally:
        task.pop_request()
    assert fresh(message).status == Status.QUEUED and fresh(message).attempts == 1


def test_our_bad_credentials_keep_the_text_queued_for_later(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    message = send(texting_firm, member)
    settings.PROVIDER_PASSWORD = "not-the-password"
    settings.TEXTING_CONFIGURATION_RETRY_SECONDS = 900

    with django_capture_on_commit_callbacks() as callbacks:
        assert deliver(message) == DeliveryResult.DEFERRED

    waiting = fresh(message)
    assert waiting.status == Status.QUEUED and waiting.failure_reason == ""
    assert (waiting.next_attempt_at - timezone.now()).total_seconds() > 800
    assert enqueued(callbacks) == [("texting.message_deliver", (texting_firm.id, message.id), 900)]
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and all(CLIENT not in r.getMessage() for r in caplog.records)
    assert sandbox.control.messages() == []

    settings.PROVIDER_PASSWORD = sandbox.password
    assert deliver(message) == DeliveryResult.SENT


def test_running_the_task_without_a_broker_never_fails_the_caller(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    sandbox.control.set_faults(send_500_rate=1.0)
    message_deliver_task.apply((texting_firm.id, message.id))  # eager: no broker to retry on
    assert fresh(message).status == Status.QUEUED


# --- callbacks in any order, any number of times -------------------------------------------------


@pytest.mark.parametrize("to", [CLIENT, number("5610")])
def test_duplicated_and_reordered_callbacks_never_move_a_text_backwards(
    to: str, texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    sandbox.control.set_faults(duplicate_callbacks=True, out_of_order_callbacks=True)
    message = send(texting_firm, member, to=to)
    deliver(message)

    seen = []
    for row in dispatched_callbacks(sandbox, message):
        messaging_events_record(events=parse_message_callbacks(json.dumps(row["payload"])))
        process_stored_events(texting_firm)
        seen.append((row["event_type"], fresh(message).status))

    final = Status.DELIVERED if to == CLIENT else Status.FAILED
    terminal = "message-failed" if final == Status.FAILED else "message-delivered"
    assert [event for event, _ in seen] == [terminal, terminal]  # sent at once, then again
    assert all(status == final for _, status in seen)
    assert ProviderEvent.objects.filter(firm=texting_firm).count() == 1  # stored once


def test_status_callbacks_for_texts_that_are_not_ours_change_nothing(
    texting_firm: Firm, other_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    deliver(message)
    row = dispatched_callbacks(sandbox, message)[-1]
    # The same callback routed to another firm: our tag means nothing there.
    with scope(firm=other_firm.id):
        foreign = ProviderEvent.objects.create(
            firm=other_firm,
            kind=ProviderEvent.Kind.MESSAGING,
            event_type=row["event_type"],
            dedupe_key="x",
            payload=row["payload"][0],
            provider_message_id=row["message_id"],
            tag=str(message.uuid),
        )
        status_events_apply(firm=other_firm, events=[foreign])
    unknown = ProviderEvent(
        firm=texting_firm,
        kind=ProviderEvent.Kind.MESSAGING,
        event_type="message-delivered",
        provider_message_id="1720000000000unknownunknown0",
        tag="not-one-of-ours",
    )
    status_events_apply(firm=texting_firm, events=[unknown])
    assert fresh(message).status == Status.SENT


# --- opt-out (C10) -------------------------------------------------------------------------------


def test_an_opted_out_number_fails_at_once_without_a_provider_call(
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    in_firm: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    OptOut.objects.create(
        firm=texting_firm,
        number_e164=CLIENT,
        source=OptOut.Source.KEYWORD,
        opted_out_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        message = send(texting_firm, member)

    assert message.status == Status.FAILED
    assert message.failure_reason == FailureReason.OPTED_OUT
    assert callbacks == []
    assert deliver(message) == DeliveryResult.SKIPPED
    assert sandbox.control.messages() == []

    # The opt-out confirmation itself goes through.
    confirmation = message_send(
        firm=texting_firm,
        sender=None,
        contact=message.conversation.contact,
        body="You are unsubscribed. Reply START to text us again.",
        automated=True,
        bypass_opt_out=True,
    )
    assert confirmation.status == Status.QUEUED and confirmation.automated


def test_a_4775_failure_opts_the_number_out_for_later_sends(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    first = send(texting_firm, member, to=number("4775"))
    deliver(first)
    feed_callbacks(sandbox, texting_firm, first)

    opt_out = OptOut.objects.get(firm=texting_firm, number_e164=number("4775"))
    assert opt_out.source == OptOut.Source.PROVIDER and opt_out.opted_in_at is None

    later = message_send(
        firm=texting_firm, sender=member, contact=first.conversation.contact, body="Again"
    )
    assert later.status == Status.FAILED and later.failure_reason == FailureReason.OPTED_OUT
    assert len(sandbox.control.messages()) == 1


def test_a_late_4775_does_not_undo_a_start_sent_after_it(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member, to=number("4775"))
    deliver(message)
    OptOut.objects.create(
        firm=texting_firm,
        number_e164=number("4775"),
        source=OptOut.Source.KEYWORD,
        opted_out_at=timezone.now(),
        opted_in_at=timezone.now() + timedelta(minutes=1),  # START came after the failure
    )
    feed_callbacks(sandbox, texting_firm, message)  # the failure's callback arrives late

    assert fresh(message).failure_reason == FailureReason.OPTED_OUT
    assert OptOut.objects.get(number_e164=number("4775")).opted_in_at is not None


# --- retry (C8) ----------------------------------------------------------------------------------


def test_retry_creates_a_new_attempt_linked_to_the_failed_one(
    texting_firm: Firm, member: User, admin: User, sandbox: Any, in_firm: None
) -> None:
    failed = send(texting_firm, member, to=number("5100"), body="Court moved to 10am")
    deliver(failed)
    feed_callbacks(sandbox, texting_firm, failed)
    assert fresh(failed).failure_reason == FailureReason.TEMPORARY_ERROR

    retry = message_retry(firm=texting_firm, actor=admin, message=failed)

    assert retry.retry_of == failed and retry.id != failed.id
    assert retry.status == Status.QUEUED and retry.sent_by == admin
    assert retry.body == "Court moved to 10am" and retry.conversation == failed.conversation
    assert fresh(failed).status == Status.FAILED  # the record of the failure stays
    assert deliver(retry) == DeliveryResult.SENT
    assert len(sandbox.control.messages()) == 2  # one per attempt, each with its own tag

    with pytest.raises(MessageNotRetryable, match="already retried"):
        message_retry(firm=texting_firm, actor=admin, message=failed)


@pytest.mark.parametrize("code", ["4720", "4750", "4795", "4775"])
def test_retry_refuses_reasons_that_do_not_say_try_again(
    code: str, texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    failed = send(texting_firm, member, to=number(code))
    deliver(failed)
    feed_callbacks(sandbox, texting_firm, failed)

    with pytest.raises(MessageNotRetryable, match="cannot be retried"):
        message_retry(firm=texting_firm, actor=member, message=fresh(failed))
    assert Message.objects.filter(retry_of=failed).count() == 0


def test_retry_refuses_a_text_that_did_not_fail(
    texting_firm: Firm, member: User, sandbox: Any, in_firm: None
) -> None:
    message = send(texting_firm, member)
    with pytest.raises(MessageNotRetryable, match="Only a failed text"):
        message_retry(firm=texting_firm, actor=member, message=message)
