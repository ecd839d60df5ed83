"""Texting API (A1): send, read, retry, mark read, media — firm-scoped, in Clio's envelope."""

import uuid

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from accounts.models import Firm
from matters.tests.factories import MatterFactory, MatterRelatedContactFactory
from texting.models import Message, MessageMedia
from texting.services.reading import unread_counts_add
from texting.tests.factories import ConversationFactory, MessageFactory, texting_contact

SEND = "/api/v1/text_messages/"
CONVERSATIONS = "/api/v1/text_message_conversations/"


@pytest.fixture
def client_number(texting_firm):
    return texting_contact(texting_firm, first_name="Maria", last_name="Garcia")


def test_send_queues_one_text_and_an_idempotency_key_makes_a_repeat_harmless(
    api_client_for, member, client_number, unscoped, django_capture_on_commit_callbacks
) -> None:
    api = api_client_for(member)
    key = str(uuid.uuid4())
    body = {"contact_id": str(client_number.uuid), "body": "Your hearing moved to 10am."}
    with django_capture_on_commit_callbacks() as enqueued:
        first = api.post(SEND, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        second = api.post(SEND, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    data = first.json()["data"]
    assert data["id"] == second.json()["data"]["id"]
    assert data["status"] == "queued" and data["direction"] == "outbound"
    assert data["contact_id"] == str(client_number.uuid)
    assert data["failure_reason"] is None and data["media"] == []
    assert Message.objects.count() == 1
    assert len(enqueued) == 1


def test_clio_style_contact_reference_is_accepted(api_client_for, member, client_number):
    response = api_client_for(member).post(
        SEND, {"contact": {"id": str(client_number.uuid)}, "body": "Hi"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "x" * 2049}, "body"),
        ({"body": ""}, "body"),
        ({"body": "See attached", "media": ["https://example.com/a.pdf"]}, "media"),
    ],
)
def test_invalid_sends_are_refused_and_create_nothing(
    api_client_for, member, client_number, unscoped, payload, field
) -> None:
    response = api_client_for(member).post(
        SEND, {"contact_id": str(client_number.uuid), **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Message.objects.count() == 0


def test_a_bad_idempotency_key_is_refused(api_client_for, member, client_number, unscoped):
    response = api_client_for(member).post(
        SEND,
        {"contact_id": str(client_number.uuid), "body": "Hi"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="not-a-uuid",
    )
    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_another_firms_contact_is_not_found(api_client_for, outsider, client_number, unscoped):
    other_firm = outsider.membership.firm
    other_firm.toll_free_number_e164 = "+18445550111"
    other_firm.save()
    response = api_client_for(outsider).post(
        SEND, {"contact_id": str(client_number.uuid), "body": "Hi"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["contact_id"] == [
        f"No contact with id {client_number.uuid} was found."
    ]
    assert Message.objects.count() == 0


def test_firms_without_texting_are_told_why(api_client_for, member, firm) -> None:
    Firm.objects.filter(pk=firm.pk).update(plan=Firm.Plan.EASYSTART)
    response = api_client_for(member).get(CONVERSATIONS)
    assert response.status_code == 403
    assert "Essentials, Advanced and Complete" in response.json()["error"]["message"]


def test_a_failed_text_shows_its_reason_guidance_and_can_be_retried_once(
    api_client_for, member, client_number, unscoped
) -> None:
    conversation = ConversationFactory(contact=client_number)
    failed = MessageFactory(
        conversation=conversation,
        status=Message.Status.FAILED,
        failure_reason="temporary_error",
        error_code=5100,
    )
    api = api_client_for(member)
    shown = api.get(f"{SEND}{failed.uuid}/").json()["data"]
    assert shown["failure_reason"] == "temporary_error"
    assert shown["failure_guidance"] and shown["retry_allowed"] is True

    retry = api.post(f"{SEND}{failed.uuid}/retry/")
    assert retry.status_code == 201
    assert retry.json()["data"]["retry_of_id"] == str(failed.uuid)
    assert retry.json()["data"]["status"] == "queued"
    assert api.post(f"{SEND}{failed.uuid}/retry/").status_code == 409  # already retried
    assert api.get(f"{SEND}{failed.uuid}/").json()["data"]["retry_allowed"] is False


def test_a_failure_that_would_fail_again_offers_no_retry(
    api_client_for, member, client_number, unscoped
) -> None:
    failed = MessageFactory(
        conversation=ConversationFactory(contact=client_number),
        status=Message.Status.FAILED,
        failure_reason="unreachable_number",
    )
    api = api_client_for(member)
    assert api.get(f"{SEND}{failed.uuid}/").json()["data"]["retry_allowed"] is False
    assert api.post(f"{SEND}{failed.uuid}/retry/").status_code == 409
    assert Message.objects.count() == 1


def test_conversations_are_listed_newest_first_with_your_unread_count(
    api_client_for,
    member,
    admin,
    texting_firm,
    client_number,
    firm_scope,
    django_assert_max_num_queries,
) -> None:
    older = ConversationFactory(contact=texting_contact(texting_firm, "+12025550150"))
    newer = ConversationFactory(contact=client_number)
    for conversation in (older, newer):
        message = MessageFactory(conversation=conversation, direction="inbound", status="received")
        conversation.last_message = message
        conversation.last_message_at = message.created_at
        conversation.save()
    with firm_scope():
        unread_counts_add(firm=texting_firm, counts={newer.id: 2})
    api = api_client_for(member)
    with django_assert_max_num_queries(8):
        rows = api.get(CONVERSATIONS).json()["data"]
    assert [r["id"] for r in rows] == [str(newer.uuid), str(older.uuid)]
    assert rows[0]["unread_count"] == 2 and rows[1]["unread_count"] == 0
    assert rows[0]["last_message"]["preview"] == newer.last_message.body[:120]

    assert api.post(f"{CONVERSATIONS}{newer.uuid}/read/").json()["data"]["unread_count"] == 0
    assert api.get("/api/v1/text_messages/unread_count/").json()["data"]["unread"] == 0
    # Read state is per user: the admin still has both unread.
    assert (
        api_client_for(admin).get("/api/v1/text_messages/unread_count/").json()["data"]["unread"]
        == 2
    )


def test_conversations_show_on_related_contacts_and_matters(
    api_client_for, member, texting_firm, client_number
) -> None:
    conversation = ConversationFactory(contact=client_number)
    MessageFactory(conversation=conversation)
    matter = MatterFactory(client=client_number)
    spouse = texting_contact(texting_firm, "+12025550177", first_name="Ana")
    api = api_client_for(member)

    assert api.get(CONVERSATIONS, {"contact_id": str(spouse.uuid)}).json()["data"] == []
    MatterRelatedContactFactory(matter=matter, contact=spouse)  # added later: C2 on read
    on_spouse = api.get(CONVERSATIONS, {"contact_id": str(spouse.uuid)}).json()["data"]
    on_matter = api.get(CONVERSATIONS, {"matter_id": str(matter.uuid)}).json()["data"]
    assert [r["id"] for r in on_spouse] == [str(conversation.uuid)]
    assert [r["id"] for r in on_matter] == [str(conversation.uuid)]


def test_messages_of_a_conversation(api_client_for, member, client_number) -> None:
    conversation = ConversationFactory(contact=client_number)
    first = MessageFactory(conversation=conversation, body="<script>alert(1)</script>")
    MessageFactory(conversation=conversation)
    rows = (
        api_client_for(member)
        .get(f"{CONVERSATIONS}{conversation.uuid}/messages/", {"limit": 1})
        .json()
    )
    assert len(rows["data"]) == 1 and rows["meta"]["paging"]["next"]
    all_rows = (
        api_client_for(member).get(f"{CONVERSATIONS}{conversation.uuid}/messages/").json()["data"]
    )
    assert first.body in [r["body"] for r in all_rows]  # JSON carries text as text


def test_outsiders_see_nothing_of_the_firms_texts(
    api_client_for, outsider, client_number, unscoped
) -> None:
    conversation = ConversationFactory(contact=client_number)
    message = MessageFactory(conversation=conversation)
    api = api_client_for(outsider)
    assert api.get(CONVERSATIONS).json()["data"] == []
    for path in (
        f"{CONVERSATIONS}{conversation.uuid}/",
        f"{CONVERSATIONS}{conversation.uuid}/messages/",
        f"{SEND}{message.uuid}/",
    ):
        assert api.get(path).status_code == 404
    assert api.post(f"{CONVERSATIONS}{conversation.uuid}/read/").status_code == 404
    assert api.post(f"{SEND}{message.uuid}/retry/").status_code == 404
    assert api.get(CONVERSATIONS, {"contact_id": str(client_number.uuid)}).status_code == 404


def test_attachments_download_only_for_the_firm(
    api_client_for, member, outsider, client_number, unscoped
) -> None:
    message = MessageFactory(
        conversation=ConversationFactory(contact=client_number),
        direction="inbound",
        status="received",
    )
    media = MessageMedia(
        firm=message.firm,
        message=message,
        position=0,
        accepted=True,
        metadata={"filename": "receipt.jpg", "content_type": "image/jpeg", "size": 4},
    )
    media.file.save("x", ContentFile(b"\xff\xd8\xff\xe0"), save=True)
    MessageMedia.objects.create(
        firm=message.firm,
        message=message,
        position=1,
        accepted=False,
        metadata={"refused_type": "PDF document"},
    )
    api = api_client_for(member)
    listed = api.get(f"{SEND}{message.uuid}/").json()["data"]["media"]
    assert listed[1]["not_accepted_type"] == "PDF document" and listed[1]["url"] is None
    response = api.get(listed[0]["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff\xe0"
    assert 'filename="receipt.jpg"' in response["Content-Disposition"]
    assert api.get(f"{SEND}{message.uuid}/media/1/").status_code == 404  # refused: no file
    assert api_client_for(outsider).get(listed[0]["url"]).status_code == 404
    assert APIClient().get(listed[0]["url"]).status_code == 401
