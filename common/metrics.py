"""What /metrics reports, in Prometheus' text format (issue 9).

Every number is read where all processes see the same value, so any gunicorn process
answers for the whole deployment, and a restart loses nothing:

- texts sent, delivered, failed (by reason) and received, and the outbox: one aggregate
  query over texting's messages (rows are never deleted, so the counts only grow);
- Celery queue depths: the length of each queue's Redis lists (kombu's Redis transport);
- provider webhook latency: a histogram whose bucket counts and sum are counters in the
  cache (Redis in production), added to by whichever process handled the webhook.

Nothing here is per firm: a label per firm would tell a scraper which firms exist.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache as memoized
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import Field
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

logger = logging.getLogger(__name__)

# The text format Prometheus has always read (prometheus_client's default is now 1.0.0).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

WEBHOOK_PATH_PREFIX = "/webhooks/provider/"
# Seconds. A webhook answers in milliseconds (it stores the event and enqueues); the upper
# buckets show a slow database or broker.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LATENCY_KEY = "metrics:webhook-latency:{path}:{part}"
# kombu's Redis transport keeps a queue's messages of priority 0 in the list named like the
# queue and higher priorities in lists suffixed with its separator and the step.
_KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (3, 6, 9)
UNSPECIFIED_REASON = "unspecified"


# --- Webhook latency: observed by common.request_id.RequestIdMiddleware ---------------------


@memoized
def webhook_paths() -> tuple[str, ...]:
    """The provider webhooks' paths: the only values of the `path` label (a bounded set)."""
    from django.urls import reverse

    from texting import webhook_urls

    return tuple(reverse(f"webhooks:{pattern.name}") for pattern in webhook_urls.urlpatterns)


def _bucket_part(seconds: float) -> str:
    index = bisect_left(LATENCY_BUCKETS, seconds)  # the first bucket with le >= seconds
    return "inf" if index == len(LATENCY_BUCKETS) else f"b{index}"


def webhook_latency_observe(path: str, seconds: float) -> None:
    """Count one handled webhook in its latency bucket, for every process to report.

    Never raises: a cache that is down must not fail the provider's callback.
    """
    if path not in webhook_paths():
        return
    deltas = {
        _LATENCY_KEY.format(path=path, part=_bucket_part(seconds)): 1,
        _LATENCY_KEY.format(path=path, part="sum_us"): round(seconds * 1_000_000),
    }
    try:
        _incr_many(deltas)
    except Exception as error:
        # The class only, as for the queue depths: the text may hold the cache's address,
        # and a cache that is down would otherwise write a traceback per webhook.
        logger.warning("webhook latency not recorded: %s", type(error).__name__)


def _incr_many(deltas: dict[str, int]) -> None:
    store = caches["default"]
    if isinstance(store, RedisCache):
        # One round trip. Django's cache.incr() checks the key exists first (two each), and
        # this is the busiest path there is. Django stores ints as plain Redis integers, so
        # INCRBY and cache.get() agree.
        client = store._cache.get_client(write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        for key, delta in deltas.items():
            pipe.incrby(store.make_and_validate_key(key), delta)
        pipe.execute()
        return
    for key, delta in deltas.items():  # locmem (the embedded default): one process
        if not store.add(key, delta, timeout=None):
            store.incr(key, delta)


@dataclass(frozen=True)
class LatencyHistogram:
    buckets: dict[str, int]  # per bucket, not cumulative: "b0".."b10", "inf"
    sum_seconds: float

    @property
    def count(self) -> int:
        return sum(self.buckets.values())


def webhook_latency_read() -> dict[str, LatencyHistogram]:
    """Every webhook path's histogram as the cache holds it now."""
    parts = [f"b{i}" for i in range(len(LATENCY_BUCKETS))] + ["inf"]
    keys = {
        (path, part): _LATENCY_KEY.format(path=path, part=part)
        for path in webhook_paths()
        for part in [*parts, "sum_us"]
    }
    stored = caches["default"].get_many(list(keys.values()))
    histograms = {}
    for path in webhook_paths():
        buckets = {part: int(stored.get(keys[(path, part)], 0)) for part in parts}
        sum_us = int(stored.get(keys[(path, "sum_us")], 0))
        histograms[path] = LatencyHistogram(buckets=buckets, sum_seconds=sum_us / 1_000_000)
    return histograms


# --- Texts: one aggregate over every firm's messages ---------------------------------------


@dataclass
class TextCounts:
    sent: int = 0
    delivered: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    received: int = 0
    outbox_queued: int = 0


def text_counts() -> TextCounts:
    """Counts of every firm's texts, in one query.

    Raw SQL on purpose: Message's manager refuses to read outside a firm scope, and
    turning scoping off is not allowed here (STYLE.md section 4). This reads no row, only
    counts without any firm in them: the same kind of cross-firm read as the readiness
    check's `SELECT 1` (common/health.py).
    """
    from texting.models import Message

    meta = Message._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(cast("Field[Any, Any]", meta.get_field(name)).column)

    # Names from the model's own metadata, quoted; nothing from outside.
    sql = (
        f"SELECT {column('direction')}, {column('status')}, {column('failure_reason')}, "  # noqa: S608
        f"{column('sent_at')} IS NOT NULL, COUNT(*) FROM {quote(meta.db_table)} "
        "GROUP BY 1, 2, 3, 4"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()

    counts = TextCounts()
    outbound, inbound = Message.Direction.OUTBOUND, Message.Direction.INBOUND
    status = Message.Status
    for direction, state, reason, was_sent, number in rows:
        if direction == inbound:
            counts.received += number
            continue
        if direction != outbound:
            continue
        if was_sent:
            counts.sent += number
        if state == status.DELIVERED:
            counts.delivered += number
        elif state == status.FAILED:
            label = reason or UNSPECIFIED_REASON
            counts.failed[label] = counts.failed.get(label, 0) + number
        elif state == status.QUEUED:
            counts.outbox_queued += number
    return counts


# --- Celery queues ----------------------------------------------------------------------------


def queue_depths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue; None when the broker did not answer.

    Without REDIS_URL (the embedded default) tasks run in the calling process: nothing waits.
    """
    queues = list(settings.CELERY_TASK_QUEUES)
    if not settings.REDIS_URL:
        return dict.fromkeys(queues, 0)
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1
    )
    try:
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
            for step in _KOMBU_PRIORITY_STEPS:
                pipe.llen(f"{queue}{_KOMBU_PRIORITY_SEPARATOR}{step}")
        lengths = pipe.execute()
    except redis.RedisError as error:
        # The class only: the message may hold the broker's address.
        logger.warning("queue depths not read: %s", type(error).__name__)
        return None
    finally:
        client.close()
    per_queue = 1 + len(_KOMBU_PRIORITY_STEPS)
    return {
        queue: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(queues)
    }


# --- Exposition -------------------------------------------------------------------------------


class FirmTextingCollector(Collector):
    """Reads everything afresh on each scrape; keeps no state in the process."""

    def describe(self) -> list[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        from texting.provider.failure_reasons import FailureReason

        counts = text_counts()
        yield CounterMetricFamily(
            "firm_texting_texts_sent",
            "Outbound texts the provider accepted, all firms.",
            value=counts.sent,
        )
        yield CounterMetricFamily(
            "firm_texting_texts_delivered",
            "Outbound texts the carrier reported delivered, all firms.",
            value=counts.delivered,
        )
        failed = CounterMetricFamily(
            "firm_texting_texts_failed",
            "Outbound texts that failed, by failure reason, all firms.",
            labels=["reason"],
        )
        for reason in sorted(set(FailureReason.values) | set(counts.failed)):
            failed.add_metric([reason], counts.failed.get(reason, 0))
        yield failed
        yield CounterMetricFamily(
            "firm_texting_texts_received",
            "Inbound texts stored, all firms.",
            value=counts.received,
        )
        yield GaugeMetricFamily(
            "firm_texting_outbox_queued",
            "Outbound texts waiting to be sent (queued in the outbox), all firms.",
            value=counts.outbox_queued,
        )
        depth = GaugeMetricFamily(
            "firm_texting_queue_depth",
            "Tasks waiting in each Celery queue (absent when the broker did not answer).",
            labels=["queue"],
        )
        for queue, length in (queue_depths() or {}).items():
            depth.add_metric([queue], length)
        yield depth
        latency = HistogramMetricFamily(
            "firm_texting_webhook_latency_seconds",
            "Time to handle a provider webhook, from the first middleware to the response.",
            labels=["path"],
        )
        for path, histogram in webhook_latency_read().items():
            cumulative, buckets = 0, []
            for index, bound in enumerate(LATENCY_BUCKETS):
                cumulative += histogram.buckets[f"b{index}"]
                buckets.append((floatToGoString(bound), cumulative))
            buckets.append(("+Inf", histogram.count))
            latency.add_metric([path], buckets, sum_value=histogram.sum_seconds)
        yield latency


def metrics_exposition() -> bytes:
    """The whole /metrics body, from a registry of our own (not prometheus_client's global
    one, which would add this process's Python and GC metrics: one process out of many)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FirmTextingCollector())
    return generate_latest(registry)
