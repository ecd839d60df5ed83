"""Every user-controlled text is rendered escaped (issue 9): message bodies, names, file
names, titles, descriptions... on every page that shows them.

One firm is filled, through the services and factories, with data whose every text field
holds a payload that would run or break out of its context if rendered raw (`<script>`,
an attribute break-out with an `onerror` image, a `</textarea>` break-out). Each field's
payload starts with its own tag (`zqBODYIN`), so a page can be checked for exactly the
fields it shows. `PAGES` is the table: page → the fields it must show (escaped). Every page
must show each of its fields in escaped form and contain no raw payload anywhere.
To cover a new page or field, add a row (and the field to `world`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_scopes import scope

from accounts.models import Firm, Membership
from accounts.services import api_token_create
from accounts.tests.factories import MembershipFactory
from billing.services import bill_generate, bill_issue, payment_link_create
from billing.tests.factories import account_for, activity_for
from calendar_events.tests.factories import event_for
from matters.services import document_upload, folder_create, matter_create
from texting.models import Message, MessageMedia
from texting.tasks import inbound_media_fetch_task
from texting.tests.factories import (
    ConversationFactory,
    MessageFactory,
    last_message_set,
    stored_attachment,
    texting_contact,
)
from texting.tests.inbound import receive, texted_contact

# What must never reach a page unescaped: each would run script or leave its context.
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror", "</textarea><b>", "<svg onload")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


def payload(tag: str) -> str:
    """Script, an attribute break-out and a textarea break-out, after the field's tag."""
    return f'{tag}<script>alert(1)</script>"><img src=x onerror=alert(1)></textarea><b>x</b>'


def file_payload(tag: str) -> str:
    """For names that lose everything before a slash (file and folder names)."""
    return f'{tag}"><img src=x onerror=alert(1)><svg onload=alert(1)>.pdf'


def escaped_start(value: str) -> str:
    """The escaped tag and first markup of a payload: short enough to survive truncation."""
    tag_length = len(value) - len(value.lstrip("zqABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    return escape(value[: tag_length + 5])


@pytest.fixture
def world(firm: Firm, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """A firm whose every user-controlled text is a payload, and the ids the pages need."""
    settings.MEDIA_ROOT = tmp_path
    texts: dict[str, str] = {"zqQUERY": payload("zqQUERY"), "zqPREFILL": payload("zqPREFILL")}

    def text(tag: str, make: Callable[[str], str] = payload) -> str:
        texts[tag] = make(tag)
        return texts[tag]

    firm.name = text("zqFIRM")
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    admin = MembershipFactory(
        firm=firm,
        role=Membership.Role.ADMIN,
        user__first_name=text("zqUFIRST"),
        user__last_name=text("zqULAST"),
    ).user
    contact = texting_contact(
        firm, "+12025550143", first_name=text("zqCFIRST"), last_name=text("zqCLAST")
    )
    with scope(firm=firm.id):
        matter = matter_create(firm=firm, actor=admin, client=contact, description=text("zqMDESC"))
        folder = folder_create(
            firm=firm, actor=admin, matter=matter, name=text("zqFOLDER", file_payload)
        )
        document_upload(
            firm=firm,
            actor=admin,
            matter=matter,
            folder=folder,
            file=ContentFile(b"A retainer agreement.", name="x.txt"),
            name=text("zqDOCNAME", file_payload),
        )
        document_upload(
            firm=firm,
            actor=admin,
            matter=matter,
            file=ContentFile(b"Top-level notes.", name="x.txt"),
            name=text("zqDOCTOP", file_payload),
        )
    conversation = ConversationFactory(contact=contact)
    now = timezone.now()
    outbound = MessageFactory(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.DELIVERED,
        body=text("zqBODYOUT"),
        sent_by=admin,
        created_at=now - timedelta(minutes=5),
    )
    inbound = MessageFactory(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body=text("zqBODYIN"),
        created_at=now - timedelta(minutes=1),
    )
    stored_attachment(inbound, text("zqMMSNAME", file_payload), "image/jpeg", JPEG)
    with scope(firm=firm.id):
        last_message_set(inbound)
    event = event_for(
        firm,
        contacts=[contact],
        notify=False,
        matter=matter,
        title=text("zqEVTITLE"),
        location=text("zqEVLOC"),
        description=text("zqEVDESC"),
    )
    activity_for(firm, user=admin, matter=matter, description=text("zqLINE"))
    bank_account = account_for(firm, name=text("zqBANK"))
    with scope(firm=firm.id):
        bill = bill_issue(
            firm=firm, actor=admin, bill=bill_generate(firm=firm, actor=admin, matter=matter)
        )
        _, pay_token = payment_link_create(firm=firm, actor=admin, account=bank_account, bill=bill)
    activity = activity_for(firm, user=admin, matter=matter, description=text("zqACTDESC"))
    with scope(firm=firm.id):
        api_token_create(firm=firm, user=admin, name=text("zqTOKEN"))
    return {
        "texts": texts,
        "admin": admin,
        "contact": contact,
        "matter": matter,
        "folder": folder,
        "conversation": conversation,
        "outbound": outbound,
        "inbound": inbound,
        "event": event,
        "activity": activity,
        "bill": bill,
        "bank_account": bank_account,
        "pay_token": pay_token,
    }


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[dict[str, Any]], str]
    shows: tuple[str, ...]  # the tags of the fields the page must show, escaped
    htmx: bool = False
    signed_in: bool = True


def _u(name: str, *keys: str, query: str = "") -> Callable[[dict[str, Any]], str]:
    def build(w: dict[str, Any]) -> str:
        args = [w[key].uuid for key in keys]
        return reverse(name, args=args) + (f"?{query.format(**w)}" if query else "")

    return build


SEARCH = payload("zqQUERY")

NAMES = ("zqCFIRST", "zqCLAST")
LAYOUT = ("zqFIRM", "zqUFIRST", "zqULAST")  # the header of every signed-in page
BODIES = ("zqBODYIN", "zqBODYOUT")
EVENT = ("zqEVTITLE", "zqEVLOC", "zqEVDESC")


def _search(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda w: reverse(name) + "?" + urlencode({"q": SEARCH})


def _prefilled(w: dict[str, Any]) -> str:
    # `?body=` prefills the compose box: a reflected value inside a <textarea>.
    url = reverse("texting:conversation", args=[w["contact"].uuid])
    return url + "?" + urlencode({"body": w["texts"]["zqPREFILL"]})


def _week(w: dict[str, Any]) -> str:
    return reverse("calendar_events:index") + f"?week={w['event'].starts_at.date()}"


def _pay(w: dict[str, Any]) -> str:
    return reverse("pay:page", args=[w["pay_token"]])


PAGES: list[Page] = [
    # Communications
    Page("inbox", _u("texting:communications"), (*LAYOUT, *NAMES, "zqBODYIN")),
    Page("inbox poll", _u("texting:communications"), (*NAMES, "zqBODYIN"), htmx=True),
    Page("inbox search", _u("texting:communications", query="q=zqCFIRST"), (*NAMES, "zqBODYIN")),
    Page("inbox search, the query shown", _search("texting:communications"), (*LAYOUT, "zqQUERY")),
    Page("new text", _u("texting:new"), LAYOUT),
    Page("conversation", _u("texting:conversation", "contact"), (*LAYOUT, *NAMES, *BODIES)),
    Page("conversation, compose prefilled", _prefilled, ("zqPREFILL", *NAMES, *BODIES)),
    Page("thread poll", _u("texting:thread", "contact"), (*NAMES, *BODIES), htmx=True),
    Page(
        "thread poll since",
        _u("texting:thread", "contact", query="since={outbound.uuid}"),
        (*NAMES, *BODIES),
        htmx=True,
    ),
    Page(
        "older messages",
        _u("texting:older", "contact", query="before={inbound.uuid}"),
        (*NAMES, "zqBODYOUT"),
        htmx=True,
    ),
    # Contacts
    Page("contact list", _u("contacts:list"), (*LAYOUT, *NAMES)),
    Page("contact search", _u("contacts:list", query="q=zqCFIRST"), NAMES),
    Page("contact search, the query shown", _search("contacts:list"), ("zqQUERY",)),
    Page("contact picker", _u("contacts:picker", query="q=zqCFIRST"), NAMES, htmx=True),
    Page("contact", _u("contacts:detail", "contact"), (*LAYOUT, *NAMES)),
    Page("contact edit", _u("contacts:edit", "contact"), NAMES),
    Page("contact communications", _u("contacts:communications", "contact"), (*NAMES, "zqBODYIN")),
    Page("contact matters", _u("matters:contact-matters", "contact"), (*NAMES, "zqMDESC")),
    # Matters
    Page("matter list", _u("matters:list"), (*LAYOUT, *NAMES, "zqMDESC")),
    Page("matter search", _u("matters:list", query="q=zqCFIRST"), (*NAMES, "zqMDESC")),
    Page("matter search, the query shown", _search("matters:list"), ("zqQUERY",)),
    Page("matter", _u("matters:detail", "matter"), (*NAMES, "zqMDESC")),
    Page("matter edit", _u("matters:edit", "matter"), (*NAMES, "zqMDESC")),
    Page(
        "matter documents", _u("matters:documents", "matter"), ("zqMDESC", "zqFOLDER", "zqDOCTOP")
    ),
    Page(
        "matter folder",
        _u("matters:documents", "matter", "folder"),
        ("zqMDESC", "zqFOLDER", "zqDOCNAME"),
    ),
    Page("matter communications", _u("matters:communications", "matter"), ("zqMDESC", "zqBODYIN")),
    Page(
        "matter calendar",
        _u("calendar_events:matter-calendar", "matter"),
        ("zqMDESC", "zqEVTITLE", "zqEVLOC"),
    ),
    Page(
        "matter activities",
        _u("billing:matter-activities", "matter"),
        ("zqMDESC", "zqLINE", "zqACTDESC"),
    ),
    Page("matter bills", _u("billing:matter-bills", "matter"), (*NAMES, "zqMDESC")),
    # Calendar
    Page("calendar week", _week, (*LAYOUT, "zqCLAST", "zqEVTITLE")),
    Page("calendar list", _u("calendar_events:index", query="view=list"), ("zqEVTITLE", "zqEVLOC")),
    Page("event", _u("calendar_events:event-detail", "event"), (*NAMES, "zqMDESC", *EVENT)),
    Page("event edit", _u("calendar_events:event-edit", "event"), (*NAMES, "zqMDESC", *EVENT)),
    Page(
        "event contact picker",
        _u("calendar_events:contact-picker", query="contact_q=zqCFIRST"),
        NAMES,
        htmx=True,
    ),
    # Billing
    Page("activities", _u("billing:activity-list"), ("zqMDESC", "zqLINE", "zqACTDESC")),
    Page("activity edit", _u("billing:activity-edit", "activity"), ("zqMDESC", "zqACTDESC")),
    Page(
        "time entry from a conversation",
        _u("billing:activity-create", query="conversation={conversation.uuid}"),
        (*NAMES, "zqMDESC"),
    ),
    Page("bills", _u("billing:bill-list"), NAMES),
    Page("bill", _u("billing:bill-detail", "bill"), (*NAMES, "zqMDESC", "zqLINE")),
    Page("bank accounts", _u("billing:account-list"), ("zqBANK",)),
    Page("bank account", _u("billing:account-detail", "bank_account"), ("zqBANK",)),
    Page("online payments", _u("billing:online-payments"), ("zqBANK",)),
    Page("pay page", _pay, ("zqFIRM", "zqMDESC"), signed_in=False),
    # Settings
    Page("settings", _u("settings:index"), LAYOUT),
    Page("api tokens", _u("settings:api-tokens"), (*LAYOUT, "zqTOKEN")),
    Page("notifications", _u("settings:notifications"), LAYOUT),
    Page("webhooks", _u("settings:webhooks"), LAYOUT),
    Page("text messaging", _u("settings:text-messaging"), LAYOUT),
]


def _fetch(page: Page, world: dict[str, Any], client_for: Any) -> str:
    client = client_for(world["admin"]) if page.signed_in else Client()
    headers = {"HTTP_HX_REQUEST": "true"} if page.htmx else {}
    response = client.get(page.url(world), **headers)
    assert response.status_code == 200, (page.name, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_field_on_the_page_is_escaped(page: Page, world, client_for) -> None:
    content = _fetch(page, world, client_for)

    assert [marker for marker in RAW_MARKERS if marker in content] == []
    missing = [tag for tag in page.shows if escaped_start(world["texts"][tag]) not in content]
    assert missing == [], f"{page.name} does not show these fields escaped"


def test_the_payloads_are_stored_raw(world, firm) -> None:
    # The positive control: what the pages escape is the payload itself, not a cleaned copy.
    with scope(firm=firm.id):
        inbound = Message.objects.get(pk=world["inbound"].pk)
    assert inbound.body == world["texts"]["zqBODYIN"]
    assert world["contact"].first_name == world["texts"]["zqCFIRST"]
    assert world["matter"].description == world["texts"]["zqMDESC"]


def test_every_payload_would_be_caught_raw() -> None:
    # The checks above mean something only if each payload carries a marker raw...
    for make in (payload, file_payload):
        assert [m for m in RAW_MARKERS if m in make("zqX")]
        # ...and its escaped start differs from the raw text.
        assert escaped_start(make("zqX")) != make("zqX")[: len(escaped_start(make("zqX")))]


@pytest.mark.django_db
def test_an_mms_file_name_is_escaped_where_it_is_filed_and_never_sent_back(
    texting_firm: Firm, sandbox: Any, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    contact = texted_contact(texting_firm)
    admin = MembershipFactory(firm=texting_firm, role=Membership.Role.ADMIN).user
    with scope(firm=texting_firm.id):
        matter = matter_create(firm=texting_firm, actor=admin, client=contact, description="Lease")
    name = file_payload("zqMMSNAME").removesuffix(".pdf") + ".jpg"
    message_id = receive(sandbox, texting_firm, text="photo", media=[(name, "image/jpeg", JPEG)])
    with scope(firm=texting_firm.id):
        message = Message.objects.get(provider_message_id=message_id)
    inbound_media_fetch_task(texting_firm.id, message.id)
    with scope(firm=texting_firm.id):
        media = MessageMedia.objects.get(message=message, accepted=True)
        folder = matter.folders.get()
    stored_name = media.metadata["filename"]
    assert "zqMMSNAME" in stored_name  # the name the sender chose, kept (sanitised) for display
    browser = client_for(admin)

    folder_page = browser.get(reverse("matters:documents", args=[matter.uuid, folder.uuid]))
    thread = browser.get(reverse("texting:conversation", args=[contact.uuid]))
    file = browser.get(reverse("texting:media", args=[media.uuid]))

    content = folder_page.content.decode()
    assert escape(stored_name) in content
    assert [m for m in RAW_MARKERS if m in content + thread.content.decode()] == []
    # The file itself is served inline without its name, unsniffable and sandboxed.
    assert "zqMMSNAME" not in str(file.headers)
    assert file["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in file["Content-Security-Policy"]
