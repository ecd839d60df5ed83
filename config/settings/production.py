"""Production: PostgreSQL, Redis, a separate Celery worker and beat, S3-compatible storage.

No secret or URL has a default here. A missing one stops the process at boot with a
sentence naming every variable that is missing, rather than starting half-configured.
"""

from django.core.exceptions import ImproperlyConfigured

from common.fernet_keys import invalid_fernet_keys

from .base import *  # noqa: F403
from .base import env

DEBUG = False


def _file_or_env(name: str) -> str:
    """A secret from NAME, or from the file NAME_FILE points at (a mounted secret)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return env.str(name, default="")


SECRET_KEY = _file_or_env("DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEYS = [k for k in _file_or_env("FIELD_ENCRYPTION_KEYS").split(",") if k]
PROVIDER_PASSWORD = _file_or_env("PROVIDER_PASSWORD") or PROVIDER_PASSWORD
PROVIDER_CLIENT_SECRET = _file_or_env("PROVIDER_CLIENT_SECRET") or PROVIDER_CLIENT_SECRET
WEBHOOK_PASSWORD = _file_or_env("WEBHOOK_PASSWORD") or WEBHOOK_PASSWORD
WEBPUSH_VAPID_PRIVATE_KEY = _file_or_env("WEBPUSH_VAPID_PRIVATE_KEY") or WEBPUSH_VAPID_PRIVATE_KEY
METRICS_TOKEN = _file_or_env("METRICS_TOKEN") or METRICS_TOKEN

_required = {
    "DJANGO_SECRET_KEY": SECRET_KEY,
    "DATABASE_URL": env.str("DATABASE_URL", default=""),
    "REDIS_URL": REDIS_URL,
    "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
    "PROVIDER_API_URL": PROVIDER_API_URL or PROVIDER_MESSAGING_URL,
    "PROVIDER_ACCOUNT_ID": PROVIDER_ACCOUNT_ID,
    "PROVIDER_APPLICATION_ID": PROVIDER_APPLICATION_ID,
    "PROVIDER_CLIENT_ID/PROVIDER_CLIENT_SECRET or PROVIDER_USERNAME/PROVIDER_PASSWORD": (
        (PROVIDER_CLIENT_ID and PROVIDER_CLIENT_SECRET) or (PROVIDER_USERNAME and PROVIDER_PASSWORD)
    ),
    "WEBHOOK_USERNAME": WEBHOOK_USERNAME,
    "WEBHOOK_PASSWORD": WEBHOOK_PASSWORD,
}
_missing = [name for name, value in _required.items() if not value]
if _missing:
    raise ImproperlyConfigured(
        "Production settings cannot start: set "
        + ", ".join(_missing)
        + " in the environment (see .env.example)."
    )
_bad_keys = invalid_fernet_keys(FIELD_ENCRYPTION_KEYS)
if _bad_keys:
    raise ImproperlyConfigured(
        f"FIELD_ENCRYPTION_KEYS has {len(_bad_keys)} value(s) that are not Fernet keys "
        "(32 url-safe base64 bytes); generate one with "
        "`python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'`."
    )
# Web Push is optional, but half a configuration is a mistake to report at boot.
_webpush = {
    "WEBPUSH_VAPID_PUBLIC_KEY": WEBPUSH_VAPID_PUBLIC_KEY,
    "WEBPUSH_VAPID_PRIVATE_KEY": WEBPUSH_VAPID_PRIVATE_KEY,
    "WEBPUSH_VAPID_SUBJECT": WEBPUSH_VAPID_SUBJECT,
}
if any(_webpush.values()) and not all(_webpush.values()):
    raise ImproperlyConfigured(
        "Web Push needs all of "
        + ", ".join(_webpush)
        + "; set the missing ones or none (see .env.example)."
    )
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")

# Behind a TLS-terminating proxy. HTTPS only, cookies only over HTTPS; the headers every
# environment sends (CSP, nosniff, Referrer-Policy, ...) are in base.py.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Webhooks go to public https URLs only (X6); never to our own network.
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
