"""`manage.py add_member --email E [--firm F] [--role staff|admin]`: a new member of a firm.

The firm is named by its name or id; it may be left out when there is only one.
"""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django_scopes import scopes_disabled

from accounts.models import Firm, Membership, User
from accounts.services import member_create

from ._passwords import password_ask


def _firm(named: str | None) -> Firm:
    firms = Firm.objects.all()
    if named:
        try:
            firms = firms.filter(uuid=uuid.UUID(named))
        except ValueError:
            firms = firms.filter(name__iexact=named.strip())
    found = list(firms[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise CommandError(f"No firm is named {named!r}." if named else "There is no firm yet.")
    raise CommandError("Several firms match: name one with --firm (its name or id).")


class Command(BaseCommand):
    help = "Add a member to a firm (asks for their password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The new member's sign-in.")
        parser.add_argument("--firm", default=None, help="The firm's name or id.")
        parser.add_argument("--role", default=Membership.Role.STAFF, choices=Membership.Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"--email is not an email address: {email!r}.") from exc
        with scopes_disabled():
            firm = _firm(options["firm"])
            if User.objects.filter(email__iexact=email).exists():
                raise CommandError(f"{email} already signs in; choose another email.")
            password = password_ask(email)
            member_create(
                firm=firm,
                email=email,
                password=password,
                role=options["role"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        self.stdout.write(f"Added {email} to {firm.name} as {options['role']}.")
