"""The embedded default: `make run` on a fresh machine with nothing installed.

SQLite under var/, tasks in process (unless REDIS_URL is set), local files, and the provider
sandbox on 127.0.0.1:8025. Secrets not given in the environment are generated once and kept
in var/dev-secrets.json so sessions and encrypted rows survive a restart.
"""

from common.devsecrets import dev_fernet_key, dev_secret

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or dev_secret(VAR_DIR, "DJANGO_SECRET_KEY")  # noqa: F405
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [dev_fernet_key(VAR_DIR)]  # noqa: F405
ALLOWED_HOSTS = ["*"]

SANDBOX_PORT = env.int("PROVIDER_SANDBOX_PORT", default=8025)
PROVIDER_API_URL = PROVIDER_API_URL or f"http://127.0.0.1:{SANDBOX_PORT}"  # noqa: F405
PROVIDER_ACCOUNT_ID = PROVIDER_ACCOUNT_ID or "9900000"  # noqa: F405
PROVIDER_APPLICATION_ID = PROVIDER_APPLICATION_ID or "sandbox-application"  # noqa: F405
PROVIDER_USERNAME = PROVIDER_USERNAME or "sandbox"  # noqa: F405
PROVIDER_PASSWORD = PROVIDER_PASSWORD or dev_secret(VAR_DIR, "PROVIDER_PASSWORD")  # noqa: F405
WEBHOOK_USERNAME = WEBHOOK_USERNAME or "provider"  # noqa: F405
WEBHOOK_PASSWORD = WEBHOOK_PASSWORD or dev_secret(VAR_DIR, "WEBHOOK_PASSWORD")  # noqa: F405

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
