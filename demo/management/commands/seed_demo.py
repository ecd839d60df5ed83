"""`manage.py seed_demo`: make demo firms and print what was made (see demo.seeding).

Each firm's toll-free number is ordered from the provider, so the provider sandbox must be
running (`make run` starts it first).
"""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.provisioning import DemoSeedError, ProviderUnreachable
from demo.seeding import (
    DEFAULT_CONTACTS_PER_FIRM,
    DEFAULT_MESSAGES_MAX,
    DEFAULT_MESSAGES_PER_CONTACT,
    MIN_PASSWORD_LENGTH,
    SeededFirm,
    demo_data_exists,
    demo_seed,
)

SANDBOX_COMMAND = (
    "python manage.py run_provider_sandbox --port 8025 --callback-url http://127.0.0.1:8000"
)
SANDBOX_NEEDED = (
    "The provider sandbox must be running: seed_demo orders each demo firm's toll-free number "
    f"from it. Start it with `{SANDBOX_COMMAND}` and run seed_demo again."
)


class Command(BaseCommand):
    help = (
        "Make demo firms, each with an admin and a staff user (with API tokens), contacts, "
        "matters, a toll-free number ordered from the provider (the sandbox must be running) "
        "and conversations with every contact. Every run adds new firms (a taken name gets a "
        "suffix); --once does nothing if any firm exists. --json prints what was made, and "
        "only that, on stdout."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--firms", type=int, default=1, help="Firms to make (default 1).")
        parser.add_argument(
            "--contacts",
            type=int,
            default=DEFAULT_CONTACTS_PER_FIRM,
            help=f"Contacts per firm (default {DEFAULT_CONTACTS_PER_FIRM}).",
        )
        parser.add_argument(
            "--messages",
            type=int,
            default=None,
            help=f"Texts per firm, both ways (default {DEFAULT_MESSAGES_PER_CONTACT} per contact, "
            f"at most {DEFAULT_MESSAGES_MAX:,}; 0 for none).",
        )
        parser.add_argument(
            "--conversations",
            type=int,
            default=None,
            help="Contacts per firm the texts go to, each a conversation (default: every contact).",
        )
        parser.add_argument(
            "--password",
            help="One password for every demo user (at least "
            f"{MIN_PASSWORD_LENGTH} characters); random ones otherwise.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the firms, users, tokens and contacts made, as JSON.",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing if any firm exists already (first start only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        firms, contacts, messages = options["firms"], options["contacts"], options["messages"]
        conversations, password = options["conversations"], options["password"]
        if firms < 1 or contacts < 0 or (messages is not None and messages < 0):
            raise CommandError("--firms must be at least 1; --contacts and --messages >= 0.")
        if conversations is not None and not 0 <= conversations <= contacts:
            raise CommandError("--conversations must be between 0 and --contacts.")
        if messages and not contacts:
            raise CommandError("--messages needs --contacts of at least 1: texts need contacts.")
        if messages and conversations == 0:
            raise CommandError("--messages needs --conversations of at least 1.")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise CommandError(f"--password must be at least {MIN_PASSWORD_LENGTH} characters.")

        if options["once"] and demo_data_exists():
            if options["json"]:
                self.stdout.write(json.dumps({"firms": [], "skipped": True}))
            else:
                self.stdout.write("A firm exists already; nothing seeded (--once).")
            return

        # The raw stream, not self.stderr: tqdm redraws its bar with carriage returns.
        progress_file = options.get("stderr") or sys.stderr
        try:
            seeded = demo_seed(
                firms=firms,
                contacts_per_firm=contacts,
                messages_per_firm=messages,
                conversations_per_firm=conversations,
                password=password,
                progress_file=progress_file,
            )
        except DemoSeedError as error:
            raise CommandError(self._failure(error)) from None
        if options["json"]:
            payload = {"firms": [firm.as_json() for firm in seeded], "skipped": False}
            self.stdout.write(json.dumps(payload))
        else:
            self._summary(seeded)

    @staticmethod
    def _failure(error: DemoSeedError) -> str:
        text = str(error)
        if isinstance(error, ProviderUnreachable):
            text = f"{text} {SANDBOX_NEEDED}"
        if not error.firms_made:
            return f"{text} No firm was made."
        noun = "firm" if error.firms_made == 1 else "firms"
        return f"{text} The {error.firms_made} demo {noun} made before are kept; no other was."

    def _summary(self, seeded: list[SeededFirm]) -> None:
        noun = "firm" if len(seeded) == 1 else "firms"
        self.stdout.write(self.style.SUCCESS(f"Made {len(seeded)} demo {noun}."))
        for firm in seeded:
            self.stdout.write("")
            self.stdout.write(
                f"{firm.name}  ({len(firm.contacts)} contacts, "
                f"{len(firm.matters)} matters, {firm.time_zone})"
            )
            self.stdout.write(
                f"  texts from {firm.toll_free_number} (toll-free), "
                f"{firm.messages:,} messages with its contacts"
            )
            for user in firm.users:
                self.stdout.write(f"  sign in as {user.role:<5}  {user.email}  /  {user.password}")
            admin = next(user for user in firm.users if user.role == "admin")
            self.stdout.write(f"  API token ({admin.email}): {admin.api_token}")
