"""Django settings, built from the declared configuration in :mod:`mutuals.config`."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from mutuals import config

_env = config.load()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR: Path = _env["MUTUALS_DATA_DIR"]
SECRET_KEY: str = _env["SECRET_KEY"]
DEBUG: bool = _env["DEBUG"]
ALLOWED_HOSTS: list[str] = _env["ALLOWED_HOSTS"]
PORT: int = _env["PORT"]
DEMO_SCALE: str = _env["DEMO_SCALE"]
DEMO_SEED: int = _env["DEMO_SEED"]
SAVINGS_ACTIVITY_METRIC: str = _env["SAVINGS_ACTIVITY_METRIC"]
SAVINGS_COST_METRIC: str = _env["SAVINGS_COST_METRIC"]
API_RATE_LIMIT: int = _env["API_RATE_LIMIT"]
API_MAX_UPLOAD_MB: int = _env["API_MAX_UPLOAD_MB"]
# Staff-control thresholds (mutuals.governance.control): this product's documented choices.
MUTUALS_CONTROL_SENIOR_MAJORITY: float = _env["MUTUALS_CONTROL_SENIOR_MAJORITY"]
MUTUALS_CONTROL_STAFF_AT_LARGE_MIN: float = _env["MUTUALS_CONTROL_STAFF_AT_LARGE_MIN"]
MUTUALS_CONTROL_MIN_TURNOUT: float = _env["MUTUALS_CONTROL_MIN_TURNOUT"]
MUTUALS_CONTROL_MIN_SHARE_FOR: float = _env["MUTUALS_CONTROL_MIN_SHARE_FOR"]
MUTUALS_CONTROL_MIN_TAKE_UP: float = _env["MUTUALS_CONTROL_MIN_TAKE_UP"]
MUTUALS_CONTROL_MIN_STAFF_ELECTED_SEATS: int = _env["MUTUALS_CONTROL_MIN_STAFF_ELECTED_SEATS"]
SURVEY_MIN_GROUP_SIZE: int = _env["SURVEY_MIN_GROUP_SIZE"]
# The default "as of" of the portfolio's figures (mutuals.returns.coverage).
MUTUALS_COMPLETE_RETURNS_SHARE: float = _env["MUTUALS_COMPLETE_RETURNS_SHARE"]
SECURE_SSL_REDIRECT: bool = (
    not DEBUG if _env["SECURE_SSL_REDIRECT"] is None else _env["SECURE_SSL_REDIRECT"]
)
# A load balancer asks over plain HTTP whether a host is up: no redirect for its checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
WORKER_HEARTBEAT_SECONDS: int = _env["WORKER_HEARTBEAT_SECONDS"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "govuk_frontend_django",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "mutuals.operations",
    "mutuals.web",
    "mutuals.accounts",
    "mutuals.registry",
    "mutuals.contracts",
    "mutuals.returns",
    "mutuals.evaluation",
    "mutuals.governance",
    "mutuals.engagement",
    "mutuals.publishing",
    "mutuals.events",
    "mutuals.demo",
]

MIDDLEWARE = [
    "mutuals.operations.middleware.RequestId",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the application, compressed and cached for a year under
    # their hashed names: no web server in front is needed to serve them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-account page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mutuals.urls"
WSGI_APPLICATION = "mutuals.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mutuals.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(_env["DATABASE_URL"], conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Page size, journal and syncing are set as each connection is made, by
    # mutuals.operations.sqlite.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id at OWASP's recommended cost, not Django's heavier default: see accounts.hashers.
PASSWORD_HASHERS = [
    "mutuals.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Collected by `mutuals collectstatic` (make setup does it): every file gets a hashed name
# and a compressed copy, so WhiteNoise can serve it with a year-long cache. While DEBUG is on
# (the demo), files are served where they are, with no collecting.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "mutuals.operations.static.Storage"
    },
}
WHITENOISE_USE_FINDERS = True

# Background work on Django's Tasks framework (the django-tasks backport): a queue in the
# database, which works on SQLite for one machine and on PostgreSQL for many, where workers
# on any host take tasks with row locks that skip what another worker holds. `mutuals
# worker` runs the workers; `mutuals worker` also puts back the task of a worker that died.
TASKS = {"default": {"BACKEND": _env["TASK_BACKEND"]}}

# One cache for every web worker on the machine: API rate limits count each token's
# requests across gunicorn's processes, and a chart drawn once serves them all.
# With REDIS_URL, Django's own Redis cache, shared by every web host (rate limits, cached
# statistics); otherwise a file cache, shared by the web processes of one machine.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _env["REDIS_URL"],
    }
    if _env["REDIS_URL"]
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "mutuals.web.views.errors.csrf_failure"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

# No inline script or style anywhere: every page loads its code from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Mail goes through the SMTP server in EMAIL_HOST; the demo (DEBUG) prints it instead.
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST: str = _env["EMAIL_HOST"]
EMAIL_PORT: int = _env["EMAIL_PORT"]
EMAIL_HOST_USER: str = _env["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _env["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _env["EMAIL_USE_TLS"]
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL: str = _env["DEFAULT_FROM_EMAIL"] or _env["EMAIL_FROM"]
# The phase banner's feedback link (mutuals.web.templatetags.mutuals_web.phase_banner).
FEEDBACK_EMAIL: str = _env["FEEDBACK_EMAIL"] or DEFAULT_FROM_EMAIL
PUBLIC_BASE_URL: str = _env["PUBLIC_BASE_URL"].rstrip("/")
COMMENT_RATE_LIMIT: int = _env["COMMENT_RATE_LIMIT"]
DIGEST_DAILY_HOUR: int = _env["DIGEST_DAILY_HOUR"]
DIGEST_WEEKLY_DAY: str = _env["DIGEST_WEEKLY_DAY"]
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
INVITATION_MAX_AGE_DAYS = 7

LOG_FORMAT: str = _env["LOG_FORMAT"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "survey_tokens": {"()": "mutuals.web.log_filters.HideSurveyTokens"},
        "request_id": {"()": "mutuals.operations.logs.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "mutuals.operations.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Survey links' tokens are credentials: never in a logged path (see log_filters).
    "loggers": {
        "django.request": {"filters": ["survey_tokens"]},
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["survey_tokens"],
        },
    },
}

# django-axes first, so a locked account is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "mutuals.accounts.backends.AccountBackend",
]
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "home"

# Failures lock one account, counted by its username alone, from whatever address: counting by
# address too let anyone guessing made-up names from an office's or a proxy's shared address
# lock out everyone behind it. An address that fails too often is slowed instead, without
# locking anything (SIGN_IN_RATE_LIMIT, mutuals.accounts.throttle).
AXES_FAILURE_LIMIT: int = _env["AXES_FAILURE_LIMIT"]
AXES_COOLOFF_TIME: int = _env["AXES_COOLOFF_HOURS"]
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mutuals.accounts.views.locked_out"
AXES_VERBOSE = False
SIGN_IN_RATE_LIMIT: int = _env["SIGN_IN_RATE_LIMIT"]
# django-axes warns when addresses are not among the lockout parameters (W006), for setups
# that lock by user agent or cookie, which an attacker rotates. A username cannot be rotated
# to escape its own lock, and addresses are limited by the throttle above instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Imports (mutuals.returns.span, mutuals.returns.tables, mutuals.web.uploads): the periods a
# return may be for, and how big an upload, or an XLSX unpacked, may be.
RETURNS_FIRST_PERIOD: str = _env["RETURNS_FIRST_PERIOD"]
RETURNS_MAX_QUARTERS_AHEAD: int = _env["RETURNS_MAX_QUARTERS_AHEAD"]
UPLOAD_MAX_MB: int = _env["UPLOAD_MAX_MB"]
XLSX_MAX_INFLATED_MB: int = _env["XLSX_MAX_INFLATED_MB"]
# Uploads pass UploadLimit first, which stores nothing past UPLOAD_MAX_MB; then Django's own
# handlers keep small files in memory and write larger ones to a temporary file.
FILE_UPLOAD_HANDLERS = [
    "mutuals.web.uploads.UploadLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Events (mutuals.events.config): how long a freed place stays offered, when reminders go,
# and how long attendees' details are kept after an event.
EVENTS_OFFER_HOURS: int = _env["EVENTS_OFFER_HOURS"]
EVENTS_REMINDER_HOURS: int = _env["EVENTS_REMINDER_HOURS"]
EVENTS_RETENTION_DAYS: int = _env["EVENTS_RETENTION_DAYS"]
