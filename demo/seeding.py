"""Demo data for `manage.py seed_demo`: firms, their people, contacts, matters and texts.

Texting is set up through the provider (the sandbox in demo and tests), as for a real firm:
each firm's toll-free number is searched and ordered first (demo.provisioning), outside any
transaction. Then the firm is made in one transaction inside its own firm scope: the firm
with that number, its texting settings, an admin and a staff user (through
accounts.services, each with an API token), contacts, their phone numbers, e-mail addresses
and relationships, matters, related contacts, a "Correspondence" folder per matter, a dozen
calendar events (demo.calendar), operating and trust accounts with unbilled time on open
matters (demo.billing), and a conversation with every contact holding the firm's
texts and the replies (demo.conversations). A provider that cannot be reached stops the run
before the firm is written.

Contacts, matters and messages are written with `bulk_create` in batches, not through the
contacts, matters and texting services: a demo of 20,000 contacts and 100,000 texts must
take seconds, and those services write one row at a time (and send texts). This module and
demo.conversations therefore keep their rules themselves: `sort_name` is computed with
`Contact.compute_sort_name()`, each contact has exactly one texting number, valid and unique
within the firm, matters are numbered 1, 2, 3 … per firm, and every conversation has
`last_outbound_at`, `last_message` and read states as the texting services would leave them.

What is made depends only on the firm's position in the run (`index`): the same flags give
the same firms, people and numbers every time, except the passwords (random from `secrets`
unless one is given), API tokens, the toll-free number (the provider's next free one) and
the dates of the texts (the weeks before the run). Running again adds new firms; a taken
firm name gets a suffix ("Demo Law Group (2)"), and with it the users' e-mail domain.
"""

import random
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import scope
from tqdm import tqdm

from accounts.models import Firm, Membership, User
from accounts.services import api_token_create, firm_create, member_create
from billing.models import Activity, BankAccount, Timekeeper
from calendar_events.models import CalendarEvent, EventAttendee
from contacts.models import Contact, ContactRelationship, EmailAddress, PhoneNumber
from matters.models import Folder, Matter, MatterRelatedContact
from texting.models import TextingSettings

from . import vocabulary as words
from .billing import demo_billing_build
from .calendar import demo_events_build
from .conversations import ConversationPlan, TextedContact
from .numbers import NumberAllocator
from .provisioning import DemoSeedError, toll_free_number_order

BATCH_SIZE = 1000
DEFAULT_CONTACTS_PER_FIRM = 25
# Without --messages: this many texts per contact, at most DEFAULT_MESSAGES_MAX per firm.
DEFAULT_MESSAGES_PER_CONTACT = 4
DEFAULT_MESSAGES_MAX = 10_000
MIN_PASSWORD_LENGTH = 10
CORRESPONDENCE_FOLDER = "Correspondence"
# Demo firms remind clients of events two days ahead (S4), so the calendar texts by itself.
DEMO_REMINDER_DAYS = 2
API_TOKEN_NAME = "Demo token"
DISPLAY_NUMBER_MAX = Matter._meta.get_field("display_number").max_length or 50

_ModelT = TypeVar("_ModelT", bound=models.Model)


@dataclass(frozen=True)
class SeededUser:
    email: str
    password: str
    role: str
    api_token: str
    name: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeededContact:
    id: str
    name: str
    texting_number: str
    matter_ids: tuple[str, ...]
    """Uuids of the matters this contact is the client of, then those it is a related
    contact on (opposing counsel, spouse, …): every matter a text from it may be about."""

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "matter_ids": list(self.matter_ids)}


@dataclass(frozen=True)
class SeededMatter:
    id: str
    display_number: str
    status: str
    client_id: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeededFirm:
    id: str
    name: str
    time_zone: str
    users: tuple[SeededUser, ...]
    contacts: tuple[SeededContact, ...]
    matters: tuple[SeededMatter, ...]
    toll_free_number: str  # E.164, ordered from the provider
    messages: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "time_zone": self.time_zone,
            "toll_free_number": self.toll_free_number,
            "messages": self.messages,
            "users": [user.as_json() for user in self.users],
            "contacts": [contact.as_json() for contact in self.contacts],
            "matters": [matter.as_json() for matter in self.matters],
        }


def demo_data_exists() -> bool:
    """True once any firm exists: `seed_demo --once` then leaves the database alone."""
    return Firm.objects.exists()


def default_messages(contacts_per_firm: int) -> int:
    """Texts per firm when --messages is not given: a few per contact, capped."""
    return min(DEFAULT_MESSAGES_PER_CONTACT * contacts_per_firm, DEFAULT_MESSAGES_MAX)


def demo_seed(
    *,
    firms: int,
    contacts_per_firm: int = DEFAULT_CONTACTS_PER_FIRM,
    messages_per_firm: int | None = None,
    conversations_per_firm: int | None = None,
    password: str | None = None,
    progress_file: TextIO | None = None,
) -> list[SeededFirm]:
    """Make `firms` new demo firms with `contacts_per_firm` contacts and `messages_per_firm`
    texts each (None: `default_messages`), texting set up through the provider. The texts go
    to `conversations_per_firm` of the contacts (None: every contact has a conversation).

    Each firm is committed on its own (all of it or none of it), after its toll-free number
    was ordered. `password`, if given, is every user's password; otherwise each gets a
    random one. Progress bars go to `progress_file` (none if it is None). Raises ValueError
    for a negative count, texts without contacts, more conversations than contacts or a
    password shorter than MIN_PASSWORD_LENGTH; DemoSeedError (ProviderUnreachable,
    NumberOrderFailed) when no number could be ordered, with `firms_made` the firms
    committed before.
    """
    if messages_per_firm is None:
        messages_per_firm = default_messages(contacts_per_firm)
    if firms < 0 or contacts_per_firm < 0 or messages_per_firm < 0:
        raise ValueError("Counts cannot be negative.")
    if conversations_per_firm is None:
        conversations_per_firm = contacts_per_firm
    if not 0 <= conversations_per_firm <= contacts_per_firm:
        raise ValueError("Conversations must be between 0 and the number of contacts.")
    if messages_per_firm and not conversations_per_firm:
        raise ValueError("Texts need contacts to text.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    seeded: list[SeededFirm] = []
    for index in range(firms):
        try:
            number = toll_free_number_order()  # network: before, never inside, the transaction
        except DemoSeedError as error:
            error.firms_made = len(seeded)
            raise
        seeded.append(
            demo_firm_seed(
                index=index,
                contacts=contacts_per_firm,
                messages=messages_per_firm,
                conversations=conversations_per_firm,
                toll_free_number=number,
                password=password,
                progress_file=progress_file,
            )
        )
    return seeded


@transaction.atomic
def demo_firm_seed(
    *,
    index: int,
    contacts: int,
    messages: int,
    toll_free_number: str,
    conversations: int | None = None,
    password: str | None = None,
    progress_file: TextIO | None = None,
) -> SeededFirm:
    """One demo firm, the `index`-th of a run, texting from `toll_free_number` (ordered
    already), with its users, contacts, matters and `messages` texts in `conversations`
    conversations (None: one with every contact)."""
    rng = random.Random(f"firm-texting-demo-{index}")  # noqa: S311 - demo data, not secrets
    # Its own generator, so the texts never change who the contacts are.
    text_rng = random.Random(f"firm-texting-demo-{index}-texts")  # noqa: S311
    profile = _firm_profile(index, rng)
    name, domain = _free_firm_name(profile.name)
    firm = firm_create(
        name=name,
        plan=Firm.Plan.ESSENTIALS,
        region=Firm.Region.NORTH_AMERICA,
        time_zone=profile.time_zone,
    )
    # accounts has no service for it yet: texting set up (S2) means the number is the firm's.
    firm.toll_free_number_e164 = toll_free_number
    firm.save(update_fields=["toll_free_number_e164", "updated_at"])
    with scope(firm=firm.id):
        users, attorney, staff = _users_create(firm=firm, domain=domain, rng=rng, password=password)
        plan = _ContactPlan.build(firm=firm, rng=rng, count=contacts, area_codes=profile.area_codes)
        matters = _matters_build(firm=firm, rng=rng, plan=plan, attorney=attorney)
        _texting_settings_create(firm=firm, domain=domain, office_line=plan.office_line)
        with _progress_bar(f"{firm.name[:22]}: texts", messages, progress_file, "text") as bar:
            texting = ConversationPlan.build(
                firm=firm,
                rng=text_rng,
                firm_number=toll_free_number,
                contacts=_texted_contacts(plan, matters, conversations, text_rng),
                messages=messages,
                attorney=attorney,
                staff=staff,
                now=timezone.now(),
                progress=bar.update,
            )
        _insert_all(
            firm=firm,
            plan=plan,
            matters=matters,
            conversations=texting,
            rng=text_rng,
            attorney=attorney,
            staff=staff,
            progress_file=progress_file,
        )
    return SeededFirm(
        id=str(firm.uuid),
        name=firm.name,
        time_zone=firm.time_zone,
        users=tuple(users),
        contacts=_seeded_contacts(plan, matters),
        matters=tuple(
            SeededMatter(
                id=str(m.matter.uuid),
                display_number=m.matter.display_number,
                status=m.matter.status,
                client_id=str(m.matter.client.uuid),
            )
            for m in matters
        ),
        toll_free_number=toll_free_number,
        messages=texting.message_count,
    )


# --- Firms and users ------------------------------------------------------------------------


def _firm_profile(index: int, rng: random.Random) -> words.FirmProfile:
    if index < len(words.FIRM_PROFILES):
        return words.FIRM_PROFILES[index]
    first, second = rng.sample(words.LAST_NAMES, 2)
    home = rng.choice(words.FIRM_PROFILES)
    name = f"{first} & {second} {rng.choice(words.FIRM_NAME_SUFFIXES)}"
    return words.FirmProfile(name, home.time_zone, home.area_codes)


def _free_firm_name(base: str) -> tuple[str, str]:
    """`base`, or `base (2)`, `base (3)` … : a name no firm has, and its users' e-mail domain."""
    candidate, number = base, 1
    while True:
        domain = f"{slugify(candidate)}.example.com"
        taken = (
            Firm.objects.filter(name=candidate).exists()
            or User.objects.filter(email__iendswith=f"@{domain}").exists()
        )
        if not taken:
            return candidate, domain
        number += 1
        candidate = f"{base} ({number})"


def _users_create(
    *, firm: Firm, domain: str, rng: random.Random, password: str | None
) -> tuple[list[SeededUser], User, User]:
    """An admin (an attorney) and a staff member, each with an API token."""
    seeded: list[SeededUser] = []
    attorney: User | None = None
    staff: User | None = None
    for role in (Membership.Role.ADMIN, Membership.Role.STAFF):
        first_name, last_name = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        user_password = password or secrets.token_urlsafe(15)
        membership = member_create(
            firm=firm,
            email=f"{role}@{domain}",
            password=user_password,
            role=role,
            first_name=first_name,
            last_name=last_name,
        )
        _, raw_token = api_token_create(firm=firm, user=membership.user, name=API_TOKEN_NAME)
        seeded.append(
            SeededUser(
                email=membership.user.email,
                password=user_password,
                role=str(role),
                api_token=raw_token,
                name=f"{first_name} {last_name}",
            )
        )
        if role == Membership.Role.ADMIN:
            attorney = membership.user
        else:
            staff = membership.user
    assert attorney is not None and staff is not None
    return seeded, attorney, staff


def _texting_settings_create(*, firm: Firm, domain: str, office_line: str) -> TextingSettings:
    """Texting set up (S2): the firm's main line and office address as the alternative
    contact clients are given (S1). Verification is pending — sending works meanwhile; the
    verification flow comes with the texting settings page."""
    return TextingSettings.objects.create(
        firm=firm,
        alternative_phone_e164=office_line,
        alternative_email=f"office@{domain}",
        verification_status=TextingSettings.VerificationStatus.PENDING,
        verification_updated_at=timezone.now(),
        event_reminder_days=DEMO_REMINDER_DAYS,
    )


# --- Contacts -------------------------------------------------------------------------------


@dataclass
class _ContactPlan:
    """The contacts of one firm and their child rows, built in memory before any insert."""

    firm: Firm
    office_line: str = ""  # the firm's main number, in its home area code
    contacts: list[Contact] = field(default_factory=list)
    texting_numbers: list[str] = field(default_factory=list)
    phones: list[PhoneNumber] = field(default_factory=list)
    emails: list[EmailAddress] = field(default_factory=list)
    relationships: list[ContactRelationship] = field(default_factory=list)
    spouse_of: dict[int, Contact] = field(default_factory=dict)  # keyed by id(contact)

    @classmethod
    def build(
        cls, *, firm: Firm, rng: random.Random, count: int, area_codes: Sequence[int]
    ) -> "_ContactPlan":
        plan = cls(firm=firm)
        numbers = NumberAllocator(rng, area_codes)
        companies: list[Contact] = []
        while len(plan.contacts) < count:
            roll = rng.random()
            if roll < 0.15:
                companies.append(plan._company_add(rng, numbers))
            elif roll < 0.27 and count - len(plan.contacts) >= 2:
                plan._couple_add(rng, numbers)
            else:
                employer = rng.choice(companies) if companies and rng.random() < 0.12 else None
                plan._person_add(rng, numbers, employer=employer)
        # Drawn last, so the contacts' numbers are those of a firm seeded without it.
        plan.office_line = numbers.allocate_local()
        return plan

    def _add(self, contact: Contact, texting_number: str) -> Contact:
        contact.sort_name = contact.compute_sort_name()
        self.contacts.append(contact)
        self.texting_numbers.append(texting_number)
        self.phones.append(
            PhoneNumber(
                firm=contact.firm,
                contact=contact,
                label=PhoneNumber.Label.MOBILE,
                number_e164=texting_number,
                is_texting_number=True,
            )
        )
        return contact

    def _company_add(self, rng: random.Random, numbers: NumberAllocator) -> Contact:
        name = " ".join(
            part
            for part in (
                rng.choice(words.COMPANY_FIRST_WORDS),
                rng.choice(words.COMPANY_LINES),
                rng.choice(words.COMPANY_SUFFIXES),
            )
            if part
        )
        company = self._add(
            Contact(firm=self.firm, type=Contact.Type.COMPANY, company_name=name),
            numbers.allocate(),
        )
        if rng.random() < 0.7:
            domain = f"{_ascii_slug(name.split(' ')[0])}.example.com"
            self.emails.append(
                EmailAddress(
                    firm=company.firm,
                    contact=company,
                    label=EmailAddress.Label.WORK,
                    address=f"info@{domain}",
                    is_primary=True,
                )
            )
        return company

    def _person_add(
        self,
        rng: random.Random,
        numbers: NumberAllocator,
        *,
        employer: Contact | None = None,
        last_name: str | None = None,
    ) -> Contact:
        first_name = rng.choice(words.FIRST_NAMES)
        last_name = last_name or rng.choice(words.LAST_NAMES)
        person = self._add(
            Contact(
                firm=self.firm,
                type=Contact.Type.PERSON,
                prefix=rng.choice(words.PERSON_PREFIXES) if rng.random() < 0.1 else "",
                first_name=first_name,
                middle_name=f"{rng.choice(words.FIRST_NAMES)[0]}." if rng.random() < 0.15 else "",
                last_name=last_name,
                company_name=employer.company_name if employer else "",
                title=rng.choice(words.JOB_TITLES) if employer else "",
            ),
            numbers.allocate(),
        )
        if rng.random() < 0.6:
            local = f"{_ascii_slug(first_name)}.{_ascii_slug(last_name)}"
            domain = rng.choice(words.PERSONAL_EMAIL_DOMAINS)
            self.emails.append(
                EmailAddress(
                    firm=person.firm,
                    contact=person,
                    label=EmailAddress.Label.HOME,
                    address=f"{local}{rng.randint(1, 99)}@{domain}",
                    is_primary=True,
                )
            )
        if employer is not None:
            self.relationships.append(
                ContactRelationship(
                    firm=person.firm,
                    contact=person,
                    related_contact=employer,
                    description="Employer",
                )
            )
            if rng.random() < 0.6:
                self.phones.append(
                    PhoneNumber(
                        firm=person.firm,
                        contact=person,
                        label=PhoneNumber.Label.WORK,
                        number_e164=numbers.allocate(),
                    )
                )
        elif rng.random() < 0.15:
            self.phones.append(
                PhoneNumber(
                    firm=person.firm,
                    contact=person,
                    label=PhoneNumber.Label.WORK,
                    number_e164=numbers.allocate(),
                )
            )
        return person

    def _couple_add(self, rng: random.Random, numbers: NumberAllocator) -> None:
        first = self._person_add(rng, numbers)
        # Most spouses share a surname; some keep their own.
        second = self._person_add(
            rng, numbers, last_name=first.last_name if rng.random() < 0.7 else None
        )
        self.relationships.append(
            ContactRelationship(
                firm=first.firm, contact=first, related_contact=second, description="Spouse"
            )
        )
        self.spouse_of[id(first)] = second
        self.spouse_of[id(second)] = first


def _ascii_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


# --- Matters --------------------------------------------------------------------------------


@dataclass
class _PlannedMatter:
    matter: Matter
    related: list[MatterRelatedContact]


def _matters_build(
    *, firm: Firm, rng: random.Random, plan: _ContactPlan, attorney: User
) -> list[_PlannedMatter]:
    """About one matter per two contacts, numbered 00001, 00002 … in the firm."""
    contacts = plan.contacts
    if not contacts:
        return []
    today = timezone.localdate()
    planned: list[_PlannedMatter] = []
    for number in range(1, max(1, len(contacts) // 2) + 1):
        client = rng.choice(contacts)
        status = rng.choices(
            (Matter.Status.OPEN, Matter.Status.PENDING, Matter.Status.CLOSED), (70, 15, 15)
        )[0]
        open_date: date | None = None
        close_date: date | None = None
        if status != Matter.Status.PENDING:
            open_date = today - timedelta(days=rng.randint(20, 1500))
        if status == Matter.Status.CLOSED and open_date is not None:
            close_date = min(today, open_date + timedelta(days=rng.randint(15, 400)))
        matter = Matter(
            firm=firm,
            number=number,
            display_number=_display_number(number, client),
            description=_matter_description(rng, client),
            status=status,
            client=client,
            responsible_attorney=attorney,
            open_date=open_date,
            close_date=close_date,
        )
        planned.append(_PlannedMatter(matter, _related_build(rng, plan, matter, client)))
    return planned


def _display_number(number: int, client: Contact) -> str:
    """ "00042-Garcia": as matters.services.matter_create numbers a matter with no number given."""
    surname = client.company_name if client.type == Contact.Type.COMPANY else client.last_name
    return f"{number:05d}-{surname}"[:DISPLAY_NUMBER_MAX].rstrip()


def _matter_description(rng: random.Random, client: Contact) -> str:
    templates = (
        words.COMPANY_MATTERS if client.type == Contact.Type.COMPANY else words.PERSON_MATTERS
    )
    return rng.choice(templates).format(
        street=rng.choice(words.STREETS),
        road=rng.choice(words.ROADS),
        num=rng.randint(2, 2400),
        first=rng.choice(words.FIRST_NAMES),
        last=client.last_name or rng.choice(words.LAST_NAMES),
    )


def _related_build(
    rng: random.Random, plan: _ContactPlan, matter: Matter, client: Contact
) -> list[MatterRelatedContact]:
    """Related contacts on about 40% of matters: the client's spouse or others by role."""
    if rng.random() >= 0.4 or len(plan.contacts) < 2:
        return []
    chosen: list[tuple[Contact, str]] = []
    spouse = plan.spouse_of.get(id(client))
    if spouse is not None and rng.random() < 0.5:
        chosen.append((spouse, "Spouse"))
    for _ in range(rng.choice((1, 1, 1, 2))):
        other = rng.choice(plan.contacts)
        if other is not client and all(other is not taken for taken, _ in chosen):
            chosen.append((other, _related_role(rng)))
    return [
        MatterRelatedContact(firm=matter.firm, matter=matter, contact=contact, relationship=label)
        for contact, label in chosen
    ]


def _related_role(rng: random.Random) -> str:
    roles, weights = zip(*words.RELATED_CONTACT_ROLES, strict=True)
    return rng.choices(roles, weights)[0]


# --- Writing --------------------------------------------------------------------------------


def _insert_all(
    *,
    firm: Firm,
    plan: _ContactPlan,
    matters: list[_PlannedMatter],
    conversations: ConversationPlan,
    rng: random.Random,
    attorney: User,
    staff: User,
    progress_file: TextIO | None,
) -> None:
    """Insert everything in dependency order, in batches, advancing one progress bar."""
    matter_rows = [planned.matter for planned in matters]
    related = [link for planned in matters for link in planned.related]
    folders = [
        Folder(firm=firm, matter=matter, name=CORRESPONDENCE_FOLDER) for matter in matter_rows
    ]
    tables: list[tuple[type[models.Model], list[Any]]] = [
        (Contact, plan.contacts),
        (PhoneNumber, plan.phones),
        (EmailAddress, plan.emails),
        (ContactRelationship, plan.relationships),
        (Matter, matter_rows),
        (MatterRelatedContact, related),
        (Folder, folders),
    ]
    events, attendees = demo_events_build(
        firm=firm, rng=rng, matters=matter_rows, attorney=attorney, now=timezone.now()
    )
    accounts, rates, entries = demo_billing_build(
        firm=firm,
        rng=rng,
        matters=matter_rows,
        attorney=attorney,
        staff=staff,
        today=timezone.localdate(),
    )
    tables += [
        (CalendarEvent, events),
        (EventAttendee, attendees),
        (BankAccount, accounts),
        (Timekeeper, rates),
        (Activity, entries),
    ]
    total = sum(len(rows) for _, rows in tables) + conversations.rows()
    with _progress_bar(f"{firm.name[:22]}: rows", total, progress_file) as bar:
        for model, rows in tables:
            for batch in _batches(rows, BATCH_SIZE):
                model.objects.bulk_create(batch)  # type: ignore[attr-defined]
                bar.update(len(batch))
        conversations.write(rng=rng, batch_size=BATCH_SIZE, bar=bar)


def _progress_bar(
    desc: str, total: int, progress_file: TextIO | None, unit: str = "row"
) -> "tqdm[Any]":
    """A bar on `progress_file` (none without one): texts written in memory, then rows."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=progress_file,
        disable=progress_file is None or total == 0,
        leave=True,
    )


def _batches(rows: Sequence[_ModelT], size: int) -> Iterable[Sequence[_ModelT]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _texted_contacts(
    plan: _ContactPlan,
    matters: list[_PlannedMatter],
    conversations: int | None,
    rng: random.Random,
) -> list[TextedContact]:
    """The contacts the firm has texted, each with its texting number and the first matter it
    is the client of: every contact, or `conversations` of them drawn at random (in the order
    they were made, so a firm's busiest threads are spread over its contact list)."""
    matter_of: dict[int, str] = {}
    for planned in matters:
        matter_of.setdefault(id(planned.matter.client), planned.matter.description)
    texted = [
        TextedContact(contact=contact, number=number, matter=matter_of.get(id(contact)))
        for contact, number in zip(plan.contacts, plan.texting_numbers, strict=True)
    ]
    if conversations is None or conversations >= len(texted):
        return texted
    chosen = sorted(rng.sample(range(len(texted)), conversations))
    return [texted[index] for index in chosen]


def _seeded_contacts(
    plan: _ContactPlan, matters: list[_PlannedMatter]
) -> tuple[SeededContact, ...]:
    as_client: dict[int, list[str]] = {}
    as_related: dict[int, list[str]] = {}
    for planned in matters:
        matter_id = str(planned.matter.uuid)
        as_client.setdefault(planned.matter.client.pk, []).append(matter_id)
        for link in planned.related:
            as_related.setdefault(link.contact.pk, []).append(matter_id)
    seeded = []
    for contact, number in zip(plan.contacts, plan.texting_numbers, strict=True):
        matter_ids = as_client.get(contact.pk, [])
        matter_ids += [m for m in as_related.get(contact.pk, []) if m not in matter_ids]
        seeded.append(
            SeededContact(
                id=str(contact.uuid),
                name=contact.name,
                texting_number=number,
                matter_ids=tuple(matter_ids),
            )
        )
    return tuple(seeded)
