"""Print a new VAPID key pair for Web Push: `webpush_vapid_keys`, lines for the environment."""

from typing import Any

from django.core.management.base import BaseCommand

from texting.webpush import vapid_key_pair


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair as WEBPUSH_VAPID_PUBLIC_KEY / WEBPUSH_VAPID_PRIVATE_KEY "
        "lines. Changing the pair later makes every browser subscribe again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = vapid_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}")
