"""`manage.py create_firm --name N --admin-email E`: a firm and its first admin, in production.

Everything else (texting setup, members' API tokens, webhooks) is then done in the app by
that admin. The password is asked for (or read from standard input) and validated.
"""

import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django_scopes import scopes_disabled

from accounts.models import Firm, Membership, User
from accounts.services import firm_create, member_create

from ._passwords import password_ask


class Command(BaseCommand):
    help = "Create a firm and its first admin (asks for the admin's password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The firm's name, as clients see it.")
        parser.add_argument("--admin-email", required=True, help="The first admin's sign-in.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--time-zone", default="America/New_York", help="IANA name, e.g. America/Chicago."
        )
        parser.add_argument("--plan", default=Firm.Plan.ESSENTIALS, choices=Firm.Plan.values)

    def handle(self, *args: Any, **options: Any) -> None:
        name = " ".join(options["name"].split())
        email = options["admin_email"].strip().lower()
        if not name or len(name) > 200:
            raise CommandError("--name must be 1 to 200 characters.")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"--admin-email is not an email address: {email!r}.") from exc
        if options["time_zone"] not in zoneinfo.available_timezones():
            raise CommandError(f"--time-zone {options['time_zone']!r} is not an IANA time zone.")
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"{email} already signs in; choose another email.")
        password = password_ask(email)
        with scopes_disabled(), transaction.atomic():
            firm = firm_create(name=name, plan=options["plan"], time_zone=options["time_zone"])
            member_create(
                firm=firm,
                email=email,
                password=password,
                role=Membership.Role.ADMIN,
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        self.stdout.write(
            f"Created {firm.name} with admin {email}. Sign in, then set texting up in "
            "Settings > Text Messaging."
        )
