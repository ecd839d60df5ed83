"""Settings for the test suite.

Real PostgreSQL and Redis (and a real Celery worker) when DATABASE_URL / REDIS_URL are set,
as in CI; SQLite and in-process tasks when they are not. Nothing here is a secret.
"""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
FIELD_ENCRYPTION_KEYS = ["hUGEpGx1C2Hd1b7iVUiHeWcyQOHQrAO8tO1KNhWmfQ4="]
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="firm-texting-test-media-")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

PROVIDER_API_URL = PROVIDER_API_URL or "http://127.0.0.1:8025"
PROVIDER_ACCOUNT_ID = PROVIDER_ACCOUNT_ID or "9900000"
PROVIDER_USERNAME = PROVIDER_USERNAME or "sandbox"
PROVIDER_PASSWORD = PROVIDER_PASSWORD or "sandbox-password"
# The sandbox accepts any site and peer; Bandwidth gives each account its own.
PROVIDER_SITE_ID = PROVIDER_SITE_ID or "1"
PROVIDER_PEER_ID = PROVIDER_PEER_ID or "1"
WEBHOOK_USERNAME = WEBHOOK_USERNAME or "provider"
WEBHOOK_PASSWORD = WEBHOOK_PASSWORD or "webhook-password"

# High enough that no test meets it; the rate-limit tests set their own.
API_RATE_LIMIT = "100000/min"
# Many tests move the clock hours or days ahead of a signed-in client; sessions must not
# time out under them. The session timeout's own tests set the production values.
SESSION_COOKIE_AGE = 10 * 365 * 24 * 60 * 60
SESSION_IDLE_TIMEOUT_MINUTES = 10 * 365 * 24 * 60

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A local receiver thread on 127.0.0.1 gets the webhooks of the tests (X6).
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=True)
