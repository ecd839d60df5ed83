"""JSON-lines log of the texting pipeline's decisions, for the fault runs to read back.

The app's log lines carry ids in `extra` (never bodies or numbers); the plain formatter drops
them. This formatter keeps them, so a fault run can tell which texts had a lost answer
(OutcomeUnknown) and which were sent again after no callback came (the ambiguous window).
"""

import json
import logging
import os

_KEYS = ("firm_id", "message_id", "attempt", "event_id", "event_type")


class EventFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "t": record.created,
            "pid": os.getpid(),
            "logger": record.name,
            "level": record.levelname,
            "msg": str(record.msg),
            "text": record.getMessage(),
        }
        for key in _KEYS:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        return json.dumps(line, default=str)
