"""Opt-out, opt-in and HELP words in inbound texts (C10; RELIABILITY.md §5).

A text that is, alone, one of the opt-out words (any case, surrounding whitespace and
trailing punctuation ignored) gives its sender's number an active OptOut in the same
transaction that stores the text, so every later send sees it and fails `opted_out`.
START/UNSTOP lifts it; HELP gets the firm's name and how else to reach it. Each word is
answered by at most one automated text: the reply's idempotency key is derived from the
inbound message, so a replayed callback or a re-run task never sends a second one, and a
STOP from a number already opted out (or a START from one that is not) sends nothing.

Numbers are logged masked (last 4 digits); texts never.
"""

import enum
import logging
import unicodedata
import uuid
from typing import Final

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Firm
from common.exceptions import ApplicationError
from common.phones import phone_display

from ..models import Message, OptOut
from ..provider.util import mask_number
from ..selectors import texting_settings_get

logger = logging.getLogger(__name__)

OPT_OUT_WORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"}
)
OPT_IN_WORDS: Final = frozenset({"START", "UNSTOP"})
HELP_WORDS: Final = frozenset({"HELP"})

# Fixed namespace of the automated replies' idempotency keys: uuid5(namespace, word + id).
_REPLY_NAMESPACE: Final = uuid.UUID("6f0e4d1c-4b8a-5c57-9a0e-3f8d2b7c1e64")


class Keyword(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def keyword_of(text: str) -> Keyword | None:
    """The C10 word `text` consists of, or None for an ordinary message.

    "Stop.", " stop!! ", "Opt out", "opt-out" and "ＳＴＯＰ" count; "stop by tomorrow" or
    "STOP 🙏" do not (the word must stand alone).
    """
    normal = unicodedata.normalize("NFKC", text or "").strip()
    while normal and unicodedata.category(normal[-1]).startswith("P"):
        normal = normal[:-1].rstrip()
    if len(normal) > 20:
        return None
    word = " ".join(normal.replace("-", " ").split()).upper()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None


def opt_out_active(*, firm: Firm, number: str) -> bool:
    """True while `number` has asked this firm not to text it (and has not opted back in)."""
    return (
        OptOut.objects.for_firm(firm).filter(number_e164=number, opted_in_at__isnull=True).exists()
    )


@transaction.atomic
def opt_out_record(*, firm: Firm, number: str, source: str = OptOut.Source.KEYWORD) -> bool:
    """Make `number`'s opt-out active; True when it was not active before. Transactional.

    Also for the provider's 4775 failure (`source=OptOut.Source.PROVIDER`). Idempotent:
    recording an active opt-out again changes nothing and returns False.
    """
    now = timezone.now()
    existing = OptOut.objects.for_firm(firm).select_for_update().filter(number_e164=number).first()
    if existing is None:
        try:
            with transaction.atomic():
                OptOut.objects.create(
                    firm=firm, number_e164=number, source=source, opted_out_at=now
                )
        except IntegrityError:
            # A concurrent STOP (or 4775) of the same number got there first: active now.
            return False
    elif existing.opted_in_at is None:
        return False
    else:
        OptOut.objects.for_firm(firm).filter(pk=existing.pk, opted_in_at__isnull=False).update(
            source=source, opted_out_at=now, opted_in_at=None, updated_at=now
        )
    logger.info(
        "number opted out",
        extra={"firm_id": firm.id, "number": mask_number(number), "source": source},
    )
    return True


@transaction.atomic
def opt_in_record(*, firm: Firm, number: str) -> bool:
    """Lift `number`'s active opt-out (START/UNSTOP); True when there was one."""
    now = timezone.now()
    lifted = (
        OptOut.objects.for_firm(firm)
        .filter(number_e164=number, opted_in_at__isnull=True)
        .update(opted_in_at=now, updated_at=now)
    )
    if lifted:
        logger.info(
            "number opted in again",
            extra={"firm_id": firm.id, "number": mask_number(number)},
        )
    return bool(lifted)


def opt_out_confirmation_text(*, firm: Firm) -> str:
    return f"You will no longer receive texts from {firm.name}. Reply START to resubscribe."


def opt_in_confirmation_text(*, firm: Firm) -> str:
    return f"You will receive texts from {firm.name} again. Reply STOP to opt out."


def help_reply_text(*, firm: Firm) -> str:
    """The HELP answer: the firm's name and its alternative phone and email (S1)."""
    settings = texting_settings_get(firm=firm)
    ways = []
    if settings.alternative_phone_e164:
        ways.append(f"call {phone_display(settings.alternative_phone_e164)}")
    if settings.alternative_email:
        ways.append(f"email {settings.alternative_email}")
    reach = ("for help " + " or ".join(ways)) if ways else "for help contact the firm directly"
    return f"{firm.name}: {reach}. Reply STOP to opt out."


def reply_idempotency_key(*, keyword: Keyword, message: Message) -> uuid.UUID:
    """The same key for the same inbound message, however often it is processed."""
    return uuid.uuid5(_REPLY_NAMESPACE, f"{keyword.value}:{message.uuid}")


@transaction.atomic(savepoint=False)  # nested in event processing: no round trips for a savepoint
def inbound_keyword_apply(
    *, firm: Firm, sender_e164: str, text: str, message: Message | None = None
) -> Keyword | None:
    """Act on a C10 word in an inbound text; the keyword found, or None. Transactional.

    The opt-out (or opt-in) is recorded whether or not the text went into a thread: a
    revocation is honoured from any number (TCPA, FCC 24-18). Replies go only to texts that
    are in a thread (`message` given): the firm never starts a conversation (C6). They are
    sent with `automated=True`, past the opt-out (the confirmation is the one text allowed
    after STOP) and keyed on `message`, so each inbound text is answered at most once.
    """
    if message is not None and message.firm_id != firm.id:
        raise Message.DoesNotExist
    keyword = keyword_of(text)
    if keyword is None:
        return None
    if keyword is Keyword.OPT_OUT:
        changed = opt_out_record(firm=firm, number=sender_e164, source=OptOut.Source.KEYWORD)
        body = opt_out_confirmation_text(firm=firm) if changed else ""
    elif keyword is Keyword.OPT_IN:
        changed = opt_in_record(firm=firm, number=sender_e164)
        body = opt_in_confirmation_text(firm=firm) if changed else ""
    else:
        body = help_reply_text(firm=firm)
    if body and message is not None:
        _reply_send(firm=firm, message=message, keyword=keyword, body=body)
    return keyword


def _reply_send(*, firm: Firm, message: Message, keyword: Keyword, body: str) -> None:
    from .sending import message_send

    try:
        reply = message_send(
            firm=firm,
            sender=None,
            contact=message.conversation.contact,
            body=body,
            idempotency_key=reply_idempotency_key(keyword=keyword, message=message),
            automated=True,
            bypass_opt_out=True,
        )
    except ApplicationError as error:
        # The firm cannot text now (plan, number): the opt-out itself still stands, and the
        # inbound text must not be lost over a reply.
        logger.warning(
            "automatic reply not sent: %s",
            type(error).__name__,
            extra={"firm_id": firm.id, "message_id": message.id, "keyword": keyword.value},
        )
        return
    logger.info(
        "automatic reply queued",
        extra={
            "firm_id": firm.id,
            "message_id": message.id,
            "reply_id": reply.id,
            "keyword": keyword.value,
        },
    )
