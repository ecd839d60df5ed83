"""Domain errors of texting: each message is the sentence the user reads.

Views turn them into form errors, the API into the status named here (400 unless said).
Raising one changes nothing: the services check before they write.
"""

from common.exceptions import ApplicationError


class TextingUnavailable(ApplicationError):
    """The firm's plan or region has no texting (T3)."""

    status_code = 403
    error_type = "texting_unavailable"


class NoTollFreeNumber(ApplicationError):
    """The firm has no toll-free number to text from yet (S2)."""

    status_code = 409
    error_type = "no_toll_free_number"

    def __init__(self) -> None:
        super().__init__(
            "Your firm has no texting number yet. An admin can get one in Settings → Texting."
        )


class NoTextingNumber(ApplicationError):
    """The contact has no phone number marked for texting."""

    error_type = "no_texting_number"

    def __init__(self) -> None:
        super().__init__(
            "This contact has no texting number. Mark one of their mobile numbers as the "
            "texting number first.",
            fields={"contact_id": ["This contact has no texting number."]},
        )


class EmptyMessage(ApplicationError):
    error_type = "empty_message"

    def __init__(self) -> None:
        super().__init__("Write a message before sending.", fields={"body": ["Write a message."]})


class MessageTooLong(ApplicationError):
    """Over the provider's limit for one text (C5)."""

    error_type = "message_too_long"

    def __init__(self, *, length: int, limit: int) -> None:
        sentence = f"A text can have at most {limit} characters; this one has {length}."
        super().__init__(sentence, fields={"body": [sentence]})


class MessageNotRetryable(ApplicationError):
    """Retry asked for a text that cannot be retried (C8): the sentence says why."""

    status_code = 409
    error_type = "not_retryable"


class NotFirmAdmin(ApplicationError):
    """Only the firm's admins set up texting and change its settings (T2)."""

    status_code = 403
    error_type = "permission_denied"

    def __init__(self) -> None:
        super().__init__("Only the firm's admins can change text messaging settings.")


class SetupInProgress(ApplicationError):
    """Another request is setting texting up for this firm right now (S2)."""

    status_code = 409
    error_type = "setup_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "Text messaging is being set up for your firm right now. Reload the page in a "
            "minute to see the result."
        )


class SetupFailed(ApplicationError):
    """The provider could not order the number or take the verification request (S2)."""

    status_code = 502
    error_type = "provider_error"


class InvalidSettings(ApplicationError):
    """Settings input the service refuses; the forms refuse it first, with the same words."""

    error_type = "invalid_request"


class PushNotConfigured(ApplicationError):
    """The server has no VAPID keys (C9): nothing can be subscribed or sent."""

    status_code = 409
    error_type = "push_not_configured"

    def __init__(self) -> None:
        super().__init__("Push is not configured on this server.")


class InvalidPushSubscription(ApplicationError):
    """What the browser sent as its push subscription is not one (C9)."""

    error_type = "invalid_subscription"


class PushSubscriptionNotFound(ApplicationError):
    """The member has no subscription with that endpoint (another's is not found either)."""

    status_code = 404
    error_type = "not_found"

    def __init__(self) -> None:
        super().__init__("Not found.")


class PushEndpointTaken(ApplicationError):
    """The browser's subscription belongs to another account: it must subscribe anew."""

    status_code = 409
    error_type = "endpoint_taken"

    def __init__(self) -> None:
        super().__init__(
            "This browser's push subscription belongs to another account; subscribe again."
        )
