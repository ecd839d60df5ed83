"""T1 across every route: another firm's ids get 404 and change nothing, on every method.

The sweep walks the URL configuration itself, so a route added later is covered without
anyone remembering to add it here; a route whose id parameter this file does not know
fails the sweep until it is mapped below.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scope
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership
from accounts.tests.factories import ApiTokenFactory, MembershipFactory
from billing.models import Activity, BankAccount, Bill, BillLineItem, PaymentLink
from billing.services import bill_generate, payment_link_create
from billing.tests.factories import account_for, activity_for
from calendar_events.models import CalendarEvent, EventAttendee
from calendar_events.tests.factories import event_for
from contacts.models import Contact, ContactRelationship
from contacts.tests.factories import ContactFactory, ContactRelationshipFactory
from integrations.models import WebhookEndpoint
from integrations.services import webhook_endpoint_create
from matters.models import Document, Folder, Matter, MatterRelatedContact
from matters.tests.factories import (
    DocumentFactory,
    FolderFactory,
    MatterFactory,
    MatterRelatedContactFactory,
)
from tests.route_params import ROUTE_PARAM_OBJECTS
from texting.tests.factories import ConversationFactory, MessageFactory, stored_attachment


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "contacts/<uuid:uuid>/edit/"
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[Route]:
    for pattern in patterns:
        template = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, template)
        elif isinstance(pattern, URLPattern) and pattern.pattern.converters:
            yield Route(template, tuple(pattern.pattern.converters))


# Routes keyed by a secret rather than an id: whoever holds a payment link's token may pay
# it, signed in to any firm or none (B5). billing/tests/test_pay_page.py tests them.
PUBLIC_BY_SECRET = ("pay/",)

ROUTES_WITH_IDS = sorted(
    {r for r in _walk(get_resolver().url_patterns) if not r.template.startswith(PUBLIC_BY_SECRET)},
    key=lambda r: r.template,
)


def test_the_sweep_sees_the_routes_it_should() -> None:
    templates = {route.template for route in ROUTES_WITH_IDS}
    assert "contacts/<uuid:uuid>/" in templates
    assert "api/v1/matters/<uuid:id>/" in templates
    assert len(templates) >= 15


@pytest.fixture
def firm_objects(firm, settings, tmp_path) -> dict[str, Any]:
    """One of each firm-owned thing a URL can name, all belonging to `firm`."""
    settings.MEDIA_ROOT = tmp_path  # the files of documents and media
    contact = ContactFactory(firm=firm)
    relationship = ContactRelationshipFactory(contact=contact)
    matter = MatterFactory(client=contact)
    related = MatterRelatedContactFactory(matter=matter)
    folder = FolderFactory(matter=matter)
    document = DocumentFactory(matter=matter, folder=folder)
    token = ApiTokenFactory(user=MembershipFactory(firm=firm).user)
    conversation = ConversationFactory(contact=contact)
    message = MessageFactory(conversation=conversation)
    media = stored_attachment(message, "note.txt", "text/plain", b"hello")
    event = event_for(firm, contacts=[contact], notify=False, matter=matter)
    # A draft bill and an unbilled entry, so a missing firm check could delete or change them.
    timekeeper = MembershipFactory(firm=firm).user
    activity_for(firm, user=timekeeper, matter=matter)
    bank_account = account_for(firm)
    with scope(firm=firm.id):
        bill = bill_generate(firm=firm, actor=None, matter=matter)
        payment_link, _ = payment_link_create(firm=firm, actor=None, account=bank_account)
    activity = activity_for(firm, user=timekeeper, matter=matter)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    with scope(firm=firm.id):
        endpoint, _ = webhook_endpoint_create(
            firm=firm, actor=None, url="http://127.0.0.1:9/hooks", events=["text_message.received"]
        )
    return {
        "webhook_endpoint": endpoint,
        "activity": activity,
        "bill": bill,
        "bank_account": bank_account,
        "payment_link": payment_link,
        "event": event,
        "media": media,
        "conversation": conversation,
        "message": message,
        "contact": contact,
        "related_contact": relationship.related_contact,
        "matter": matter,
        "matter_related": related,
        "folder": folder,
        "document": document,
        "token": token,
    }


def _param_value(route: Route, name: str, objects: dict[str, Any]) -> str:
    by_name = ROUTE_PARAM_OBJECTS
    if name == "position":
        return "0"
    if name == "id":
        key = {
            "api/v1/matters/": "matter",
            "api/v1/text_message_conversations/": "conversation",
            "api/v1/text_messages/": "message",
            "api/v1/calendar_entries/": "event",
            "api/v1/activities/": "activity",
            "api/v1/bills/": "bill",
            "api/v1/bank_accounts/": "bank_account",
            "api/v1/payment_links/": "payment_link",
        }.get(route.template.split("<")[0], "contact")
    elif name == "related_id":
        key = "matter_related" if route.template.startswith("matters/") else "related_contact"
    else:
        key = by_name[name]  # a new id parameter: map it in tests/route_params.py
    return str(objects[key].uuid)


def _url(route: Route, objects: dict[str, Any]) -> str:
    url = "/" + route.template
    for converter, name in re.findall(r"<(\w+):(\w+)>", route.template):
        url = url.replace(f"<{converter}:{name}>", _param_value(route, name, objects))
    return url


def _snapshot() -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for model in (
        Contact,
        ContactRelationship,
        Matter,
        MatterRelatedContact,
        Folder,
        Document,
        Membership,
        CalendarEvent,
        EventAttendee,
        Activity,
        Bill,
        BillLineItem,
        BankAccount,
        PaymentLink,
        WebhookEndpoint,
    ):
        rows += [(model.__name__, r) for r in model.objects.order_by("pk").values_list()]
    rows += [
        ("ApiToken", r)
        for r in ApiToken.objects.order_by("pk").values_list("pk", "revoked_at", "name")
    ]
    return rows


@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=lambda r: r.template)
def test_outsider_gets_404_for_every_firm_id_on_every_method(
    route: Route, firm_objects, outsider, client_for, unscoped
) -> None:
    url = _url(route, firm_objects)
    outsider_token = ApiTokenFactory(user=outsider).raw
    before = _snapshot()
    if route.is_api:
        client: Any = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {outsider_token}")
        methods = ["get", "post", "patch", "put", "delete"]
    else:
        client = client_for(outsider)
        methods = ["get", "post"]
    for method in methods:
        response = getattr(client, method)(
            url, {"name": "x", "description": "x"}, **({"format": "json"} if route.is_api else {})
        )
        # 405 (method not allowed) is decided before any lookup and says nothing either.
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert str(firm_objects["contact"].uuid) not in response.content.decode()
    assert _snapshot() == before, f"{url} changed the other firm's data"


@pytest.mark.parametrize(
    "route", [r for r in ROUTES_WITH_IDS if not r.is_api], ids=lambda r: r.template
)
def test_the_same_ids_open_for_a_member_of_the_firm(
    route: Route, firm_objects, firm, client_for
) -> None:
    # The positive control: the ids used above are real, so the 404s are the firm check.
    admin = MembershipFactory(firm=firm, role=Membership.Role.ADMIN).user
    response = client_for(admin).get(_url(route, firm_objects))
    assert response.status_code in (200, 302, 405), response.status_code
