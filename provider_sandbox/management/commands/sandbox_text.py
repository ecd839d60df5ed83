"""`manage.py sandbox_text --from +1… --to +1… "body" [--media FILE …]`: an inbound text.

Injects an SMS (or MMS, with --media) from a phone to one of the sandbox's numbers through the
control API; the sandbox then sends the app its `message-received` callback. Prints the
provider message id.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ._client import add_sandbox_url, control_for


class Command(BaseCommand):
    help = "Send an inbound SMS/MMS to one of the provider sandbox's numbers."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="sender", required=True, help="The phone, in E.164.")
        parser.add_argument("--to", required=True, help="The firm's number, in E.164.")
        parser.add_argument("body", nargs="?", default="", help="The text.")
        parser.add_argument("--media", nargs="+", default=[], metavar="FILE")
        add_sandbox_url(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        media = []
        for name in options["media"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            media.append((path.name, content_type, path.read_bytes()))
        control = control_for(options["sandbox_url"])
        try:
            result = control.inject_text(options["sender"], options["to"], options["body"], media)
        except requests.HTTPError as exc:
            raise CommandError(_explain(exc)) from exc
        except requests.RequestException as exc:
            raise CommandError(f"Cannot reach the sandbox at {control.url}: {exc}") from exc
        self.stdout.write(result["message_id"])


def _explain(exc: requests.HTTPError) -> str:
    response = exc.response
    try:
        return str(response.json().get("error") or response.text)
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
