"""Sends have a queue of their own, which every worker consumes next to the default one, so
a backlog of outbound texts never holds up inbound texts and delivery callbacks."""

from config.celery import app


def _queue_of(task_name: str) -> str:
    return str(app.amqp.router.route({}, task_name, (), {})["queue"].name)


def test_sends_and_their_reconciling_go_to_the_outbound_queue() -> None:
    assert _queue_of("texting.message_deliver") == "texting.outbound"
    assert _queue_of("texting.outbound_drain") == "texting.outbound"
    assert _queue_of("texting.message_reconcile") == "texting.outbound"


def test_callbacks_and_inbound_texts_stay_on_the_default_queue() -> None:
    assert _queue_of("texting.provider_event_process") == "celery"
    assert _queue_of("texting.provider_events_drain") == "celery"
    assert _queue_of("texting.inbound_media_fetch") == "celery"


def test_a_worker_started_without_queue_options_consumes_both() -> None:
    # `celery worker` with no -Q consumes every queue in task_queues (docker-compose, tests).
    assert set(app.amqp.queues) == {"celery", "texting.outbound"}
