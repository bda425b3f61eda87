"""Settings for the claim annotator.

Everything is read from the environment through the small helpers below; the defaults
let a fresh checkout run (SQLite, an SQLite Celery broker, DEBUG on). Production
differs only by environment variables (see README.md).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
# Read once here: the test runner turns settings.DEBUG off, but not this.
DEMO_USERS_ALLOWED = DEBUG


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # The embedded default: generated once and kept in the git-ignored data folder.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "simple_history",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "corpus",
    "annotator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "annotator.urls"
WSGI_APPLICATION = "annotator.wsgi.application"

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
                "annotator.annotations.label_styles.label_css_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a worker writes; the timeout waits out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real Celery worker process can see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: refuses a locked-out username + IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force: after AXES_FAILURE_LIMIT failures in a row for one username from one IP, the
# login page and the admin login refuse that pair for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads and request bodies: documents can be large, but not unbounded.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024)
MAX_DOCUMENT_CHARS = env_int("MAX_DOCUMENT_CHARS", 5_000_000)
# Young-generation size of Python's garbage collector in web processes (annotator.wsgi). A
# document page builds tens of thousands of short-lived objects; at Python's default (700)
# collections run mid-request and double the page's p95. 0 keeps Python's default.
GC_GEN0_THRESHOLD = env_int("GC_GEN0_THRESHOLD", 50_000)

# Security. Production (DEBUG off) gets the settings `check --deploy` asks for.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Outbound fetches (archived evidence, import by URL, webhooks): public addresses only,
# unless FETCH_ALLOW_PRIVATE (tests and local use). Limits per fetch.
FETCH_ALLOW_PRIVATE = env_bool("FETCH_ALLOW_PRIVATE", False)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 10 * 1024 * 1024)
FETCH_TIMEOUT = env_int("FETCH_TIMEOUT", 20)

# Webhooks (annotator/events): per-request timeout, retries with exponential backoff and
# jitter (base, cap) over about a day, disabled after failing this long; the worker's sweep.
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 5)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOK_DISABLE_AFTER_SECONDS = env_float("WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600)
WEBHOOK_SWEEP_SECONDS = env_float("WEBHOOK_SWEEP_SECONDS", 5)
# One drain step sends up to this many events (or for this long) before logging them at once.
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 100)
WEBHOOK_BATCH_SECONDS = env_float("WEBHOOK_BATCH_SECONDS", 2)
# Delivered events and delivery logs older than this many days are pruned (0: kept forever).
EVENTS_RETENTION_DAYS = env_float("EVENTS_RETENTION_DAYS", 30)

# Claims (annotator/claims): archived evidence pages are stored through Django's storage API
# (the default storage: files under MEDIA_ROOT). ClaimReview export: the desk that signs the
# verdicts, and where each published verdict is read ({id} = the verdict's id).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"
CLAIMREVIEW_ORGANIZATION = env_str("CLAIMREVIEW_ORGANIZATION", "Claim annotator desk")
CLAIMREVIEW_ORGANIZATION_URL = env_str("CLAIMREVIEW_ORGANIZATION_URL", "http://127.0.0.1:8000/")
CLAIMREVIEW_URL_TEMPLATE = env_str(
    "CLAIMREVIEW_URL_TEMPLATE", "http://127.0.0.1:8000/claims/verdicts/{id}/"
)

# Celery. The embedded default needs no server: a kombu transport on its own SQLite file in
# DATA_DIR (annotator/broker.py, the tables of kombu's SQLAlchemy transport).
# `filesystem://` still works when set explicitly.
_broker_dir = DATA_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}")
# A process asks for its next task this often (kombu's default, 1 s, costs up to a second per
# task); see README "Task broker" for the measurements behind 0.05 s.
_BROKER_POLLING = 0.05
if CELERY_BROKER_URL.startswith(("sqla+", "sqlalchemy+")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": _BROKER_POLLING, "busy_timeout": 30}
elif CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # Measured on 1,000 documents with 2 processes: 0.1 s gave 18 docs/s, 0.05 s 34 docs/s
        # (0.6% of a core when idle) with tag + undo under 110 ms meanwhile, 0.02 s 48 docs/s
        # but 1.4% idle and writes waiting up to 240 ms on SQLite's lock.
        "polling_interval": _BROKER_POLLING,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task (its worker died) is delivered again after this many seconds.
    # Sized to the longest task (README "Task broker"): a task still running then is delivered
    # twice, which costs work but counts nothing twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"annotator.tasks.suggestions_*": {"queue": "suggestions"}}
# Every queue a worker started without -Q consumes; a dedicated worker picks some with -Q.
CELERY_TASK_QUEUES = {"default": {}, "suggestions": {}}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True

# Suggesters: dotted paths to modules with `name`, `version` and `suggest(text)`.
SUGGESTERS = env_list(
    "SUGGESTERS",
    [
        "annotator.suggestions.suggesters.sourced",
        "annotator.suggestions.suggesters.disputed",
        "annotator.suggestions.suggesters.propaganda",
        "annotator.suggestions.suggesters.learned",
        "annotator.suggestions.suggesters.http",
    ],
)
SUGGEST_ON_IMPORT = env_bool("SUGGEST_ON_IMPORT", True)
# Re-anchoring after a revision: a span whose quoted words were edited moves to the most
# similar text near its old place only at this similarity (0-100), flagged "text changed".
ANCHOR_FUZZY_THRESHOLD = env_int("ANCHOR_FUZZY_THRESHOLD", 80)
# Re-check every URL document this often with `celery -A annotator beat` (0: no schedule).
RECHECK_EVERY_HOURS = env_int("RECHECK_EVERY_HOURS", 0)
CELERY_BEAT_SCHEDULE = (
    {
        "recheck-url-documents": {
            "task": "annotator.anchoring.documents_recheck",
            "schedule": RECHECK_EVERY_HOURS * 3600,
        }
    }
    if RECHECK_EVERY_HOURS > 0
    else {}
)
SUGGESTER_HTTP_URL = env_str("SUGGESTER_HTTP_URL", "")
SUGGESTER_HTTP_TIMEOUT = env_int("SUGGESTER_HTTP_TIMEOUT", 10)
SUGGEST_CHUNK_CHARS = env_int("SUGGEST_CHUNK_CHARS", 200_000)
SUGGEST_RETRAIN_EVERY = env_int("SUGGEST_RETRAIN_EVERY", 50)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotator.api.auth.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["annotator.api.auth.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "annotator.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "annotator.api.pagination.Pages",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "annotator.api.base.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "annotator.api.auth.AnonThrottle",
        "annotator.api.auth.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "100000/hour"),
        # Requests with a wrong token, per IP (checked before the token, so guessing stops).
        "bad_token": env_str("API_THROTTLE_BAD_TOKEN", "20/minute"),
    },
}
# A signed-in user's API count reaches the shared cache this often per process (not per call).
API_THROTTLE_SYNC_SECONDS = float(env_str("API_THROTTLE_SYNC_SECONDS", "1") or 1)
SPECTACULAR_SETTINGS = {
    "TITLE": "Claim annotator API",
    "DESCRIPTION": "Documents, span annotations, suggestions and exports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"VerdictStateEnum": "annotator.models.claims.VerdictState"},
}

# Shared by every process (API throttle counters must be): a database table by default,
# created by every `migrate` (annotator.apps), or Redis when REDIS_CACHE_URL is set.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "annotator_cache",
    }
}
if env_str("REDIS_CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_CACHE_URL"),
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
