"""Stored callbacks applied by drains (event_processing.py): every event once, in batches,
one bad event never holding back the others, and one drain queued per firm at a time."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope

from accounts.models import Firm
from texting.models import Message, ProviderEvent
from texting.provider import parse_message_callbacks
from texting.services import event_processing, messaging_events_record, provider_events_drain
from texting.services.event_processing import (
    _DRAIN_BATCH,
    EVENTS_DRAIN,
    events_drain_soon,
)
from texting.tests.broker import published_only
from texting.tests.inbound import texted_contact
from texting.tests.test_webhooks import basic

FIRM_NUMBER = "+18445550100"
OTHER_FIRM_NUMBER = "+18445550111"


def inbound(n: int, *, to: str = FIRM_NUMBER, sender: str = "+12025550143") -> dict[str, Any]:
    return {
        "type": "message-received",
        "time": "2026-07-22T18:20:16.000Z",
        "description": "Incoming message received",
        "to": to,
        "message": {
            "id": f"1720000001000drain{n:010d}",
            "owner": to,
            "applicationId": "app-1",
            "time": "2026-07-22T18:20:16.000Z",
            "segmentCount": 1,
            "direction": "in",
            "to": [to],
            "from": sender,
            "text": f"Text number {n}",
        },
    }


def store(*callbacks: dict[str, Any]) -> None:
    """What the webhook stores (its drain trigger runs on commit, never in these tests)."""
    messaging_events_record(events=parse_message_callbacks(json.dumps(list(callbacks))))


@pytest.fixture
def firms(firm: Firm, other_firm: Firm) -> tuple[Firm, Firm]:
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    other_firm.toll_free_number_e164 = OTHER_FIRM_NUMBER
    other_firm.save()
    texted_contact(firm, "+12025550143")
    texted_contact(other_firm, "+12025550143")
    return firm, other_firm


def unprocessed(firm: Firm) -> int:
    with scope(firm=firm.id):
        return ProviderEvent.objects.filter(processed_at__isnull=True).count()


def inbound_texts(firm: Firm) -> list[str]:
    with scope(firm=firm.id):
        messages = Message.objects.filter(direction=Message.Direction.INBOUND).order_by("id")
        return [m.body for m in messages]


def test_a_drain_applies_every_stored_event_of_its_firm_batch_by_batch(firms) -> None:
    firm, other_firm = firms
    count = 2 * _DRAIN_BATCH + 5  # three batches, the last one partial
    store(*(inbound(n) for n in range(count)))
    store(inbound(900, to=OTHER_FIRM_NUMBER))

    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == count

    assert unprocessed(firm) == 0
    assert inbound_texts(firm) == [f"Text number {n}" for n in range(count)]  # in order
    assert unprocessed(other_firm) == 1 and inbound_texts(other_firm) == []
    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == 0  # nothing left: changes nothing
    assert len(inbound_texts(firm)) == count


def test_one_bad_event_does_not_hold_back_the_others(firms, caplog: Any) -> None:
    firm, _ = firms
    store(*(inbound(n) for n in range(5)))
    with scope(firm=firm.id):
        bad = ProviderEvent.objects.order_by("id")[2]
        bad.payload = {"type": "message-received"}  # not an event any more: applying raises
        bad.save()

    with scope(firm=firm.id), caplog.at_level(logging.WARNING):
        assert provider_events_drain(firm_id=firm.id) == 4

    assert inbound_texts(firm) == [
        "Text number 0",
        "Text number 1",
        "Text number 3",
        "Text number 4",
    ]
    with scope(firm=firm.id):
        assert list(ProviderEvent.objects.filter(processed_at__isnull=True)) == [bad]
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [getattr(r, "event_id", None) for r in failed] == [bad.id]
    assert all("+1202" not in r.getMessage() for r in caplog.records)  # no number logged


@pytest.fixture
def published(firms: tuple[Firm, Firm]) -> Iterator[list[tuple[str, Any]]]:
    """What is published to the broker during the test (nothing runs)."""
    with published_only(*(EVENTS_DRAIN.key(f.id) for f in firms)) as sent:
        yield sent


def test_one_drain_is_queued_per_firm_until_it_has_run(firms, published) -> None:
    firm, other_firm = firms
    events_drain_soon(firm.id)
    events_drain_soon(firm.id)
    events_drain_soon(other_firm.id)
    assert published == [
        ("texting.provider_events_drain", (firm.id,)),
        ("texting.provider_events_drain", (other_firm.id,)),
    ]

    store(inbound(1))  # stored while the drain is queued: the webhook queues nothing more
    events_drain_soon(firm.id)
    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == 1  # the queued drain finds it
    assert len(published) == 2
    events_drain_soon(firm.id)  # after the drain: the next event queues the next one
    events_drain_soon(firm.id)
    assert published[2:] == [("texting.provider_events_drain", (firm.id,))]


def test_a_mark_found_held_is_trusted_until_a_drain_could_have_looked_last(
    firms, published
) -> None:
    """Found held, the mark is believed for TRUST_SECONDS without asking Redis, even once
    its drain has cleared it: that drain waits as long before its last look (`settle`),
    so what the webhook stored meanwhile is seen. After that, callbacks queue again."""
    firm, other_firm = firms
    events_drain_soon(firm.id)  # queues the drain and sets the mark
    events_drain_soon(firm.id)  # finds it held
    EVENTS_DRAIN.release(firm.id)  # the drain clears it before its last look
    store(inbound(1))
    events_drain_soon(firm.id)  # still trusted: nothing published
    events_drain_soon(other_firm.id)  # another firm's mark was never found held
    assert published == [
        ("texting.provider_events_drain", (firm.id,)),
        ("texting.provider_events_drain", (other_firm.id,)),
    ]

    EVENTS_DRAIN.settle()  # what the drain waits before looking last
    events_drain_soon(firm.id)
    assert published[2:] == [("texting.provider_events_drain", (firm.id,))]


def test_a_drain_out_of_time_hands_its_mark_to_the_next_one(firms, published, monkeypatch) -> None:
    """The next drain goes behind other firms' work and inherits the mark, so webhooks that
    trust it are right to: it will look last after them."""
    firm, _ = firms
    store(inbound(1))
    monkeypatch.setattr(event_processing, "MAX_SECONDS", 0.0)
    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == 0  # its time is up at once
    assert published == [("texting.provider_events_drain", (firm.id,))]
    events_drain_soon(firm.id)
    assert len(published) == 1  # the mark is still set: nothing more is queued
    assert unprocessed(firm) == 1

    monkeypatch.setattr(event_processing, "MAX_SECONDS", 30.0)
    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == 1  # the next drain applies it
    events_drain_soon(firm.id)  # it cleared the mark and settled before its last look
    assert published[1:] == [("texting.provider_events_drain", (firm.id,))]


def test_webhooks_store_every_callback_and_queue_one_drain(
    firms, published, django_capture_on_commit_callbacks: Any
) -> None:
    firm, _ = firms
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            response = client.post(
                "/webhooks/provider/messaging",
                data=json.dumps([inbound(n)]),
                content_type="application/json",
                HTTP_AUTHORIZATION=basic(),
            )
            assert response.status_code == 200 and response.json()["stored"] == 1
    assert unprocessed(firm) == 3
    assert published == [("texting.provider_events_drain", (firm.id,))]


def test_an_unreachable_redis_still_answers_2xx_and_keeps_the_callback(
    firms, settings: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The callback is stored before anything is queued: the sweeper re-drives it later,
    so the provider gets its 2xx rather than retrying for a day."""
    firm, _ = firms
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/webhooks/provider/messaging",
            data=json.dumps([inbound(1)]),
            content_type="application/json",
            HTTP_AUTHORIZATION=basic(),
        )
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert unprocessed(firm) == 1
    assert any("outbox sweeper will re-drive" in r.getMessage() for r in caplog.records)


def test_a_batch_of_texts_lands_like_the_texts_one_by_one(firms, member, admin) -> None:
    """Several texts from one contact, one from another, one from a stranger, in one batch:
    each stored once in order, the last one previews the thread, unread counts add up per
    member, the stranger's text is dropped."""
    from texting.models import Conversation, DroppedInbound, ReadState
    from texting.selectors import unread_total

    firm, _ = firms
    second = texted_contact(firm, "+12025550177")
    with scope(firm=firm.id):
        ReadState.objects.create(  # the admin has read the thread before: a row exists
            firm=firm,
            conversation=Conversation.objects.exclude(contact=second).get(),
            user=admin,
            unread_count=0,
        )
    store(
        inbound(1),
        inbound(2, sender="+12025550177"),
        inbound(3),
        inbound(4, sender="+12025550199"),  # nobody the firm has texted
        inbound(5),
    )
    with scope(firm=firm.id):
        assert provider_events_drain(firm_id=firm.id) == 5

        assert inbound_texts(firm) == [
            "Text number 1",
            "Text number 2",
            "Text number 3",
            "Text number 5",
        ]
        first = Conversation.objects.exclude(contact=second).get()
        assert first.last_message.body == "Text number 5"
        assert Conversation.objects.get(contact=second).last_message.body == "Text number 2"
        for user in (member, admin):
            counts = dict(
                ReadState.objects.filter(user=user).values_list(
                    "conversation__contact", "unread_count"
                )
            )
            assert counts == {first.contact_id: 3, second.id: 1}
            assert unread_total(firm=firm, user=user) == 4
        assert list(DroppedInbound.objects.values_list("sender_e164", flat=True)) == [
            "+12025550199"
        ]
