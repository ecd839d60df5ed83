"""The provider sandbox, a separate process, calls the app's webhooks over real HTTP (P2, P3).

Sends go out through our provider client; the sandbox answers as Bandwidth would and posts
its callbacks (with duplicates and reordering switched on) to the live app, which stores
each event once. Inbound texts and calls are injected like a client's phone would send them.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_scopes import scope

from provider_sandbox.testing import SandboxProcess, running_sandbox
from texting.models import ProviderEvent, TextingSettings
from texting.provider import ProviderClient, ProviderConfig
from texting.selectors import provider_message_status

FIRM_NUMBER = "+18445550100"
CLIENT = "+12025550143"  # delivers
UNREACHABLE = "+12025554720"  # a sandbox test number: fails with 4720


@pytest.fixture
def sandbox(live_server: Any, tmp_path: Path) -> Iterator[SandboxProcess]:
    with running_sandbox(state_dir=tmp_path, callback_url=live_server.url) as process:
        process.control.set_settings(
            callback_retry_schedule=[0.2, 0.5, 1.0], verification_delay_seconds=0.2
        )
        process.control.own_number(FIRM_NUMBER)
        yield process


@pytest.fixture
def texting_firm(firm):
    firm.toll_free_number_e164 = FIRM_NUMBER
    firm.save()
    return firm


@pytest.fixture
def provider(sandbox: SandboxProcess) -> Iterator[ProviderClient]:
    config = ProviderConfig.for_origin(
        sandbox.url,
        account_id=sandbox.account_id,
        application_id="sandbox-application",
        username=sandbox.username,
        password=sandbox.password,
    )
    with ProviderClient(config) as client:
        yield client


def _events(firm, **filters: Any) -> list[ProviderEvent]:
    with scope(firm=firm.id):
        return list(ProviderEvent.objects.filter(**filters))


def _all_callbacks_acknowledged(sandbox: SandboxProcess, count: int) -> list[dict]:
    return sandbox.control.wait_for_callbacks(
        lambda callbacks: (
            len(callbacks) >= count and all(c["state"] == "delivered" for c in callbacks)
        ),
        timeout=20,
    )


def test_duplicated_and_reordered_status_callbacks_are_stored_once(
    sandbox, provider, texting_firm
) -> None:
    sandbox.control.set_faults(duplicate_callbacks=True, out_of_order_callbacks=True)
    sent = provider.send_message(
        from_number=FIRM_NUMBER, to=CLIENT, text="Hearing moved", tag="message-uuid-1"
    )
    callbacks = _all_callbacks_acknowledged(sandbox, 2)  # an SMS's one event, twice

    events = _events(texting_firm, provider_message_id=sent.id)
    assert [e.event_type for e in events] == ["message-delivered"]
    assert len(callbacks) > len(events)  # the duplicates were really delivered, and ignored
    assert all(e.tag == "message-uuid-1" for e in events)
    with scope(firm=texting_firm.id):
        assert (
            provider_message_status(firm=texting_firm, provider_message_id=sent.id)
            == "message-delivered"
        )


def test_a_failed_delivery_is_stored_with_its_error_code(sandbox, provider, texting_firm):
    sent = provider.send_message(
        from_number=FIRM_NUMBER, to=UNREACHABLE, text="Hi", tag="message-uuid-2"
    )
    sandbox.control.wait_for_callbacks(
        lambda cbs: any(
            c["event_type"] == "message-failed" and c["state"] == "delivered" for c in cbs
        ),
        timeout=20,
    )
    [failed] = _events(texting_firm, provider_message_id=sent.id, event_type="message-failed")
    assert failed.error_code == 4720


def test_an_inbound_text_reaches_the_firm_once(sandbox, texting_firm) -> None:
    injected = sandbox.control.inject_text(CLIENT, FIRM_NUMBER, "Can we talk tomorrow?")
    _all_callbacks_acknowledged(sandbox, 1)
    [event] = _events(texting_firm, event_type="message-received")
    assert event.provider_message_id == injected["message_id"]
    assert event.payload["text"] == "Can we talk tomorrow?"


def test_a_caller_hears_the_firm_and_how_to_reach_it(sandbox, texting_firm, unscoped) -> None:
    TextingSettings.objects.create(firm=texting_firm, alternative_phone_e164="+12025550188")
    call = sandbox.control.inject_call(CLIENT, FIRM_NUMBER)
    assert call["bxml_valid"] is True
    spoken = " ".join(call["spoken"])
    assert texting_firm.name in spoken and "(202) 555-0188" in spoken


def test_wrong_webhook_credentials_are_refused_and_retried(sandbox, texting_firm, settings) -> None:
    # The app's credentials change; the sandbox keeps the old ones and keeps retrying.
    settings.WEBHOOK_PASSWORD = "rotated-password"
    sandbox.control.inject_text(CLIENT, FIRM_NUMBER, "hello")
    sandbox.control.wait_for_callbacks(lambda cbs: cbs and cbs[0]["attempts"] >= 2, timeout=20)
    assert _events(texting_firm) == []
    assert sandbox.control.callbacks()[0]["last_status"] == 401


def test_verification_status_reaches_the_firm_through_the_worker(
    sandbox, texting_firm, real_worker
) -> None:
    sandbox.control.set_verification(FIRM_NUMBER, "VERIFIED")
    sandbox.control.wait_for_callbacks(
        lambda cbs: any(c["kind"] == "verification" and c["state"] == "delivered" for c in cbs),
        timeout=20,
    )
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        with scope(firm=texting_firm.id):
            found = TextingSettings.objects.first()
        status = found.verification_status if found else None
        if status == "verified":
            break
        time.sleep(0.2)
    assert status == "verified"
