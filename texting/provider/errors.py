"""One exception family for everything that can go wrong talking to the provider.

Callers branch on `error.kind` (or `.final` / `.retryable` / `.outcome_unknown`), not on
isinstance chains:

    FINAL            ProviderRejected, ProviderAuthError, MediaTooLarge — the provider
                     answered and said no (4xx other than 429), or we refused locally
                     before sending. Never retry unchanged. A 4xx on send means "not sent,
                     not billed" (PROVIDER_API.md §1).
    RETRYABLE        ProviderUnavailable — nothing was accepted: connect error/timeout,
                     5xx, 429 (`retry_after` seconds when the provider said). Retry with
                     backoff.
    OUTCOME_UNKNOWN  OutcomeUnknown — a non-idempotent request (POST send) left and the
                     answer was lost (read timeout, dropped connection). The message may
                     or may not be queued: wait for the callback carrying our tag, or look
                     it up; never blindly re-send (the API has no idempotency key).

Exceptions carry ids, status codes, the provider's error type and a redacted description:
never message text, never a full phone number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from .failure_reasons import FailureReason
from .util import redact


class ErrorKind(enum.StrEnum):
    FINAL = "final"
    RETRYABLE = "retryable"
    OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field the provider (or our local validation) refused; description is redacted."""

    field: str
    description: str


class ProviderError(Exception):
    """Base of every provider failure. `operation` names the client method."""

    kind: ClassVar[ErrorKind] = ErrorKind.FINAL

    def __init__(
        self, message: str, *, operation: str = "", http_status: int | None = None
    ) -> None:
        self.message = redact(message)
        self.operation = operation
        self.http_status = http_status
        super().__init__(self.message)

    @property
    def final(self) -> bool:
        return self.kind is ErrorKind.FINAL

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.RETRYABLE

    @property
    def outcome_unknown(self) -> bool:
        return self.kind is ErrorKind.OUTCOME_UNKNOWN

    def __str__(self) -> str:
        parts = [self.operation or "provider"]
        if self.http_status is not None:
            parts.append(f"HTTP {self.http_status}")
        parts.append(self.message)
        return ": ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ProviderRejected(ProviderError):
    """Final: the provider refused the request (4xx other than 429), or we refused it
    locally before any network call (`http_status` is None then).

    `failure_reason` is the C8 reason when the refusal is about the recipient (e.g. an
    invalid destination number); None when it is our own bug or configuration.
    """

    kind = ErrorKind.FINAL

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        http_status: int | None = None,
        error_type: str = "",
        description: str = "",
        field_errors: tuple[FieldError, ...] = (),
        failure_reason: FailureReason | None = None,
    ) -> None:
        super().__init__(message, operation=operation, http_status=http_status)
        self.error_type = error_type
        self.description = redact(description)
        self.field_errors = tuple(
            FieldError(fe.field, redact(fe.description)) for fe in field_errors
        )
        self.failure_reason = failure_reason

    @property
    def local(self) -> bool:
        """True when we refused before sending anything."""
        return self.http_status is None

    def __str__(self) -> str:
        text = super().__str__()
        if self.error_type:
            text += f" [{self.error_type}]"
        if self.field_errors:
            text += " (" + "; ".join(f"{fe.field}: {fe.description}" for fe in self.field_errors)
            text += ")"
        return text


class ProviderAuthError(ProviderRejected):
    """Final: 401/403 — wrong credentials, wrong account id, or a missing role. A
    configuration problem for an admin, not something a retry fixes."""


class MediaTooLarge(ProviderRejected):
    """Final: a media download passed the caller's `max_bytes` and was aborted."""

    def __init__(self, *, operation: str, max_bytes: int, declared: int | None = None) -> None:
        super().__init__(
            f"media larger than {max_bytes} bytes",
            operation=operation,
            error_type="media-too-large",
        )
        self.max_bytes = max_bytes
        self.declared_size = declared


class ProviderUnavailable(ProviderError):
    """Retryable: the provider did not take the request (connect failure, 5xx, 429)."""

    kind = ErrorKind.RETRYABLE

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        http_status: int | None = None,
        retry_after: float | None = None,
        error_type: str = "",
    ) -> None:
        super().__init__(message, operation=operation, http_status=http_status)
        self.retry_after = retry_after
        self.error_type = error_type

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class OutcomeUnknown(ProviderError):
    """The request was sent and the answer lost; the provider may have accepted it.

    Resolve through the callback that echoes our `tag` (or the list API); never re-send
    blindly (PROVIDER_API.md decision 3).
    """

    kind = ErrorKind.OUTCOME_UNKNOWN
