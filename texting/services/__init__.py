"""Every write of texting, by concern:

- provider_events: callbacks stored once, the answer to callers (C11);
- event_processing: stored callbacks applied by the worker, a firm's backlog in batches;
- sending: outbound texts, the outbox, delivery status, retries (C5, C8);
- outbox: the sweeper that re-drives tasks a lost broker message or a dead worker left (N1);
- receiving: inbound texts into conversations (C6); media: MMS attachments (C7);
- optouts: STOP/START/HELP and the opt-out list (C10);
- reading: read state and unread counts (C9);
- notifications: badge and push preferences, browsers' push subscriptions, Web Push (S5, C9).
"""

from .event_processing import provider_event_process, provider_events_drain
from .outbox import SweepReport, outbox_sweep
from .provider_events import (
    messaging_events_record,
    verification_event_record,
    verification_status_apply,
    voice_event_answer,
)

__all__ = [
    "SweepReport",
    "messaging_events_record",
    "outbox_sweep",
    "provider_event_process",
    "provider_events_drain",
    "verification_event_record",
    "verification_status_apply",
    "voice_event_answer",
]
