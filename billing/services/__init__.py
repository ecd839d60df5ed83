"""Every write of billing, by concern:

- activities: time entries and their rates (B1), time logged from a conversation (C12);
- bills: generated from a matter's unbilled time, issued, deleted as drafts (B2);
- payments: bank accounts (B3), payment links (B4) and payments through them (B5).
"""

from .activities import (
    ConversationTime,
    activity_create,
    activity_delete,
    activity_update,
    conversation_time_defaults,
    timekeeper_rate,
    timekeeper_rate_set,
)
from .bills import bill_delete, bill_generate, bill_issue
from .payments import (
    bank_account_create,
    payment_link_create,
    payment_link_find,
    payment_link_problem,
    payment_link_revoke,
    payment_submit,
)

__all__ = [
    "ConversationTime",
    "activity_create",
    "activity_delete",
    "activity_update",
    "bank_account_create",
    "bill_delete",
    "bill_generate",
    "bill_issue",
    "conversation_time_defaults",
    "payment_link_create",
    "payment_link_find",
    "payment_link_problem",
    "payment_link_revoke",
    "payment_submit",
    "timekeeper_rate",
    "timekeeper_rate_set",
]
