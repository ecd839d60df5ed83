"""T1 across every route: another firm's ids get 404 and change nothing, on every method.

The sweep walks the URL configuration itself, so a route added later is covered without
anyone remembering to add it here; a route whose id parameter this file does not know
fails the sweep until it is mapped in tests/route_params.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership
from accounts.tests.factories import ApiTokenFactory, MembershipFactory
from billing.models import Activity, BankAccount, Bill, BillLineItem, PaymentLink
from calendar_events.models import CalendarEvent, EventAttendee
from contacts.models import Contact, ContactRelationship
from integrations.models import WebhookEndpoint
from matters.models import Document, Folder, Matter, MatterRelatedContact
from tests.route_params import route_objects, route_url


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
    timekeeper = MembershipFactory(firm=firm).user
    return route_objects(firm=firm, timekeeper=timekeeper, settings=settings, tmp_path=tmp_path)


def _url(route: Route, objects: dict[str, Any]) -> str:
    return route_url(route.template, objects)


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
