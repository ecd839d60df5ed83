"""One of everything a URL can name, and the URL of a route filled with it, for the tests
that sweep every route (test_tenant_isolation.py, test_security_csrf.py): a new parameter or
API resource is mapped here once."""

import re
from pathlib import Path
from typing import Any

from django_scopes import scope

from accounts.models import Firm, User
from accounts.tests.factories import ApiTokenFactory, MembershipFactory
from billing.services import bill_generate, bill_issue, payment_link_create
from billing.tests.factories import account_for, activity_for
from calendar_events.tests.factories import event_for
from contacts.tests.factories import ContactFactory, ContactRelationshipFactory
from integrations.services import webhook_endpoint_create
from matters.tests.factories import (
    DocumentFactory,
    FolderFactory,
    MatterFactory,
    MatterRelatedContactFactory,
)
from texting.tests.factories import ConversationFactory, MessageFactory, stored_attachment

ROUTE_PARAM_OBJECTS = {
    "uuid": "contact",
    "related_uuid": "related_contact",
    "contact_id": "contact",
    "matter_id": "matter",
    "folder_id": "folder",
    "document_id": "document",
    "token_id": "token",
    "message_id": "message",
    "media_id": "media",
    "event_id": "event",
    "activity_id": "activity",
    "bill_id": "bill",
    "account_id": "bank_account",
    "link_id": "payment_link",
    "endpoint_id": "webhook_endpoint",
}

# The object an API route's `<uuid:id>` names, by the route's prefix.
API_ID_OBJECTS = {
    "api/v1/contacts/": "contact",
    "api/v1/matters/": "matter",
    "api/v1/text_message_conversations/": "conversation",
    "api/v1/text_messages/": "message",
    "api/v1/calendar_entries/": "event",
    "api/v1/activities/": "activity",
    "api/v1/bills/": "bill",
    "api/v1/bank_accounts/": "bank_account",
    "api/v1/payment_links/": "payment_link",
}


def route_objects(*, firm: Firm, timekeeper: User, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """One of each thing a URL can name, all of `firm`; `timekeeper` (of `firm`) logs the
    time entries. The bill is a draft and the activity unbilled, so a missing firm check
    could delete or change them; the payment link is for a second, issued bill."""
    settings.MEDIA_ROOT = tmp_path  # the files of documents and media
    contact = ContactFactory(firm=firm)
    relationship = ContactRelationshipFactory(contact=contact)
    matter = MatterFactory(client=contact)
    related = MatterRelatedContactFactory(matter=matter)
    folder = FolderFactory(matter=matter)
    document = DocumentFactory(matter=matter, folder=folder)
    token = ApiTokenFactory(user=MembershipFactory(firm=firm).user)
    conversation = ConversationFactory(contact=contact)
    message = MessageFactory(conversation=conversation, status="failed")
    media = stored_attachment(message, "note.txt", "text/plain", b"hello")
    event = event_for(firm, contacts=[contact], notify=False, matter=matter)
    activity_for(firm, user=timekeeper, matter=matter)
    bank_account = account_for(firm)
    with scope(firm=firm.id):
        bill = bill_generate(firm=firm, actor=None, matter=matter)
    activity_for(firm, user=timekeeper, matter=matter)
    with scope(firm=firm.id):
        issued = bill_issue(
            firm=firm, actor=timekeeper, bill=bill_generate(firm=firm, actor=None, matter=matter)
        )
        payment_link, raw_token = payment_link_create(
            firm=firm, actor=None, account=bank_account, bill=issued
        )
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
        "pay_token": raw_token,
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


def _param(template: str, name: str, objects: dict[str, Any]) -> str:
    if name == "position":
        return "0"
    if name == "token":
        return str(objects["pay_token"])
    if name == "id":
        key = API_ID_OBJECTS[template.split("<")[0]]  # a new API resource: map it above
    elif name == "related_id":
        key = "matter_related" if template.startswith("matters/") else "related_contact"
    else:
        key = ROUTE_PARAM_OBJECTS[name]  # a new URL parameter: map it above
    return str(objects[key].uuid)


def route_url(template: str, objects: dict[str, Any]) -> str:
    """`template` ("contacts/<uuid:uuid>/edit/") with each parameter filled from `objects`."""
    url = "/" + template
    for converter, name in re.findall(r"<(\w+):(\w+)>", template):
        url = url.replace(f"<{converter}:{name}>", _param(template, name, objects))
    return url
