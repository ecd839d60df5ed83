"""Settings shared by every environment; everything configurable comes from the environment.

local.py, test.py and production.py only override. Variables are listed, with what they do,
in .env.example.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("FIRM_TEXTING_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "common",
    "accounts",
    "contacts",
    "matters",
    "texting",
    "calendar_events",
    "billing",
    "integrations",
    "provider_sandbox",
    "demo",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (and provider webhooks are timed).
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy; every page and partial gets one.
    "csp.middleware.CSPMiddleware",
    "common.security_headers.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Before the firm is resolved: an idle or too old session is signed out first.
    "common.session_timeout.SessionTimeoutMiddleware",
    # Must come after authentication: resolves request.firm and opens the firm scope.
    "accounts.middleware.FirmMiddleware",
    # Last (django-axes): turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.firm",
            ],
        },
    }
]

# --- Data ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Services own their transactions (STYLE.md section 7).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker thread writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Lets common/prepared.py prepare the few statements it runs; Django's own queries are
    # still sent as text (its cursors never prepare). Behind a pooler in transaction mode
    # that does not keep prepared statements (PgBouncer before 1.21), set it to false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "common.cache.ReusingRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Message bodies and media metadata are encrypted with these (newest first, comma-separated
# Fernet keys). Old keys stay in the list until `rotate_encryption_keys` has run.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Files --------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# S3-compatible storage (AWS S3, MinIO, ...) when a bucket is named; local files otherwise.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
    # Client documents are private: no public ACL, short-lived signed URLs, unique names.
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = 300
    AWS_S3_FILE_OVERWRITE = False
    DEFAULT_FILE_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
else:
    DEFAULT_FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"

STORAGES = {
    "default": {"BACKEND": DEFAULT_FILE_STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Time and language --------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # firm time zones are for display and scheduling only
USE_I18N = True
USE_TZ = True

# --- Auth ---------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before the password is even checked (django-axes).
    "accounts.lockout.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in lockout: after LOGIN_FAILURE_LIMIT wrong passwords for one email from one address,
# that pair is refused for LOGIN_LOCKOUT_MINUTES (from the last try); a success resets the
# count. Per pair, so a guesser cannot lock a colleague out from elsewhere. Unlock early
# with `python manage.py axes_reset_username <email>`.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # SignInForm's email field keeps Django's name
AXES_USERNAME_CALLABLE = "accounts.lockout.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
# Reverse proxies in front of Django that append to X-Forwarded-For (0: none, the client is
# REMOTE_ADDR). Counted from the right, so addresses a client forges on the left are ignored.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A sign-in lasts at most a working day, however busy; and ends after SESSION_IDLE_TIMEOUT_
# MINUTES without a click (background polls do not count): common/session_timeout.py.
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_HOURS", default=12) * 60 * 60
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=120)
# Every page and every poll reads the session: from the cache (Redis in production), with
# the database as the store of record. One SQL query less per request. (Django's cached_db
# store, which also starts the session timeout's clocks at sign-in.)
SESSION_ENGINE = "common.session_timeout"

# --- Security headers ---------------------------------------------------------------------

# In every environment, so tests and browser tests catch what the policy would block. HSTS,
# the HTTPS redirect and secure cookies are production's (production.py).
# No inline scripts or styles anywhere: JavaScript lives in static/js (a <script> tag carries
# the request's nonce), styles in static/css; htmx's own indicator styles are switched off
# (base.html's htmx-config) and the API docs page widens it for itself (security_headers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "worker-src": [SELF],  # the Web Push service worker, /sw.js
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # the pay page sets a stricter one of its own
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses (common.security_headers.PermissionsPolicyMiddleware);
# clipboard and notifications stay allowed: copy buttons and Web Push use them.
PERMISSIONS_POLICY = [
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "usb",
]

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.FirmTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsFirmMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.EnvelopeCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "common.api.errors.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per API token (per user for session calls), counted in CACHES["default"].
    "DEFAULT_THROTTLE_CLASSES": ["common.api.throttling.ApiTokenRateThrottle"],
}
# Requests each API token may make, e.g. "600/min" or "20/s"; 429 with Retry-After beyond.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")

SPECTACULAR_SETTINGS = {
    "TITLE": "Firm Texting API",
    # The "first request in five minutes" guide (docs/api.md) opens the interactive docs.
    "DESCRIPTION": (BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a `status`; name each choice set after its resource.
    "ENUM_NAME_OVERRIDES": {
        "MatterStatusEnum": "matters.models.Matter.Status",
        "TextMessageStatusEnum": "texting.models.Message.Status",
    },
}

# --- Celery -------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Without a broker, tasks run in the calling process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A killed worker must not lose the task: acknowledge after the task ran, and requeue it
# when the worker process dies (RELIABILITY.md section 2).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup otherwise opens a new database connection for every task: a new
# PostgreSQL backend each time. Reused, the connection gets Django's request treatment
# before each task instead (CONN_MAX_AGE, health check) and is dropped after a failure
# (config/celery.py). Closed anyway after this many tasks.
CELERY_DB_REUSE_MAX = 1000
# Sends get a queue of their own, so a backlog of thousands of outbound texts (a bulk
# send, or texts waiting for the provider's rate) never holds up the processing of what
# clients text in and of delivery callbacks. Workers consume every queue listed here
# (started without -Q), one after the other, so both always make progress.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES: dict[str, dict[str, str]] = {"celery": {}, "texting.outbound": {}}
CELERY_TASK_ROUTES = {
    "texting.message_deliver": {"queue": "texting.outbound"},
    "texting.outbound_drain": {"queue": "texting.outbound"},
    "texting.message_reconcile": {"queue": "texting.outbound"},
}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Above the largest countdown any task uses, or Redis redelivers it in a loop.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "common.worker_heartbeat", "schedule": 30.0},
    # Re-enqueues texts whose task was lost and reconciles sends a dead worker left behind.
    "texting-outbox-sweep": {
        "task": "texting.outbox_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Calendar texts (E2, E3): notices held for quiet hours, and reminders as they fall due.
    "calendar-automated-texts": {
        "task": "calendar_events.automated_texts_dispatch",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Webhooks for integrators (X6): deliveries whose task was lost, or whose retry is due.
    "integrations-webhook-sweep": {
        "task": "integrations.webhook_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # S3's fallback: the status of verifications pending for a while, if a webhook was lost.
    "texting-verification-poll": {
        "task": "texting.verification_statuses_poll",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
}

# --- Provider (Bandwidth or the provider sandbox) -----------------------------------------

PROVIDER_API_URL = env.str("PROVIDER_API_URL", default="")
PROVIDER_ACCOUNT_ID = env.str("PROVIDER_ACCOUNT_ID", default="")
PROVIDER_APPLICATION_ID = env.str("PROVIDER_APPLICATION_ID", default="")
PROVIDER_CLIENT_ID = env.str("PROVIDER_CLIENT_ID", default="")
PROVIDER_CLIENT_SECRET = env.str("PROVIDER_CLIENT_SECRET", default="")
PROVIDER_USERNAME = env.str("PROVIDER_USERNAME", default="")
PROVIDER_PASSWORD = env.str("PROVIDER_PASSWORD", default="")
# Bandwidth splits its APIs across hosts; each family may override PROVIDER_API_URL.
PROVIDER_MESSAGING_URL = env.str("PROVIDER_MESSAGING_URL", default="")
PROVIDER_NUMBERS_URL = env.str("PROVIDER_NUMBERS_URL", default="")
PROVIDER_VERIFICATION_URL = env.str("PROVIDER_VERIFICATION_URL", default="")
PROVIDER_OAUTH_URL = env.str("PROVIDER_OAUTH_URL", default="")
# Where toll-free numbers ordered through the numbers API are put (Bandwidth's sub-account
# "site" and its SIP peer "location"); seed_demo orders each demo firm's number with them.
PROVIDER_SITE_ID = env.str("PROVIDER_SITE_ID", default="")
PROVIDER_PEER_ID = env.str("PROVIDER_PEER_ID", default="")
# Seconds: connect (a little over a multiple of 3, the TCP retransmit window) and read, on
# every provider call. A read timeout on a send is "outcome unknown", never a blind re-send.
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=3.05)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=10.0)
# The provider's send rate for the whole account, in segments per second, shared by every
# worker through Redis (0: no limit). Bandwidth's default for a new account is 1.
PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND = env.float(
    "PROVIDER_RATE_LIMIT_SEGMENTS_PER_SECOND", default=10.0
)
WEBHOOK_USERNAME = env.str("WEBHOOK_USERNAME", default="")
WEBHOOK_PASSWORD = env.str("WEBHOOK_PASSWORD", default="")

# --- Texting --------------------------------------------------------------------------------

# Largest inbound MMS attachment downloaded and kept (bytes); larger ones are refused with
# "attachment not accepted (file over 5 MB)" and not stored (C7).
TEXTING_MEDIA_MAX_BYTES = env.int("TEXTING_MEDIA_MAX_BYTES", default=5 * 1024 * 1024)

# --- Texting outbox (texting/services/sending.py) -------------------------------------------

# Seconds a send whose answer was lost (timeout after the request left) waits for a status
# callback carrying our tag before it is sent again (PROVIDER_API.md decision 3).
TEXTING_OUTCOME_WAIT_SECONDS = env.float("TEXTING_OUTCOME_WAIT_SECONDS", default=120.0)
# A queued text this many seconds past its next attempt lost its task: the sweeper
# re-enqueues it.
TEXTING_SWEEP_GRACE_SECONDS = env.float("TEXTING_SWEEP_GRACE_SECONDS", default=300.0)
# Backoff of retries after provider 5xx/429/connection errors (exponential, full jitter).
TEXTING_RETRY_BACKOFF_SECONDS = env.int("TEXTING_RETRY_BACKOFF_SECONDS", default=5)
TEXTING_RETRY_BACKOFF_MAX_SECONDS = env.int("TEXTING_RETRY_BACKOFF_MAX_SECONDS", default=600)
# When the provider refuses our credentials or configuration, texts wait this long.
TEXTING_CONFIGURATION_RETRY_SECONDS = env.float(
    "TEXTING_CONFIGURATION_RETRY_SECONDS", default=600.0
)
# Provider calls one text may take in all before it fails as a temporary error.
TEXTING_MAX_SEND_ATTEMPTS = env.int("TEXTING_MAX_SEND_ATTEMPTS", default=20)
# Provider calls a firm's outbound drain makes at once (threads that only wait for the
# provider's answers; the database work stays in the drain's own thread).
TEXTING_DRAIN_SENDERS = env.int("TEXTING_DRAIN_SENDERS", default=4)

# --- Web Push (C9): notifications of new texts to members who turned push on (S5) ----------

# The VAPID key pair the push services know this server by (RFC 8292), base64url: the public
# key as the browser's applicationServerKey (an uncompressed P-256 point), the private key as
# its 32 raw bytes; the subject is a mailto: address push services may write to. Generate a
# pair with `python manage.py webpush_vapid_keys`. Any of the three unset: push is "not
# configured", the Notifications page says so, and nothing is sent.
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default="")
# Seconds a push service keeps a notification for a phone that is offline: a "new text"
# alert that arrives much later is noise (the badge and the thread have it by then).
WEBPUSH_TTL_SECONDS = env.int("WEBPUSH_TTL_SECONDS", default=600)
# Subscriptions must name an https endpoint on a DNS name; plain http and IP addresses (a
# local test push service) only with DEBUG or this set.
WEBPUSH_ALLOW_HTTP_ENDPOINTS = env.bool("WEBPUSH_ALLOW_HTTP_ENDPOINTS", default=False)

# --- Webhooks for integrators (X6, integrations/) -----------------------------------------

# Off (production): endpoint URLs must be https and resolve to public addresses only, checked
# when an endpoint is added and on every connection (against DNS rebinding). On (local and
# test settings): http and private or loopback addresses are accepted, for a local receiver.
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=False)
# Attempts per delivery in all (the first one included) before it is marked failed.
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6)
# Seconds before the 2nd, 3rd, ... attempt (the last value repeats).
WEBHOOKS_RETRY_SCHEDULE_SECONDS = [
    int(s)
    for s in env.list(
        "WEBHOOKS_RETRY_SCHEDULE_SECONDS", default=["30", "120", "600", "3600", "21600"]
    )
]
# Connect and read timeout of each POST, in seconds.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
# A delivery due this many seconds ago lost its task: the sweep enqueues it again.
WEBHOOKS_SWEEP_GRACE_SECONDS = env.float("WEBHOOKS_SWEEP_GRACE_SECONDS", default=60.0)
# Retries further off than this go through the sweep, not a broker countdown (it must stay
# under CELERY_BROKER_TRANSPORT_OPTIONS' visibility_timeout).
WEBHOOKS_MAX_COUNTDOWN_SECONDS = env.float("WEBHOOKS_MAX_COUNTDOWN_SECONDS", default=3600.0)

# --- Billing: the payment gateway behind payment links (B5) ---------------------------------

# "sandbox" (billing/gateway.py: test cards decide the outcome; no money moves) is the only
# gateway so far; a real processor implements billing.gateway.PaymentGateway.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
# Calendar texts (E3): a dispatch run stops starting texts after this long, inside the task's
# soft time limit (CELERY_TASK_SOFT_TIME_LIMIT); the rest go in the next run, a minute later.
CALENDAR_DISPATCH_SECONDS = env.int("CALENDAR_DISPATCH_SECONDS", default=200)

# --- Metrics (issue 9) ----------------------------------------------------------------------

# /metrics (Prometheus text format) answers only `Authorization: Bearer <METRICS_TOKEN>`;
# unset, /metrics does not exist (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Logging: no message bodies or phone numbers, ever (STYLE.md section 10) ---------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# json: one object per line (time, level, logger, message, request_id, task_id, ids) for a
# log shipper; plain: one readable line for a terminal. Both mask phone numbers.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "common.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "common.logging.JsonFormatter"},
        "plain": {"()": "common.logging.PlainFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own handlers (a DEBUG console, runserver's request lines) write unmasked
    # plain text: dropped, so everything goes through the root's handler above.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        # axes logs every sign-in attempt at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        # At DEBUG it logs each request's host and path: a webhook receiver's path or query
        # may carry its credentials, a provider path a phone number.
        "urllib3": {"level": "WARNING"},
    },
}
