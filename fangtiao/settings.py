"""Fangtiao settings. Configuration comes from the environment only (see README § Configuration)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from fangtiao.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("FANGTIAO_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("FANGTIAO_DEBUG", False)
# Demo mode (`make run`): production behaviour (no debug pages) on a laptop over plain HTTP:
# a derived development key, localhost only, cookies without the Secure flag.
DEMO = env_bool("FANGTIAO_DEMO", False)
TESTING = "pytest" in sys.modules or env_bool("FANGTIAO_TESTING", False)
LOCAL = DEBUG or DEMO or TESTING
DEMO_PASSWORD = env_str("FANGTIAO_DEMO_PASSWORD", "Zheng-Demo-2026")  # authentication (issue 9): meets the password rules

_secret = env_str("FANGTIAO_SECRET_KEY")
if not _secret:
    if not (LOCAL or env_bool("FANGTIAO_ALLOW_INSECURE_KEY", False)):
        raise ImproperlyConfigured(
            "FANGTIAO_SECRET_KEY is required in production (set FANGTIAO_DEBUG=1 for a local demo)."
        )
    _secret = "insecure-development-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("FANGTIAO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if LOCAL else [])
if not ALLOWED_HOSTS and not LOCAL:
    raise ImproperlyConfigured("FANGTIAO_ALLOWED_HOSTS is required in production.")
CSRF_TRUSTED_ORIGINS = env_list("FANGTIAO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "fangtiao.core",
    "fangtiao.audit",
    "fangtiao.org",
    "fangtiao.clocks",
    "fangtiao.notifications",
    "fangtiao.cases",
    "fangtiao.mediation",
    "fangtiao.documents",
    "fangtiao.screening",
    "fangtiao.legalservice",
    "fangtiao.stats",
    "fangtiao.assessment",
    "fangtiao.subsidies",
    "fangtiao.portal",
    "fangtiao.tasks",
    "fangtiao.security",  # --- authentication (issue 9)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangtiao.core.middleware.RequestContextMiddleware",
    "fangtiao.security.middleware.SessionSecurityMiddleware",  # --- authentication (issue 9)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fangtiao.urls"
WSGI_APPLICATION = "fangtiao.wsgi.application"
ASGI_APPLICATION = "fangtiao.asgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "fangtiao.core.context_processors.navigation",
            ],
        },
    }
]

# --- database ------------------------------------------------------------------------------
# Connections (docs/deploy.md § Database connections): persistent connections kept for
# FANGTIAO_DB_CONN_MAX_AGE seconds (0: one per request); or FANGTIAO_DB_POOL=1, Django's psycopg pool
# inside each process (persistent connections then off: Django refuses both); or FANGTIAO_DB_PGBOUNCER=1
# behind PgBouncer in transaction mode (no server-side cursors, which do not survive a transaction
# handed to another server connection). The pool and PgBouncer exclude each other: pooling twice only
# holds connections PgBouncer could give to another process.
_default_sqlite = f"sqlite:///{VAR_DIR / 'fangtiao.sqlite3'}"
FANGTIAO_DB_POOL = env_bool("FANGTIAO_DB_POOL", False)
FANGTIAO_DB_PGBOUNCER = env_bool("FANGTIAO_DB_PGBOUNCER", False)
if FANGTIAO_DB_POOL and FANGTIAO_DB_PGBOUNCER:
    raise ImproperlyConfigured(
        "FANGTIAO_DB_POOL and FANGTIAO_DB_PGBOUNCER exclude each other: behind PgBouncer leave the pooling "
        "to PgBouncer (FANGTIAO_DB_PGBOUNCER=1 only); without PgBouncer use FANGTIAO_DB_POOL=1 only."
    )
FANGTIAO_DB_CONN_MAX_AGE = env_int("FANGTIAO_DB_CONN_MAX_AGE", 0 if FANGTIAO_DB_POOL else 60, minimum=0)
if FANGTIAO_DB_POOL and FANGTIAO_DB_CONN_MAX_AGE:
    raise ImproperlyConfigured(
        "FANGTIAO_DB_POOL=1 keeps connections in the pool, so persistent connections must be off: "
        "leave FANGTIAO_DB_CONN_MAX_AGE unset or set it to 0."
    )
# Per process (each gunicorn worker and each background worker has its own pool).
FANGTIAO_DB_POOL_MIN_SIZE = env_int("FANGTIAO_DB_POOL_MIN_SIZE", 2, minimum=0)
FANGTIAO_DB_POOL_MAX_SIZE = env_int("FANGTIAO_DB_POOL_MAX_SIZE", 10, minimum=1)
FANGTIAO_DB_POOL_TIMEOUT = env_int("FANGTIAO_DB_POOL_TIMEOUT", 10, minimum=1)
if FANGTIAO_DB_POOL_MIN_SIZE > FANGTIAO_DB_POOL_MAX_SIZE:
    raise ImproperlyConfigured("FANGTIAO_DB_POOL_MIN_SIZE must not exceed FANGTIAO_DB_POOL_MAX_SIZE")


def _connection_settings(db: dict[str, Any], setting: str) -> dict[str, Any]:
    """The connection options above applied to one alias (default, and each replica alike)."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"] = {
            # WAL + a busy timeout so a few web processes and the worker can share the file;
            # IMMEDIATE transactions so writers queue instead of failing with "database is locked".
            # privacy (issue 9): synchronous=FULL, a commit survives power loss (§2.2); secure_delete
            # zeroes freed cells, so an anonymised ID number leaves the file (GB/T 22239 8.1.4.10).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        return db
    if db["ENGINE"] != "django.db.backends.postgresql":
        return db
    db["CONN_MAX_AGE"] = FANGTIAO_DB_CONN_MAX_AGE
    db["CONN_HEALTH_CHECKS"] = True  # with the pool: each connection checked when taken from it
    if FANGTIAO_DB_POOL:
        db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": FANGTIAO_DB_POOL_MIN_SIZE, "max_size": FANGTIAO_DB_POOL_MAX_SIZE,
            "timeout": FANGTIAO_DB_POOL_TIMEOUT, "name": setting.lower(),
        }
    if FANGTIAO_DB_PGBOUNCER:
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
    return db


try:
    DATABASES = {"default": _connection_settings(
        dj_database_url.parse(env_str("DATABASE_URL", _default_sqlite), conn_max_age=FANGTIAO_DB_CONN_MAX_AGE),
        "DATABASE_URL")}
except ValueError as exc:  # dj-database-url names an unknown scheme; say which setting held it
    raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from exc
if (FANGTIAO_DB_POOL or FANGTIAO_DB_PGBOUNCER) and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("FANGTIAO_DB_POOL and FANGTIAO_DB_PGBOUNCER need PostgreSQL (DATABASE_URL=postgres://…)")

# Read replicas (docs/adr/0011-read-replicas.md): DATABASE_REPLICA_URL, one URL or several separated
# by commas, adds the aliases `replica` (or `replica_1`, `replica_2`, …) with default's engine options
# (the same connection settings: a pool of their own, or PgBouncer's rules).
# Only the dashboards and reports read there, inside fangtiao.core.dbrouter.reporting_reads(); every
# write and everything else stays on default. TEST MIRROR: tests see the default test database.
_replica_urls = env_list("DATABASE_REPLICA_URL")
FANGTIAO_READ_REPLICAS: list[str] = []
for _n, _url in enumerate(_replica_urls, start=1):
    _alias = "replica" if len(_replica_urls) == 1 else f"replica_{_n}"
    try:
        _replica = dj_database_url.parse(_url, conn_max_age=FANGTIAO_DB_CONN_MAX_AGE)
    except ValueError as exc:  # dj-database-url names an unknown scheme; say which setting held it
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL: {exc}") from exc
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must use the same database engine as DATABASE_URL")
    _replica = _connection_settings(_replica, _alias)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[_alias] = _replica
    FANGTIAO_READ_REPLICAS.append(_alias)
DATABASE_ROUTERS = ["fangtiao.core.dbrouter.ReplicaRouter"] if FANGTIAO_READ_REPLICAS else []
# How long a replica that failed to connect is skipped before it is tried again.
FANGTIAO_REPLICA_RETRY_SECONDS = env_int("FANGTIAO_REPLICA_RETRY_SECONDS", 30, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and sessions --------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- authentication (issue 9) ----------------------------------------------------------------
# docs/adr/0015-authentication.md, docs/security.md §3. Staff MFA (TOTP) is required in production;
# optional (only for those who enrolled) in the demo and the tests.
FANGTIAO_MFA = env_str("FANGTIAO_MFA", "optional" if LOCAL else "required").strip().lower()
if FANGTIAO_MFA not in ("required", "optional"):
    raise ImproperlyConfigured("FANGTIAO_MFA must be required or optional")
FANGTIAO_PASSWORD_MIN_LENGTH = env_int("FANGTIAO_PASSWORD_MIN_LENGTH", 12, minimum=8)
FANGTIAO_PASSWORD_MAX_LENGTH = 128  # ASVS V6.2.9: at least 64 accepted
FANGTIAO_PASSWORD_MAX_AGE_DAYS = env_int("FANGTIAO_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0: no expiry
FANGTIAO_PASSWORD_HISTORY = env_int("FANGTIAO_PASSWORD_HISTORY", 5, minimum=0)
FANGTIAO_INITIAL_PASSWORD_HOURS = env_int("FANGTIAO_INITIAL_PASSWORD_HOURS", 24, minimum=1)
FANGTIAO_LOGIN_FAILURE_LIMIT = env_int("FANGTIAO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
FANGTIAO_LOGIN_IP_FAILURE_LIMIT = env_int("FANGTIAO_LOGIN_IP_FAILURE_LIMIT", 50, minimum=1)
FANGTIAO_LOCKOUT_MINUTES = env_int("FANGTIAO_LOCKOUT_MINUTES", 30, minimum=1)
FANGTIAO_SESSION_IDLE_MINUTES = env_int("FANGTIAO_SESSION_IDLE_MINUTES", 30, minimum=1)
FANGTIAO_SESSION_ABSOLUTE_HOURS = env_int("FANGTIAO_SESSION_ABSOLUTE_HOURS", 12, minimum=1)
FANGTIAO_INACTIVE_DISABLE_DAYS = env_int("FANGTIAO_INACTIVE_DISABLE_DAYS", 90, minimum=0)  # 0: never
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "fangtiao.security.validators.LengthValidator"},
    {"NAME": "fangtiao.security.validators.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "fangtiao.security.validators.ContextWordValidator"},
    {"NAME": "fangtiao.security.validators.HistoryValidator"},
]
PRODUCTION_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # argon2id (argon2-cffi)
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # existing hashes, upgraded at the next login
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"] if TESTING else PRODUCTION_PASSWORD_HASHERS

# --- language and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("FANGTIAO_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders when nothing was collected (demo and tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
with contextlib.suppress(OSError):  # read-only deployments collect static files elsewhere
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("FANGTIAO_MEDIA_ROOT", str(VAR_DIR / "media")))

# --- attachments (generated documents, signed scans, district templates, print files) -------------
# FANGTIAO_STORAGE=local keeps them under MEDIA_ROOT (one server, or a shared mount); s3 puts them in
# a bucket of any S3-compatible object store (MinIO, Ceph RGW, a cloud's OSS) so that every web and
# worker process sees the same files. Private either way: objects get the private ACL and no URL of
# the store is ever handed out — every file is read through the storage API by our own download
# views, which check the jurisdiction and write the audit row (fangtiao.documents.storage).
FANGTIAO_STORAGE = env_str("FANGTIAO_STORAGE", "local").strip().lower()
if FANGTIAO_STORAGE == "s3":
    _bucket = env_str("FANGTIAO_S3_BUCKET").strip()
    if not _bucket:
        raise ImproperlyConfigured("FANGTIAO_STORAGE=s3 needs FANGTIAO_S3_BUCKET (the bucket's name)")
    _endpoint = env_str("FANGTIAO_S3_ENDPOINT_URL").strip()
    if _endpoint and not _endpoint.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"FANGTIAO_S3_ENDPOINT_URL must start with http:// or https://, got {_endpoint!r}")
    _access, _secret_key = env_str("FANGTIAO_S3_ACCESS_KEY"), env_str("FANGTIAO_S3_SECRET_KEY")
    if bool(_access) != bool(_secret_key):
        raise ImproperlyConfigured("FANGTIAO_S3_ACCESS_KEY and FANGTIAO_S3_SECRET_KEY go together (or set neither "
                                   "to use boto3's own credentials: environment, config file, instance role)")
    # path: https://endpoint/bucket/key (MinIO, Ceph and most intranet stores); virtual:
    # https://bucket.endpoint/key (Alibaba Cloud OSS requires it); auto: boto3 decides.
    _addressing = env_str("FANGTIAO_S3_ADDRESSING_STYLE", "path").strip().lower()
    if _addressing not in ("path", "virtual", "auto"):
        raise ImproperlyConfigured("FANGTIAO_S3_ADDRESSING_STYLE must be path, virtual or auto")
    STORAGES["default"] = {
        "BACKEND": "fangtiao.documents.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": _endpoint or None,
            "region_name": env_str("FANGTIAO_S3_REGION").strip() or None,
            "access_key": _access or None,
            "secret_key": _secret_key or None,
            "location": env_str("FANGTIAO_S3_PREFIX").strip().strip("/"),
            "addressing_style": _addressing,
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            # as on local disk: a name already taken gets a suffix, nothing stored is ever overwritten
            "file_overwrite": False,
        },
    }
elif FANGTIAO_STORAGE != "local":
    raise ImproperlyConfigured(f"FANGTIAO_STORAGE must be local or s3, got {FANGTIAO_STORAGE!r}")

# --- security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("FANGTIAO_SESSION_AGE", 8 * 3600, minimum=60)
SESSION_COOKIE_SECURE = env_bool("FANGTIAO_SECURE_COOKIES", not LOCAL)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("FANGTIAO_BEHIND_PROXY") else None
# HTTPS only in production (`check --deploy` W004/W008): HSTS for a year and redirect plain HTTP,
# unless the reverse proxy already does it (then set FANGTIAO_HSTS_SECONDS=0, FANGTIAO_SSL_REDIRECT=0).
SECURE_HSTS_SECONDS = env_int("FANGTIAO_HSTS_SECONDS", 0 if LOCAL else 31_536_000, minimum=0)
# includeSubDomains (ASVS V3.4.1 L2, on by default since issue 9): it covers the names *under* our
# host (x.fangtiao.district.gov.cn), never the government parent domain or its siblings, so it is ours
# to set. FANGTIAO_HSTS_SUBDOMAINS=0 only if a plain-HTTP service lives under our host name; `check
# --deploy` then warns (security.W005), on purpose.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FANGTIAO_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("FANGTIAO_HSTS_PRELOAD", False)
# The browsers' preload list is submitted for a registrable domain (district.gov.cn), which a district's
# system does not own: that is the domain owner's decision, so security.W021 stays quiet unless switched
# on (decision recorded in README "Configuration" and docs/security.md §8).
SILENCED_SYSTEM_CHECKS = [*([] if SECURE_HSTS_PRELOAD else ["security.W021"])]
SECURE_SSL_REDIRECT = env_bool("FANGTIAO_SSL_REDIRECT", not LOCAL)
# /healthz answers the load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Fangtiao ------------------------------------------------------------------------------
# Field-encryption keys: "kid:base64key,kid2:base64key" (32-byte AES keys). The first encrypts;
# all decrypt (rotation). Without it a key is derived from SECRET_KEY (demo and tests only).
FANGTIAO_FIELD_KEYS = env_str("FANGTIAO_FIELD_KEYS")
FANGTIAO_BLIND_INDEX_KEY = env_str("FANGTIAO_BLIND_INDEX_KEY")
if not LOCAL and not (FANGTIAO_FIELD_KEYS and FANGTIAO_BLIND_INDEX_KEY):
    # A key derived from SECRET_KEY would tie every stored ID number and phone to that secret.
    raise ImproperlyConfigured("FANGTIAO_FIELD_KEYS and FANGTIAO_BLIND_INDEX_KEY are required in production.")
# Staffing rule of the article: each township sub-centre has at least this many full-time mediators
# (浙江省司法厅关于加强专职人民调解员队伍建设的意见; configurable local default).
FANGTIAO_MIN_FULLTIME_MEDIATORS_PER_TOWNSHIP = env_int("FANGTIAO_MIN_FULLTIME_PER_TOWNSHIP", 2, minimum=0)
# Mediation (fangtiao.mediation): reminders before a booked session, and before an obligation falls due.
FANGTIAO_SESSION_REMINDER_HOURS = env_int("FANGTIAO_SESSION_REMINDER_HOURS", 24, minimum=1)
# 民事诉讼法 第205条: a dispute under an intermediate court's jurisdiction is confirmed there. The
# threshold (yuan, by the amount in dispute) is set by the province's jurisdiction rules; 0 = not used.
FANGTIAO_INTERMEDIATE_COURT_AMOUNT = env_int("FANGTIAO_INTERMEDIATE_COURT_AMOUNT", 0, minimum=0)
FANGTIAO_OBLIGATION_REMINDER_DAYS = env_int("FANGTIAO_OBLIGATION_REMINDER_DAYS", 3, minimum=0)
# Official documents (fangtiao.documents): the CJK font PDFs embed (default: Noto Serif CJK from
# Debian's fonts-noto-cjk), the size limit of uploaded signed scans, and where batch prints run:
# "thread" (beside the web process, picked up by the worker if that process stops), "worker", "inline".
FANGTIAO_PDF_FONT = env_str("FANGTIAO_PDF_FONT")
FANGTIAO_SCAN_MAX_MB = env_int("FANGTIAO_SCAN_MAX_MB", 20, minimum=1)
FANGTIAO_PRINT_MODE = env_str("FANGTIAO_PRINT_MODE", "inline" if TESTING else "thread")
if FANGTIAO_PRINT_MODE not in ("thread", "worker", "inline"):
    raise ImproperlyConfigured("FANGTIAO_PRINT_MODE must be thread, worker or inline")
# Screening and early warning (fangtiao.screening): where hot-spot runs go ("thread" beside the web
# process and picked up by the worker if it stops, "worker", "inline"), how often routing retrains.
FANGTIAO_JOB_MODE = env_str("FANGTIAO_JOB_MODE", "inline" if TESTING else "thread")
if FANGTIAO_JOB_MODE not in ("thread", "worker", "inline"):
    raise ImproperlyConfigured("FANGTIAO_JOB_MODE must be thread, worker or inline")
# Background tasks (fangtiao.tasks, docs/adr/0014-task-interface.md). Every task is a row of the
# transactional outbox written in the caller's transaction; the backend carries it out:
#   "db"     — `fangtiao worker` claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, compare-and-set
#              on SQLite) and runs the periodic schedule; nothing else is needed (the default);
#   "celery" — each committed row is also published to Celery (FANGTIAO_BROKER_URL: redis:// or
#              amqp://); `celery -A fangtiao.tasks.celery_app worker --beat` runs them, acks late; the
#              outbox row's claim keeps a redelivered message from running the task twice.
FANGTIAO_TASK_BACKEND = env_str("FANGTIAO_TASK_BACKEND", "db")
if FANGTIAO_TASK_BACKEND not in ("db", "celery"):
    raise ImproperlyConfigured("FANGTIAO_TASK_BACKEND must be db or celery")
FANGTIAO_BROKER_URL = env_str("FANGTIAO_BROKER_URL", REDIS_URL)
if FANGTIAO_TASK_BACKEND == "celery" and not FANGTIAO_BROKER_URL:
    raise ImproperlyConfigured("FANGTIAO_TASK_BACKEND=celery needs FANGTIAO_BROKER_URL (redis:// or amqp://)")
# A claimed task whose worker stopped heartbeating for this long is handed to another worker.
FANGTIAO_TASK_LEASE_SECONDS = env_int("FANGTIAO_TASK_LEASE_SECONDS", 300, minimum=5)
FANGTIAO_TASK_MAX_ATTEMPTS = env_int("FANGTIAO_TASK_MAX_ATTEMPTS", 5, minimum=1)
# The Celery queue: one per installation, so several districts (or a test run) may share one broker.
FANGTIAO_TASK_QUEUE = env_str("FANGTIAO_TASK_QUEUE", "fangtiao")
FANGTIAO_HOTSPOT_WINDOW_DAYS = env_int("FANGTIAO_HOTSPOT_WINDOW_DAYS", 30, minimum=1)
FANGTIAO_RETRAIN_DAYS = env_int("FANGTIAO_RETRAIN_DAYS", 7, minimum=1)
FANGTIAO_RETRAIN_MIN_NEW = env_int("FANGTIAO_RETRAIN_MIN_NEW", 200, minimum=1)
FANGTIAO_API_TOKEN_DAYS = env_int("FANGTIAO_API_TOKEN_DAYS", 30, minimum=1)
FANGTIAO_PAGE_SIZE = 50
FANGTIAO_MAX_PAGE_SIZE = 200
FANGTIAO_EXPORT_MAX_ROWS = env_int("FANGTIAO_EXPORT_MAX_ROWS", 100_000, minimum=1)

# JSON lines on stderr (journald / the log shipper takes them from there), ID and mobile numbers
# masked in every record (fangtiao.core.logs; ASVS V16.2.3–V16.2.5). FANGTIAO_LOG_FORMAT=plain for
# a human at a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "fangtiao.core.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "plain" if env_str("FANGTIAO_LOG_FORMAT", "json") == "plain" else "json"}},
    "root": {"handlers": ["console"], "level": env_str("FANGTIAO_LOG_LEVEL", "WARNING")},
}

# --- load and faults (issue 9) -----------------------------------------------------------------
# A full disk or a lost/busy database answers 507/503 with a generic body and Retry-After instead of
# a 500 (fangtiao.core.middleware.ResourceErrorMiddleware; ADR 0020), and local attachments are
# written so that a full disk leaves no partial file (fangtiao.core.storage.SafeFileSystemStorage).
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "fangtiao.core.middleware.ResourceErrorMiddleware")
if STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage":
    STORAGES["default"]["BACKEND"] = "fangtiao.core.storage.SafeFileSystemStorage"

# --- data at rest (issue 9) --------------------------------------------------------------------
# Field and file encryption algorithm (ADR 0016): aes-256-gcm (default) or sm4-gcm (商用密码, GB/T
# 39786-2021). Existing values keep their own algorithm until `fangtiao rotate-keys` rewrites them.
FANGTIAO_FIELD_CIPHER = env_str("FANGTIAO_FIELD_CIPHER", "aes-256-gcm")
if FANGTIAO_FIELD_CIPHER not in ("aes-256-gcm", "sm4-gcm"):
    raise ImproperlyConfigured("FANGTIAO_FIELD_CIPHER must be aes-256-gcm or sm4-gcm")
# Blind-index HMAC: hmac-sha256 (default) or hmac-sm3; changing it (or the key) needs `fangtiao rotate-keys`.
FANGTIAO_BLIND_INDEX_ALG = env_str("FANGTIAO_BLIND_INDEX_ALG", "hmac-sha256")
if FANGTIAO_BLIND_INDEX_ALG not in ("hmac-sha256", "hmac-sm3"):
    raise ImproperlyConfigured("FANGTIAO_BLIND_INDEX_ALG must be hmac-sha256 or hmac-sm3")
# Backups (`fangtiao backup`): a separate base64 32-byte key; empty = the current field key.
FANGTIAO_BACKUP_KEY = env_str("FANGTIAO_BACKUP_KEY")
INSTALLED_APPS.append("fangtiao.backup")

# --- audit log (issue 9) -----------------------------------------------------------------------
# The HMAC key of the audit hash chain (ADR 0017): base64 of ≥ 32 random bytes, kept off the
# database host's backups. Derived from SECRET_KEY with HKDF in LOCAL settings only; in production
# without it nothing is sealed (the sealer warns) and `audit-verify`/`audit-purge` refuse to run.
FANGTIAO_AUDIT_KEY = env_str("FANGTIAO_AUDIT_KEY")
# Retention (`fangtiao audit-purge`): ≥ 184 days (网络安全法 第21条(3)); reveals, exports and the
# other access-log events ≥ 1096 days (个人信息保护法 第56条). Smaller values are refused.
FANGTIAO_AUDIT_RETENTION_DAYS = env_int("FANGTIAO_AUDIT_RETENTION_DAYS", 184, minimum=184)
FANGTIAO_AUDIT_PROTECTED_DAYS = env_int("FANGTIAO_AUDIT_PROTECTED_DAYS", 1096, minimum=1096)
# The sealer (periodic job `audit.seal`) chains events older than this many seconds.
FANGTIAO_AUDIT_SEAL_LAG_SECONDS = env_int("FANGTIAO_AUDIT_SEAL_LAG_SECONDS", 30, minimum=1)

# --- privacy (issue 9) -------------------------------------------------------------------------
# fangtiao.privacy (ADR 0018, docs/security.md §6): retention sweep batch size, and the answer period
# of a PIPL rights request in working days (no statutory figure found: a local default, UNVERIFIED).
INSTALLED_APPS.append("fangtiao.privacy")
FANGTIAO_PRIVACY_SWEEP_BATCH = env_int("FANGTIAO_PRIVACY_SWEEP_BATCH", 200, minimum=1)
FANGTIAO_PRIVACY_REQUEST_DAYS = env_int("FANGTIAO_PRIVACY_REQUEST_DAYS", 15, minimum=1)

# --- reliability: SMS outbox (issue 9) --------------------------------------------------------
# Text messages to petitioners and parties leave through the outbox (ADR 0019): log (default: a
# delivery row, no network), file (JSON lines in FANGTIAO_SMS_FILE: the SMS stub of the fault
# tests) or http (a gateway POST with the message id as Idempotency-Key; off unless chosen).
FANGTIAO_SMS_BACKEND = env_str("FANGTIAO_SMS_BACKEND", "log")
if FANGTIAO_SMS_BACKEND not in ("log", "file", "http"):
    raise ImproperlyConfigured("FANGTIAO_SMS_BACKEND must be log, file or http")
FANGTIAO_SMS_FILE = env_str("FANGTIAO_SMS_FILE", str(VAR_DIR / "sms.jsonl"))
FANGTIAO_SMS_HTTP_URL = env_str("FANGTIAO_SMS_HTTP_URL")
FANGTIAO_SMS_HTTP_TOKEN = env_str("FANGTIAO_SMS_HTTP_TOKEN")
FANGTIAO_SMS_HTTP_TIMEOUT = env_int("FANGTIAO_SMS_HTTP_TIMEOUT", 10, minimum=1)
if FANGTIAO_SMS_BACKEND == "http" and not FANGTIAO_SMS_HTTP_URL.startswith(("https://", "http://127.", "http://localhost")):
    raise ImproperlyConfigured("FANGTIAO_SMS_BACKEND=http needs FANGTIAO_SMS_HTTP_URL (https://, or http:// on loopback)")

# --- web hardening and uploads (issue 9) -------------------------------------------------------
# Headers on every response (fangtiao.core.security_headers, ADR 0021): the CSP below (no inline
# script, no eval; style attributes allowed, <style> elements not — echarts' tooltips and Tabler use
# them), Permissions-Policy, no-store on every page but /static/, TRACE → 405. Django's own: nosniff,
# Referrer-Policy same-origin, COOP same-origin, X-Frame-Options DENY (above).
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "fangtiao.core.security_headers.SecurityHeadersMiddleware")
FANGTIAO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Cookies: over HTTPS the __Host- prefix (Secure, Path=/, no Domain: no sibling host can set or
# shadow them, ASVS V3.3.3). The demo over plain HTTP keeps the plain names (a browser refuses a
# __Host- cookie without Secure). SameSite=Lax, not Strict: a link to a case from the district's OA
# system or a notification mail must open it logged in; every state change is a CSRF-checked POST.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token in the form and in hx-headers; no script reads the cookie
# Uploads (fangtiao.core.uploads): files only 0600 in 0700 folders; at most this many files per request.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("FANGTIAO_UPLOAD_MAX_FILES", 10, minimum=1)
# An antivirus command run on every upload besides the built-in signature list (fangtiao/core/
# av_signatures.txt): e.g. "clamdscan --no-summary --fdpass" or "clamscan --no-summary"; exit 1 = infected.
FANGTIAO_AV_COMMAND = env_str("FANGTIAO_AV_COMMAND")
FANGTIAO_AV_TIMEOUT = env_int("FANGTIAO_AV_TIMEOUT", 60, minimum=1)
# Pillow's decompression-bomb limit for uploaded images (pixels).
FANGTIAO_IMAGE_MAX_PIXELS = env_int("FANGTIAO_IMAGE_MAX_PIXELS", 60_000_000, minimum=1_000_000)
