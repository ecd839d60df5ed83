"""`manage.py run_provider_sandbox`: serve the provider sandbox until SIGTERM/SIGINT.

Prints exactly one line, `Provider sandbox listening on http://HOST:PORT`, to stdout once the
port accepts connections, so programs (testing.running_sandbox, scripts) can read the port.
Credentials come from Django settings (PROVIDER_*, WEBHOOK_*), everything else from flags.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provider_sandbox.config import (
    DEFAULT_CALLBACK_CONCURRENCY,
    DEFAULT_RETRY_SCHEDULE,
    SandboxConfig,
)
from provider_sandbox.faults import FaultInjector, FaultsError
from provider_sandbox.server import SandboxServer


def _schedule(value: str) -> tuple[float, ...]:
    try:
        steps = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise CommandError("--callback-retry-schedule takes seconds like 0.5,1,2,4") from exc
    if not steps or any(step < 0 for step in steps):
        raise CommandError("--callback-retry-schedule takes seconds like 0.5,1,2,4")
    return steps


def _concurrency(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError("takes a whole number of at least 1")
    return number


class Command(BaseCommand):
    help = "Run the provider sandbox (Bandwidth-compatible APIs, callbacks, control API)."
    # The sandbox must start even while an app's URLs or checks are broken.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025, help="0 picks a free port.")
        parser.add_argument(
            "--callback-url",
            default=None,
            help="The app's base URL, e.g. http://127.0.0.1:8000 (none: callbacks not sent).",
        )
        parser.add_argument("--state-dir", default=None, help="Default: var/provider-sandbox.")
        parser.add_argument("--verification-delay", type=float, default=5.0, metavar="SECONDS")
        parser.add_argument(
            "--block-unverified",
            action="store_true",
            help="Fail sends from non-VERIFIED toll-free numbers with 4795 (the real behaviour).",
        )
        parser.add_argument(
            "--rate-limit", type=float, default=10.0, metavar="SEGMENTS_PER_S", help="0: no limit."
        )
        parser.add_argument("--queue-size", type=int, default=900)
        parser.add_argument(
            "--callback-retry-schedule",
            type=_schedule,
            default=DEFAULT_RETRY_SCHEDULE,
            metavar="S,S,...",
            help="Seconds between callback attempts; the last step repeats.",
        )
        parser.add_argument("--callback-timeout", type=float, default=10.0, metavar="SECONDS")
        parser.add_argument(
            "--callback-concurrency",
            type=_concurrency,
            default=DEFAULT_CALLBACK_CONCURRENCY,
            metavar="N",
            help="Callbacks sent at the same time (sender threads).",
        )
        parser.add_argument("--token-ttl", type=int, default=3600, metavar="SECONDS")
        parser.add_argument(
            "--faults", default=None, metavar="JSON", help='e.g. {"send_500_rate": 0.2}'
        )
        parser.add_argument("--fault-seed", type=int, default=0)
        parser.add_argument("--public-url", default=None, help="Base URL put in media links.")

    def handle(self, *args: Any, **options: Any) -> None:
        config = self._config(options)
        try:
            server = SandboxServer(config)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {config.host}:{config.port}: {exc}") from exc
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        server.start()
        sys.stdout.write(f"Provider sandbox listening on {server.url}\n")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            server.shutdown()

    def _config(self, options: dict[str, Any]) -> SandboxConfig:
        faults: dict[str, Any] = {}
        if options["faults"]:
            try:
                faults = json.loads(options["faults"])
            except ValueError as exc:
                raise CommandError("--faults must be a JSON object") from exc
            if not isinstance(faults, dict):
                raise CommandError("--faults must be a JSON object")
            try:
                FaultInjector().update(faults)
            except FaultsError as exc:
                raise CommandError(f"--faults: {exc}") from exc
        var_dir = Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var"))
        state_dir = Path(options["state_dir"] or var_dir / "provider-sandbox")
        return SandboxConfig(
            host=options["host"],
            port=options["port"],
            callback_url=options["callback_url"] or None,
            state_dir=state_dir,
            account_id=settings.PROVIDER_ACCOUNT_ID or "9900000",
            application_id=settings.PROVIDER_APPLICATION_ID,
            username=settings.PROVIDER_USERNAME,
            password=settings.PROVIDER_PASSWORD,
            client_id=settings.PROVIDER_CLIENT_ID,
            client_secret=settings.PROVIDER_CLIENT_SECRET,
            token_ttl_seconds=options["token_ttl"],
            webhook_username=settings.WEBHOOK_USERNAME,
            webhook_password=settings.WEBHOOK_PASSWORD,
            verification_delay_seconds=options["verification_delay"],
            block_unverified=options["block_unverified"],
            rate_limit_segments_per_second=options["rate_limit"],
            queue_size=options["queue_size"],
            callback_retry_schedule=options["callback_retry_schedule"],
            callback_timeout=options["callback_timeout"],
            callback_concurrency=options["callback_concurrency"],
            fault_seed=options["fault_seed"],
            initial_faults=faults,
            public_url=options["public_url"],
        )
