"""CSRF on every form (issue 9): an unsafe request from a signed-in browser that carries no
CSRF token is refused with 403 and changes nothing, on every route that takes one.

The sweep walks the URL configuration. `UNSAFE_ROUTES` names, per route, the unsafe methods
it accepts (not 405: many pages answer any method as they answer GET, and CSRF still guards
them); `test_the_table_lists_exactly_the_unsafe_methods_each_route_accepts` sends each
method to each route with a token and fails when a route accepts a method the table does
not list (a new form or endpoint) or no longer accepts one it lists. Routes left out carry
their reason in `EXCLUDED`. A refused request changes nothing, so one set of objects serves
every request of a test: each test loops and reports every failing route at once. The API
is in the sweep too: called with the session cookie (as the pages' scripts could), DRF's
SessionAuthentication must demand the token.
A static check then reads every template: each `<form method="post">` has `{% csrf_token %}`.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.route_params import route_objects, route_url

UNSAFE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    template: str  # "contacts/<uuid:uuid>/edit/"
    name: str  # "contacts:edit"

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/")


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        template = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, template, inner)
        elif isinstance(pattern, URLPattern):
            yield Route(template, namespace + (pattern.name or template))


# Routes no browser session reaches, each with the reason it needs no CSRF token.
EXCLUDED: dict[str, str] = {
    # The provider's callbacks: Basic auth in constant time, no cookies, no session; a
    # browser cannot add that header to a cross-site form (texting/tests/test_webhooks.py).
    "webhooks:messaging": "provider callback, Basic auth, no cookies",
    "webhooks:verification": "provider callback, Basic auth, no cookies",
    "webhooks:voice": "provider callback, Basic auth, no cookies",
}

# Every route that accepts an unsafe method, keyed by route name, and the methods it accepts.
# API calls with a Bearer token carry no cookie and need no CSRF token; the same calls with
# the session cookie are what the API rows here test.
EVERY = ("post", "put", "patch", "delete")
POST = ("post",)
UNSAFE_ROUTES: dict[str, tuple[str, ...]] = {
    "accounts:login": EVERY,
    "accounts:logout": POST,
    "accounts:password-change": EVERY,
    "api:activity-detail": ("patch", "delete"),
    "api:activity-list": POST,
    "api:bank-account-list": POST,
    "api:bill-detail": ("delete",),
    "api:bill-issue": POST,
    "api:bill-list": POST,
    "api:calendar-entry-cancel": POST,
    "api:calendar-entry-detail": ("patch", "delete"),
    "api:calendar-entry-list": POST,
    "api:contact-detail": ("put", "patch"),
    "api:contact-list": POST,
    "api:contact-relationship-add": POST,
    "api:contact-relationship-remove": ("delete",),
    "api:matter-detail": ("patch",),
    "api:matter-list": POST,
    "api:payment-link-list": POST,
    "api:payment-link-revoke": POST,
    "api:text-conversation-read": POST,
    "api:text-message-create": POST,
    "api:text-message-retry": POST,
    "api:texting-settings": ("patch",),
    "billing:account-detail": EVERY,
    "billing:account-list": EVERY,
    "billing:activity-create": EVERY,
    "billing:activity-delete": POST,
    "billing:activity-edit": EVERY,
    "billing:activity-list": EVERY,
    "billing:bill-delete": POST,
    "billing:bill-detail": EVERY,
    "billing:bill-generate": POST,
    "billing:bill-issue": POST,
    "billing:bill-list": EVERY,
    "billing:bill-payment-link": EVERY,
    "billing:charge-link-create": POST,
    "billing:index": EVERY,
    "billing:matter-activities": EVERY,
    "billing:matter-bills": EVERY,
    "billing:online-payments": EVERY,
    "billing:payment-link-revoke": POST,
    "billing:timekeeper-rate": POST,
    "calendar_events:attendee-row": EVERY,
    "calendar_events:contact-picker": EVERY,
    "calendar_events:event-cancel": POST,
    "calendar_events:event-create": EVERY,
    "calendar_events:event-delete": POST,
    "calendar_events:event-detail": EVERY,
    "calendar_events:event-edit": EVERY,
    "calendar_events:index": EVERY,
    "calendar_events:matter-calendar": EVERY,
    "contacts:communications": EVERY,
    "contacts:create": EVERY,
    "contacts:detail": EVERY,
    "contacts:edit": EVERY,
    "contacts:list": EVERY,
    "contacts:picker": EVERY,
    "contacts:relationship-add": POST,
    "contacts:relationship-remove": POST,
    "healthz": EVERY,
    "home": EVERY,
    "matters:communications": EVERY,
    "matters:contact-matters": EVERY,
    "matters:create": EVERY,
    "matters:detail": EVERY,
    "matters:document-delete": POST,
    "matters:document-download": EVERY,
    "matters:document-upload": POST,
    "matters:documents": EVERY,
    "matters:edit": EVERY,
    "matters:folder-create": POST,
    "matters:list": EVERY,
    "matters:related-contact-add": POST,
    "matters:related-contact-remove": POST,
    "metrics": EVERY,
    "pay:page": POST,
    "readyz": EVERY,
    "settings:api-token-revoke": POST,
    "settings:api-tokens": EVERY,
    "settings:audit-log": EVERY,
    "settings:delivery": EVERY,
    "settings:index": EVERY,
    "settings:notifications": EVERY,
    "settings:push-subscribe": POST,
    "settings:push-unsubscribe": POST,
    "settings:text-messaging": EVERY,
    "settings:text-messaging-details": EVERY,
    "settings:text-messaging-dropped": EVERY,
    "settings:text-messaging-reminders": EVERY,
    "settings:text-messaging-setup": EVERY,
    "settings:text-messaging-setup-review": EVERY,
    "settings:text-messaging-setup-verification": EVERY,
    "settings:text-messaging-templates": EVERY,
    "settings:text-messaging-verification": EVERY,
    "settings:webhook-delete": POST,
    "settings:webhook-detail": EVERY,
    "settings:webhook-test": POST,
    "settings:webhooks": EVERY,
    "texting:communications": EVERY,
    "texting:conversation": EVERY,
    "texting:media": EVERY,
    "texting:new": EVERY,
    "texting:older": EVERY,
    "texting:retry": POST,
    "texting:send": POST,
    "texting:thread": EVERY,
    "texting:unread-badge": EVERY,
}

ROUTES = sorted(
    {r for r in _walk(get_resolver().url_patterns) if r.name not in EXCLUDED},
    key=lambda r: r.template,
)


@pytest.fixture
def objects(firm, admin, settings, tmp_path) -> dict[str, Any]:
    """One of each thing a URL can name, all of `firm`."""
    return route_objects(firm=firm, timekeeper=admin, settings=settings, tmp_path=tmp_path)


def _url(route: Route, objects: dict[str, Any]) -> str:
    return route_url(route.template, objects)


def _send(client: Client, method: str, route: Route, url: str) -> Any:
    if route.is_api:
        return getattr(client, method)(url, data="{}", content_type="application/json")
    if method == "post":
        return client.post(url, {})
    return getattr(client, method)(url)


def test_the_sweep_sees_the_routes_it_should() -> None:
    names = {route.name for route in ROUTES}
    assert {"contacts:create", "texting:send", "pay:page", "api:contact-list"} <= names
    assert len(ROUTES) >= 80


def test_the_table_lists_exactly_the_unsafe_methods_each_route_accepts(
    objects, admin, client_for
) -> None:
    # With a token (the plain test client skips the check), so 405 is the route's own answer;
    # requests that delete or change objects only turn later answers into 404s, never 405s.
    client = client_for(admin)
    wrong = []
    for route in ROUTES:
        client.force_login(admin)  # the logout route ends the session
        url = _url(route, objects)
        accepted = tuple(
            m for m in UNSAFE_METHODS if _send(client, m, route, url).status_code != 405
        )
        if accepted != UNSAFE_ROUTES.get(route.name, ()):
            wrong.append(f"{route.name} ({route.template}) accepts {accepted}")
    assert wrong == [], (
        "list these in UNSAFE_ROUTES (or, for a route no browser session reaches, in "
        "EXCLUDED with the reason)"
    )


# Every table of the project's own apps: whatever a forged request could write.
PROJECT_APPS = (
    "accounts",
    "contacts",
    "matters",
    "texting",
    "calendar_events",
    "billing",
    "integrations",
)


def _tracked() -> list[type[Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def _rows() -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for model in _tracked():
        manager: Any = model._default_manager
        rows += [(model.__name__, row) for row in manager.order_by("pk").values_list()]
    return rows


def test_an_unsafe_request_without_a_csrf_token_is_refused_and_changes_nothing(
    objects, admin, unscoped
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    browser.get("/settings/")  # a page first, as a browser would: the CSRF cookie is set
    stranger = Client(enforce_csrf_checks=True)  # signed in nowhere: the public pay page
    before = _rows()
    cases = [(r, m) for r in ROUTES for m in UNSAFE_ROUTES.get(r.name, ())]
    assert len(cases) >= 200
    wrong = []
    for route, method in cases:
        clients = [browser, stranger] if route.name == "pay:page" else [browser]
        for client in clients:
            response = _send(client, method, route, _url(route, objects))
            if response.status_code != 403 or b"CSRF" not in response.content:
                wrong.append(f"{method.upper()} {route.template}: {response.status_code}")
            elif _rows() != before:
                wrong.append(f"{method.upper()} {route.template}: changed data")
                before = _rows()
    assert wrong == []
    # The refusals are the CSRF check's: the same browser with its token gets through.
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    send = browser.post(
        f"/communications/contacts/{objects['contact'].uuid}/send/",
        {"body": "x"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert send.status_code != 403


def test_every_table_entry_names_a_route() -> None:
    # A route renamed or removed leaves its entry behind: the table must say only true things.
    names = {route.name for route in ROUTES}
    assert sorted(set(UNSAFE_ROUTES) - names) == []


# --- Templates --------------------------------------------------------------------------------

_FORM_RE = re.compile(r"<form\b[^>]*>", re.IGNORECASE | re.DOTALL)
_POST_RE = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.IGNORECASE)


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for d in get_app_template_dirs("templates")]
    for engine in engines.all():
        dirs += [Path(d) for d in engine.dirs]
    root = Path(settings.BASE_DIR).resolve()
    # The project's own templates: not those of installed packages (Django's admin...).
    return sorted(
        {d.resolve() for d in dirs if root in d.resolve().parents and ".venv" not in d.parts}
    )


def _templates() -> list[Path]:
    found: set[Path] = set()
    for directory in _template_dirs():
        found |= set(directory.rglob("*.html"))
    return sorted(found)


def _post_forms_without_token(source: str) -> list[str]:
    missing = []
    for match in _FORM_RE.finditer(source):
        if not _POST_RE.search(match.group(0)):
            continue
        end = source.lower().find("</form>", match.end())
        body = source[match.end() : end if end != -1 else len(source)]
        if "{% csrf_token %}" not in body.replace("{%csrf_token%}", "{% csrf_token %}"):
            missing.append(match.group(0))
    return missing


def test_the_template_check_sees_the_project_templates() -> None:
    names = {path.name for path in _templates()}
    assert {"base.html", "matter_documents.html"} <= names


def test_the_template_check_finds_a_form_without_a_token() -> None:
    assert _post_forms_without_token('<FORM Method="POST" action="/x"><input></FORM>') == [
        '<FORM Method="POST" action="/x">'
    ]
    assert _post_forms_without_token("<form method=post>{% csrf_token %}</form>") == []
    assert _post_forms_without_token('<form method="get"><input></form>') == []


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.name))
def test_every_post_form_in_every_template_has_a_csrf_token(template: Path) -> None:
    assert _post_forms_without_token(template.read_text(encoding="utf-8")) == []
