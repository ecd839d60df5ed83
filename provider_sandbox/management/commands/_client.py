"""What the sandbox_* commands share: the control API client built from settings and flags."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandParser

from provider_sandbox.testing import SandboxControl


def add_sandbox_url(parser: CommandParser) -> None:
    parser.add_argument("--sandbox-url", default=None, help="Default: settings.PROVIDER_API_URL.")


def control_for(sandbox_url: str | None) -> SandboxControl:
    url = sandbox_url or settings.PROVIDER_API_URL
    return SandboxControl(url, settings.PROVIDER_USERNAME, settings.PROVIDER_PASSWORD)
