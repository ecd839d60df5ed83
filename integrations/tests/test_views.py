"""Settings > Webhooks (X6): admins only (staff 403), another firm's endpoint 404, the
secret shown once, the delivery log, "Send test event", delete."""

from typing import Any

import pytest
from django.test import Client
from django_scopes import scope

from accounts.models import Firm, User
from integrations.models import EventType, WebhookDelivery, WebhookEndpoint

from .conftest import ScriptedReceiver, deliver_pending, endpoint_for, enqueued_deliveries

pytestmark = pytest.mark.django_db

LIST = "/settings/webhooks/"


def detail(endpoint: WebhookEndpoint) -> str:
    return f"{LIST}{endpoint.uuid}/"


def test_staff_get_403_on_every_webhook_page(firm: Firm, member: User, client_for: Any) -> None:
    endpoint, _ = endpoint_for(firm, "https://93.184.215.14/h", [EventType.TEXT_MESSAGE_RECEIVED])
    client = client_for(member)
    assert client.get(LIST).status_code == 403
    assert (
        client.post(LIST, {"url": "https://93.184.215.14/x", "events": ["ping"]}).status_code == 403
    )
    assert client.get(detail(endpoint)).status_code == 403
    assert client.post(detail(endpoint) + "test/").status_code == 403
    assert client.post(detail(endpoint) + "delete/").status_code == 403
    assert "/settings/webhooks/" not in client.get("/settings/").content.decode()


def test_an_outsider_gets_404_for_this_firms_endpoint_and_does_not_see_it(
    firm: Firm, outsider: User, client_for: Any
) -> None:
    endpoint, _ = endpoint_for(firm, "https://93.184.215.14/h", [EventType.TEXT_MESSAGE_RECEIVED])
    client = client_for(outsider)
    assert client.get(detail(endpoint)).status_code == 404
    assert client.post(detail(endpoint) + "test/").status_code == 404
    assert client.post(detail(endpoint) + "delete/").status_code == 404
    page = client.get(LIST)
    assert page.status_code == 200 and "93.184.215.14" not in page.content.decode()
    with scope(firm=firm.id):
        assert WebhookEndpoint.objects.filter(id=endpoint.id).exists()
        assert not WebhookDelivery.objects.exists()


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(
    firm: Firm, admin: User, client_for: Any
) -> None:
    client: Client = client_for(admin)
    assert 'href="/settings/webhooks/"' in client.get("/settings/").content.decode()
    response = client.post(
        LIST,
        {
            "url": "https://93.184.215.14/hooks",
            "events": [EventType.TEXT_MESSAGE_RECEIVED, EventType.TEXT_MESSAGE_FAILED],
        },
    )
    assert response.status_code == 200
    with scope(firm=firm.id):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["text_message.received", "text_message.failed"]
    assert endpoint.created_by == admin
    assert endpoint.secret in response.content.decode()
    assert "shown only once" in response.content.decode()

    for page in (client.get(LIST), client.get(detail(endpoint))):
        assert page.status_code == 200
        assert endpoint.secret not in page.content.decode()
    assert "https://93.184.215.14/hooks" in client.get(LIST).content.decode()


def test_a_private_url_is_a_form_error_in_production_settings(
    firm: Firm, admin: User, client_for: Any, settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = client_for(admin).post(
        LIST, {"url": "https://127.0.0.1/hooks", "events": [EventType.TEXT_MESSAGE_RECEIVED]}
    )
    assert response.status_code == 200
    assert "cannot receive webhooks" in response.content.decode()
    with scope(firm=firm.id):
        assert not WebhookEndpoint.objects.exists()


def test_send_test_event_shows_in_the_delivery_log(
    firm: Firm,
    admin: User,
    client_for: Any,
    scripted: ScriptedReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint, _ = endpoint_for(firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    client = client_for(admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(detail(endpoint) + "test/")
    assert response.status_code == 302 and response["Location"] == detail(endpoint)
    (delivery,) = deliver_pending(firm)
    assert enqueued_deliveries(callbacks) == [(firm.id, delivery.id)]

    page = client.get(detail(endpoint)).content.decode()
    assert "ping" in page and str(delivery.event.uuid) in page
    assert "Delivered" in page and ">200<" in page and " ms" in page


def test_delete_removes_the_endpoint_and_its_log(
    firm: Firm, admin: User, client_for: Any, scripted: ScriptedReceiver
) -> None:
    endpoint, _ = endpoint_for(firm, scripted.url, [EventType.TEXT_MESSAGE_RECEIVED])
    client = client_for(admin)
    client.post(detail(endpoint) + "test/")
    response = client.post(detail(endpoint) + "delete/")
    assert response.status_code == 302
    with scope(firm=firm.id):
        assert not WebhookEndpoint.objects.exists()
        assert not WebhookDelivery.objects.exists()
    assert client.get(detail(endpoint)).status_code == 404
