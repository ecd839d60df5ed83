"""Demo conversations: the firm has texted its demo contacts, and some of them texted back.

Every contact texted (all of them, or the `--conversations` chosen) gets its conversation
with `last_outbound_at` set, so a reply from that contact
is accepted (C6) the moment the demo starts. `messages` texts are then spread over the
conversations, unevenly as in a real firm (some clients text a lot), as whole exchanges from
demo.text_scripts — appointment confirmations, document requests, moved hearings, invoices —
truncated only where the count runs out. They are dated over the past six weeks, the firm's
texts during its business hours and the replies minutes to hours later. A conversation that
got no text (fewer messages than contacts) was texted before that history began.

Outbound texts are DELIVERED, except a few FAILED with the reason the provider's error code
maps to (one rejected by the carrier, one temporary error, then about one in forty of the
conversations whose last text is the firm's). Inbound texts are RECEIVED. The last replies
of the few most recent conversations waiting on the firm are unread for every user; the rest
is read.

Conversations and read states are written with `bulk_create` in batches, messages with
demo.bulk (PostgreSQL's COPY), their bodies encrypted as any Message body is (the field
does it). A conversation's preview of its last text is set as it is planned; its
`last_message` needs the message's id, so it is set in a second pass: one UPDATE taking
each conversation's newest message (a correlated subquery on the (conversation,
created_at) index), far cheaper than updating 20,000 conversations row by row or in CASE
batches.
"""

import random
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import OuterRef, Subquery
from tqdm import tqdm

from accounts.models import Firm, User
from contacts.models import Contact
from texting.models import Conversation, Message, ReadState, preview_of
from texting.provider import failure_for_code
from texting.segments import segment_count

from . import text_scripts as scripts
from .bulk import rows_insert, table_analyze

HISTORY_DAYS = 42
# Contacts the firm texted only before the six weeks of history: this many days ago at most.
EARLIER_TEXT_DAYS = 120
# The firm's error codes for its few failed texts, in this order: rejected by the carrier
# (4750 destination-rejected-message), then a temporary error (5600 carrier queue full).
FAILURE_CODES = (4750, 5600)
FAILURE_EVERY = 40
UNREAD_SHARE = 4  # a quarter of the conversations waiting on the firm ...
UNREAD_MAX = 12  # ... but never more than this many are unread
OPENER_SHARE = 0.3  # conversations whose history starts with a welcome text

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ID_ALPHABET = string.ascii_lowercase + string.digits
# The columns a demo text sets; the others keep their defaults (NULL), as for a text that
# was never retried, queued or given media.
MESSAGE_FIELDS = (
    "uuid",
    "firm_id",
    "created_at",
    "updated_at",
    "conversation_id",
    "direction",
    "body",
    "status",
    "failure_reason",
    "error_code",
    "provider_message_id",
    "segments",
    "from_e164",
    "to_e164",
    "sent_by_id",
    "automated",
    "attempts",
    "sent_at",
    "delivered_at",
    "failed_at",
)
_BUSINESS_DAY_START = time(8, 30)
_BUSINESS_DAY_MINUTES = 9 * 60
_OPENING = tuple(e for e in scripts.EXCHANGES if e.opener)
_LATER = tuple(e for e in scripts.EXCHANGES if not e.opener)
_LATER_WITHOUT_MATTER = tuple(
    e for e in _LATER if not any("{matter}" in text for _, text in e.turns)
)


@dataclass(frozen=True, slots=True)
class _Text:
    outbound: bool
    at: datetime
    body: str
    sender: User | None


@dataclass(slots=True)
class _Thread:
    conversation: Conversation
    number: str
    texts: list[_Text]
    failure_code: int | None = None
    unread: int = 0


@dataclass(frozen=True)
class TextedContact:
    """A contact the firm texts: its texting number and a matter it is the client of."""

    contact: Contact
    number: str
    matter: str | None


@dataclass
class ConversationPlan:
    """One firm's conversations and texts, built in memory, then written by `write`."""

    firm: Firm
    firm_number: str
    users: Sequence[User]
    threads: list[_Thread] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        firm: Firm,
        rng: random.Random,
        firm_number: str,
        contacts: Sequence[TextedContact],
        messages: int,
        attorney: User,
        staff: User,
        now: datetime,
        progress: Callable[[int], Any] | None = None,
    ) -> "ConversationPlan":
        """`progress(n)` is called as each conversation's `n` texts are written in memory."""
        plan = cls(firm=firm, firm_number=firm_number, users=(attorney, staff))
        writer = _ThreadWriter(firm=firm, rng=rng, attorney=attorney, staff=staff, now=now)
        quotas = _quotas(rng, len(contacts), messages)
        for texted, quota in zip(contacts, quotas, strict=True):
            texts = writer.texts(texted, quota)
            if progress is not None:
                progress(len(texts))
            if texts:
                last_outbound = max(text.at for text in texts if text.outbound)
                created = texts[0].at
            else:
                last_outbound = now - timedelta(
                    days=rng.randint(HISTORY_DAYS + 1, EARLIER_TEXT_DAYS),
                    minutes=rng.randint(0, 600),
                )
                created = last_outbound
            last_at = texts[-1].at if texts else None
            conversation = Conversation(
                firm=firm,
                contact=texted.contact,
                last_message_at=last_at,
                last_outbound_at=last_outbound,
                created_at=created,
                updated_at=last_at or created,
            )
            if texts:
                last = texts[-1]
                conversation.last_message_direction = (
                    Message.Direction.OUTBOUND if last.outbound else Message.Direction.INBOUND
                )
                conversation.last_message_preview = preview_of(last.body)
            plan.threads.append(_Thread(conversation, texted.number, texts))
        plan._failures_choose()
        plan._unread_choose()
        return plan

    @property
    def message_count(self) -> int:
        return sum(len(thread.texts) for thread in self.threads)

    def rows(self) -> int:
        """Rows `write` inserts or updates, for the progress bar."""
        with_texts = sum(1 for thread in self.threads if thread.texts)
        return len(self.threads) + self.message_count + with_texts * (len(self.users) + 1)

    def _failures_choose(self) -> None:
        """The firm's last text fails in a few conversations, the newest ones first."""
        waiting = self._newest_first(outbound_last=True)
        for rank, thread in enumerate(waiting):
            if rank in (1, 3):
                thread.failure_code = FAILURE_CODES[rank // 2]
            elif rank > 3 and rank % FAILURE_EVERY == 0:
                thread.failure_code = FAILURE_CODES[(rank // FAILURE_EVERY) % 2]

    def _unread_choose(self) -> None:
        """The replies the firm has not read yet: in the newest conversations waiting on it."""
        waiting = self._newest_first(outbound_last=False)
        for thread in waiting[: min(UNREAD_MAX, max(1, len(waiting) // UNREAD_SHARE))]:
            trailing = 0
            for text in reversed(thread.texts):
                if text.outbound:
                    break
                trailing += 1
            thread.unread = trailing

    def _newest_first(self, *, outbound_last: bool) -> list[_Thread]:
        threads = [t for t in self.threads if t.texts and t.texts[-1].outbound == outbound_last]
        return sorted(threads, key=lambda t: t.texts[-1].at, reverse=True)

    def write(self, *, rng: random.Random, batch_size: int, bar: "tqdm[Any]") -> None:
        """Insert the conversations, their messages and read states; then set last_message.

        Runs inside the caller's transaction and firm scope; contacts must be inserted.
        """
        conversations = [thread.conversation for thread in self.threads]
        with _timestamps_as_given(Conversation, Message, ReadState):
            for batch in _batches(conversations, batch_size):
                Conversation.objects.bulk_create(batch)
                bar.update(len(batch))
            rows_insert(
                Message,
                MESSAGE_FIELDS,
                self._message_rows(rng),
                batch_size=batch_size,
                progress=bar.update,
            )
            read_states = list(self._read_states())
            for batch in _batches(read_states, batch_size):
                ReadState.objects.bulk_create(batch)
                bar.update(len(batch))
        # Second pass: the last message of each conversation has its id only now. No two
        # texts of a conversation share a time, so the newest one is its last text. The
        # statistics first, or the subquery may scan all of the firm's texts per conversation.
        table_analyze(Message)
        newest = (
            Message.objects.for_firm(self.firm)
            .filter(conversation=OuterRef("pk"))
            .order_by("-created_at", "-id")
            .values("id")[:1]
        )
        updated = (
            Conversation.objects.for_firm(self.firm)
            .filter(last_message_at__isnull=False)
            .update(last_message=Subquery(newest))
        )
        bar.update(updated)

    def _message_rows(self, rng: random.Random) -> Iterator[tuple[Any, ...]]:
        used_ids: set[str] = set()
        defaults = {name: None for name in MESSAGE_FIELDS} | {
            "firm_id": self.firm.id,
            "failure_reason": "",
            "automated": False,
            "attempts": 0,
        }
        for thread in self.threads:
            last = len(thread.texts) - 1
            values = defaults | {"conversation_id": thread.conversation.id}
            for position, text in enumerate(thread.texts):
                failure = thread.failure_code if position == last else None
                row = values | self._message_values(rng, thread, text, failure, used_ids)
                yield tuple(row[name] for name in MESSAGE_FIELDS)

    def _message_values(
        self,
        rng: random.Random,
        thread: _Thread,
        text: _Text,
        failure_code: int | None,
        used_ids: set[str],
    ) -> dict[str, Any]:
        """The columns of one text that differ from MESSAGE_FIELDS' defaults, as the texting
        services would have left them."""
        values: dict[str, Any] = {
            "uuid": uuid.uuid4(),
            "body": text.body,
            "segments": segment_count(text.body),
            "provider_message_id": _provider_message_id(rng, text.at, used_ids),
            "created_at": text.at,
            "updated_at": text.at,
        }
        if not text.outbound:
            return values | {
                "direction": Message.Direction.INBOUND,
                "status": Message.Status.RECEIVED,
                "from_e164": thread.number,
                "to_e164": self.firm_number,
            }
        sent_at = text.at + timedelta(milliseconds=rng.randint(300, 2500))
        values |= {
            "direction": Message.Direction.OUTBOUND,
            "from_e164": self.firm_number,
            "to_e164": thread.number,
            "sent_by_id": text.sender.id if text.sender else None,
            "attempts": 1,
            "sent_at": sent_at,
        }
        if failure_code is None:
            delivered_at = sent_at + timedelta(seconds=rng.randint(2, 20))
            return values | {
                "status": Message.Status.DELIVERED,
                "delivered_at": delivered_at,
                "updated_at": delivered_at,
            }
        failed_at = sent_at + timedelta(seconds=rng.randint(5, 90))
        return values | {
            "status": Message.Status.FAILED,
            "failure_reason": failure_for_code(failure_code).reason,
            "error_code": failure_code,
            "failed_at": failed_at,
            "updated_at": failed_at,
        }

    def _read_states(self) -> Iterator[ReadState]:
        for thread in self.threads:
            if not thread.texts:
                continue
            # Read up to the text before the unread replies (the last text when all is read).
            read_upto = thread.texts[-1 - thread.unread].at
            for user in self.users:
                yield ReadState(
                    firm=self.firm,
                    conversation=thread.conversation,
                    user=user,
                    unread_count=thread.unread,
                    last_read_at=read_upto,
                    created_at=thread.texts[0].at,
                    updated_at=thread.texts[-1].at,
                )


class _ThreadWriter:
    """The texts of one conversation: exchanges, dated and filled in for the contact."""

    def __init__(
        self, *, firm: Firm, rng: random.Random, attorney: User, staff: User, now: datetime
    ) -> None:
        self.firm = firm
        self.rng = rng
        self.attorney, self.staff = attorney, staff
        self.attorney_name = attorney.get_full_name() or attorney.email
        self.now = now
        self.tz = ZoneInfo(firm.time_zone)

    def texts(self, texted: TextedContact, quota: int) -> list[_Text]:
        if quota <= 0:
            return []
        exchanges = self._exchanges(quota, has_matter=texted.matter is not None)
        days_ago = self._days_ago(len(exchanges))
        texts: list[_Text] = []
        for (exchange, turns), ago in zip(exchanges, days_ago, strict=True):
            texts.extend(self._exchange_texts(exchange, turns, texted, ago, texts))
        # A reply can land after midnight; nothing may be dated in the future.
        overshoot = texts[-1].at - (self.now - timedelta(minutes=2))
        if overshoot > timedelta(0):
            shift = overshoot + timedelta(minutes=self.rng.randint(5, 120))
            texts = [_Text(t.outbound, t.at - shift, t.body, t.sender) for t in texts]
        return texts

    def _exchanges(
        self, quota: int, *, has_matter: bool
    ) -> list[tuple[scripts.Exchange, tuple[tuple[str, str], ...]]]:
        rng = self.rng
        later = _LATER if has_matter else _LATER_WITHOUT_MATTER
        chosen: list[tuple[scripts.Exchange, tuple[tuple[str, str], ...]]] = []
        remaining = quota
        while remaining > 0:
            if not chosen and rng.random() < OPENER_SHARE:
                exchange = rng.choice(_OPENING)
            else:
                exchange = rng.choice(later)
                if chosen and exchange is chosen[-1][0]:
                    exchange = rng.choice(later)
            turns = exchange.turns[:remaining]
            chosen.append((exchange, turns))
            remaining -= len(turns)
        return chosen

    def _days_ago(self, count: int) -> list[int]:
        """A day for each exchange, oldest first, one exchange a day while they fit."""
        # Two days short of the history: a weekend day moves back to the Friday before.
        days = range(1, HISTORY_DAYS - 1)
        if count <= len(days):
            picked = self.rng.sample(days, count)
        else:
            picked = [self.rng.choice(days) for _ in range(count)]
        return sorted(picked, reverse=True)

    def _exchange_texts(
        self,
        exchange: scripts.Exchange,
        turns: tuple[tuple[str, str], ...],
        texted: TextedContact,
        days_ago: int,
        earlier: list[_Text],
    ) -> list[_Text]:
        rng = self.rng
        day = _weekday_on_or_before(self.now.astimezone(self.tz).date() - timedelta(days=days_ago))
        start = datetime.combine(day, _BUSINESS_DAY_START, tzinfo=self.tz) + timedelta(
            minutes=rng.randint(0, _BUSINESS_DAY_MINUTES)
        )
        if earlier and start <= earlier[-1].at:
            start = earlier[-1].at + timedelta(minutes=rng.randint(20, 240))
        sender = self.attorney if exchange.sender == scripts.ATTORNEY else self.staff
        values = self._values(day, texted, sender)
        texts: list[_Text] = []
        at = start
        previous: str | None = None
        for direction, template in turns:
            if previous is not None:
                at += self._gap(previous, direction)
            outbound = direction == scripts.OUT
            body = template.format(**values)
            texts.append(_Text(outbound, at, body, sender if outbound else None))
            previous = direction
        return texts

    def _gap(self, previous: str, direction: str) -> timedelta:
        rng = self.rng
        if previous == scripts.OUT and direction == scripts.IN:  # the client answers
            return timedelta(seconds=min(6 * 3600, 45 + int(rng.expovariate(1 / 2400))))
        if direction == scripts.IN:  # the client adds a second text
            return timedelta(seconds=rng.randint(20, 360))
        return timedelta(seconds=rng.randint(180, 5400))  # the firm answers

    def _values(self, day: date, texted: TextedContact, sender: User) -> dict[str, str]:
        rng = self.rng
        event = _weekday_on_or_after(day + timedelta(days=rng.randint(2, 9)))
        moved = _weekday_on_or_after(event + timedelta(days=rng.randint(2, 7)))
        contact = texted.contact
        return {
            "hi": f"Hi {contact.first_name}" if contact.first_name else "Hello",
            "hola": f"Hola {contact.first_name}" if contact.first_name else "Hola",
            "sender": sender.first_name or sender.get_full_name() or self.firm.name,
            "attorney": self.attorney_name,
            "firm": self.firm.name,
            "date": _long_date(event),
            "day": _WEEKDAYS[event.weekday()],
            "time": rng.choice(scripts.APPOINTMENT_TIMES),
            "new_date": _long_date(moved),
            "new_day": _WEEKDAYS[moved.weekday()],
            "new_time": rng.choice(scripts.APPOINTMENT_TIMES),
            "doc": rng.choice(scripts.DOCUMENTS),
            "amount": f"${rng.randint(6, 160) * 25:,}.00",
            "invoice": str(rng.randint(1040, 9800)),
            "matter": texted.matter or "",
        }


def _quotas(rng: random.Random, conversations: int, messages: int) -> list[int]:
    """How many of `messages` texts each conversation gets; some are far busier than others."""
    if conversations == 0 or messages <= 0:
        return [0] * conversations
    activity = [rng.choice((1, 1, 1, 2, 2, 3, 5, 8)) for _ in range(conversations)]
    counts = Counter(rng.choices(range(conversations), weights=activity, k=messages))
    return [counts.get(index, 0) for index in range(conversations)]


def _weekday_on_or_before(day: date) -> date:
    return day - timedelta(days=max(0, day.weekday() - 4))


def _weekday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _long_date(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}"


def _provider_message_id(rng: random.Random, at: datetime, used: set[str]) -> str:
    """Shaped like the provider's ids (epoch milliseconds + 16 characters), unique in the firm:
    inbound messages are unique on (firm, provider_message_id)."""
    while True:
        candidate = f"{int(at.timestamp() * 1000):013d}" + "".join(rng.choices(_ID_ALPHABET, k=16))
        if candidate not in used:
            used.add(candidate)
            return candidate


@contextmanager
def _timestamps_as_given(*model_classes: type[models.Model]) -> Iterator[None]:
    """Insert `created_at`/`updated_at` as set on the objects, for a history weeks old.

    `auto_now_add`/`auto_now` would stamp every row with the time of the insert (bulk_create
    calls each field's pre_save). Each concrete model has its own copies of these fields,
    so switching them off here touches only the demo models, and only until the block ends.
    """
    fields = [
        cast("models.DateTimeField[Any, Any]", model._meta.get_field(name))
        for model in model_classes
        for name in ("created_at", "updated_at")
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
