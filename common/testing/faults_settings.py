"""Settings for the processes of a fault run (worker, web server): the test settings, plus
the texting pipeline's decisions written as JSON lines to $FAULTS_EVENT_LOG."""

import os

from config.settings.test import *  # noqa: F403

_EVENT_LOG = os.environ.get("FAULTS_EVENT_LOG", "")
if _EVENT_LOG:
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "events": {"()": "common.testing.faultlog.EventFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain"},
            "events": {
                "class": "logging.FileHandler",
                "filename": _EVENT_LOG,
                "formatter": "events",
            },
        },
        "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
        "loggers": {"texting": {"handlers": ["events"], "level": "INFO", "propagate": False}},
    }
