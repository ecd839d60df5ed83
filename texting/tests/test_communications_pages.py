"""The Communications pages (C2–C5, C8, C9, C13, S3, T1, T3) through Django's test client."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Firm
from contacts.tests.factories import ContactFactory
from texting.models import Conversation, Message, ReadState, TextingSettings
from texting.provider.failure_reasons import GUIDANCE, FailureReason
from texting.selectors import THREAD_WINDOW
from texting.tests.factories import (
    ConversationFactory,
    MessageFactory,
    last_message_set,
    stored_attachment,
    texting_contact,
)
from texting.tests.inbound import CLIENT_NUMBER, receive

pytestmark = pytest.mark.django_db


def thread_with(firm: Firm, name: str, number: str, bodies: list[str], *, minutes_ago: int = 0):  # type: ignore[no-untyped-def]
    """A contact's conversation holding `bodies`, the last one `minutes_ago`."""
    contact = texting_contact(firm, number, first_name=name, last_name="Client")
    at = timezone.now() - timedelta(minutes=minutes_ago)
    conversation = ConversationFactory(contact=contact, last_message_at=at)
    last = None
    for i, body in enumerate(bodies):
        last = MessageFactory(conversation=conversation, body=body)
        Message.objects.filter(id=last.id).update(
            created_at=at - timedelta(seconds=len(bodies) - i)
        )
    last_message_set(Message.objects.get(id=last.id))
    Conversation.objects.filter(id=conversation.id).update(last_message_at=at)
    return contact, conversation


def unread(conversation: Conversation, user: Any, count: int) -> None:
    ReadState.objects.create(
        firm=conversation.firm, conversation=conversation, user=user, unread_count=count
    )


def htmx(**headers: str) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true", **headers}


# --- the Communications tab (C3) --------------------------------------------------------


def test_the_tab_lists_threads_newest_first_with_the_users_unread_counts(
    firm, member, admin, client_for
) -> None:
    with scopes_disabled():
        thread_with(firm, "Ada", "+12025550101", ["Old news"], minutes_ago=30)
        _, newer = thread_with(firm, "Bea", "+12025550102", ["See you at 9"], minutes_ago=1)
        unread(newer, member, 2)
        unread(newer, admin, 0)

    page = client_for(member).get("/communications/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'aria-current="page" href="/communications/">Text messages</a>' in html  # subheading
    assert html.index("Bea Client") < html.index("Ada Client")
    assert "See you at 9" in html and "Old news" in html
    assert 'aria-label="2 unread"' in html  # the row and the navigation
    assert 'aria-label="2 unread"' not in client_for(admin).get("/communications/").content.decode()


def test_search_finds_threads_by_contact_name_or_number_and_never_another_firms(
    firm, other_firm, member, client_for
) -> None:
    with scopes_disabled():
        thread_with(firm, "Ada", "+12025550101", ["One"])
        thread_with(firm, "Bea", "+13105550102", ["Two"])
        thread_with(other_firm, "Ada", "+12025550199", ["Theirs"])
    client = client_for(member)

    by_name = client.get("/communications/", {"q": "ada"}, **htmx()).content.decode()
    by_digits = client.get("/communications/", {"q": "310-555"}, **htmx()).content.decode()

    assert "One" in by_name and "Two" not in by_name and "Theirs" not in by_name
    assert "Two" in by_digits and "One" not in by_digits
    assert "<html" not in by_name  # the rows alone for htmx


def test_every_word_searched_must_be_in_the_name(firm, member, client_for) -> None:
    with scopes_disabled():
        thread_with(firm, "Ada", "+12025550101", ["Text for Ada"])
        thread_with(firm, "Adam", "+12025550102", ["Text for Adam"])
        thread_with(firm, "Bea", "+12025550103", ["Text for Bea"])
    client = client_for(member)

    def found(query: str) -> set[str]:
        html = client.get("/communications/", {"q": query}, **htmx()).content.decode()
        return {body for body in ("Ada<", "Adam<", "Bea<") if body in html}

    assert found("ADA") == {"Ada<", "Adam<"}  # any case, part of a name
    assert found("adam client") == {"Adam<"}  # both words, in any order
    assert found("client, bea") == {"Bea<"}  # as the list writes names: "client, bea"
    assert found("ada bea") == set()


def test_every_page_of_a_long_list_shows_its_own_rows_in_order(firm, member, client_for) -> None:
    with scopes_disabled():
        for i in range(60):  # 25 a page: pages 1, 2 and a last page of 10
            thread_with(firm, f"P{i:02d}", f"+1202555{i:04d}", [f"text {i:02d}."], minutes_ago=i)
    client = client_for(member)

    shown = []
    for number in (1, 2, 3):
        html = client.get("/communications/", {"page": number}, **htmx()).content.decode()
        shown.append([i for i in range(60) if f"text {i:02d}." in html])
        assert f"Page {number} of 3" in html
    last = client.get("/communications/", {"page": 99}, **htmx()).content.decode()

    assert shown == [list(range(0, 25)), list(range(25, 50)), list(range(50, 60))]
    assert "Page 3 of 3" in last and "text 59." in last


def test_a_firm_without_texting_sees_why_and_no_way_to_text(firm, member, client_for) -> None:
    firm.plan = Firm.Plan.EASYSTART
    firm.save()

    html = client_for(member).get("/communications/").content.decode()

    assert "included in the Essentials, Advanced and Complete plans" in html
    assert "New text message" not in html


def test_until_verified_a_banner_says_so_with_the_form_for_admins_only(
    firm, admin, member, client_for
) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scope(firm=firm.id):
        TextingSettings.objects.create(
            firm=firm, verification_status=TextingSettings.VerificationStatus.PENDING
        )

    for_admin = client_for(admin).get("/communications/").content.decode()
    for_staff = client_for(member).get("/communications/").content.decode()

    assert "waiting for verification" in for_admin and "/settings/text-messaging/" in for_admin
    assert "waiting for verification" in for_staff and "An admin can take care of it" in for_staff
    with scope(firm=firm.id):
        TextingSettings.objects.filter(firm=firm).update(
            verification_status=TextingSettings.VerificationStatus.VERIFIED
        )
    assert "verification-banner" not in client_for(admin).get("/communications/").content.decode()


# --- a conversation page --------------------------------------------------------------------


def test_opening_a_thread_shows_its_history_in_order_and_reads_it(firm, member, client_for) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        contact, conversation = thread_with(firm, "Ada", "+12025550101", ["first", "second"])
        unread(conversation, member, 2)

    html = client_for(member).get(f"/communications/contacts/{contact.uuid}/").content.decode()

    assert html.index("first") < html.index("second")
    assert "not encrypted in transit" in html  # C13
    with scopes_disabled():
        assert ReadState.objects.get(conversation=conversation, user=member).unread_count == 0


def test_another_firms_contact_is_not_found(firm, other_firm, member, client_for) -> None:
    with scopes_disabled():
        theirs, _ = thread_with(other_firm, "Ada", "+12025550101", ["secret"])
    client = client_for(member)

    assert client.get(f"/communications/contacts/{theirs.uuid}/").status_code == 404
    assert client.get(f"/communications/contacts/{theirs.uuid}/thread/").status_code == 404
    response = client.post(
        f"/communications/contacts/{theirs.uuid}/send/",
        {"body": "hi", "idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    with scopes_disabled():
        assert Message.objects.filter(conversation__contact=theirs).count() == 1  # "secret"


def test_the_thread_polls_from_the_first_message_shown_and_pages_older_ones(
    firm, member, client_for
) -> None:
    bodies = [f"text {n:02d}" for n in range(THREAD_WINDOW + 5)]
    with scopes_disabled():
        contact, conversation = thread_with(firm, "Ada", "+12025550101", bodies)
    client = client_for(member)
    base = f"/communications/contacts/{contact.uuid}/"

    page = client.get(base).content.decode()
    assert "text 05" in page and "text 04" not in page  # the newest window only
    with scopes_disabled():
        in_order = conversation.messages.order_by("created_at", "id")
        since = str(in_order[5].uuid)  # "text 05", the first one the page showed
        MessageFactory(conversation=conversation, body="just in")

    polled = client.get(base + "thread/", {"since": since}).content.decode()
    older = client.get(base + "older/", {"before": since}).content.decode()

    assert "text 05" in polled and "just in" in polled and "text 04" not in polled
    assert "text 00" in older and "text 04" in older and "text 05" not in older
    assert "The beginning of your conversation" in older


def test_the_compose_box_says_why_when_the_contact_cannot_be_texted(
    firm, member, client_for
) -> None:
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        contact = ContactFactory(firm=firm, first_name="Nonumber")

    html = client_for(member).get(f"/communications/contacts/{contact.uuid}/").content.decode()

    assert "has no texting number" in html
    assert 'id="compose" class="compose"' not in html


# --- sending and retrying (C4, C5, C8) ------------------------------------------------------


def test_sending_queues_one_text_however_often_the_form_is_submitted(
    texting_firm, member, client_for
) -> None:
    with scopes_disabled():
        contact = texting_contact(texting_firm, "+12025550143", first_name="Ada")
    client = client_for(member)
    form = {"body": "Your hearing moved to 10 AM.", "idempotency_key": str(uuid.uuid4())}

    first = client.post(f"/communications/contacts/{contact.uuid}/send/", form)
    again = client.post(f"/communications/contacts/{contact.uuid}/send/", form)

    assert first.status_code == 302 and again.status_code == 302
    with scopes_disabled():
        sent = Message.objects.filter(conversation__contact=contact)
        assert [(m.body, m.direction, m.sent_by_id) for m in sent] == [
            ("Your hearing moved to 10 AM.", Message.Direction.OUTBOUND, member.id)
        ]


def test_the_list_previews_the_last_text_whichever_way_it_went(
    texting_firm, sandbox, member, client_for
) -> None:
    with scopes_disabled():
        contact = texting_contact(texting_firm, CLIENT_NUMBER, first_name="Ada")
    client = client_for(member)
    form = {"body": "Your hearing moved to 10 AM.", "idempotency_key": str(uuid.uuid4())}

    client.post(f"/communications/contacts/{contact.uuid}/send/", form)
    after_send = client.get("/communications/", **htmx()).content.decode()
    receive(sandbox, texting_firm, text="Thanks, see you then")
    after_reply = client.get("/communications/", **htmx()).content.decode()

    assert "You: </span>Your hearing moved to 10 AM." in after_send
    assert "Thanks, see you then" in after_reply
    assert "You: " not in after_reply and "hearing moved" not in after_reply


def test_an_htmx_send_returns_the_thread_and_a_new_key_for_the_next_text(
    texting_firm, member, client_for
) -> None:
    with scopes_disabled():
        contact = texting_contact(texting_firm, "+12025550143", first_name="Ada")
    key = str(uuid.uuid4())

    response = client_for(member).post(
        f"/communications/contacts/{contact.uuid}/send/",
        {"body": "On my way", "idempotency_key": key, "since": ""},
        **htmx(),
    )

    html = response.content.decode()
    assert 'id="thread"' in html and "On my way" in html
    assert 'hx-swap-oob="true"' in html and key not in html


def test_a_text_over_the_limit_is_refused_with_the_reason_and_nothing_sent(
    texting_firm, member, client_for
) -> None:
    with scopes_disabled():
        contact = texting_contact(texting_firm, "+12025550143", first_name="Ada")
    form = {"body": "x" * 2049, "idempotency_key": str(uuid.uuid4())}
    client = client_for(member)

    page = client.post(f"/communications/contacts/{contact.uuid}/send/", form)
    partial = client.post(f"/communications/contacts/{contact.uuid}/send/", form, **htmx())

    assert page.status_code == 400
    assert "at most 2048 characters; this one has 2049" in page.content.decode()
    assert partial["HX-Retarget"] == "#compose"
    assert "at most 2048 characters" in partial.content.decode()
    with scopes_disabled():
        assert not Message.objects.filter(conversation__contact=contact).exists()


def test_a_failed_text_shows_its_reason_and_guidance_and_retry_makes_a_linked_attempt(
    texting_firm, member, client_for
) -> None:
    with scopes_disabled():
        contact = texting_contact(texting_firm, "+12025550143", first_name="Ada")
        conversation = ConversationFactory(contact=contact)
        failed = MessageFactory(
            conversation=conversation,
            body="Please call me",
            status=Message.Status.FAILED,
            failure_reason=FailureReason.CARRIER_ERROR,
            provider_message_id="",
        )
    client = client_for(member)

    html = client.get(f"/communications/contacts/{contact.uuid}/").content.decode()
    assert "Carrier error" in html
    assert GUIDANCE[FailureReason.CARRIER_ERROR].replace("'", "&#x27;") in html
    assert f"/communications/messages/{failed.uuid}/retry/" in html

    response = client.post(f"/communications/messages/{failed.uuid}/retry/", **htmx())

    assert response.status_code == 200 and 'id="thread"' in response.content.decode()
    with scopes_disabled():
        attempt = Message.objects.get(retry_of=failed)
        assert attempt.body == "Please call me"
    again = client.post(f"/communications/messages/{failed.uuid}/retry/")
    assert again.status_code == 302  # refused with a message, nothing more
    with scopes_disabled():
        assert Message.objects.filter(conversation=conversation).count() == 2


def test_a_text_that_cannot_be_retried_offers_no_retry(firm, member, client_for) -> None:
    with scopes_disabled():
        contact = texting_contact(firm, "+12025550143", first_name="Ada")
        MessageFactory(
            conversation=ConversationFactory(contact=contact),
            status=Message.Status.FAILED,
            failure_reason=FailureReason.OPTED_OUT,
        )

    html = client_for(member).get(f"/communications/contacts/{contact.uuid}/").content.decode()

    assert "Opted out" in html and "/retry/" not in html


# --- new text, badge ------------------------------------------------------------------------


def test_new_text_finds_contacts_as_you_type_and_links_to_their_thread(
    firm, other_firm, member, client_for
) -> None:
    with scopes_disabled():
        ada = texting_contact(firm, "+12025550143", first_name="Adaline", last_name="Park")
        texting_contact(other_firm, "+12025550144", first_name="Adaline", last_name="Other")

    html = client_for(member).get("/communications/new/", {"q": "adal"}, **htmx()).content.decode()

    assert f"/communications/contacts/{ada.uuid}/" in html
    assert "Adaline Park" in html and "Adaline Other" not in html


def test_the_navigation_badge_counts_this_users_unread_texts(
    firm, member, admin, client_for
) -> None:
    with scopes_disabled():
        _, one = thread_with(firm, "Ada", "+12025550101", ["a"])
        _, two = thread_with(firm, "Bea", "+12025550102", ["b"])
        unread(one, member, 2)
        unread(two, member, 3)

    badge = client_for(member).get("/communications/unread/").content.decode()
    empty = client_for(admin).get("/communications/unread/").content.decode()

    assert 'aria-label="5 unread"' in badge
    assert "count-badge" not in empty and 'id="unread-badge"' in empty


def test_an_accepted_picture_is_shown_inline_and_served_to_its_firm_only(
    firm, member, outsider, client_for, settings, tmp_path
) -> None:
    from texting.models import MessageMedia

    settings.MEDIA_ROOT = tmp_path
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        contact = texting_contact(firm, "+12025550143", first_name="Ada")
        message = MessageFactory(
            conversation=ConversationFactory(contact=contact),
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body="",
        )
        picture = stored_attachment(message, "x.png", "image/png", b"\x89PNG")
        MessageMedia.objects.create(
            firm=firm,
            message=message,
            position=1,
            accepted=False,
            metadata={"refused_type": "PDF document"},
        )
        last_message_set(message)
    url = f"/communications/media/{picture.uuid}/"

    html = client_for(member).get(f"/communications/contacts/{contact.uuid}/").content.decode()
    served = client_for(member).get(url)

    assert f'<img class="bubble__image" src="{url}"' in html
    assert "Attachment not accepted (PDF document)" in html
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"\x89PNG"
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    # A text attachment is framed by its own thread (sandboxed), never by another site.
    assert served["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in served["Content-Security-Policy"]
    assert "sandbox" in served["Content-Security-Policy"]
    assert client_for(outsider).get(url).status_code == 404
    listed = client_for(member).get("/communications/").content.decode()
    assert '<span class="muted">Attachment</span>' in listed  # the preview of a picture


# --- a contact's and a matter's Communications subtabs (C2) ----------------------------------


def test_sound_video_and_text_attachments_get_players_and_a_preview(
    firm, member, client_for, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        contact = texting_contact(firm, "+12025550143", first_name="Ada")
        message = MessageFactory(
            conversation=ConversationFactory(contact=contact),
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body="Recording, video and notes",
        )
        voice = stored_attachment(message, "v.mp3", "audio/mpeg", b"ID3", position=0)
        clip = stored_attachment(message, "c.mp4", "video/mp4", b"\x00\x00", position=1)
        notes = stored_attachment(message, "n.txt", "text/plain", b"notes", position=2)
        last_message_set(message)

    html = client_for(member).get(f"/communications/contacts/{contact.uuid}/").content.decode()

    assert f'<audio controls preload="none" src="/communications/media/{voice.uuid}/">' in html
    assert f'<video controls preload="metadata" src="/communications/media/{clip.uuid}/"' in html
    assert f'sandbox src="/communications/media/{notes.uuid}/" title="Text attachment"' in html
    assert html.index(str(voice.uuid)) < html.index(str(clip.uuid))  # in the order sent


def test_a_related_contact_sees_the_clients_thread_and_a_matter_its_client_thread(
    firm, member, client_for
) -> None:
    from matters.tests.factories import MatterFactory, MatterRelatedContactFactory

    with scopes_disabled():
        client, _ = thread_with(firm, "Ada", "+12025550101", ["About the custody hearing"])
        other, _ = thread_with(firm, "Bea", "+12025550102", ["Unrelated thread"])
        spouse = ContactFactory(firm=firm, first_name="Sam", last_name="Spouse")
        matter = MatterFactory(client=client)
        MatterRelatedContactFactory(matter=matter, contact=spouse)
    browser = client_for(member)

    on_spouse = browser.get(f"/contacts/{spouse.uuid}/communications/").content.decode()
    on_matter = browser.get(f"/matters/{matter.uuid}/communications/").content.decode()

    assert "About the custody hearing" in on_spouse and "Unrelated thread" not in on_spouse
    assert "About the custody hearing" in on_matter and "Unrelated thread" not in on_matter
    assert f"/communications/contacts/{client.uuid}/" in on_matter  # Text Ada Client
    assert f"/communications/contacts/{spouse.uuid}/" in on_matter  # Text Sam Spouse
    assert f"/communications/contacts/{other.uuid}/" not in on_matter


# --- queries per page: the same few however much there is (N2) ----------------------------


@pytest.mark.parametrize("texts", [3, 40])
def test_each_page_makes_the_same_few_queries_however_many_texts(
    firm, member, client_for, django_assert_max_num_queries, texts
) -> None:
    from matters.tests.factories import MatterFactory, MatterRelatedContactFactory

    firm.toll_free_number_e164 = "+18445550100"
    firm.save()
    with scopes_disabled():
        contact, conversation = thread_with(
            firm, "Ada", "+12025550101", [f"text {n}" for n in range(texts)]
        )
        for n in range(texts // 3):
            thread_with(firm, f"Other{n}", f"+1202555{n + 2000:04d}", ["hi"])
        unread(conversation, member, 2)
        matter = MatterFactory(client=contact)
        MatterRelatedContactFactory(matter=matter)
    client = client_for(member)
    pages = [
        "/communications/",
        f"/communications/contacts/{contact.uuid}/",
        f"/communications/contacts/{contact.uuid}/thread/",
        f"/contacts/{contact.uuid}/communications/",
        f"/matters/{matter.uuid}/communications/",
        "/communications/unread/",
    ]
    for url in pages:
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
