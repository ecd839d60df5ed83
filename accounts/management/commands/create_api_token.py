"""Create an API token for a member: `create_api_token --email E [--name N] [--read-only]`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scopes_disabled

from accounts.models import ApiToken, Membership
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a firm member and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The member's sign-in email.")
        parser.add_argument("--name", default="Command line", help="What the token is for.")
        parser.add_argument("--read-only", action="store_true", help="Allow reads only.")

    def handle(self, *args: Any, **options: Any) -> None:
        with scopes_disabled():
            membership = (
                Membership.objects.select_related("firm", "user")
                .filter(user__email__iexact=options["email"].strip())
                .first()
            )
            if membership is None:
                raise CommandError(f"No member of any firm signs in as {options['email']}.")
            scope = ApiToken.Scope.READ if options["read_only"] else ApiToken.Scope.READ_WRITE
            _, raw = api_token_create(
                firm=membership.firm,
                user=membership.user,
                name=options["name"],
                scope=scope,
                actor=None,  # the audit log says "system": someone at the server made it
            )
        self.stderr.write(
            f"Token for {membership.user.email} at {membership.firm.name} "
            "(shown once; store it safely):"
        )
        self.stdout.write(raw)
