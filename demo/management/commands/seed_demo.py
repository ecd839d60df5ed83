"""`manage.py seed_demo`: make demo firms and print what was made (see demo.seeding)."""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.seeding import (
    DEFAULT_CONTACTS_PER_FIRM,
    MIN_PASSWORD_LENGTH,
    SeededFirm,
    demo_data_exists,
    demo_seed,
)

MESSAGES_NOTE = (
    "Note: --messages is accepted but no messages are seeded until the texting pipeline exists."
)


class Command(BaseCommand):
    help = (
        "Make demo firms, each with an admin and a staff user (with API tokens), contacts "
        "and matters. Every run adds new firms (a taken name gets a suffix); --once does "
        "nothing if any firm exists. --json prints what was made, and only that, on stdout."
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
            default=0,
            help="Messages per firm: accepted, not seeded until texting exists.",
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
        password = options["password"]
        if firms < 1 or contacts < 0 or messages < 0:
            raise CommandError("--firms must be at least 1; --contacts and --messages >= 0.")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise CommandError(f"--password must be at least {MIN_PASSWORD_LENGTH} characters.")

        if options["once"] and demo_data_exists():
            if options["json"]:
                self.stdout.write(json.dumps({"firms": [], "skipped": True}))
            else:
                self.stdout.write("A firm exists already; nothing seeded (--once).")
            return
        if messages:
            self.stderr.write(MESSAGES_NOTE)

        # The raw stream, not self.stderr: tqdm redraws its bar with carriage returns.
        progress_file = options.get("stderr") or sys.stderr
        seeded = demo_seed(
            firms=firms, contacts_per_firm=contacts, password=password, progress_file=progress_file
        )
        if options["json"]:
            payload = {"firms": [firm.as_json() for firm in seeded], "skipped": False}
            self.stdout.write(json.dumps(payload))
        else:
            self._summary(seeded)

    def _summary(self, seeded: list[SeededFirm]) -> None:
        noun = "firm" if len(seeded) == 1 else "firms"
        self.stdout.write(self.style.SUCCESS(f"Made {len(seeded)} demo {noun}."))
        for firm in seeded:
            self.stdout.write("")
            self.stdout.write(
                f"{firm.name}  ({len(firm.contacts)} contacts, "
                f"{len(firm.matters)} matters, {firm.time_zone})"
            )
            for user in firm.users:
                self.stdout.write(f"  sign in as {user.role:<5}  {user.email}  /  {user.password}")
            admin = next(user for user in firm.users if user.role == "admin")
            self.stdout.write(f"  API token ({admin.email}): {admin.api_token}")
