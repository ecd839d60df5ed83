"""The SMS provider interface the product codes against; ProviderClient implements it.

Type services and tasks with `SmsProvider` so a different provider (or client) can be
dropped in; the frozen result types and the exception family are part of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .types import (
    MediaFile,
    MessagePage,
    NumberOrder,
    SentMessage,
    VerificationRequest,
    VerificationStatus,
    WebhookSubscription,
)


@runtime_checkable
class SmsProvider(Protocol):
    """What the product needs from the SMS provider; ProviderClient implements it."""

    def send_message(
        self,
        *,
        from_number: str,
        to: str | Sequence[str],
        text: str,
        tag: str,
        priority: str = "default",
    ) -> SentMessage: ...

    def list_messages(self, **filters: Any) -> MessagePage: ...

    def download_media(self, media_url: str, *, max_bytes: int) -> MediaFile: ...

    def tfv_submit(self, request: VerificationRequest | Mapping[str, Any]) -> None: ...

    def tfv_status(self, phone_number: str) -> VerificationStatus: ...

    def tfv_resubmit(
        self, phone_number: str, submission: VerificationRequest | Mapping[str, Any]
    ) -> None: ...

    def tfv_subscribe_webhook(
        self,
        callback_url: str,
        username: str | None = None,
        password: str | None = None,
        shared_secret: str | None = None,
    ) -> WebhookSubscription: ...

    def tfv_webhook_subscriptions(self) -> list[WebhookSubscription]: ...

    def search_toll_free(self, pattern: str = "8**", quantity: int = 1) -> list[str]: ...

    def order_numbers(
        self, numbers: Sequence[str], *, site_id: str, peer_id: str, name: str | None = None
    ) -> NumberOrder: ...

    def order_status(self, order_id: str) -> NumberOrder: ...
