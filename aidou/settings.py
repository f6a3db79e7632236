"""One settings module for every environment, read from environment variables.

Defaults are for development on one machine (SQLite in var/, a file-system Celery broker).
With DEBUG=0 the process refuses to start without SECRET_KEY, ALLOWED_HOSTS and the
keys that protect personal data.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AIDOU_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Keys for personal data. FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, the first
# encrypts, all decrypt (rotation). PII_DIGEST_KEY: HMAC key for look-up digests of
# ID numbers, so a person can be found without decrypting every row.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
PII_DIGEST_KEY = os.environ.get("PII_DIGEST_KEY", "")

if not DEBUG:
    missing = [
        name
        for name, value in [
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
            ("PII_DIGEST_KEY", PII_DIGEST_KEY),
        ]
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"DEBUG=0 needs these environment variables: {missing}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "aidou",
    "workforce",
    "annotation",
    "certification",
    "childcare",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = os.environ.get("AIDOU_URLCONF", "aidou.urls")
WSGI_APPLICATION = "aidou.wsgi.application"

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
                "workforce.context_processors.roles",
                "annotation.context_processors.client_nav",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'aidou.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip while a connection is
    # busy (aidou/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "aidou.db.postgresql"
if DATABASES["default"]["ENGINE"] == "aidou.db.postgresql" and env_bool("DB_SERVER_SIDE_BINDING", True):
    # The server binds parameters and psycopg prepares a statement once its connection has
    # run it 5 times (Django turns preparing off unless asked), so PostgreSQL plans the
    # engine's statements once per connection instead of on every call: planning was half
    # of PostgreSQL's CPU per next + submit (docs/decisions/0004). Turn both off behind a
    # pgbouncer older than 1.22 in transaction mode (DB_SERVER_SIDE_BINDING=0).
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web server reads; IMMEDIATE transactions take
    # the write lock up front so two writers wait instead of failing with "locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real Celery worker process can see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_aidou.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "workforce.User"
AUTHENTICATION_BACKENDS = ["workforce.auth_backends.UsernameOrMobileBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Language and time: Simplified Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static and media files, served by the app itself (no outside host).
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # S3-compatible media (MinIO, OSS, COS ...) through django-storages; the boto3
    # variables (AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) are read from the environment.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# Uploads: stream anything over 2.5 MB to disk, refuse bodies over the limit.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
ROSTER_UPLOAD_MAX_BYTES = int(os.environ.get("ROSTER_UPLOAD_MAX_BYTES", 5 * 1024 * 1024))
# Client imports: the whole request, one image, the pixels of one image, a zip's contents.
IMPORT_MAX_REQUEST_BYTES = int(os.environ.get("IMPORT_MAX_REQUEST_BYTES", 2 * 1024**3))
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", 50 * 1024**2))
IMPORT_MAX_PIXELS = int(os.environ.get("IMPORT_MAX_PIXELS", 40_000_000))
IMPORT_ZIP_MAX_ENTRIES = int(os.environ.get("IMPORT_ZIP_MAX_ENTRIES", 20_000))
IMPORT_ZIP_MAX_TOTAL_BYTES = int(os.environ.get("IMPORT_ZIP_MAX_TOTAL_BYTES", 8 * 1024**3))
# A COCO file is parsed in the web process: its bytes and the values they hold (each one a
# Python object) bound what that costs (docs/decisions/0011-bounded-untrusted-input.md).
IMPORT_COCO_MAX_BYTES = int(os.environ.get("IMPORT_COCO_MAX_BYTES", 64 * 1024**2))
IMPORT_COCO_MAX_VALUES = int(os.environ.get("IMPORT_COCO_MAX_VALUES", 4_000_000))
# Workbench: a gap between two signs of work counts as worked time up to this cut-off
# (longer gaps are breaks); the browser sends a heartbeat every 15 s while the annotator works.
WORKBENCH_IDLE_CUTOFF_SECONDS = int(os.environ.get("WORKBENCH_IDLE_CUTOFF_SECONDS", 60))

# Certification: the address printed in certificates' QR codes and signed into their
# credentials (issuer, status list), so it must be the public one, without a trailing slash.
AIDOU_PUBLIC_URL = os.environ.get("AIDOU_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Client webhooks: refuse URLs that are or resolve to private, loopback, link-local or
# reserved addresses (SSRF). Only development and tests turn this on.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
THUMBNAIL_SIZE = 256
ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", "5000"))

# Security: strict in production, and checked by `manage.py check --deploy`.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# REST framework: session auth for the browser, token auth for scripts.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call then answers 401 with `WWW-Authenticate: Token`.
        "annotation.api.auth.ApiKeyAuthentication",
        "workforce.api.auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["aidou.permissions.ServesPrincipal"],
    "DEFAULT_PARSER_CLASSES": [
        "aidou.parsers.SafeJSONParser",
        "aidou.parsers.SafeFormParser",
        "aidou.parsers.SafeMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "aidou.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "aidou.throttling.PrincipalRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("THROTTLE_USER", "3000/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aidou.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Aidou API",
    "DESCRIPTION": "Client and internal API of the Aidou annotation workforce system.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "aidou.models.Job.Status",
        "ProjectStatusEnum": "annotation.models.Project.Status",
        "ItemStatusEnum": "annotation.models.Item.Status",
        "DeliveryStatusEnum": "annotation.models.WebhookDelivery.Status",
        "WebhookEventEnum": "annotation.models.Webhook.Event",
    },
}

# Celery. Default broker: kombu's file-system transport in var/broker, so one machine
# needs no broker server. At scale: CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = Path(os.environ.get("CELERY_BROKER_FOLDER", VAR_DIR / "broker"))
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 30
CELERY_TASK_TIME_LIMIT = 60 * 31
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Jobs that survive a dead worker (docs/decisions/0014-jobs-survive-a-dead-worker.md): a
# running job silent for JOB_STALE_AFTER_SECONDS has lost its worker; Celery beat runs the
# sweep every JOB_SWEEP_EVERY_SECONDS, which queues such a job again up to JOB_MAX_ATTEMPTS
# starts, then fails it. A failed job's staged files are kept JOB_FAILED_KEEP_SECONDS for
# a retry, then removed.
JOB_STALE_AFTER_SECONDS = int(os.environ.get("JOB_STALE_AFTER_SECONDS", 600))
JOB_SWEEP_EVERY_SECONDS = float(os.environ.get("JOB_SWEEP_EVERY_SECONDS", 60))
JOB_MAX_ATTEMPTS = 3
JOB_FAILED_KEEP_SECONDS = int(os.environ.get("JOB_FAILED_KEEP_SECONDS", 24 * 3600))
CELERY_BEAT_SCHEDULE = {
    # A sweep nobody ran in time is dropped, not run late in a pile.
    "jobs-sweep": {
        "task": "aidou.tasks.jobs_sweep_task",
        "schedule": JOB_SWEEP_EVERY_SECONDS,
        "options": {"expires": JOB_SWEEP_EVERY_SECONDS},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# With REMAP_SIGTERM=SIGQUIT in the worker's environment (bin/run-embedded), SIGTERM is a
# cold shutdown: running tasks get this long, then stop; their jobs are taken over.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools reports every table it subsets at INFO (aidou/pdf.py cuts a font once).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
