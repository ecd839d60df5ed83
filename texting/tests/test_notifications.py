"""Settings > Notifications (S5) and Web Push (C9): the preferences page, badges hidden when
they are off, the subscribe endpoints (validation, firm scoping), the service worker and
manifest, and real pushes to a push service run here over HTTP: the payload is decrypted
with the browser's keys and the VAPID signature checked with the server's public key."""

import base64
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import http_ece
import pytest
from celery.exceptions import Retry
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from py_vapid import Vapid as PyVapid

from accounts.models import Firm, Membership, User
from accounts.tests.factories import MembershipFactory
from config.celery import app
from contacts.models import Contact
from texting.models import (
    Conversation,
    Message,
    NotificationPreference,
    ProviderEvent,
    PushSubscription,
    ReadState,
)
from texting.provider import parse_message_callbacks
from texting.services import messaging_events_record
from texting.services.notifications import (
    inbound_push_send,
    notification_preferences_update,
    push_subscription_save,
)
from texting.services.receiving import inbound_events_apply
from texting.tasks import inbound_push_send_task
from texting.tests.factories import (
    ConversationFactory,
    MessageFactory,
    last_message_set,
    texting_contact,
)
from texting.tests.inbound import CLIENT_NUMBER, callback_body, inject, receive
from texting.webpush import SubscriptionKeys

pytestmark = pytest.mark.django_db

PAGE = "/settings/notifications/"
SUBSCRIBE = "/settings/notifications/push/subscribe/"
UNSUBSCRIBE = "/settings/notifications/push/unsubscribe/"
SUBJECT = "mailto:it@garcia-law.example"
TEXT = "Running late, the hearing notes are in my bag"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class Vapid:
    """The server's key pair, as the settings hold it."""

    key: ec.EllipticCurvePrivateKey
    public: str


@pytest.fixture
def vapid(settings: Any) -> Vapid:
    """Push configured with a key pair made here; http endpoints allowed (the local push
    service below speaks plain HTTP on 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = b64url(public_point(key))
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32))
    settings.WEBPUSH_VAPID_SUBJECT = SUBJECT
    settings.WEBPUSH_TTL_SECONDS = 600
    settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS = True
    return Vapid(key=key, public=public)


@dataclass
class Browser:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def to_json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in the browser."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public_point(self.key)), "auth": b64url(self.auth)},
        }

    def keys(self) -> SubscriptionKeys:
        data = self.to_json()
        return SubscriptionKeys(self.endpoint, data["keys"]["p256dh"], data["keys"]["auth"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None  # decrypted, when the path is a known browser's


class PushService:
    """A push service on 127.0.0.1: records each POST, decrypts it for the browsers it was
    told about, and answers `status`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.browsers: dict[str, Browser] = {}
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                browser = service.browsers.get(self.path)
                payload = None
                if browser is not None:
                    plain = http_ece.decrypt(
                        body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
                    )
                    payload = json.loads(plain)
                service.received.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, payload
                    )
                )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def browser(self, name: str) -> Browser:
        browser = Browser(endpoint=f"{self.origin}/push/{name}")
        self.browsers[f"/push/{name}"] = browser
        return browser


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    service.thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks run in process, as in the embedded default (CI's other pass has a broker)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def push_on(firm: Firm, user: User, browser: Browser) -> PushSubscription:
    """`user` turned push on and subscribed `browser`, through the services."""
    with scope(firm=firm.id):
        notification_preferences_update(firm=firm, user=user, badge_counts=True, push=True)
        subscription, _ = push_subscription_save(firm=firm, user=user, subscription=browser.keys())
    return subscription


def maria(firm: Firm) -> Contact:
    """A client the firm has texted, whose replies go into her thread."""
    with scopes_disabled():
        contact = texting_contact(firm, CLIENT_NUMBER, first_name="Maria", last_name="Garcia")
        at = timezone.now() - timedelta(hours=1)
        ConversationFactory(contact=contact, last_message_at=at, last_outbound_at=at)
    return contact


def vapid_claims(authorization: str, vapid: Vapid) -> dict[str, Any]:
    """The claims of a `vapid t=<JWT>, k=<key>` header, once its ES256 signature is checked
    with the server's public key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert parts["k"] == vapid.public
    header, claims, signature = parts["t"].split(".")
    raw = b64url_decode(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    vapid.key.public_key().verify(
        der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())
    )  # raises InvalidSignature
    assert json.loads(b64url_decode(header))["alg"] == "ES256"
    return dict(json.loads(b64url_decode(claims)))


def checkbox(html: str, name: str) -> str:
    """The <input> tag of the checkbox `name`."""
    [tag] = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', html)
    return str(tag)


def post_json(client: Client, url: str, body: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


# --- the preferences page (S5) ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Membership.Role.STAFF, Membership.Role.ADMIN])
def test_every_member_sees_the_defaults_and_saves_their_own_preferences(
    firm, client_for, role, vapid
) -> None:
    user = MembershipFactory(firm=firm, role=role).user
    colleague = MembershipFactory(firm=firm).user
    client = client_for(user)

    page = client.get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert "checked" in checkbox(html, "badge_counts")
    assert "checked" not in checkbox(html, "push")  # off by default
    assert f'data-vapid-key="{vapid.public}"' in html
    assert "This browser is not subscribed." in html

    saved = client.post(PAGE, {"push": "on"}, follow=True)  # badge counts unticked
    assert "Your notification settings were saved." in saved.content.decode()
    with scopes_disabled():
        mine = NotificationPreference.objects.get(user=user)
        assert (mine.badge_counts, mine.push, mine.firm_id) == (False, True, firm.id)
        assert not NotificationPreference.objects.filter(user=colleague).exists()
    html = client.get(PAGE).content.decode()
    assert "checked" in checkbox(html, "push") and 'data-push-on="true"' in html
    assert "checked" not in checkbox(html, "badge_counts")
    assert "Checking this browser" in html


def test_a_firm_without_texting_is_told_why_and_cannot_subscribe(
    firm, member, client_for, vapid, push_service
) -> None:
    firm.plan = Firm.Plan.EASYSTART
    firm.save()
    client = client_for(member)

    html = client.get(PAGE).content.decode()
    response = post_json(client, SUBSCRIBE, push_service.browser("a").to_json())

    assert "included in the Essentials, Advanced and Complete plans" in html
    assert "badge_counts" not in html
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "texting_unavailable"
    with scopes_disabled():
        assert not PushSubscription.objects.exists()


def test_without_vapid_keys_push_is_not_configured_and_stays_off(
    firm, member, client_for, push_service, settings
) -> None:
    settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS = True
    client = client_for(member)

    html = client.get(PAGE).content.decode()
    client.post(PAGE, {"badge_counts": "on", "push": "on"})
    response = post_json(client, SUBSCRIBE, push_service.browser("a").to_json())

    assert "Push is not configured on this server." in html
    assert "disabled" in checkbox(html, "push")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Push is not configured on this server."
    with scopes_disabled():
        assert NotificationPreference.objects.get(user=member).push is False
        assert not PushSubscription.objects.exists()


def test_turning_push_off_forgets_every_browser_of_the_member_only(
    firm, member, admin, client_for, vapid, push_service
) -> None:
    push_on(firm, member, push_service.browser("phone"))
    push_on(firm, member, push_service.browser("laptop"))
    kept = push_on(firm, admin, push_service.browser("admins"))

    client_for(member).post(PAGE, {"badge_counts": "on"})

    with scopes_disabled():
        assert list(PushSubscription.objects.all()) == [kept]
        assert NotificationPreference.objects.get(user=member).push is False


# --- subscribing a browser (C9) -----------------------------------------------------------------


def test_a_browser_subscribes_once_and_again_is_a_no_op(
    firm, member, client_for, vapid, push_service
) -> None:
    browser = push_service.browser("a")
    client = client_for(member)

    first = post_json(client, SUBSCRIBE, browser.to_json())
    again = post_json(client, SUBSCRIBE, browser.to_json())

    assert (first.status_code, again.status_code) == (201, 200)
    with scopes_disabled():
        row = PushSubscription.objects.get()
    assert (row.firm_id, row.user_id, row.endpoint) == (firm.id, member.id, browser.endpoint)
    assert (row.p256dh, row.auth) == (browser.to_json()["keys"]["p256dh"], b64url(browser.auth))
    assert row.last_success_at is None


GOOD = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
    "keys": {
        "p256dh": b64url(public_point(ec.generate_private_key(ec.SECP256R1()))),
        "auth": b64url(b"0123456789abcdef"),
    },
}


def _with(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(GOOD))
    for name, value in changes.items():
        if name in ("p256dh", "auth"):
            body["keys"][name] = value
        else:
            body[name] = value
    return body


@pytest.mark.parametrize(
    "body, field_name",
    [
        ("not json", None),
        ([1, 2], None),
        (_with(endpoint=None), "endpoint"),
        (_with(endpoint="http://push.example.com/x"), "endpoint"),
        (_with(endpoint="https://127.0.0.1:8000/x"), "endpoint"),
        (_with(endpoint="https://localhost/x"), "endpoint"),
        (_with(endpoint="ftp://push.example.com/x"), "endpoint"),
        (_with(endpoint="https://push.example.com/" + "x" * 1000), "endpoint"),
        (_with(p256dh=b64url(b"\x04" + bytes(63))), "keys.p256dh"),  # too short
        (_with(p256dh=b64url(b"\x04" + bytes(64))), "keys.p256dh"),  # not on the curve
        (_with(p256dh="not+base64/url"), "keys.p256dh"),
        (_with(auth=b64url(b"short")), "keys.auth"),
        (_with(auth=None), "keys.auth"),
        (_with(keys="nope"), "keys.p256dh"),
    ],
)
def test_what_is_not_a_subscription_gets_400_and_stores_nothing(
    member, client_for, vapid, settings, body, field_name
) -> None:
    settings.WEBPUSH_ALLOW_HTTP_ENDPOINTS = False
    client = client_for(member)
    assert post_json(client, SUBSCRIBE, GOOD).status_code == 201  # the checks let real ones by
    with scopes_disabled():
        PushSubscription.objects.all().delete()

    response = post_json(client, SUBSCRIBE, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_subscription" and error["message"]
    if field_name:
        assert field_name in error["fields"]
    with scopes_disabled():
        assert not PushSubscription.objects.exists()


def test_subscribing_is_csrf_protected_and_for_signed_in_members(
    member, vapid, push_service
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    body = json.dumps(push_service.browser("a").to_json())

    assert strict.post(SUBSCRIBE, body, content_type="application/json").status_code == 403
    anonymous = Client().post(SUBSCRIBE, body, content_type="application/json")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().get(SUBSCRIBE).status_code == 405
    with scopes_disabled():
        assert not PushSubscription.objects.exists()


def test_an_endpoint_another_account_subscribed_is_refused_and_left_alone(
    firm, other_firm, member, admin, outsider, client_for, vapid, push_service
) -> None:
    theirs = push_service.browser("shared")
    push_on(other_firm, outsider, theirs)
    colleagues = push_service.browser("colleagues")
    push_on(firm, admin, colleagues)
    client = client_for(member)

    for browser in (theirs, colleagues):
        response = post_json(client, SUBSCRIBE, browser.to_json())
        assert response.status_code == 409
        assert response.json()["error"]["type"] == "endpoint_taken"
    with scopes_disabled():
        owners = {s.endpoint: s.user_id for s in PushSubscription.objects.all()}
    assert owners == {theirs.endpoint: outsider.id, colleagues.endpoint: admin.id}


def test_unsubscribe_removes_the_members_own_browser_and_nobody_elses(
    firm, other_firm, member, admin, outsider, client_for, vapid, push_service
) -> None:
    mine = push_service.browser("mine")
    push_on(firm, member, mine)
    colleagues = push_on(firm, admin, push_service.browser("colleagues"))
    theirs = push_on(other_firm, outsider, push_service.browser("theirs"))
    client = client_for(member)

    for endpoint in (theirs.endpoint, colleagues.endpoint):
        response = post_json(client, UNSUBSCRIBE, {"endpoint": endpoint})
        assert response.status_code == 404  # exactly like one that does not exist
    outsiders = post_json(client_for(outsider), UNSUBSCRIBE, {"endpoint": mine.endpoint})
    assert outsiders.status_code == 404
    assert post_json(client, UNSUBSCRIBE, {"nope": 1}).status_code == 400
    assert post_json(client, UNSUBSCRIBE, {"endpoint": mine.endpoint}).status_code == 200

    with scopes_disabled():
        assert set(PushSubscription.objects.all()) == {colleagues, theirs}


# --- badge counts off (S5) ----------------------------------------------------------------------


def _unread_thread(firm: Firm, users: list[User], count: int) -> Contact:
    with scopes_disabled():
        contact = texting_contact(firm, "+12025550101", first_name="Ada", last_name="Client")
        conversation = ConversationFactory(contact=contact)
        last = MessageFactory(conversation=conversation, body="See you at 9")
        last_message_set(last)
        for user in users:
            ReadState.objects.create(
                firm=firm, conversation=conversation, user=user, unread_count=count
            )
    return contact


def test_badge_counts_off_hides_the_navigation_and_row_badges_for_that_member(
    firm, member, admin, client_for, django_assert_max_num_queries
) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    contact = _unread_thread(firm, [member, admin], 3)
    with scope(firm=firm.id):
        notification_preferences_update(firm=firm, user=member, badge_counts=False, push=False)
    client = client_for(member)

    pages = {}
    for url in ["/communications/", f"/contacts/{contact.uuid}/communications/", "/matters/"]:
        with django_assert_max_num_queries(12):
            pages[url] = client.get(url).content.decode()
    rows = client.get("/communications/", HTTP_HX_REQUEST="true").content.decode()
    polled = client.get("/communications/unread/").content.decode()

    for html in [*pages.values(), rows, polled]:
        assert "count-badge" not in html
    assert "See you at 9" in pages["/communications/"]  # the rows are there, without counts
    assert 'id="unread-badge"' in polled and "hx-trigger" not in polled  # polling stops
    assert 'hx-get="/communications/unread/"' not in pages["/matters/"]
    admins = client_for(admin).get("/communications/").content.decode()
    assert admins.count('aria-label="3 unread"') == 2  # the navigation and the row


# --- the service worker and the manifest --------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_for_the_whole_site() -> None:
    response = Client().get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    assert 'addEventListener("push"' in script and 'addEventListener("notificationclick"' in script
    assert "/static/icons/icon-192.png" in script and "{%" not in script


def test_the_manifest_installs_the_site_as_an_app_that_opens_on_communications() -> None:
    response = Client().get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Firm Texting" and manifest["short_name"]
    assert (manifest["start_url"], manifest["display"]) == ("/communications/", "standalone")
    assert manifest["theme_color"].startswith("#")
    assert [i["sizes"] for i in manifest["icons"]] == ["192x192", "512x512"]
    for icon in manifest["icons"]:
        png = Client().get(icon["src"])
        assert png.status_code == 200
        body = b"".join(png.streaming_content) if png.streaming else png.content
        assert body.startswith(b"\x89PNG\r\n\x1a\n")
        size = int(icon["sizes"].split("x")[0])
        assert (int.from_bytes(body[16:20]), int.from_bytes(body[20:24])) == (size, size)


def test_every_page_links_the_manifest_and_the_theme_colour(member, client_for) -> None:
    html = client_for(member).get("/settings/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#14213d">' in html


# --- pushes of inbound texts (C9), to a push service run here ----------------------------------


def test_an_inbound_text_is_pushed_encrypted_and_signed_with_the_contacts_name_only(
    texting_firm,
    member,
    sandbox,
    vapid,
    push_service,
    eager_tasks,
    django_capture_on_commit_callbacks,
    caplog,
) -> None:
    contact = maria(texting_firm)
    browser = push_service.browser("marias-lawyer")
    subscription = push_on(texting_firm, member, browser)
    caplog.set_level(logging.DEBUG)
    before = int(time.time())

    with django_capture_on_commit_callbacks(execute=True):
        receive(sandbox, texting_firm, text=TEXT)

    [push] = push_service.received
    with scope(firm=texting_firm.id):
        conversation = Conversation.objects.get(contact=contact)
    assert push.path == "/push/marias-lawyer"
    assert push.payload == {
        "title": "New text message",
        "body": "Maria Garcia",
        "tag": f"conversation-{conversation.uuid}",
        "url": f"/communications/contacts/{contact.uuid}/",
    }
    assert push.headers["content-encoding"] == "aes128gcm"
    assert push.headers["ttl"] == "600"
    assert push.headers["urgency"] == "high"
    assert push.headers["topic"] == conversation.uuid.hex
    claims = vapid_claims(push.headers["authorization"], vapid)
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == SUBJECT
    assert before < int(claims["exp"]) <= before + 24 * 3600
    # Neither the text nor the number is in the payload, nor anywhere the server logged.
    assert TEXT not in json.dumps(push.payload) and "555" not in json.dumps(push.payload)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert TEXT not in logged and CLIENT_NUMBER not in logged and browser.endpoint not in logged
    with scope(firm=texting_firm.id):
        subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_a_subscription_the_push_service_says_is_gone_is_deleted(
    texting_firm,
    member,
    admin,
    sandbox,
    vapid,
    push_service,
    eager_tasks,
    django_capture_on_commit_callbacks,
) -> None:
    maria(texting_firm)
    push_on(texting_firm, member, push_service.browser("gone"))
    push_service.status = 410

    with django_capture_on_commit_callbacks(execute=True):
        receive(sandbox, texting_firm, text=TEXT)

    assert [r.path for r in push_service.received] == ["/push/gone"]
    with scopes_disabled():
        assert not PushSubscription.objects.exists()
        assert NotificationPreference.objects.get(user=member).push is True  # other browsers


def test_members_with_push_off_and_other_firms_members_get_nothing(
    texting_firm,
    other_firm,
    member,
    admin,
    outsider,
    sandbox,
    vapid,
    push_service,
    eager_tasks,
    django_capture_on_commit_callbacks,
) -> None:
    maria(texting_firm)
    push_on(texting_firm, member, push_service.browser("member"))
    push_on(other_firm, outsider, push_service.browser("outsider"))
    # A browser left from before the admin turned push off (the service forgets them; a
    # row made by hand stands for one that slipped through).
    with scope(firm=texting_firm.id):
        notification_preferences_update(
            firm=texting_firm, user=admin, badge_counts=True, push=False
        )
        stale = push_service.browser("admin").keys()
        PushSubscription.objects.create(
            firm=texting_firm,
            user=admin,
            endpoint=stale.endpoint,
            p256dh=stale.p256dh,
            auth=stale.auth,
        )

    with django_capture_on_commit_callbacks(execute=True):
        receive(sandbox, texting_firm, text=TEXT)

    assert [r.path for r in push_service.received] == ["/push/member"]


def _stored_events(sandbox: Any, firm: Firm, count: int) -> list[ProviderEvent]:
    ids = [inject(sandbox, text=f"{TEXT} {n}") for n in range(count)]
    for message_id in ids:
        messaging_events_record(events=parse_message_callbacks(callback_body(sandbox, message_id)))
    with scope(firm=firm.id):
        return list(ProviderEvent.objects.filter(provider_message_id__in=ids).order_by("id"))


def _push_tasks(callbacks: list[Any]) -> list[tuple[Any, ...]]:
    """The args of each `inbound_push_send_task.delay_on_commit(...)` captured."""
    return [
        cb.args
        for cb in callbacks
        if getattr(cb.func, "__self__", None) is not None
        and cb.func.__self__.name == "texting.inbound_push_send"
    ]


def test_a_batch_of_inbound_texts_enqueues_one_push_task_and_only_where_someone_subscribed(
    texting_firm,
    member,
    sandbox,
    vapid,
    push_service,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    settings,
) -> None:
    maria(texting_firm)
    first, second, third = (_stored_events(sandbox, texting_firm, 2) for _ in range(3))

    # Nobody subscribed: the batch costs one EXISTS more than with push not configured.
    with scope(firm=texting_firm.id):
        settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
        with django_capture_on_commit_callbacks() as callbacks:
            inbound_events_apply(firm=texting_firm, events=first)
        assert _push_tasks(callbacks) == []
        settings.WEBPUSH_VAPID_PUBLIC_KEY = vapid.public
        with django_capture_on_commit_callbacks() as callbacks:
            inbound_events_apply(firm=texting_firm, events=second)
        assert _push_tasks(callbacks) == []
    push_on(texting_firm, member, push_service.browser("member"))

    with scope(firm=texting_firm.id), django_capture_on_commit_callbacks() as callbacks:
        messages = inbound_events_apply(firm=texting_firm, events=third)

    assert _push_tasks(callbacks) == [(texting_firm.id, [m.id for m in messages if m])]
    assert push_service.received == []  # sent by the task, after commit


def test_the_exists_check_is_the_only_query_push_adds_to_a_batch(
    texting_firm,
    sandbox,
    vapid,
    django_capture_on_commit_callbacks,
    settings,
) -> None:
    maria(texting_firm)
    batches = [_stored_events(sandbox, texting_firm, 3) for _ in range(2)]
    counts = []
    for events, configured in zip(batches, (False, True), strict=True):
        settings.WEBPUSH_VAPID_PUBLIC_KEY = vapid.public if configured else ""
        with scope(firm=texting_firm.id), CaptureQueriesContext(connection) as queries:
            inbound_events_apply(firm=texting_firm, events=events)
        counts.append(len(queries))
    assert counts[1] == counts[0] + 1


def test_a_push_service_that_is_down_is_retried_for_its_browsers_only(
    texting_firm,
    member,
    sandbox,
    vapid,
    push_service,
    django_capture_on_commit_callbacks,
) -> None:
    maria(texting_firm)
    subscription = push_on(texting_firm, member, push_service.browser("member"))
    with django_capture_on_commit_callbacks():  # the task is called below, by hand
        receive(sandbox, texting_firm, text=TEXT)
    with scope(firm=texting_firm.id):
        message_ids = list(
            Message.objects.filter(direction=Message.Direction.INBOUND).values_list("id", flat=True)
        )
    push_service.status = 503

    with scope(firm=texting_firm.id):
        report = inbound_push_send(firm_id=texting_firm.id, message_ids=message_ids)
    assert report.retry == {subscription.id} and not report.sent and not report.removed
    with pytest.raises(Retry):  # called as a worker would: it asks Celery for a retry
        inbound_push_send_task(texting_firm.id, message_ids)

    push_service.status = 201
    inbound_push_send_task(texting_firm.id, message_ids, subscription_ids=[subscription.id])
    assert [r.headers.get("urgency") for r in push_service.received] == ["high"] * 3
    with scope(firm=texting_firm.id):
        subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_nothing_is_sent_when_push_is_not_configured(
    texting_firm,
    member,
    sandbox,
    vapid,
    push_service,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    maria(texting_firm)
    push_on(texting_firm, member, push_service.browser("member"))
    with django_capture_on_commit_callbacks():
        receive(sandbox, texting_firm, text=TEXT)
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""

    with scope(firm=texting_firm.id):
        ids = list(Message.objects.values_list("id", flat=True))
    inbound_push_send_task(texting_firm.id, ids)

    assert push_service.received == []


def test_the_vapid_key_command_prints_a_pair_the_settings_can_use() -> None:
    out = StringIO()
    call_command("webpush_vapid_keys", stdout=out)

    values = dict(line.split("=", 1) for line in out.getvalue().split())
    public, private = values["WEBPUSH_VAPID_PUBLIC_KEY"], values["WEBPUSH_VAPID_PRIVATE_KEY"]
    key = PyVapid.from_string(private_key=private)
    assert b64url(public_point(key.private_key)) == public
    assert len(b64url_decode(public)) == 65 and len(b64url_decode(private)) == 32
