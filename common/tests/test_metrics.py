"""/metrics (issue 9): Prometheus text from the database, the broker and the cache.

Texts go through the provider sandbox and come back through the provider webhook over HTTP
(the sandbox records its callbacks; the test posts them as the provider would), so the
counters are compared with what the pipeline really wrote.
"""

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client
from django_scopes import scopes_disabled
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Firm, User
from common.metrics import LATENCY_BUCKETS, queue_depths
from common.tasks import worker_heartbeat_task
from config.celery import app as celery_app
from texting.models import Message
from texting.provider import FailureReason
from texting.services.sending import message_deliver, message_send
from texting.tests.factories import MessageFactory, texting_contact

TOKEN = "metrics-token-for-tests"
CLIENT_NUMBER = "+12025550143"  # the sandbox delivers
UNREACHABLE = "+12025554720"  # the sandbox fails it with 4720: unreachable number
WEBHOOK = "/webhooks/provider/messaging"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def _metrics_on(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    settings.PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = 0  # a handful of texts, no waiting


def scrape(client: Client | None = None) -> Samples:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def database_truth() -> dict[str, Any]:
    """What every firm's messages say, read with the ORM (not the metrics' own SQL)."""
    with scopes_disabled():
        outbound = Message.objects.filter(direction=Message.Direction.OUTBOUND)
        failed = dict(
            outbound.filter(status=Message.Status.FAILED)
            .values_list("failure_reason")
            .annotate(n=Count("id"))
        )
        return {
            "sent": outbound.filter(sent_at__isnull=False).count(),
            "delivered": outbound.filter(status=Message.Status.DELIVERED).count(),
            "failed": failed,
            "received": Message.objects.filter(direction=Message.Direction.INBOUND).count(),
            "queued": outbound.filter(status=Message.Status.QUEUED).count(),
        }


def basic_auth() -> str:
    return "Basic " + base64.b64encode(b"provider:webhook-password").decode()


def post_callbacks(rows: list[dict[str, Any]], capture: Any) -> None:
    """Post the sandbox's recorded callbacks to the webhook, in its order; the processing
    the webhook enqueues on commit runs in process."""
    client = Client()
    for row in sorted(rows, key=lambda r: (r["due_at"], r["id"])):
        with capture(execute=True):
            response = client.post(
                WEBHOOK,
                json.dumps(row["payload"]),
                content_type="application/json",
                HTTP_AUTHORIZATION=basic_auth(),
            )
        assert response.status_code == 200


def dispatched(sandbox: Any, message: Message | None = None, **filters: str) -> list[dict]:
    """The messaging callbacks the sandbox dispatched (for the message's sends, or matching
    `filters`), once none of them is still due."""
    deadline = time.monotonic() + 5
    while True:
        if message is not None:
            rows = []
            for sent in sandbox.control.messages(tag=str(message.uuid)):
                rows += sandbox.control.callbacks(kind="messaging", message_id=sent["id"])
        else:
            rows = sandbox.control.callbacks(kind="messaging", **filters)
        if rows and all(r["state"] != "pending" for r in rows):
            return rows
        assert time.monotonic() < deadline, "the sandbox dispatched no callback"
        time.sleep(0.05)


@pytest.fixture
def send_through_sandbox(
    tasks_in_process: None,
    texting_firm: Firm,
    member: User,
    sandbox: Any,
    firm_scope: Any,
    django_capture_on_commit_callbacks: Any,
) -> Callable[[str, str], Message]:
    """Send one text to `number` and bring its status callbacks back through the webhook."""

    def send(number: str, body: str) -> Message:
        with firm_scope():
            contact = texting_contact(texting_firm, number)
            message = message_send(firm=texting_firm, sender=member, contact=contact, body=body)
            message_deliver(firm_id=texting_firm.id, message_id=message.id)
        post_callbacks(dispatched(sandbox, message), django_capture_on_commit_callbacks)
        message.refresh_from_db()
        return message

    return send


def test_text_counters_equal_the_database_after_texts_go_through_the_sandbox(
    tasks_in_process: None,
    send_through_sandbox: Callable[[str, str], Message],
    texting_firm: Firm,
    other_firm: Firm,
    sandbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    MessageFactory(firm=other_firm, conversation__contact__firm=other_firm)  # all firms count
    before = scrape()

    delivered = send_through_sandbox(CLIENT_NUMBER, "Your hearing is on Monday at 9am")
    assert delivered.status == Message.Status.DELIVERED
    sandbox.control.inject_text(
        CLIENT_NUMBER, texting_firm.toll_free_number_e164, "Thanks, see you"
    )
    post_callbacks(
        dispatched(sandbox, event_type="message-received"), django_capture_on_commit_callbacks
    )

    after = scrape()
    truth = database_truth()
    assert value(after, "firm_texting_texts_sent_total") == truth["sent"]
    assert value(after, "firm_texting_texts_delivered_total") == truth["delivered"]
    assert value(after, "firm_texting_texts_received_total") == truth["received"] >= 1
    assert value(after, "firm_texting_outbox_queued") == truth["queued"]
    for reason in FailureReason.values:
        assert value(after, "firm_texting_texts_failed_total", reason=reason) == truth[
            "failed"
        ].get(reason, 0)
    assert value(after, "firm_texting_texts_sent_total") == (
        value(before, "firm_texting_texts_sent_total") + 1
    )
    assert value(after, "firm_texting_texts_delivered_total") == (
        value(before, "firm_texting_texts_delivered_total") + 1
    )
    assert value(after, "firm_texting_texts_received_total") == (
        value(before, "firm_texting_texts_received_total") + 1
    )
    # One deployment-wide number per series: no firm is named in any label.
    assert all("firm" not in dict(labels) for _, labels in after)


def test_a_failed_text_counts_under_its_reason_only(
    send_through_sandbox: Callable[[str, str], Message],
) -> None:
    before = scrape()

    failed = send_through_sandbox(UNREACHABLE, "Please call the office about your case")

    assert failed.failure_reason == FailureReason.UNREACHABLE_NUMBER
    after = scrape()
    for reason in FailureReason.values:
        moved = value(after, "firm_texting_texts_failed_total", reason=reason) - value(
            before, "firm_texting_texts_failed_total", reason=reason
        )
        assert moved == (1 if reason == FailureReason.UNREACHABLE_NUMBER else 0), reason
    # It was sent (the provider took it) and then failed; never delivered.
    assert value(after, "firm_texting_texts_sent_total") == (
        value(before, "firm_texting_texts_sent_total") + 1
    )
    assert value(after, "firm_texting_texts_delivered_total") == value(
        before, "firm_texting_texts_delivered_total"
    )


def histogram(samples: Samples, path: str) -> tuple[list[float], float, float]:
    name = "firm_texting_webhook_latency_seconds"
    bounds = [*(str(b) for b in LATENCY_BUCKETS), "+Inf"]
    buckets = [value(samples, f"{name}_bucket", path=path, le=le) for le in bounds]
    return (
        buckets,
        value(samples, f"{name}_count", path=path),
        value(samples, f"{name}_sum", path=path),
    )


@pytest.mark.django_db
def test_a_webhook_call_moves_the_latency_histogram(numbered_firm: Firm) -> None:
    buckets_before, count_before, sum_before = histogram(scrape(), WEBHOOK)

    response = Client().post(
        WEBHOOK,
        json.dumps([status_callback_for_no_message()]),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(),
    )

    assert response.status_code == 200
    buckets, count, total = histogram(scrape(), WEBHOOK)
    assert count == count_before + 1
    assert total > sum_before
    assert buckets[-1] == count  # +Inf holds every observation
    assert buckets == sorted(buckets)  # cumulative
    # The one observation is in its bucket and in every larger one: 0, ..., 0, 1, ..., 1.
    moved = [after - before for after, before in zip(buckets, buckets_before, strict=True)]
    assert set(moved) <= {0, 1} and moved == sorted(moved) and moved[-1] == 1
    # Only the provider's webhooks are timed: other paths leave it alone.
    Client().get("/healthz")
    assert histogram(scrape(), WEBHOOK)[1] == count


@pytest.fixture
def numbered_firm(firm: Firm) -> Firm:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    return firm


def status_callback_for_no_message() -> dict[str, Any]:
    return {
        "type": "message-delivered",
        "time": "2026-07-22T18:42:37.100Z",
        "description": "ok",
        "to": CLIENT_NUMBER,
        "message": {
            "id": "1720000000999metricsmetricsme",
            "owner": "+18445550100",
            "applicationId": "app-1",
            "time": "2026-07-22T18:42:35.876Z",
            "segmentCount": 1,
            "direction": "out",
            "to": [CLIENT_NUMBER],
            "from": "+18445550100",
            "text": "",
        },
    }


@pytest.mark.django_db
def test_the_output_is_prometheus_text_with_every_family(client: Client) -> None:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert {name: families[name].type for name in families} == {
        "firm_texting_texts_sent": "counter",
        "firm_texting_texts_delivered": "counter",
        "firm_texting_texts_failed": "counter",
        "firm_texting_texts_received": "counter",
        "firm_texting_outbox_queued": "gauge",
        "firm_texting_queue_depth": "gauge",
        "firm_texting_webhook_latency_seconds": "histogram",
    }
    reasons = {s.labels["reason"] for s in families["firm_texting_texts_failed"].samples}
    assert reasons == set(FailureReason.values)


@pytest.mark.django_db
def test_without_a_broker_every_queue_is_reported_empty(settings: Any) -> None:
    settings.REDIS_URL = ""  # the embedded default: tasks run in process, nothing waits
    samples = scrape()
    for queue in settings.CELERY_TASK_QUEUES:
        assert value(samples, "firm_texting_queue_depth", queue=queue) == 0


@pytest.mark.services
@pytest.mark.django_db
def test_queue_depth_counts_the_tasks_waiting_in_redis() -> None:
    before = queue_depths()
    assert before is not None
    try:
        worker_heartbeat_task.apply_async(queue="texting.outbound", priority=0)
        worker_heartbeat_task.apply_async(queue="texting.outbound", priority=5)
        after = queue_depths()
        assert after is not None
        assert after["texting.outbound"] == before["texting.outbound"] + 2
        samples = scrape()
        assert value(samples, "firm_texting_queue_depth", queue="texting.outbound") >= 2
    finally:
        celery_app.control.purge()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
def test_a_missing_or_wrong_token_gets_401(authorization: str) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"firm_texting" not in response.content


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token_configured(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404
    assert b"firm_texting" not in response.content
