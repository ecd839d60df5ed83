"""`manage.py sandbox_call --from +1… --to +1…`: an inbound phone call to the app.

The sandbox POSTs the voice `initiate` callback to the app, checks the BXML it answers, and
posts the disconnect event. Prints what the caller heard and whether the BXML was valid;
exits non-zero when it was not.
"""

from __future__ import annotations

from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ._client import add_sandbox_url, control_for
from .sandbox_text import _explain


class Command(BaseCommand):
    help = "Place an inbound call to one of the provider sandbox's numbers."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="sender", required=True, help="The caller, in E.164.")
        parser.add_argument("--to", required=True, help="The firm's number, in E.164.")
        add_sandbox_url(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        control = control_for(options["sandbox_url"])
        try:
            call = control.inject_call(options["sender"], options["to"])
        except requests.HTTPError as exc:
            raise CommandError(_explain(exc)) from exc
        except requests.RequestException as exc:
            raise CommandError(f"Cannot reach the sandbox at {control.url}: {exc}") from exc
        self.stdout.write(f"Call {call['call_id']}")
        for sentence in call.get("spoken", []):
            self.stdout.write(f"Spoken: {sentence}")
        if call["bxml_valid"]:
            self.stdout.write("BXML valid: yes")
        else:
            self.stdout.write(f"BXML valid: no ({call.get('error')})")
            raise CommandError("The app's answer to the call was not valid BXML.")
