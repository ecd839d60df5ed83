"""Signals texting sends for apps that build on it (STYLE.md section 1: they may import
texting, texting never imports them).

`inbound_texts_stored` is sent inside the transaction that stored new inbound texts, once
per batch, with `firm` and `messages` (each new Message, its body decrypted in memory).
A receiver runs in that transaction: it must be quick for texts it does not care about,
and what it writes commits or rolls back with the texts. The calendar reads Y/N replies
(E4) this way.
"""

from django.dispatch import Signal

inbound_texts_stored = Signal()

# Sent when outbound texts reach a final status, DELIVERED or FAILED, with `firm_id` and
# `changes` ({status: [ids of the messages that moved to it]}): from the status callbacks
# (inside event processing's transaction, once per batch) and from the
# failure paths of sending (refused by the provider, out of attempts, opted out). Sent only
# for rows that actually moved, so a repeated callback announces nothing. With no receiver
# connected, sending costs nothing; a receiver must stay cheap when it has nothing to do.
outbound_status_changed = Signal()
