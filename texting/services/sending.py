"""Outbound texts: the outbox, the provider call, delivery status (C5, C8, N1).

The message row is the outbox (see the lifecycle in `Message`'s docstring):

- `message_send` checks everything it can before writing, then creates the message QUEUED
  (or FAILED `opted_out`, without any provider call) in the same transaction as the
  conversation's "last message" fields, and queues a drain of the firm's outbox on commit
  (outbound_drain.py), which sends each due text as `message_deliver` does.
- `message_deliver` (the per-text task's body: retries, re-drives; never in a transaction)
  claims QUEUED → SENDING with a conditional update, so a duplicated or replayed task is a
  no-op; waits its turn in the provider's rate limit (re-scheduled, never asleep in a
  worker; a drain sleeps through waits under a second); calls the provider with
  our message uuid as `tag`; then records the outcome with guarded updates:
      202                     → SENT (provider id kept)
      ProviderUnavailable     → QUEUED again with next_attempt_at; Celery retries the task
      ProviderRejected        → FAILED with the reason (never retried)
      our configuration wrong → QUEUED, retried much later (a client's text is not burnt)
      OutcomeUnknown          → stays SENDING, awaiting the callback that carries our tag;
                                `message_reconcile` re-sends only when none came in time
                                (PROVIDER_API.md decision 3: the one documented window in
                                which the provider may get the same text twice).
- `status_events_apply` moves a message forward only (queued < sending < sent < delivered =
  failed; terminal states never change), whatever order callbacks arrive in.
- The outbox sweeper (`outbox.py`) re-enqueues what a lost broker message left behind and
  reconciles sends that a dead worker left in SENDING, through the helpers here.

Logs carry ids only: never a body, never a full phone number.
"""

from __future__ import annotations

import enum
import functools
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Firm, User
from contacts.exceptions import ContactNotFound
from contacts.models import Contact
from contacts.selectors import texting_number

from .. import ratelimit
from ..exceptions import (
    EmptyMessage,
    MessageNotRetryable,
    MessageTooLong,
    NoTextingNumber,
    NoTollFreeNumber,
)
from ..models import Conversation, Message, OptOut, ProviderEvent, preview_of
from ..provider import (
    GUIDANCE,
    FailureReason,
    OutcomeUnknown,
    ProviderAuthError,
    ProviderClient,
    ProviderConfig,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    SentMessage,
    failure_for_code,
    offers_retry,
)
from ..segments import MAX_TEXT_CHARS, segment_count
from ..signals import outbound_status_changed
from .availability import texting_available_require
from .optouts import opt_out_active, opt_out_record

logger = logging.getLogger(__name__)

Status = Message.Status

# Forward order of the outbound lifecycle; a transition goes only to a higher rank.
_RANK: dict[str, int] = {
    Status.QUEUED: 0,
    Status.SENDING: 1,
    Status.SENT: 2,
    Status.DELIVERED: 3,
    Status.FAILED: 3,
}
# What each provider status callback means for our message. "message-sending" says the
# provider has it and is handing it to the carrier: for us, sent.
_EVENT_STATUS: dict[str, str] = {
    "message-sending": Status.SENT,
    "message-sent": Status.SENT,
    "message-delivered": Status.DELIVERED,
    "message-failed": Status.FAILED,
}
# A message-failed without errorCode: the provider's "unknown downstream error".
_UNKNOWN_CODE = 9999
# In the embedded default (no broker, tasks run in process) a countdown cannot be honoured;
# waits up to this long (the rate limit's) are slept through, longer ones are left to the
# callback or the outbox sweeper.
_EAGER_MAX_WAIT_SECONDS = 2.0


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def outcome_wait_seconds() -> float:
    """How long a send whose answer was lost waits for a callback before it is re-sent."""
    return _setting("TEXTING_OUTCOME_WAIT_SECONDS", 120)


class DeliveryResult(enum.StrEnum):
    """What one `message_deliver` call did (for the task, logs and tests)."""

    SKIPPED = "skipped"  # not QUEUED: another worker has it, or it is done
    SENT = "sent"  # the provider accepted it (202)
    DEFERRED = "deferred"  # rate limit or our configuration: back to QUEUED, re-enqueued
    FAILED = "failed"  # refused for good (or out of attempts)
    OUTCOME_UNKNOWN = "outcome_unknown"  # sent, answer lost: waiting for the callback
    WAITING = "waiting"  # not its turn in the rate limit yet; nothing changed (a drain's)


class DeliveryPostponed(ProviderUnavailable):
    """The provider did not take the text (5xx, 429, connection): it is QUEUED again and
    should be tried in `countdown` seconds. The task re-raises it through Celery's retry."""

    def __init__(self, cause: ProviderUnavailable, *, countdown: float) -> None:
        super().__init__(
            cause.message,
            operation=cause.operation,
            http_status=cause.http_status,
            retry_after=cause.retry_after,
            error_type=cause.error_type,
        )
        self.countdown = countdown


# --- sending ---------------------------------------------------------------------------------


@transaction.atomic
def conversation_get_or_create(*, firm: Firm, contact: Contact) -> Conversation:
    """The one conversation between the firm and `contact`; safe under concurrent calls.

    Raises ContactNotFound for a contact of another firm.
    """
    if contact.firm_id != firm.id:
        raise ContactNotFound("No such contact.")
    conversation, _ = Conversation.objects.for_firm(firm).get_or_create(firm=firm, contact=contact)
    return conversation


def _check_can_text(firm: Firm) -> str:
    """The firm's toll-free number, or the error that says why the firm cannot text."""
    texting_available_require(firm=firm)
    if not firm.toll_free_number_e164:
        raise NoTollFreeNumber()
    return str(firm.toll_free_number_e164)


def _check_body(body: str) -> None:
    if not body or not body.strip():
        raise EmptyMessage()
    if len(body) > MAX_TEXT_CHARS:
        raise MessageTooLong(length=len(body), limit=MAX_TEXT_CHARS)


def _recipient_number(firm: Firm, contact: Contact) -> str:
    if contact.firm_id != firm.id:
        raise ContactNotFound("No such contact.")
    number = texting_number(contact)
    if number is None:
        raise NoTextingNumber()
    return number.number_e164


def _message_create(
    *,
    firm: Firm,
    from_e164: str,
    conversation: Conversation,
    to_e164: str,
    sender: User | None,
    body: str,
    idempotency_key: uuid.UUID | None,
    automated: bool,
    bypass_opt_out: bool,
    retry_of: Message | None = None,
) -> Message:
    """Insert the outbound message (QUEUED, or FAILED opted_out) and bump the conversation.

    Runs inside the caller's transaction; the deliver task is enqueued on its commit.
    """
    now = timezone.now()
    fields: dict[str, Any] = {
        "firm": firm,
        "conversation": conversation,
        "direction": Message.Direction.OUTBOUND,
        "body": body,
        "from_e164": from_e164,
        "to_e164": to_e164,
        "segments": segment_count(body),
        "sent_by": sender,
        "automated": automated,
        "retry_of": retry_of,
        "idempotency_key": idempotency_key,
    }
    refused = not bypass_opt_out and opt_out_active(firm=firm, number=to_e164)
    if refused:
        # C10: refused before any provider call; the thread shows why.
        fields.update(status=Status.FAILED, failure_reason=FailureReason.OPTED_OUT, failed_at=now)
    else:
        fields.update(status=Status.QUEUED, next_attempt_at=now)
    try:
        with transaction.atomic():
            message = Message.objects.create(**fields)
    except IntegrityError:
        # A concurrent request with the same key (or a concurrent retry) won the insert.
        if idempotency_key is not None:
            first = Message.objects.for_firm(firm).filter(idempotency_key=idempotency_key).first()
            if first is not None:
                return first
        if retry_of is not None:
            raise MessageNotRetryable(
                "This text was already retried; retry the newest attempt instead."
            ) from None
        raise
    conversations = Conversation.objects.for_firm(firm).filter(id=conversation.id)
    conversations.update(last_outbound_at=now, updated_at=now)
    # An inbound text that committed meanwhile with a later time keeps the preview.
    conversations.filter(Q(last_message_at__isnull=True) | Q(last_message_at__lte=now)).update(
        last_message=message,
        last_message_at=now,
        last_message_direction=Message.Direction.OUTBOUND,
        last_message_preview=preview_of(message.body),
    )
    conversation.last_outbound_at = now
    if refused:
        logger.info(
            "text refused: number opted out",
            extra={"firm_id": firm.id, "message_id": message.id},
        )
        outbound_status_changed.send(
            sender=Message, firm_id=firm.id, changes={Status.FAILED: [message.id]}
        )
    else:
        from .outbound_drain import outbound_drain_soon

        transaction.on_commit(functools.partial(outbound_drain_soon, firm.id))
        logger.info("text queued", extra={"firm_id": firm.id, "message_id": message.id})
    return message


@transaction.atomic
def message_send(
    *,
    firm: Firm,
    sender: User | None,
    contact: Contact,
    body: str,
    idempotency_key: uuid.UUID | None = None,
    automated: bool = False,
    bypass_opt_out: bool = False,
) -> Message:
    """Queue one SMS to the contact's texting number; delivered by a task after commit.

    The same (firm, idempotency_key) returns the first message and sends nothing more, even
    under concurrent requests. A number with an active opt-out gets a message created
    FAILED `opted_out` and no provider call (C10), unless `bypass_opt_out` (only the opt-out
    confirmation itself). Raises, writing nothing: TextingUnavailable (T3),
    NoTollFreeNumber, ContactNotFound (another firm's contact), NoTextingNumber,
    EmptyMessage, MessageTooLong (over the provider's 2048 characters, C5).
    """
    if idempotency_key is not None:
        first = Message.objects.for_firm(firm).filter(idempotency_key=idempotency_key).first()
        if first is not None:
            return first
    from_e164 = _check_can_text(firm)
    to_e164 = _recipient_number(firm, contact)
    _check_body(body)
    conversation = conversation_get_or_create(firm=firm, contact=contact)
    return _message_create(
        firm=firm,
        from_e164=from_e164,
        conversation=conversation,
        to_e164=to_e164,
        sender=sender,
        body=body,
        idempotency_key=idempotency_key,
        automated=automated,
        bypass_opt_out=bypass_opt_out,
    )


@transaction.atomic
def message_retry(*, firm: Firm, actor: User, message: Message) -> Message:
    """A new attempt of a failed text, linked to it by `retry_of`, sent like message_send.

    Only a FAILED outbound text whose reason says "try again" (C8, `offers_retry`) and that
    has not been retried yet; two concurrent retries make one attempt. Raises
    MessageNotRetryable (with the sentence why), or what message_send raises.
    """
    if message.firm_id != firm.id:
        raise Message.DoesNotExist
    failed = (
        Message.objects.for_firm(firm)
        .select_for_update()
        .select_related("conversation__contact")
        .get(id=message.id)
    )
    if failed.direction != Message.Direction.OUTBOUND:
        raise MessageNotRetryable("Only texts the firm sent can be retried.")
    if failed.status != Status.FAILED:
        raise MessageNotRetryable(
            f"Only a failed text can be retried; this one is {failed.get_status_display().lower()}."
        )
    if not failed.failure_reason or not offers_retry(failed.failure_reason):
        reason = FailureReason(failed.failure_reason or FailureReason.UNKNOWN_ERROR)
        raise MessageNotRetryable(
            f"A text that failed with “{reason.label.lower()}” cannot be retried. "
            f"{GUIDANCE[reason]}"
        )
    if Message.objects.for_firm(firm).filter(retry_of=failed).exists():
        raise MessageNotRetryable(
            "This text was already retried; retry the newest attempt instead."
        )
    from_e164 = _check_can_text(firm)
    contact = failed.conversation.contact
    to_e164 = _recipient_number(firm, contact)
    return _message_create(
        firm=firm,
        from_e164=from_e164,
        conversation=failed.conversation,
        to_e164=to_e164,
        sender=actor,
        body=failed.body,
        idempotency_key=None,
        automated=False,
        bypass_opt_out=False,
        retry_of=failed,
    )


# --- delivering ------------------------------------------------------------------------------


def _outbound(firm_id: int, message_id: int) -> QuerySet[Message]:
    return Message.objects.filter(
        firm_id=firm_id, id=message_id, direction=Message.Direction.OUTBOUND
    )


def _log_extra(firm_id: int, message_id: int, **more: Any) -> dict[str, Any]:
    return {"firm_id": firm_id, "message_id": message_id, **more}


def _publish(
    task: Any,
    args: tuple[int, int],
    *,
    countdown: float,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """Publish `task(*args, **kwargs)` to run in `countdown` seconds (an on-commit callback)."""
    if not task.app.conf.task_always_eager:
        task.apply_async(args, kwargs, countdown=countdown)
        return
    # Embedded default (no broker, tasks run in process): "later" can only mean sleeping
    # here, which is fine for a rate-limit wait; anything longer is left to the status
    # callback or the outbox sweeper.
    if countdown > _EAGER_MAX_WAIT_SECONDS:
        logger.info(
            "no broker: %s left to the callback or the outbox sweeper",
            task.name,
            extra=_log_extra(*args),
        )
        return
    time.sleep(countdown)
    task.apply_async(args, kwargs)


def _run_later(
    task: Any, args: tuple[int, int], countdown: float, kwargs: dict[str, Any] | None = None
) -> None:
    """Enqueue `task(*args)` in `countdown` seconds once the current transaction commits."""
    transaction.on_commit(
        functools.partial(
            _publish, task, args, countdown=max(0.0, round(countdown, 3)), kwargs=kwargs
        )
    )


def _deliver_later(
    firm_id: int, message_id: int, countdown: float, *, has_turn: bool = False
) -> None:
    from ..tasks import message_deliver_task

    kwargs = {"has_turn": True} if has_turn else None
    _run_later(message_deliver_task, (firm_id, message_id), countdown, kwargs)


def _reconcile_later(firm_id: int, message_id: int, countdown: float) -> None:
    from ..tasks import message_reconcile_task

    _run_later(message_reconcile_task, (firm_id, message_id), countdown)


def _back_to_queue(firm_id: int, message_id: int, *, delay: float) -> int:
    now = timezone.now()
    return (
        _outbound(firm_id, message_id)
        .filter(status=Status.SENDING)
        .update(
            status=Status.QUEUED,
            next_attempt_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
    )


def _fail(
    firm_id: int,
    message_id: int,
    *,
    reason: FailureReason,
    from_statuses: tuple[str, ...] = (Status.SENDING,),
    error_code: int | None = None,
) -> int:
    now = timezone.now()
    failed = (
        _outbound(firm_id, message_id)
        .filter(status__in=from_statuses)
        .update(
            status=Status.FAILED,
            failure_reason=reason,
            error_code=error_code,
            failed_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
    )
    if failed:
        outbound_status_changed.send(
            sender=Message, firm_id=firm_id, changes={Status.FAILED: [message_id]}
        )
    return failed


def _retry_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter (attempt 1 → up to 5 s), at least the provider's
    Retry-After and at least one second."""
    backoff = get_exponential_backoff_interval(
        factor=int(_setting("TEXTING_RETRY_BACKOFF_SECONDS", 5)),
        retries=max(0, attempt - 1),
        maximum=int(_setting("TEXTING_RETRY_BACKOFF_MAX_SECONDS", 600)),
        full_jitter=True,
    )
    return float(max(1.0, backoff, retry_after or 0.0))


def _configuration_error(error: ProviderRejected) -> bool:
    """True when the refusal is about our setup, not the text or its recipient."""
    if isinstance(error, ProviderAuthError):
        return True
    return error.local and any(fe.field == "applicationId" for fe in error.field_errors)


def message_deliver(*, firm_id: int, message_id: int, has_turn: bool = False) -> DeliveryResult:
    """Send one QUEUED text to the provider, at most once per claim; idempotent.

    Never runs inside a transaction (it calls the network): every write is its own guarded
    update. Returns what it did. Raises DeliveryPostponed (a ProviderUnavailable) after
    putting the text back to QUEUED with `next_attempt_at`, for Celery to retry; raises
    ImproperlyConfigured before claiming anything when the provider settings are missing.
    """
    message = _outbound(firm_id, message_id).first()
    if message is None or message.status != Status.QUEUED:
        return DeliveryResult.SKIPPED
    client = _provider_client()
    refused = _claim(message, has_turn=has_turn)
    if refused is not None:
        return refused
    return _send_claimed(client, message)


_clients = threading.local()


def _provider_client() -> ProviderClient:
    """This thread's provider client, kept while the provider settings stay the same.

    A client per text meant a new HTTP session, and a new TCP connection, for every text;
    settings are still read each time, so a change (tests, credential rotation) takes effect
    on the next text.
    """
    config = ProviderConfig.from_settings()
    client: ProviderClient | None = getattr(_clients, "client", None)
    if client is None or client.config != config:
        if client is not None:
            client.close()
        client = _clients.client = ProviderClient(config)
    return client


def _take_turn(
    message: Message, *, has_turn: bool, max_sleep: float = 0.0, defer: bool = True
) -> DeliveryResult | None:
    """None when `message` (read as QUEUED) may go now, its segments reserved in the rate
    limit; else what happened instead: FAILED out of attempts, or DEFERRED (SKIPPED if no
    longer QUEUED) for the rate limit. `max_sleep`: a rate-limit wait up to this long is
    slept through here (a drain pacing its own sends); a longer one re-schedules the text,
    or with `defer` off leaves it untouched (WAITING) for the caller to come back to.
    """
    firm_id, message_id = message.firm_id, message.id
    max_attempts = int(_setting("TEXTING_MAX_SEND_ATTEMPTS", 20))
    if message.attempts >= max_attempts:
        if not _fail(
            firm_id,
            message_id,
            reason=FailureReason.TEMPORARY_ERROR,
            from_statuses=(Status.QUEUED,),
        ):
            return DeliveryResult.SKIPPED
        logger.warning(
            "text failed: out of attempts",
            extra=_log_extra(firm_id, message_id, attempts=message.attempts),
        )
        return DeliveryResult.FAILED

    # The rate limit first, then the claim: a text that must wait stays QUEUED untouched
    # but for its due time (a duplicate task costs the limit a token, never a 429). A text
    # refused takes a turn in the line of waiting texts (ratelimit.turn) and sleeps until
    # it; once its turn has come (`has_turn`) it only waits for the next token.
    wait = ratelimit.acquire(message.segments)
    while 0 < wait <= max_sleep:
        time.sleep(wait)
        wait = ratelimit.acquire(message.segments)
    if wait > 0 and not defer:
        return DeliveryResult.WAITING
    if wait > 0:
        if not has_turn:
            wait = ratelimit.turn(message.segments, wait)
        now = timezone.now()
        waiting = (
            _outbound(firm_id, message_id)
            .filter(status=Status.QUEUED)
            .update(next_attempt_at=now + timedelta(seconds=wait), updated_at=now)
        )
        if waiting:
            _deliver_later(firm_id, message_id, wait, has_turn=True)
            logger.debug(
                "text waits %.2fs for the rate limit", wait, extra=_log_extra(firm_id, message_id)
            )
        return DeliveryResult.DEFERRED if waiting else DeliveryResult.SKIPPED
    return None


def _mark_sending(firm_id: int, messages: list[Message]) -> bool:
    """Claim QUEUED → SENDING and count the attempt, in one UPDATE: the count is stored
    before the text goes. True when every one was claimed (their `attempts` then updated);
    a caller claiming several under their row locks rolls back otherwise."""
    claimed = Message.objects.filter(
        firm_id=firm_id,
        direction=Message.Direction.OUTBOUND,
        status=Status.QUEUED,
        id__in=[message.id for message in messages],
    ).update(
        status=Status.SENDING,
        next_attempt_at=None,
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    if claimed != len(messages):
        return False
    for message in messages:
        message.attempts += 1
    return True


def _claim(message: Message, *, has_turn: bool) -> DeliveryResult | None:
    """Claim `message` (read as QUEUED) for one attempt: None when claimed, else what
    happened instead (`_take_turn`, or SKIPPED when it is no longer QUEUED)."""
    refused = _take_turn(message, has_turn=has_turn)
    if refused is not None:
        return refused
    return None if _mark_sending(message.firm_id, [message]) else DeliveryResult.SKIPPED


ProviderAnswer = SentMessage | ProviderError


def _call_provider(client: ProviderClient, message: Message) -> ProviderAnswer:
    """The provider's answer to one claimed text: what it accepted, or why not. Touches no
    database (a drain calls it from several threads)."""
    try:
        return client.send_message(
            from_number=message.from_e164,
            to=message.to_e164,
            text=message.body,
            tag=str(message.uuid),
        )
    except (OutcomeUnknown, ProviderUnavailable, ProviderRejected) as error:
        return error


def _send_claimed(client: ProviderClient, message: Message) -> DeliveryResult:
    """Call the provider for a text `_claim` has claimed; record the outcome."""
    return _record_answer(message, _call_provider(client, message))


def _record_answer(message: Message, answer: ProviderAnswer) -> DeliveryResult:
    """Record the provider's answer to a claimed text. Raises DeliveryPostponed (after
    putting the text back to QUEUED) when the provider did not take it."""
    firm_id, message_id, attempt = message.firm_id, message.id, message.attempts
    if isinstance(answer, SentMessage):
        _record_accepted([(message, answer)])
        return DeliveryResult.SENT
    if isinstance(answer, OutcomeUnknown):
        return _outcome_unknown(firm_id, message_id, attempt)
    if isinstance(answer, ProviderUnavailable):
        delay = _retry_delay(attempt, answer.retry_after)
        _back_to_queue(firm_id, message_id, delay=delay)
        logger.warning(
            "provider did not take the text (HTTP %s); retry in %.0fs",
            answer.http_status,
            delay,
            extra=_log_extra(firm_id, message_id, attempt=attempt),
        )
        raise DeliveryPostponed(answer, countdown=delay)
    if not isinstance(answer, ProviderRejected):
        raise answer
    if _configuration_error(answer):
        # Our credentials or account are wrong: an admin must fix them. The text waits
        # (it is the client's, not a failure of theirs), and is tried again much later.
        delay = _setting("TEXTING_CONFIGURATION_RETRY_SECONDS", 600)
        _back_to_queue(firm_id, message_id, delay=delay)
        _deliver_later(firm_id, message_id, delay)
        logger.error(
            "provider refused our credentials or configuration (HTTP %s, %s); text kept queued",
            answer.http_status,
            answer.error_type,
            extra=_log_extra(firm_id, message_id),
        )
        return DeliveryResult.DEFERRED
    reason = answer.failure_reason or FailureReason.UNKNOWN_ERROR
    _fail(firm_id, message_id, reason=reason)
    # The description may quote the number: only the status and type are logged.
    logger.info(
        "provider refused the text (HTTP %s, %s): %s",
        answer.http_status,
        answer.error_type,
        reason,
        extra=_log_extra(firm_id, message_id),
    )
    return DeliveryResult.FAILED


def _record_accepted(accepted: list[tuple[Message, SentMessage]]) -> None:
    """SENDING → SENT with the provider's id, for texts of one firm the provider accepted:
    one UPDATE for them all (two when callbacks overtook some answers)."""
    if not accepted:
        return
    now = timezone.now()
    messages = []
    for message, sent in accepted:
        message.status = Status.SENT
        message.provider_message_id = sent.id
        message.sent_at = now
        message.awaiting_callback_since = None
        message.updated_at = now
        messages.append(message)
    outbound = Message.objects.filter(
        firm_id=messages[0].firm_id, direction=Message.Direction.OUTBOUND
    )
    moved = outbound.filter(status=Status.SENDING).bulk_update(
        messages,
        ["status", "provider_message_id", "sent_at", "awaiting_callback_since", "updated_at"],
    )
    if moved < len(messages):
        # A callback was faster than some answers and moved those texts on already: they
        # still get the provider's id (never a status or time the callback set).
        outbound.filter(provider_message_id="").bulk_update(
            messages, ["provider_message_id", "updated_at"]
        )
    for message in messages:
        logger.info(
            "text accepted by the provider",
            extra=_log_extra(message.firm_id, message.id, attempt=message.attempts),
        )


def _outcome_unknown(firm_id: int, message_id: int, attempt: int) -> DeliveryResult:
    now = timezone.now()
    _outbound(firm_id, message_id).filter(status=Status.SENDING).update(
        awaiting_callback_since=now, updated_at=now
    )
    wait = outcome_wait_seconds()
    _reconcile_later(firm_id, message_id, wait)
    logger.warning(
        "text sent but the answer was lost; waiting %.0fs for its callback",
        wait,
        extra=_log_extra(firm_id, message_id, attempt=attempt),
    )
    return DeliveryResult.OUTCOME_UNKNOWN


def message_deliver_gave_up(*, firm_id: int, message_id: int) -> bool:
    """The deliver task ran out of retries: the text fails with `temporary_error` (C8).

    Only a text still QUEUED is failed (not one another run is sending). Idempotent.
    """
    failed = _fail(
        firm_id, message_id, reason=FailureReason.TEMPORARY_ERROR, from_statuses=(Status.QUEUED,)
    )
    if failed:
        logger.warning(
            "text failed: provider unavailable, retries exhausted",
            extra=_log_extra(firm_id, message_id),
        )
    return bool(failed)


def message_reconcile(*, firm_id: int, message_id: int) -> bool:
    """Resolve a send whose answer was lost; True when the text was queued to go again.

    If a callback carrying our tag has been stored (applied or not: it is applied now), the
    provider has the text and nothing is re-sent. Only when none came within
    TEXTING_OUTCOME_WAIT_SECONDS is it put back to QUEUED and delivered again — the
    documented ambiguous window (PROVIDER_API.md decision 3). Idempotent; not transactional.
    """
    from .event_processing import provider_event_process

    message = _outbound(firm_id, message_id).first()
    if message is None or message.status != Status.SENDING or message.provider_message_id:
        return False
    since = message.awaiting_callback_since
    if since is None:
        return False
    tag = str(message.uuid)
    events = ProviderEvent.objects.filter(
        firm_id=firm_id, kind=ProviderEvent.Kind.MESSAGING, tag=tag
    )
    if events.exists():
        for event_id in events.filter(processed_at__isnull=True).values_list("id", flat=True):
            provider_event_process(firm_id=firm_id, event_id=event_id)
        logger.info(
            "lost answer resolved by a callback: not re-sent", extra=_log_extra(firm_id, message_id)
        )
        return False
    if since > timezone.now() - timedelta(seconds=outcome_wait_seconds()):
        return False  # too early: the scheduled run (or the sweeper) comes back
    now = timezone.now()
    requeued = (
        _outbound(firm_id, message_id)
        .filter(status=Status.SENDING, provider_message_id="", awaiting_callback_since=since)
        .update(
            status=Status.QUEUED, awaiting_callback_since=None, next_attempt_at=now, updated_at=now
        )
    )
    if requeued:
        _deliver_later(firm_id, message_id, 0)
        logger.warning(
            "no callback for a send whose answer was lost: sending again",
            extra=_log_extra(firm_id, message_id),
        )
    return bool(requeued)


# --- status callbacks ------------------------------------------------------------------------


def _tag_uuid(event: ProviderEvent) -> uuid.UUID | None:
    try:
        return uuid.UUID(event.tag) if event.tag else None
    except ValueError:
        return None


def _messages_for_events(firm: Firm, events: list[ProviderEvent]) -> dict[int, Message]:
    """The outbound message each status callback is about, by event id, in one query: by
    our tag (its uuid), else by the provider's id; in this firm only."""
    tags = {ours for event in events if (ours := _tag_uuid(event)) is not None}
    provider_ids = {event.provider_message_id for event in events if event.provider_message_id}
    if not tags and not provider_ids:
        return {}
    # Only what a status callback reads: the body would be decrypted for nothing.
    found = list(
        Message.objects.for_firm(firm)
        .filter(direction=Message.Direction.OUTBOUND)
        .filter(Q(uuid__in=tags) | Q(provider_message_id__in=provider_ids))
        .only("id", "firm_id", "uuid", "to_e164", "provider_message_id", "awaiting_callback_since")
    )
    by_tag = {message.uuid: message for message in found}
    by_provider_id = {m.provider_message_id: m for m in found if m.provider_message_id}
    matched = {}
    for event in events:
        ours = _tag_uuid(event)
        message = by_tag.get(ours) if ours is not None else None
        if message is None and event.provider_message_id:
            message = by_provider_id.get(event.provider_message_id)
        if message is not None:
            matched[event.id] = message
    return matched


def _provider_opt_out(*, firm: Firm, number: str, at: datetime) -> None:
    """The provider says the number opted out (4775, C10): later sends are refused.

    A START the client sent after this failure happened wins over it (callbacks can arrive
    hours late), so it does not opt the number out again.
    """
    opted_in_later = (
        OptOut.objects.for_firm(firm).filter(number_e164=number, opted_in_at__gt=at).exists()
    )
    if not opted_in_later:
        opt_out_record(firm=firm, number=number, source=OptOut.Source.PROVIDER)


def status_events_apply(*, firm: Firm, events: list[ProviderEvent]) -> None:
    """Move the outbound messages status callbacks are about, forward only, in the order
    given (event_processing.py's transaction: a batch, or one event).

    Each message is found by our tag (its uuid), else by the provider's id, in this firm
    only (one query for the batch); callbacks about messages that are not ours are ignored.
    """
    messages = _messages_for_events(firm, events)
    final: dict[str, list[int]] = {}
    for event in events:
        moved_to = _status_event_apply(firm, event, messages.get(event.id))
        if moved_to in (Status.DELIVERED, Status.FAILED):
            final.setdefault(moved_to, []).append(messages[event.id].id)
    if final:  # one announcement for the batch, whatever the statuses
        outbound_status_changed.send(sender=Message, firm_id=firm.id, changes=final)


def _status_event_apply(firm: Firm, event: ProviderEvent, message: Message | None) -> str | None:
    """Move `message` as the status callback `event` says, forward only. The provider id is
    kept if the 202 was lost, an awaited outcome is resolved, and the status moves only to a
    higher rank by a conditional update, so late, repeated or concurrent callbacks never
    move it back; delivered and failed are final. A failure records its C8 reason and error
    code; 4775 (opted out) also records an OptOut for the number (C10). A 9902 failure is
    ambiguous (the text may have arrived): it is never re-sent automatically. Returns the
    status the message moved to, or None when it did not move.
    """
    target = _EVENT_STATUS.get(event.event_type)
    if target is None:
        return None
    if message is None:
        logger.info(
            "status callback for no message of ours",
            extra={"firm_id": firm.id, "event_id": event.id, "event_type": event.event_type},
        )
        return None
    now = timezone.now()
    when = event.occurred_at or now
    this = Message.objects.for_firm(firm).filter(id=message.id)
    # Bookkeeping any callback settles: the provider id if the 202 was lost, and the wait
    # for an outcome. Both are written only where still missing (Case, not the values read
    # above), so a concurrent writer is never overwritten.
    settled: dict[str, Any] = {"awaiting_callback_since": None, "updated_at": now}
    if event.provider_message_id:
        settled["provider_message_id"] = Case(
            When(provider_message_id="", then=Value(event.provider_message_id)),
            default=F("provider_message_id"),
        )
    changes: dict[str, Any] = {**settled, "status": target, "next_attempt_at": None}
    failure = None
    if target in (Status.SENT, Status.DELIVERED):
        changes["sent_at"] = Coalesce(F("sent_at"), Value(when))
    if target == Status.DELIVERED:
        changes["delivered_at"] = when
    if target == Status.FAILED:
        code = event.error_code if event.error_code is not None else _UNKNOWN_CODE
        failure = failure_for_code(code)
        changes.update(failure_reason=failure.reason, error_code=event.error_code, failed_at=when)
    earlier = [status for status, rank in _RANK.items() if rank < _RANK[target]]
    # One UPDATE in the usual case: the status moves forward and the bookkeeping with it.
    moved = this.filter(status__in=earlier).update(**changes)
    needs_settling = message.awaiting_callback_since is not None or (
        event.provider_message_id and not message.provider_message_id
    )
    if not moved and needs_settling:
        this.update(**settled)  # already further along: still record what this one settles
    message.awaiting_callback_since = None  # for the next event of the batch about it
    message.provider_message_id = message.provider_message_id or event.provider_message_id
    if failure is not None and failure.reason == FailureReason.OPTED_OUT:
        _provider_opt_out(firm=firm, number=message.to_e164, at=when)
    logger.info(
        "status callback %s %s",
        event.event_type,
        "applied" if moved else "changed nothing (already further)",
        extra={
            "firm_id": firm.id,
            "message_id": message.id,
            "event_id": event.id,
            "error_code": event.error_code,
            "ambiguous": bool(failure and failure.ambiguous),
        },
    )
    return target if moved else None
