"""Django settings for Baobab, read only from environment variables.

With nothing set, Baobab runs in its embedded mode: SQLite (WAL) in a local
data folder, tasks in process, e-mail written to files. A production
deployment sets at least ``SECRET_KEY``, ``ALLOWED_HOSTS`` and usually
``DATABASE_URL`` and ``CELERY_BROKER_URL``; see the README.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable; refuse values that are neither."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


DEBUG = env_bool("DEBUG", False)

DATA_DIR = Path(os.environ.get("BAOBAB_DATA_DIR", BASE_DIR.parent / "data")).resolve()

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value for a "
            "production deployment, or DEBUG=true to try Baobab on this machine."
        )
    SECRET_KEY = "baobab-insecure-debug-only-key"  # noqa: S105 - only with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. List the host names this deployment answers to, "
        "separated by commas (for example ALLOWED_HOSTS=cert.example.org)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "baobab.core",
    "baobab.directory",
    "baobab.pipeline",
    "baobab.notify",
    "baobab.sharing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "baobab.core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "baobab.urls"
WSGI_APPLICATION = "baobab.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "baobab.core.context_processors.community",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "baobab.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "TEST_DATABASE_NAME", "test_baobab"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Login throttling: a user name and address pair is locked out after
# LOGIN_FAILURE_LIMIT failures, for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("pt", _("Portuguese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (report attachments): served only through views that check
# who may see them, never as plain media.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Baobab's own settings.
COMMUNITY_NAME = os.environ.get("COMMUNITY_NAME", "Baobab community")
SECURITY_CONTACT = os.environ.get("SECURITY_CONTACT", "mailto:security@example.org")
SECURITY_POLICY_URL = os.environ.get("SECURITY_POLICY_URL", "")
# Seconds a process trusts its in-memory look-up index before checking the
# database for changes made by other processes.
LOOKUP_INDEX_RECHECK_SECONDS = float(os.environ.get("LOOKUP_INDEX_RECHECK_SECONDS", "2"))

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "baobab.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "baobab.core.api.permissions.SecondFactorPassed",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baobab API",
    "DESCRIPTION": "The REST API of Baobab, the platform for CSIRT communities.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "baobab.directory.choices.OrganisationKind",
        "ContactKindEnum": "baobab.directory.choices.ContactKind",
        "ClaimKindEnum": "baobab.directory.choices.ClaimKind",
        "PhoneKindEnum": "baobab.directory.choices.PhoneKind",
        "HolderKindEnum": "baobab.directory.choices.HolderKind",
        "QueryKindEnum": ["ip", "prefix", "asn", "domain", "url", "country"],
        "TaxonomyEnum": "baobab.pipeline.choices.Taxonomy",
        "CollectorEnum": "baobab.pipeline.choices.Collector",
        "RunStatusEnum": "baobab.pipeline.choices.RunStatus",
        "QuarantineStatusEnum": "baobab.pipeline.choices.QuarantineStatus",
        "TlpEnum": "baobab.core.choices.TLP",
        "RecipientKindEnum": "baobab.notify.choices.RecipientKind",
        "MessageStatusEnum": "baobab.notify.choices.MessageStatus",
    },
}

# --- Tasks ------------------------------------------------------------------
# --- Pipeline ------------------------------------------------------------------
# Reports are cut into chunks of about this many bytes, each one task.
PIPELINE_CHUNK_BYTES = int(os.environ.get("PIPELINE_CHUNK_BYTES", str(4 * 1024 * 1024)))
# Without a broker, chunks are written about this many bytes of report to a
# transaction (fewer commits write far fewer index pages).
PIPELINE_TRANSACTION_BYTES = int(
    os.environ.get("PIPELINE_TRANSACTION_BYTES", str(16 * 1024 * 1024))
)
# Collectors: the largest report accepted, and the folders file feeds may read.
COLLECTOR_MAX_BYTES = int(os.environ.get("COLLECTOR_MAX_BYTES", str(512 * 1024 * 1024)))
COLLECTOR_FILE_ROOTS = [
    Path(path)
    for path in os.environ.get("COLLECTOR_FILE_ROOTS", str(DATA_DIR / "inbox")).split(",")
    if path.strip()
]
# Enrichment data files (`baobab data refresh`) and optional RDAP look-ups.
ENRICHMENT_IPASN_URL = os.environ.get("ENRICHMENT_IPASN_URL", "")  # no public ipasn.dat exists
ENRICHMENT_ASNAMES_URL = os.environ.get(
    "ENRICHMENT_ASNAMES_URL", "https://ftp.ripe.net/ripe/asnames/asn.txt"
)
ENRICHMENT_TOR_URL = os.environ.get(
    "ENRICHMENT_TOR_URL", "https://check.torproject.org/torbulkexitlist"
)
ENRICHMENT_DOWNLOAD_TIMEOUT = float(os.environ.get("ENRICHMENT_DOWNLOAD_TIMEOUT", "60"))
ENRICHMENT_MAX_BYTES = env_int("ENRICHMENT_MAX_BYTES", 512 * 1024 * 1024)
ENRICHMENT_RDAP = env_bool("ENRICHMENT_RDAP", False)
ENRICHMENT_RDAP_URL = os.environ.get("ENRICHMENT_RDAP_URL", "https://rdap.org")
ENRICHMENT_RDAP_TTL = env_int("ENRICHMENT_RDAP_TTL", 7 * 86400)
ENRICHMENT_RDAP_TIMEOUT = float(os.environ.get("ENRICHMENT_RDAP_TIMEOUT", "5"))
ENRICHMENT_RDAP_MAX_QUERIES = env_int("ENRICHMENT_RDAP_MAX_QUERIES", 20)
# Events older than this (by observation time) are deleted by `baobab events purge`.
EVENT_RETENTION_DAYS = int(os.environ.get("EVENT_RETENTION_DAYS", "365"))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# `celery -A baobab beat` runs these (feeds due for collection, retention).
CELERY_BEAT_SCHEDULE = {
    "collect-due-feeds": {"task": "baobab.pipeline.collect_due", "schedule": 60.0},
    "purge-old-events": {"task": "baobab.pipeline.purge_events", "schedule": 24 * 3600.0},
    "notify": {"task": "baobab.notify.run", "schedule": 300.0},
}

# --- E-mail -----------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# CA certificates to trust for a relay with a private certificate authority.
EMAIL_SSL_CAFILE = os.environ.get("EMAIL_SSL_CAFILE") or None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "baobab@localhost")
# Notifications: the secret key messages are signed with (a file) and its
# password; seconds a webhook may take.
BAOBAB_NOTIFY_PGP_KEY = os.environ.get("BAOBAB_NOTIFY_PGP_KEY", "")
BAOBAB_NOTIFY_PGP_PASSWORD = os.environ.get("BAOBAB_NOTIFY_PGP_PASSWORD", "")
NOTIFY_WEBHOOK_TIMEOUT = env_int("NOTIFY_WEBHOOK_TIMEOUT", 10)
# Sharing: the largest file attached to a report, and the largest body a
# TAXII client may POST.
SHARING_MAX_ATTACHMENT_BYTES = env_int("SHARING_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
TAXII_MAX_CONTENT_LENGTH = env_int("TAXII_MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    # Embedded mode: messages are written to files under the data folder.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
