"""Domain errors of billing: each message is the sentence the user reads.

Raising one changes nothing: the services check before they write.
"""

from common.exceptions import ApplicationError


class ActivityInvalid(ApplicationError):
    """A time entry's fields are not valid (no time, a matter of another firm, …)."""

    error_type = "invalid_activity"


class ActivityBilled(ApplicationError):
    """A billed time entry is part of a bill and cannot change or go."""

    status_code = 409
    error_type = "activity_billed"

    def __init__(self) -> None:
        super().__init__("This time entry is on a bill and can no longer be changed.")


class NothingToBill(ApplicationError):
    status_code = 409
    error_type = "nothing_to_bill"

    def __init__(self) -> None:
        super().__init__("This matter has no unbilled billable time to bill.")


class BillStateInvalid(ApplicationError):
    """The bill is not in the state the action needs (issue a draft, delete a draft, …)."""

    status_code = 409
    error_type = "bill_state"


class BankAccountInvalid(ApplicationError):
    error_type = "invalid_bank_account"


class PaymentLinkInvalid(ApplicationError):
    """A payment link cannot be made as asked (a draft or paid bill, …)."""

    error_type = "invalid_payment_link"


class PaymentLinkUnusable(ApplicationError):
    """The link cannot take a payment: revoked, expired, or its bill is paid. `reason` is
    one of "revoked", "expired", "paid", "in_progress"."""

    status_code = 410
    error_type = "payment_link_unusable"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PaymentInvalid(ApplicationError):
    """The payment form is not valid (amount, card number); nothing was charged."""

    error_type = "invalid_payment"
