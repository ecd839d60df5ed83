"""Opt-out, opt-in and HELP words (C10): recorded before the next send, answered once."""

import pytest
from django_scopes import scope
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Firm
from texting.models import Message, OptOut, ProviderEvent, TextingSettings
from texting.provider import FailureReason
from texting.services.optouts import (
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    Keyword,
    keyword_of,
    opt_out_active,
    opt_out_record,
)
from texting.services.sending import message_send
from texting.tasks import provider_event_process_task
from texting.tests.inbound import CLIENT_NUMBER, receive, texted_contact

STRANGER = "+12025550177"

# --- recognising the words ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.OPT_OUT),
        ("stop", Keyword.OPT_OUT),
        ("  Stop \n", Keyword.OPT_OUT),
        ("Stop.", Keyword.OPT_OUT),
        ("stop!!!", Keyword.OPT_OUT),
        ("STOP ?!", Keyword.OPT_OUT),
        ("StopAll", Keyword.OPT_OUT),
        ("unsubscribe.", Keyword.OPT_OUT),
        ("Cancel", Keyword.OPT_OUT),
        ("end", Keyword.OPT_OUT),
        ("QUIT!", Keyword.OPT_OUT),
        ("revoke", Keyword.OPT_OUT),
        ("optout", Keyword.OPT_OUT),
        ("Opt out", Keyword.OPT_OUT),
        ("opt   OUT.", Keyword.OPT_OUT),
        ("Opt-Out", Keyword.OPT_OUT),
        ("ＳＴＯＰ", Keyword.OPT_OUT),  # full-width letters from some keyboards
        ("start", Keyword.OPT_IN),
        ("Unstop!", Keyword.OPT_IN),
        ("HELP", Keyword.HELP),
        ("help?", Keyword.HELP),
        ("stop by tomorrow", None),
        ("Please stop", None),
        ("STOP 🙏", None),
        ("stopp", None),
        ("unstoppable", None),
        ("opt outt", None),
        ("start the paperwork", None),
        ("help me please", None),
        ("", None),
        ("...", None),
    ],
)
def test_keyword_of(text, keyword):
    assert keyword_of(text) == keyword


def _variant(word: str, flips: list[bool], before: str, after: str, punctuation: str) -> str:
    padded = [*flips, *[False] * len(word)][: len(word)]
    cased = "".join(
        ch.lower() if flip else ch.upper() for ch, flip in zip(word, padded, strict=True)
    )
    return f"{before}{cased}{punctuation}{after}"


WHITESPACE = st.text(alphabet=" \t\r\n", max_size=3)
PUNCTUATION = st.text(alphabet=".!?,;:…", max_size=3)
FLIPS = st.lists(st.booleans(), max_size=12)


@given(
    word=st.sampled_from(sorted(OPT_OUT_WORDS)),
    flips=FLIPS,
    before=WHITESPACE,
    after=WHITESPACE,
    punctuation=PUNCTUATION,
)
def test_every_opt_out_word_in_any_case_with_whitespace_and_punctuation(
    word, flips, before, after, punctuation
):
    assert keyword_of(_variant(word, flips, before, after, punctuation)) is Keyword.OPT_OUT


@given(
    word=st.sampled_from(sorted(OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS)),
    flips=FLIPS,
    punctuation=PUNCTUATION,
    rest=st.sampled_from(["me", "texting me", "by tomorrow", "now please", "2"]),
)
def test_a_word_with_more_text_is_an_ordinary_message(word, flips, punctuation, rest):
    assert keyword_of(f"{_variant(word, flips, '', '', '')} {rest}{punctuation}") is None


# --- the pipeline, through the sandbox -----------------------------------------------------


def outbound(firm: Firm) -> list[Message]:
    with scope(firm=firm.id):
        return list(Message.objects.filter(direction=Message.Direction.OUTBOUND).order_by("id"))


def inbound(firm: Firm) -> list[Message]:
    with scope(firm=firm.id):
        return list(Message.objects.filter(direction=Message.Direction.INBOUND).order_by("id"))


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["STOP", "stop.", " Unsubscribe ", "Opt Out!", "revoke"])
def test_opt_out_word_opts_out_and_sends_exactly_one_confirmation(
    texting_firm, sandbox, member, firm_scope, text
):
    contact = texted_contact(texting_firm)
    message_id = receive(sandbox, texting_firm, text=text, times=2)
    with firm_scope():
        event = ProviderEvent.objects.get(provider_message_id=message_id)
        ProviderEvent.objects.filter(pk=event.pk).update(processed_at=None)
    provider_event_process_task(texting_firm.id, event.id)  # processed a second time

    with firm_scope():
        opt_out = OptOut.objects.get()
        assert (opt_out.number_e164, opt_out.source) == (CLIENT_NUMBER, OptOut.Source.KEYWORD)
        assert opt_out.opted_in_at is None
        assert opt_out_active(firm=texting_firm, number=CLIENT_NUMBER)
    (confirmation,) = outbound(texting_firm)
    assert confirmation.body == (
        "You will no longer receive texts from Garcia & Associates. Reply START to resubscribe."
    )
    assert confirmation.automated and confirmation.sent_by is None
    assert confirmation.status == Message.Status.QUEUED
    assert confirmation.to_e164 == CLIENT_NUMBER
    # The word itself stays in the thread as an ordinary inbound text.
    assert [m.body for m in inbound(texting_firm)] == [text]

    # A second STOP from a number already opted out sends nothing.
    receive(sandbox, texting_firm, text="STOP")
    assert len(outbound(texting_firm)) == 1
    with firm_scope():
        later = message_send(firm=texting_firm, sender=member, contact=contact, body="Hello?")
    assert later.status == Message.Status.FAILED
    assert later.failure_reason == FailureReason.OPTED_OUT


@pytest.mark.django_db
def test_start_opts_in_again_with_one_confirmation(texting_firm, sandbox, member, firm_scope):
    contact = texted_contact(texting_firm)
    receive(sandbox, texting_firm, text="STOP")
    receive(sandbox, texting_firm, text="Start", times=2)
    with firm_scope():
        opt_out = OptOut.objects.get()
        assert opt_out.opted_in_at is not None
        assert not opt_out_active(firm=texting_firm, number=CLIENT_NUMBER)
    bodies = [m.body for m in outbound(texting_firm)]
    assert bodies == [
        "You will no longer receive texts from Garcia & Associates. Reply START to resubscribe.",
        "You will receive texts from Garcia & Associates again. Reply STOP to opt out.",
    ]
    with firm_scope():
        later = message_send(firm=texting_firm, sender=member, contact=contact, body="Welcome")
    assert later.status == Message.Status.QUEUED

    # UNSTOP from a number that is not opted out: nothing to confirm.
    receive(sandbox, texting_firm, text="unstop")
    assert len(outbound(texting_firm)) == 3

    # STOP again after START: opted out again, confirmed again.
    receive(sandbox, texting_firm, text="quit")
    with firm_scope():
        assert opt_out_active(firm=texting_firm, number=CLIENT_NUMBER)
        assert OptOut.objects.count() == 1
    assert len(outbound(texting_firm)) == 4


@pytest.mark.django_db
def test_help_replies_with_firm_name_and_alternative_contact(texting_firm, sandbox, unscoped):
    TextingSettings.objects.create(
        firm=texting_firm,
        alternative_phone_e164="+12025550188",
        alternative_email="office@garcia-law.example",
    )
    texted_contact(texting_firm)
    receive(sandbox, texting_firm, text="help", times=2)
    (reply,) = outbound(texting_firm)
    assert reply.body == (
        "Garcia & Associates: for help call (202) 555-0188 or email office@garcia-law.example. "
        "Reply STOP to opt out."
    )
    assert reply.automated
    assert not OptOut.objects.exists()
    receive(sandbox, texting_firm, text="HELP?")
    assert len(outbound(texting_firm)) == 2


@pytest.mark.django_db
def test_help_without_alternative_contact_still_names_the_firm(texting_firm, sandbox):
    texted_contact(texting_firm)
    receive(sandbox, texting_firm, text="HELP")
    (reply,) = outbound(texting_firm)
    assert reply.body == (
        "Garcia & Associates: for help contact the firm directly. Reply STOP to opt out."
    )


@pytest.mark.django_db
def test_stop_inside_a_sentence_is_an_ordinary_message(texting_firm, sandbox, unscoped):
    texted_contact(texting_firm)
    receive(sandbox, texting_firm, text="stop by tomorrow")
    assert [m.body for m in inbound(texting_firm)] == ["stop by tomorrow"]
    assert outbound(texting_firm) == []
    assert not OptOut.objects.exists()


@pytest.mark.django_db
def test_stop_from_a_dropped_sender_is_honoured_without_a_reply(texting_firm, sandbox, firm_scope):
    receive(sandbox, texting_firm, from_=STRANGER, text="STOP")
    receive(sandbox, texting_firm, from_=STRANGER, text="HELP")
    with firm_scope():
        assert opt_out_active(firm=texting_firm, number=STRANGER)
    assert inbound(texting_firm) == []
    assert outbound(texting_firm) == []


@pytest.mark.django_db
def test_stop_is_recorded_even_when_the_firm_cannot_text_now(texting_firm, sandbox, firm_scope):
    texted_contact(texting_firm)
    Firm.objects.filter(pk=texting_firm.pk).update(plan=Firm.Plan.EASYSTART)
    receive(sandbox, texting_firm, text="STOP")
    with firm_scope():
        assert opt_out_active(firm=texting_firm, number=CLIENT_NUMBER)
    assert [m.body for m in inbound(texting_firm)] == ["STOP"]
    assert outbound(texting_firm) == []


@pytest.mark.django_db
def test_opt_out_record_is_idempotent_and_per_firm(firm, other_firm, firm_scope):
    with firm_scope():
        assert opt_out_record(firm=firm, number=CLIENT_NUMBER) is True
        assert opt_out_record(firm=firm, number=CLIENT_NUMBER) is False
        assert opt_out_record(firm=firm, number=CLIENT_NUMBER, source="provider") is False
    with scope(firm=other_firm.id):
        assert not opt_out_active(firm=other_firm, number=CLIENT_NUMBER)
