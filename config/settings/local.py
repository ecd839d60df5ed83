"""The embedded default: `make run` on a fresh machine with nothing installed.

SQLite under var/, tasks in process (unless REDIS_URL is set), local files, and the provider
sandbox on 127.0.0.1:8025. Secrets not given in the environment are generated once and kept
in var/dev-secrets.json so sessions and encrypted rows survive a restart.
"""

from django.core.exceptions import ImproperlyConfigured

from common.devsecrets import dev_fernet_key, dev_secret

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
if not SECRET_KEY:  # from DJANGO_SECRET_KEY
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: a development key is generated only with DEBUG on."
        )
    SECRET_KEY = dev_secret(VAR_DIR, "DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [dev_fernet_key(VAR_DIR)]
ALLOWED_HOSTS = ["*"]

SANDBOX_PORT = env.int("PROVIDER_SANDBOX_PORT", default=8025)
PROVIDER_API_URL = PROVIDER_API_URL or f"http://127.0.0.1:{SANDBOX_PORT}"
PROVIDER_ACCOUNT_ID = PROVIDER_ACCOUNT_ID or "9900000"
PROVIDER_APPLICATION_ID = PROVIDER_APPLICATION_ID or "sandbox-application"
PROVIDER_USERNAME = PROVIDER_USERNAME or "sandbox"
PROVIDER_PASSWORD = PROVIDER_PASSWORD or dev_secret(VAR_DIR, "PROVIDER_PASSWORD")
# The sandbox accepts any site and peer; Bandwidth gives each account its own.
PROVIDER_SITE_ID = PROVIDER_SITE_ID or "1"
PROVIDER_PEER_ID = PROVIDER_PEER_ID or "1"
WEBHOOK_USERNAME = WEBHOOK_USERNAME or "provider"
WEBHOOK_PASSWORD = WEBHOOK_PASSWORD or dev_secret(VAR_DIR, "WEBHOOK_PASSWORD")

# `make run` prints readable lines (still masked); LOG_FORMAT=json for JSON as in production.
LOGGING["handlers"]["console"]["formatter"] = env.str("LOG_FORMAT", default="plain")

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Webhooks may go to a receiver on this machine or the local network (X6).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)
