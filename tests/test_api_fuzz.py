"""Schemathesis over every operation of /api/v1/ (issue 8): no 5xx, every response as documented.

The schema is the one the app serves at /api/schema/, loaded through the WSGI application,
and every request goes through that application in process with a read-write token of a
seeded firm: texting set up, a contact with a texting number, a matter, a conversation with
messages (one failed, one with a media file), a calendar entry with a contact attendee,
activities, an issued and a draft bill, a bank account and a payment link. Each generated
case is sent twice: as generated (its random ids are mostly 404s) and with the ids in its
path and body swapped for the seeded objects', so the bodies and queries also reach the code
behind a found object.

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance and response_headers_conformance. Sends that reach for the
provider go to the outbox, whose drain runs on commit only (never, in a `db` test).
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken, Firm, Membership
from accounts.services import api_token_create
from accounts.tests.factories import MembershipFactory
from billing.services import bill_generate, payment_link_create
from billing.tests.factories import account_for, activity_for, issued_bill_for
from calendar_events.tests.factories import event_for
from config.wsgi import application
from contacts.tests.factories import ContactRelationshipFactory
from matters.tests.factories import MatterFactory, MatterRelatedContactFactory
from texting.tests.factories import (
    ConversationFactory,
    MessageFactory,
    last_message_set,
    stored_attachment,
    texting_contact,
)

pytestmark = pytest.mark.services  # CI's PostgreSQL + Redis pass (root conftest.py)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
TOLL_FREE = "+18445550100"


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """As Django's test client: the WSGI handler must not close the connection that holds
    the test's transaction (close_old_connections closes one outside autocommit: PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db: None, connection_kept: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """A firm with one of each thing the API names, and a read-write token of its admin."""
    from django_scopes import scope, scopes_disabled

    settings.MEDIA_ROOT = tmp_path
    settings.API_RATE_LIMIT = "100000/min"  # the 429 is documented; here it would hide the rest
    with scopes_disabled():
        firm: Firm = Firm.objects.create(name="Garcia & Associates")
        firm.toll_free_number_e164 = TOLL_FREE
        firm.save()
        admin = MembershipFactory(firm=firm, role=Membership.Role.ADMIN).user
        contact = texting_contact(firm, "+12025550143")
        relationship = ContactRelationshipFactory(contact=contact)
        matter = MatterFactory(client=contact)
        MatterRelatedContactFactory(matter=matter)
        conversation = ConversationFactory(contact=contact)
        failed = MessageFactory(
            conversation=conversation, status="failed", failure_reason="temporary_error"
        )
        message = MessageFactory(conversation=conversation, direction="inbound", status="received")
        stored_attachment(message, "note.txt", "text/plain", b"hello")
        last_message_set(message)
        event = event_for(firm, contacts=[contact], notify=False, matter=matter)
        issued = issued_bill_for(firm, user=admin, matter=matter)
        activity_for(firm, user=admin, matter=matter)
        with scope(firm=firm.id):
            draft = bill_generate(firm=firm, actor=admin, matter=matter)
        activity = activity_for(firm, user=admin, matter=matter)  # unbilled
        bank_account = account_for(firm)
        with scope(firm=firm.id):
            payment_link, _ = payment_link_create(firm=firm, actor=None, account=bank_account)
        _, raw = api_token_create(
            firm=firm, user=admin, name="schemathesis", scope=ApiToken.Scope.READ_WRITE
        )
    # The object an `{id}` in a path names, by the path's first segment (or the whole path).
    ids = {
        "contacts": contact.uuid,
        "matters": matter.uuid,
        "text_message_conversations": conversation.uuid,
        "text_messages": message.uuid,  # inbound, with an attachment at position 0
        "/api/v1/text_messages/{id}/retry/": failed.uuid,
        "calendar_entries": event.uuid,
        "activities": activity.uuid,
        "bills": draft.uuid,
        "bank_accounts": bank_account.uuid,
        "payment_links": payment_link.uuid,
    }
    # The object an id in a request body names, by its key (`"matter": {"id": ...}`, ...).
    references = {
        "matter": matter.uuid,
        "client": contact.uuid,
        "contact": contact.uuid,
        "contact_id": contact.uuid,
        "attendees": contact.uuid,
        "related_contact": relationship.related_contact.uuid,
        "conversation": conversation.uuid,
        "user": admin.uuid,
        "responsible_attorney": admin.uuid,
        "bank_account": bank_account.uuid,
        "bill": issued.uuid,
    }
    return {
        "headers": {"Authorization": f"Bearer {raw}"},
        "ids": {key: str(value) for key, value in ids.items()},
        "related_id": str(relationship.related_contact.uuid),
        "references": {key: str(value) for key, value in references.items()},
    }


# Loaded at collection (pytest-django has set Django up by then): the schema view is public
# and reads no rows. (schemathesis.pytest.from_fixture would defer it to a fixture, but its
# lazy loader does not run under pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def _with_seeded_ids(case: Any, seeded: dict[str, Any]) -> dict[str, Any]:
    """The case's path parameters naming the seeded objects."""
    path = case.operation.path
    resource = path.removeprefix("/api/v1/").split("/")[0]
    parameters = dict(case.path_parameters or {})
    if "id" in parameters:
        parameters["id"] = seeded["ids"].get(path) or seeded["ids"][resource]
    if "related_id" in parameters:
        parameters["related_id"] = seeded["related_id"]
    if "position" in parameters:
        parameters["position"] = 0
    return parameters


def _with_seeded_references(value: Any, references: dict[str, str], key: str = "") -> Any:
    """A request body whose ids (`"matter": "<id>"` or `{"id": "<id>"}`) name seeded objects."""
    if isinstance(value, dict):
        if key in references and isinstance(value.get("id"), str):
            return {**value, "id": references[key]}
        return {k: _with_seeded_references(v, references, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_seeded_references(item, references, key) for item in value]
    if key in references and isinstance(value, str):
        return references[key]
    return value


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    # The same examples on every run: CI says the same thing twice about the same code. To
    # hunt for new findings, run it with derandomize off (or more examples) by hand.
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@override_settings(ALLOWED_HOSTS=["*"])
def test_every_operation_answers_as_documented(case: Any, seeded: dict[str, Any]) -> None:
    case.call_and_validate(headers=seeded["headers"], checks=CHECKS)
    # Again with the ids in the path and body naming the seeded firm's objects.
    parameters = _with_seeded_ids(case, seeded)
    body = _with_seeded_references(case.body, seeded["references"])
    if parameters != (case.path_parameters or {}) or body != case.body:
        if parameters:
            case.path_parameters = parameters
        if isinstance(case.body, dict | list):
            case.body = body
        case.call_and_validate(headers=seeded["headers"], checks=CHECKS)
