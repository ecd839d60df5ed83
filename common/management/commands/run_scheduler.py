"""The embedded default's scheduler: runs CELERY_BEAT_SCHEDULE's periodic tasks in process.

Production runs `celery beat` beside the workers. On the embedded default (`make run`, no
Redis) tasks run in the calling process, so this loop stands in for beat: every task of
the schedule runs at its interval (schedules in seconds), here, one at a time.
"""

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process (embedded default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every task once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.REDIS_URL:
            raise CommandError("REDIS_URL is set: run `celery -A config beat` instead.")
        app.loader.import_default_modules()  # register every app's tasks
        beat: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        schedule = {name: (entry["task"], float(entry["schedule"])) for name, entry in beat.items()}
        due = dict.fromkeys(schedule, 0.0)
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            now = time.monotonic()
            for name, (task_name, interval) in schedule.items():
                if due[name] <= now:
                    due[name] = now + interval
                    try:
                        app.tasks[task_name].apply_async()
                    except Exception:  # one failing task must not stop the others
                        logger.exception("scheduled task failed", extra={"task": task_name})
            if options["once"]:
                return
            time.sleep(1.0)
