"""Settings for entas. Everything a deployment changes is read from ENTAS_* environment variables.

Defaults are safe: debug off, HTTPS settings on, SQLite under ``var/``, local hosts only, a secret
key of the installation's own (ENTAS_SECRET_KEY, or generated once into var/secret_key). Production
sets ENTAS_ALLOWED_HOSTS and (usually) ENTAS_SECRET_KEY and ENTAS_DATABASE_URL=postgres://…; then
``entas check --deploy`` reports nothing. Development sets ENTAS_DEBUG=1; ``make demo`` runs with
debug off over plain HTTP (ENTAS_HTTPS=0).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout root when running from a clone (src/entas → ../..); VAR_DIR holds the SQLite file,
# uploaded and generated files. ENTAS_VAR_DIR moves it (an installed package has no checkout).
PROJECT_ROOT = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("ENTAS_VAR_DIR", PROJECT_ROOT / "var"))
# The SQLite file, uploads and collected static files live here; create it on first use.
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Debug is off unless asked for: with it on, an error shows Django's technical page (code, settings,
# the request) to whoever caused it. Development sets ENTAS_DEBUG=1 (the test suite does, see pyproject.toml).
DEBUG = env_bool("ENTAS_DEBUG", False)

_DEV_SECRET = "django-insecure-entas-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY_FILE = VAR_DIR / "secret_key"


def secret_key() -> str:
    """ENTAS_SECRET_KEY; else VAR_DIR/secret_key, which only its owner may read; else, with debug on,
    a development key, and with debug off a new random key written to that file (so a fresh installation
    never runs on a published key, and keeps its key across restarts). Servers sharing one database but
    not one VAR_DIR must share ENTAS_SECRET_KEY instead."""
    key = os.environ.get("ENTAS_SECRET_KEY", "")
    if key:
        return key
    if not SECRET_KEY_FILE.exists():
        if DEBUG:
            return _DEV_SECRET
        # Written to a private temporary file, then linked into place: of two processes starting at
        # once, both read the one key that was linked first.
        fd, temporary = tempfile.mkstemp(dir=VAR_DIR, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, SECRET_KEY_FILE)
        finally:
            os.unlink(temporary)
    if SECRET_KEY_FILE.stat().st_mode & 0o077:
        raise ImproperlyConfigured(f"{SECRET_KEY_FILE} must be readable by its owner only: chmod 600 it.")
    return SECRET_KEY_FILE.read_text().strip()


SECRET_KEY = secret_key()

ALLOWED_HOSTS = env_list("ENTAS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ENTAS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # django-ninja as an app: /api/docs then serves its own copy of Swagger UI, never a CDN's.
    "ninja",
    "entas.core",
    "entas.regions",
    "entas.accounts",
    "entas.registry",
    "entas.payees",
    "entas.monitoring",
    "entas.targeting",
    "entas.programs",
    "entas.policy",
    "entas.dedup",
    "entas.enterprise",
    "entas.portal",
    "entas.training",
    "entas.evaluation",
    "entas.participation",
    "entas.outreach",
    "entas.interop",
    "entas.reports",
    "entas.webhooks",
    "entas.api",
    "entas.demo",
]

MIDDLEWARE = [
    # Outermost, so that every response (static files, redirects, error pages) gets CSP and Permissions-Policy.
    "entas.core.middleware.SecurityHeadersMiddleware",
    # A request id for every request's log lines and its X-Request-ID header (entas.core.observability).
    "entas.core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Writes a session only when it changed or is due a refresh: reading a page writes nothing.
    "entas.core.busy.SessionMiddleware",
    "entas.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "entas.core.middleware.RequestContextMiddleware",
    # A database busy for a moment (SQLite's write lock past the busy timeout) answers 503, not 500.
    "entas.core.busy.DatabaseBusyMiddleware",
    # Axes last: it inspects the outcome of authentication in the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "entas.urls"
WSGI_APPLICATION = "entas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "entas.core.context_processors.navigation_menu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE = VAR_DIR / "entas.sqlite3"
DATABASE_URL = os.environ.get("ENTAS_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while a writer writes (operators browse during an import); the busy
    # timeout makes a second writer wait instead of failing at once with "database is locked".
    # IMMEDIATE transactions take the write lock up front, so two writers never deadlock on upgrade.
    _db["CONN_MAX_AGE"] = 0
    _db.pop("CONN_HEALTH_CHECKS", None)
    _db["OPTIONS"] = {
        # ENTAS_SQLITE_BUSY_SECONDS: how long a writer waits for the lock before "database is locked".
        "timeout": float(os.environ.get("ENTAS_SQLITE_BUSY_SECONDS", 20)),
        "transaction_mode": "IMMEDIATE",
        # A page cache of ENTAS_SQLITE_CACHE_MB per connection (default 64; SQLite's own is 2 MB): a
        # city's member indexes outgrow 2 MB at once, and the import then rereads index pages for
        # every batch. The cache fills only as pages are read, so a short request uses little of it.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            f"PRAGMA cache_size=-{int(os.environ.get('ENTAS_SQLITE_CACHE_MB', '64')) * 1024};"
        ),
    }
    _db.setdefault("TEST", {})
DATABASES = {"default": _db}


# --- Cache (docs/operations.md) ---------------------------------------------------------------
# What the server processes share: the API's rate limits (per token and per OAuth client) count in
# it, so it must be one store for every gunicorn worker. ENTAS_CACHE_URL:
#   db://TABLE (default on PostgreSQL: db://entas_cache)  a table of the database (made by
#                                          `entas migrate`, or `entas createcachetable`)
#   (default on SQLite: file://VAR_DIR/cache, so that an API read takes no SQLite write lock)
#   redis://HOST:PORT/DB, rediss://…       Redis (exact counts under bursts; needs the redis package)
#   file:///PATH                           files in a folder all processes of one machine share
#   locmem://                              per process: only for one process (development, tests)
def _cache(url: str) -> dict[str, object]:
    from urllib.parse import urlsplit

    scheme = url.split("://", 1)[0]
    if scheme == "db":
        table = urlsplit(url).netloc or urlsplit(url).path.strip("/") or "entas_cache"
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "file":
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": urlsplit(url).path}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": urlsplit(url).netloc}
    raise ValueError(f"ENTAS_CACHE_URL: unknown scheme {scheme!r} (db, redis, rediss, file, locmem)")


CACHE_URL = os.environ.get("ENTAS_CACHE_URL") or (
    f"file://{VAR_DIR / 'cache'}" if _db["ENGINE"] == "django.db.backends.sqlite3" else "db://entas_cache"
)
CACHES = {"default": {**_cache(CACHE_URL), "KEY_PREFIX": "entas", "TIMEOUT": 300}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 8 idle hours (one working day) and when the browser closes. A session is written
# when it changes and otherwise refreshed at most every 5 minutes (entas.core.busy.SessionMiddleware),
# not on every request: a page that only reads must not wait for SQLite's write lock.
SESSION_COOKIE_AGE = int(os.environ.get("ENTAS_SESSION_SECONDS", 8 * 3600))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True


def env_proxies(name: str) -> int:
    """How many reverse proxies append to X-Forwarded-For: off/0, on/1 (one proxy), or a number."""
    value = os.environ.get(name, "").strip().lower()
    if value.isdigit():
        return int(value)
    return 1 if env_bool(name, False) else 0


# Behind reverse proxies, the client's address is read from X-Forwarded-For (the entry the nearest
# trusted proxy appended; see entas.core.middleware.request_ip) for the audit trail and the lockout.
ENTAS_TRUST_X_FORWARDED_FOR = env_proxies("ENTAS_TRUST_X_FORWARDED_FOR")

# Failed logins lock a username for 15 minutes: after ENTAS_LOGIN_FAILURE_LIMIT (5) from one client
# address, and after ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT (20) from all addresses together, so that a
# guesser spread over many addresses is slowed too while one guesser alone cannot lock an account
# for its owner (entas.accounts.lockout).
AXES_FAILURE_LIMIT = int(os.environ.get("ENTAS_LOGIN_FAILURE_LIMIT", 5))
ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("ENTAS_LOGIN_ACCOUNT_FAILURE_LIMIT", 20))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "entas.accounts.lockout.LoginLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "entas.core.middleware.request_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Per-user limits on actions whose repetition is the harm (entas.core.ratelimit): COUNT/UNIT, UNIT one of
# second, minute, hour, day or a number of seconds. "registry.lookup_outside_area" counts the answers
# "this NIK or KK number is registered outside your areas" (a change request, an import): without a
# limit an operator could test the city's NIKs one by one (docs/security-notes/oracles.md).
ENTAS_RATE_LIMITS = {
    "registry.lookup_outside_area": os.environ.get("ENTAS_LOOKUP_OUTSIDE_AREA_LIMIT", "20/hour"),
    # Per network address, for the public portal (entas.portal.services.count_visit).
    "portal.submit": os.environ.get("ENTAS_PORTAL_SUBMIT_LIMIT", "5/hour"),
    "portal.track": os.environ.get("ENTAS_PORTAL_TRACK_LIMIT", "30/hour"),
    "portal.check": os.environ.get("ENTAS_PORTAL_CHECK_LIMIT", "10/hour"),
}

# The portal's messages (entas.portal.notify): to citizens about their case, to supervisors on
# escalation. E-mail through Django's backend: SMTP when ENTAS_EMAIL_HOST is set, else the console.
EMAIL_HOST = os.environ.get("ENTAS_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("ENTAS_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("ENTAS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ENTAS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ENTAS_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("ENTAS_EMAIL_FROM", "entas <no-reply@localhost>")
ENTAS_PORTAL_HEAD_EMAILS = env_list("ENTAS_PORTAL_HEAD_EMAILS", [])

# Served over HTTPS (by default whenever debug is off): secure cookies, HSTS, a redirect to https.
# make demo serves plain http://127.0.0.1 on the machine itself and sets ENTAS_HTTPS=0.
ENTAS_HTTPS = env_bool("ENTAS_HTTPS", not DEBUG)
if ENTAS_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("ENTAS_SSL_REDIRECT", True)
    # A load balancer's or monitor's probe may come over plain HTTP on the internal network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^live/$", r"^ready/$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("ENTAS_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy of every response (entas.core.middleware.SecurityHeadersMiddleware; the
# shape of Django 6's setting of this name). Everything comes from entas itself: no inline script,
# event-handler attribute, inline style or eval. Images may also be data: URLs (Swagger UI's icons).
_SELF, _NONE = "'self'", "'none'"
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [_SELF],
    "script-src": [_SELF],
    "style-src": [_SELF],
    "img-src": [_SELF, "data:"],
    "font-src": [_SELF],
    "connect-src": [_SELF],
    "object-src": [_NONE],
    "base-uri": [_NONE],
    "form-action": [_SELF],
    "frame-ancestors": [_NONE],
}
# Browser features no page of entas uses, denied to every page and frame (Permissions-Policy).
ENTAS_PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Language, time, formats ----------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("ENTAS_TIME_ZONE", "Asia/Makassar")
FORMAT_MODULE_PATH = ["entas.formats"]

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Background jobs ------------------------------------------------------------------------
# Tasks are rows in the database; `entas worker` runs them. No broker to install or operate.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ENTAS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A running job that has not reported progress for this long is taken as interrupted.
ENTAS_JOB_STALE_SECONDS = int(os.environ.get("ENTAS_JOB_STALE_SECONDS", 300))
# A worker that has neither polled the queue nor reported progress of its job for this long is shown
# as dead or stuck by the health check (`entas health`, /health/, the jobs page). It polls every
# second and records that at most every ENTAS_WORKER_HEARTBEAT_SECONDS.
ENTAS_WORKER_STALE_SECONDS = int(os.environ.get("ENTAS_WORKER_STALE_SECONDS", 120))
ENTAS_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("ENTAS_WORKER_HEARTBEAT_SECONDS", 15))

# --- Files from users (uploads, imports) ----------------------------------------------------------
# How much of a user's file entas reads before refusing it with a message that names the limit, so
# a hostile or broken file cannot take the server's memory, time or disk (entas.core.uploads;
# docs/registry-import.md, Limits). A spreadsheet is read by a process of its own held to the
# memory and processor-time limits: if it exceeds them, that process ends, not the worker.
ENTAS_IMPORT_MAX_FILE_MB = int(os.environ.get("ENTAS_IMPORT_MAX_FILE_MB", 1024))  # one file as uploaded
ENTAS_IMPORT_MAX_ROW_KB = int(os.environ.get("ENTAS_IMPORT_MAX_ROW_KB", 64))  # one row
ENTAS_IMPORT_MAX_COLUMNS = int(os.environ.get("ENTAS_IMPORT_MAX_COLUMNS", 500))  # cells in one row
ENTAS_IMPORT_MAX_CELLS = int(os.environ.get("ENTAS_IMPORT_MAX_CELLS", 20_000_000))  # a sheet's rows x columns
ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB = int(os.environ.get("ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB", 2048))
ENTAS_IMPORT_MAX_XLSX_RATIO = int(os.environ.get("ENTAS_IMPORT_MAX_XLSX_RATIO", 100))  # per part over 1 MB
ENTAS_IMPORT_MAX_XLSX_MEMORY_MB = int(os.environ.get("ENTAS_IMPORT_MAX_XLSX_MEMORY_MB", 2048))
ENTAS_IMPORT_MAX_XLSX_SECONDS = int(os.environ.get("ENTAS_IMPORT_MAX_XLSX_SECONDS", 600))  # processor time
# On SQLite an import ends a transaction after holding the write lock this long and pauses a quarter of
# that, so that logins, audited page views and saved forms get their turn (0: only every 100,000 rows,
# fastest, but other writers then wait seconds). PostgreSQL does not need it (entas.registry.importer).
ENTAS_IMPORT_COMMIT_SECONDS = float(os.environ.get("ENTAS_IMPORT_COMMIT_SECONDS", 1.0))
# Uploaded files (MEDIA_ROOT/imports) are deleted this many days after upload; a failed import can be
# re-run until then. The worker purges them hourly; `entas purge_uploads` does it from cron.
ENTAS_UPLOAD_RETENTION_DAYS = int(os.environ.get("ENTAS_UPLOAD_RETENTION_DAYS", 7))

# Personal data retention (UU 27/2022; docs/privacy.md). core.purge_personal_data (scheduled daily)
# anonymises members who left the registry (died, moved away) this many days ago, and removes the
# personal detail (before/after values, the object's name) from audit events older than the second
# period; the audit rows themselves stay. 0 keeps for ever. Defaults: 5 years after leaving, 5 years
# of audit detail (the archive period of social-assistance records).
ENTAS_RETENTION_EXITED_MEMBER_DAYS = int(os.environ.get("ENTAS_RETENTION_EXITED_MEMBER_DAYS", 1826))
ENTAS_RETENTION_AUDIT_DETAIL_DAYS = int(os.environ.get("ENTAS_RETENTION_AUDIT_DETAIL_DAYS", 1826))

# --- Payments ------------------------------------------------------------------------------------
# The city's paying account and name, written as the debtor of ISO 20022 payment files.
ENTAS_PAYER_ACCOUNT = os.environ.get("ENTAS_PAYER_ACCOUNT", "")
ENTAS_PAYER_NAME = os.environ.get("ENTAS_PAYER_NAME", "Pemerintah Kota Balikpapan")

# --- The city ------------------------------------------------------------------------------
# Kemendagri code of the kabupaten/kota this installation serves (Kota Balikpapan by default).
ENTAS_CITY_CODE = os.environ.get("ENTAS_CITY_CODE", "64.71")

# --- Interoperability (docs/interop.md) -----------------------------------------------------
# This registry's id in DCI messages (sender_id of its answers, receiver_id of requests to it).
ENTAS_DCI_ID = os.environ.get("ENTAS_DCI_ID", "entas.balikpapan.go.id")
# Where `entas dci keys` keeps the private signing keys (PEM files, mode 0600, encrypted with
# ENTAS_DCI_KEY_PASSPHRASE, else with the secret key): outside the database and outside git.
ENTAS_DCI_KEY_DIR = Path(os.environ.get("ENTAS_DCI_KEY_DIR", VAR_DIR / "dci-keys"))
ENTAS_DCI_KEY_PASSPHRASE = os.environ.get("ENTAS_DCI_KEY_PASSPHRASE", "")
# Seconds an OAuth access token of the API lives (60 to 3600; docs/api.md#oauth-20-client-credentials).
ENTAS_OAUTH_TOKEN_SECONDS = int(os.environ.get("ENTAS_OAUTH_TOKEN_SECONDS", "600"))
# The Dukcapil NIK verification adapter (a dotted path); empty: the local stub (entas.interop.dukcapil).
ENTAS_DUKCAPIL_ADAPTER = os.environ.get("ENTAS_DUKCAPIL_ADAPTER", "")
# The official ISO 20022 camt.053.001.02 XSD, when installed: bank statements are validated against it too.
ENTAS_CAMT053_XSD = os.environ.get("ENTAS_CAMT053_XSD", "")

# --- Operations (docs/operations.md) ----------------------------------------------------------
# Days a finished webhook delivery (delivered or failed) stays in the log (job webhooks.purge).
ENTAS_WEBHOOK_RETENTION_DAYS = int(os.environ.get("ENTAS_WEBHOOK_RETENTION_DAYS", "90"))
# The schedule of recurring jobs `entas scheduler` submits (default: src/entas/schedule.toml).
ENTAS_SCHEDULE_FILE = os.environ.get("ENTAS_SCHEDULE_FILE", "")
# The bearer token a Prometheus scraper sends to /metrics; unset, /metrics does not exist (404).
ENTAS_METRICS_TOKEN = os.environ.get("ENTAS_METRICS_TOKEN", "")

# Logs go to standard error: text by default; ENTAS_LOG_FORMAT=json writes one JSON object per line
# with the request id, and a line per request (logger entas.request), for a log collector.
ENTAS_LOG_FORMAT = os.environ.get("ENTAS_LOG_FORMAT", "text")
if ENTAS_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"ENTAS_LOG_FORMAT must be text or json, not {ENTAS_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "entas.core.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "entas.core.observability.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if ENTAS_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("ENTAS_LOG_LEVEL", "WARNING")},
    "loggers": {"entas.request": {"level": "INFO" if ENTAS_LOG_FORMAT == "json" else "WARNING"}},
}
