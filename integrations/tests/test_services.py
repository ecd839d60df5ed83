"""Webhooks for integrators (X6): events from texting and the calendar reach a local
receiver, signed so that the receiver printed in docs/webhooks.md accepts them; retries
with backoff keep the event id; subscriptions, firms and private addresses are respected;
a firm without endpoints pays one query on the inbound path."""

import itertools
import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Firm, User
from calendar_events.models import EventAttendee
from calendar_events.tests.factories import attendee_of, event_for
from integrations.exceptions import WebhookEndpointInvalid
from integrations.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from integrations.services import DeliveryResult, webhook_deliver, webhook_ping, webhook_sweep
from integrations.signing import signature
from integrations.tasks import webhook_deliver_task
from texting.models import Message, TextingSettings
from texting.provider import parse_message_callbacks
from texting.services import messaging_events_record
from texting.services.receiving import inbound_events_apply
from texting.signals import inbound_texts_stored
from texting.tests.factories import texting_contact
from texting.tests.inbound import CLIENT_NUMBER, callback_body, inject, receive, texted_contact
from texting.tests.test_sending import deliver as send_now
from texting.tests.test_sending import feed_callbacks, number, send

from .conftest import (
    DOC,
    DocReceiver,
    ScriptedReceiver,
    deliver_pending,
    deliveries_of,
    doc_receiver_code,
    endpoint_for,
    enqueued_deliveries,
)

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
ALL_TEXT_EVENTS = [
    EventType.TEXT_MESSAGE_RECEIVED,
    EventType.TEXT_MESSAGE_DELIVERED,
    EventType.TEXT_MESSAGE_FAILED,
]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 0


def test_the_receiver_in_the_docs_is_the_one_tested_and_is_short() -> None:
    code = doc_receiver_code()
    assert code in DOC.read_text()
    assert len([line for line in code.splitlines() if line.strip()]) <= 20  # lines of code
    assert "import hashlib, hmac" in code and "http.server" in code


def test_an_inbound_text_reaches_the_docs_receiver_signed_and_enqueued_on_commit(
    texting_firm: Firm,
    admin: User,
    sandbox: Any,
    doc_receiver: DocReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contact = texted_contact(texting_firm)
    endpoint, secret = endpoint_for(texting_firm, doc_receiver.url, ALL_TEXT_EVENTS, admin)
    doc_receiver.use_secret(secret)

    with django_capture_on_commit_callbacks() as callbacks:
        receive(sandbox, texting_firm, text="Running late, see you at 3:15")

    (delivery,) = deliveries_of(texting_firm)
    assert enqueued_deliveries(callbacks) == [(texting_firm.id, delivery.id)]
    assert delivery.event.type == EventType.TEXT_MESSAGE_RECEIVED
    assert delivery.status == Status.PENDING and delivery.endpoint_id == endpoint.id

    (done,) = deliver_pending(texting_firm)
    assert done.status == Status.DELIVERED
    assert done.last_response_code == 204 and done.attempts == 1
    assert done.latency_ms is not None and done.delivered_at is not None
    (handled,) = doc_receiver.handled
    event_id, event = handled
    assert event_id == event["id"] == str(done.event.uuid)
    assert event["type"] == "text_message.received"
    with scope(firm=texting_firm.id):
        message = Message.objects.get(direction=Message.Direction.INBOUND)
    text = event["data"]["text_message"]
    assert text["id"] == str(message.uuid)
    assert text["conversation"] == {"id": str(message.conversation.uuid)}
    assert text["contact"] == {"id": str(contact.uuid)}
    assert text["status"] == "received" and text["failure_reason"] is None
    assert text["body"] == "Running late, see you at 3:15"


def test_the_docs_receiver_refuses_a_wrong_signature_and_the_delivery_is_retried(
    texting_firm: Firm, sandbox: Any, doc_receiver: DocReceiver
) -> None:
    texted_contact(texting_firm)
    endpoint_for(texting_firm, doc_receiver.url, ALL_TEXT_EVENTS)
    doc_receiver.use_secret("whsec_not-the-right-one")
    receive(sandbox, texting_firm, text="hello")

    (delivery,) = deliver_pending(texting_firm)

    assert doc_receiver.handled == []
    assert delivery.status == Status.PENDING and delivery.last_response_code == 401
    assert delivery.attempts == 1 and delivery.next_attempt_at is not None


def test_the_signature_is_hmac_sha256_over_timestamp_and_body(
    texting_firm: Firm, scripted: ScriptedReceiver
) -> None:
    endpoint, secret = endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_FAILED])
    with scope(firm=texting_firm.id):
        event = webhook_ping(firm=texting_firm, endpoint=endpoint)
    deliver_pending(texting_firm)

    (request,) = scripted.received
    stamp = int(request.headers["webhook-timestamp"])
    assert request.headers["webhook-id"] == str(event.uuid)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"] == signature(
        secret=secret, timestamp=stamp, body=request.body
    )
    assert abs(stamp - timezone.now().timestamp()) < 5
    assert json.loads(request.body)["type"] == "ping"


@pytest.mark.parametrize(
    ("to", "status", "event_type"),
    [
        (CLIENT_NUMBER, "delivered", EventType.TEXT_MESSAGE_DELIVERED),
        (number("4720"), "failed", EventType.TEXT_MESSAGE_FAILED),
    ],
)
def test_delivered_and_failed_texts_produce_their_webhooks(
    to: str,
    status: str,
    event_type: str,
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    doc_receiver: DocReceiver,
) -> None:
    _, secret = endpoint_for(texting_firm, doc_receiver.url, ALL_TEXT_EVENTS)
    doc_receiver.use_secret(secret)
    with scope(firm=texting_firm.id):
        message = send(texting_firm, member, to=to, body="Bring your ID")
        send_now(message)
    feed_callbacks(sandbox, texting_firm, message)
    feed_callbacks(sandbox, texting_firm, message)  # repeated callbacks: no second event

    (delivery,) = deliver_pending(texting_firm)

    assert delivery.event.type == event_type and delivery.status == Status.DELIVERED
    (handled,) = doc_receiver.handled
    text = handled[1]["data"]["text_message"]
    assert text["id"] == str(message.uuid) and text["status"] == status
    assert text["direction"] == "outbound"
    if status == "failed":
        assert text["failure_reason"] == "unreachable_number" and text["error_code"] == 4720


def test_a_text_refused_for_an_opted_out_number_is_a_failed_webhook(
    texting_firm: Firm, member: User, sandbox: Any, scripted: ScriptedReceiver
) -> None:
    endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_FAILED])
    from texting.models import OptOut
    from texting.services.optouts import opt_out_record

    with scope(firm=texting_firm.id):
        opt_out_record(firm=texting_firm, number=CLIENT_NUMBER, source=OptOut.Source.PROVIDER)
        message = send(texting_firm, member)

    (delivery,) = deliveries_of(texting_firm)
    assert delivery.event.type == EventType.TEXT_MESSAGE_FAILED
    assert delivery.event.payload["text_message"]["id"] == str(message.uuid)
    assert delivery.event.payload["text_message"]["failure_reason"] == "opted_out"


NY = ZoneInfo("America/New_York")
TUESDAY_10AM = datetime(2026, 12, 1, 10, 0, tzinfo=NY)


def test_a_y_reply_sends_the_calendar_confirmation_webhook(
    texting_firm: Firm, sandbox: Any, doc_receiver: DocReceiver
) -> None:
    with time_machine.travel(TUESDAY_10AM, tick=False) as clock:
        with scopes_disabled():
            TextingSettings.objects.create(firm=texting_firm, event_reminder_days=2)
        contact = texting_contact(texting_firm, CLIENT_NUMBER, first_name="Ana")
        event = event_for(
            texting_firm, contacts=[contact], starts_at=TUESDAY_10AM + timedelta(days=9)
        )
        _, secret = endpoint_for(
            texting_firm, doc_receiver.url, [EventType.CALENDAR_CONFIRMATION_CHANGED]
        )
        doc_receiver.use_secret(secret)
        clock.move_to(TUESDAY_10AM + timedelta(minutes=10))
        receive(sandbox, texting_firm, text="Y")
        receive(sandbox, texting_firm, text="Running late")  # not an answer: no event

        (delivery,) = deliver_pending(texting_firm)

    attendee = attendee_of(event, contact)
    assert attendee.response == EventAttendee.Response.CONFIRMED
    assert delivery.status == Status.DELIVERED
    (handled,) = doc_receiver.handled
    assert handled[1]["type"] == "calendar_entry.confirmation_changed"
    data = handled[1]["data"]
    assert data["calendar_entry"]["id"] == str(event.uuid)
    assert data["attendee"]["id"] == str(attendee.uuid)
    assert data["attendee"]["contact"] == {"id": str(contact.uuid)}
    assert data["attendee"]["confirmation"] == "confirmed"


def test_500_twice_then_200_is_three_attempts_with_backoff_and_one_event_id(
    texting_firm: Firm, scripted: ScriptedReceiver, settings: Any
) -> None:
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [30, 120, 600]
    scripted.script = [500, 500, 200]
    endpoint, _ = endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock, scope(firm=texting_firm.id):
        event = webhook_ping(firm=texting_firm, endpoint=endpoint)
        (delivery,) = WebhookDelivery.objects.all()

        def attempt() -> DeliveryResult:
            return webhook_deliver(firm_id=texting_firm.id, delivery_id=delivery.id)

        assert attempt() == DeliveryResult.RETRY
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert attempt() == DeliveryResult.SKIPPED  # not due yet: nothing sent

        clock.move_to(start + timedelta(seconds=30))
        assert attempt() == DeliveryResult.RETRY
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == start + timedelta(seconds=150)
        clock.move_to(start + timedelta(seconds=149))
        assert attempt() == DeliveryResult.SKIPPED

        clock.move_to(start + timedelta(seconds=150))
        webhook_deliver_task(texting_firm.id, delivery.id)
        webhook_deliver_task(texting_firm.id, delivery.id)  # a duplicate task: no-op
        delivery.refresh_from_db()
        codes = list(
            WebhookAttempt.objects.filter(delivery=delivery)
            .order_by("number")
            .values_list("number", "response_code")
        )

    assert delivery.status == Status.DELIVERED and delivery.attempts == 3
    assert delivery.last_response_code == 200 and delivery.last_error == ""
    assert codes == [(1, 500), (2, 500), (3, 200)]
    assert len(scripted.received) == 3
    assert {r.headers["webhook-id"] for r in scripted.received} == {str(event.uuid)}
    assert len({r.body for r in scripted.received}) == 1
    stamps = [int(r.headers["webhook-timestamp"]) for r in scripted.received]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [30, 120]


def test_a_delivery_out_of_attempts_is_failed(
    texting_firm: Firm, scripted: ScriptedReceiver, settings: Any
) -> None:
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    scripted.script = [503, 503, 503]
    endpoint, _ = endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    with scope(firm=texting_firm.id):
        webhook_ping(firm=texting_firm, endpoint=endpoint)
    deliver_pending(texting_firm)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        (delivery,) = deliver_pending(texting_firm)
        assert deliver_pending(texting_firm)[0].attempts == 2
    assert delivery.status == Status.FAILED and delivery.last_response_code == 503
    assert len(scripted.received) == 2


def test_an_endpoint_not_subscribed_to_a_type_gets_nothing(
    texting_firm: Firm, sandbox: Any, scripted: ScriptedReceiver
) -> None:
    texted_contact(texting_firm)
    endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_DELIVERED])
    receive(sandbox, texting_firm, text="hello")
    assert deliveries_of(texting_firm) == []
    with scope(firm=texting_firm.id):
        assert not WebhookEvent.objects.exists()
    assert scripted.received == []


def test_another_firms_events_never_reach_this_firms_endpoint(
    texting_firm: Firm, other_firm: Firm, sandbox: Any, scripted: ScriptedReceiver, unscoped: None
) -> None:
    texted_contact(texting_firm)
    endpoint_for(other_firm, scripted.url, ALL_TEXT_EVENTS)
    receive(sandbox, texting_firm, text="hello")
    deliver_pending(texting_firm)
    deliver_pending(other_firm)
    assert WebhookDelivery.objects.filter(firm=other_firm).count() == 0
    assert WebhookEvent.objects.filter(firm=other_firm).count() == 0
    assert scripted.received == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://0.0.0.0/hooks",
        "https://240.0.0.1/hooks",
        "http://93.184.215.14/hooks",  # public, but not https
        "https://user:pw@93.184.215.14/hooks",
        "ftp://93.184.215.14/hooks",
    ],
)
def test_private_loopback_and_plain_http_urls_are_refused_at_creation(
    url: str, texting_firm: Firm, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    with pytest.raises(WebhookEndpointInvalid):
        endpoint_for(texting_firm, url, [EventType.TEXT_MESSAGE_RECEIVED])
    with scope(firm=texting_firm.id):
        assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted(texting_firm: Firm, settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    endpoint, secret = endpoint_for(
        texting_firm, "https://93.184.215.14/hooks", [EventType.TEXT_MESSAGE_RECEIVED]
    )
    assert endpoint.url == "https://93.184.215.14/hooks" and secret.startswith("whsec_")


def test_unknown_or_no_events_are_refused(texting_firm: Firm) -> None:
    for events in ([], ["text_message.read"], [EventType.PING]):
        with pytest.raises(WebhookEndpointInvalid):
            endpoint_for(texting_firm, "https://93.184.215.14/hooks", events)


def test_a_private_address_is_refused_at_delivery_too(
    texting_firm: Firm, scripted: ScriptedReceiver, settings: Any
) -> None:
    endpoint, _ = endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    with scope(firm=texting_firm.id):
        webhook_ping(firm=texting_firm, endpoint=endpoint)
    (delivery,) = deliver_pending(texting_firm)
    assert scripted.received == []
    assert delivery.status == Status.PENDING and delivery.last_response_code is None
    assert delivery.last_error.startswith("refused:")


def test_a_dns_answer_that_turns_private_after_the_check_is_refused_on_connect(
    texting_firm: Firm, scripted: ScriptedReceiver, settings: Any, monkeypatch: Any
) -> None:
    """DNS rebinding: the name is public when checked, loopback when connected to."""
    port = int(scripted.url.split(":")[2].split("/")[0])
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    real = socket.getaddrinfo
    answers = iter(["93.184.215.14", "127.0.0.1", "127.0.0.1", "127.0.0.1"])

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.example":
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint, _ = endpoint_for(
        texting_firm, f"https://rebind.example:{port}/hooks", [EventType.TEXT_MESSAGE_RECEIVED]
    )
    with scope(firm=texting_firm.id):
        webhook_ping(firm=texting_firm, endpoint=endpoint)
    (delivery,) = deliver_pending(texting_firm)
    assert scripted.received == []
    assert delivery.status == Status.PENDING and "refused" in delivery.last_error


def _stored_events(sandbox: Any, firm: Firm, count: int) -> list[Any]:
    from texting.models import ProviderEvent

    ids = [inject(sandbox, text=f"Note {n}") for n in range(count)]
    for message_id in ids:
        messaging_events_record(events=parse_message_callbacks(callback_body(sandbox, message_id)))
    with scope(firm=firm.id):
        return list(ProviderEvent.objects.filter(provider_message_id__in=ids).order_by("id"))


@pytest.fixture
def without_integrations_receiver() -> Iterator[Any]:
    from integrations.services import on_inbound_texts_stored

    def off() -> None:
        inbound_texts_stored.disconnect(dispatch_uid="integrations-inbound")

    yield off
    inbound_texts_stored.connect(on_inbound_texts_stored, dispatch_uid="integrations-inbound")


def test_without_endpoints_the_inbound_batch_pays_one_query_and_enqueues_nothing(
    texting_firm: Firm,
    sandbox: Any,
    without_integrations_receiver: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    texted_contact(texting_firm)
    batches = [_stored_events(sandbox, texting_firm, 3) for _ in range(2)]
    without_integrations_receiver()
    with scope(firm=texting_firm.id), CaptureQueriesContext(connection) as baseline:
        inbound_events_apply(firm=texting_firm, events=batches[0])
    from integrations.services import on_inbound_texts_stored

    inbound_texts_stored.connect(on_inbound_texts_stored, dispatch_uid="integrations-inbound")
    with (
        scope(firm=texting_firm.id),
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        inbound_events_apply(firm=texting_firm, events=batches[1])

    assert len(queries) <= len(baseline) + 1
    assert enqueued_deliveries(callbacks) == []
    with scope(firm=texting_firm.id):
        assert not WebhookEvent.objects.exists()


def test_the_sweep_re_enqueues_deliveries_whose_task_was_lost(
    texting_firm: Firm, scripted: ScriptedReceiver
) -> None:
    endpoint, _ = endpoint_for(texting_firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    with scope(firm=texting_firm.id):
        webhook_ping(firm=texting_firm, endpoint=endpoint)  # its task never runs (no commit)
    assert webhook_sweep() == 0  # not late yet
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert webhook_sweep() == 1
