"""The provider client package: everything the product does with the SMS provider.

    from texting.provider import ProviderClient, ProviderRejected, failure_for_code

See client.py (the client and the SmsProvider protocol), errors.py (final / retryable /
outcome unknown), failure_reasons.py (errorCode → C8 reason, retry policy, guidance),
types.py (frozen results), callbacks.py (webhook body parsers), config.py (settings).
"""

from .auth import clear_token_cache
from .callbacks import (
    MalformedCallback,
    MessageEvent,
    MessageEventType,
    VerificationEvent,
    VoiceEvent,
    parse_message_callbacks,
    parse_verification_callback,
    parse_voice_callback,
)
from .client import ProviderClient, SmsProvider
from .config import AuthMode, ProviderConfig
from .errors import (
    ErrorKind,
    FieldError,
    MediaTooLarge,
    OutcomeUnknown,
    ProviderAuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from .failure_reasons import (
    GUIDANCE,
    Failure,
    FailureReason,
    RetryPolicy,
    failure_for_code,
    offers_retry,
)
from .types import (
    AvailableNumbers,
    BusinessAddress,
    BusinessContact,
    DenialReason,
    MalformedResponse,
    MediaFile,
    MessagePage,
    MessageRecord,
    MessageStatus,
    NumberOrder,
    OptInWorkflow,
    OrderStatus,
    SentMessage,
    VerificationRequest,
    VerificationState,
    VerificationStatus,
    WebhookSubscription,
)
from .util import mask_number, parse_timestamp

__all__ = [
    "GUIDANCE",
    "AuthMode",
    "AvailableNumbers",
    "BusinessAddress",
    "BusinessContact",
    "DenialReason",
    "ErrorKind",
    "Failure",
    "FailureReason",
    "FieldError",
    "MalformedCallback",
    "MalformedResponse",
    "MediaFile",
    "MediaTooLarge",
    "MessageEvent",
    "MessageEventType",
    "MessagePage",
    "MessageRecord",
    "MessageStatus",
    "NumberOrder",
    "OptInWorkflow",
    "OrderStatus",
    "OutcomeUnknown",
    "ProviderAuthError",
    "ProviderClient",
    "ProviderConfig",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "RetryPolicy",
    "SentMessage",
    "SmsProvider",
    "VerificationEvent",
    "VerificationRequest",
    "VerificationState",
    "VerificationStatus",
    "VoiceEvent",
    "WebhookSubscription",
    "clear_token_cache",
    "failure_for_code",
    "mask_number",
    "offers_retry",
    "parse_message_callbacks",
    "parse_timestamp",
    "parse_verification_callback",
    "parse_voice_callback",
]
