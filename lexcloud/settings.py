"""Settings, read only from environment variables; every one has an embedded default so that
`make run` works on a laptop with no server (SQLite, a filesystem Celery transport, a local SMTP sink).
The README's configuration table lists each variable."""
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("LEXCLOUD_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000")
REGION = env.str("REGION", default="us")  # the guide's data centers: "us" (North America) or "eu"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "lexcloud",
    "accounts",
    "fleet",
    "printmgmt",
    "scan",
    "analytics",
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
]

ROOT_URLCONF = "lexcloud.urls"
WSGI_APPLICATION = "lexcloud.wsgi.application"
ASGI_APPLICATION = "lexcloud.asgi.application"

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
                "accounts.context_processors.shell",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://...) or the embedded SQLite file.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'lexcloud.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the web process and the Celery worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE",
         "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.auth.EmailBackend",
                           # users signed in through their organization's identity provider (SAML / OIDC)
                           "accounts.auth.FederatedBackend"]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.passwords.GuidePasswordValidator"}]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder on every request
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# E-mail: EMAIL_URL (smtp://host:port, smtp+tls://user:pass@host:587, consolemail://, ...).
# The default points at the local sink that `make run` starts (manage.py smtpd).
vars().update(env.email_url("EMAIL_URL", default="smtp://127.0.0.1:1025"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="lexcloud <no-reply@lexcloud.localhost>")
EMAIL_TIMEOUT = 10

# Celery: Redis when REDIS_URL is set, otherwise Kombu's filesystem transport (no server).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery-queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(_queue_dir), "data_folder_out": str(_queue_dir),
                                       "control_folder": str(_queue_dir / "control"), "store_processed": False}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-deleted-organizations": {"task": "accounts.tasks.finish_pending_deletions", "schedule": 300.0},
    "purge-printer-login-records": {"task": "accounts.tasks.purge_printer_login_records", "schedule": 86400.0},
    "refresh-saml-metadata": {"task": "accounts.tasks.refresh_saml_metadata", "schedule": 86400.0},
    "fleet-expire-jobs": {"task": "fleet.tasks.expire_jobs", "schedule": 300.0},
    "fleet-send-pending-commands": {"task": "fleet.tasks.send_pending_commands", "schedule": 300.0},
    "fleet-purge-task-files": {"task": "fleet.tasks.purge_task_files", "schedule": 3600.0},
    "fleet-days-to-replace": {"task": "fleet.tasks.predict_days_to_replace", "schedule": 86400.0},
    "fleet-update-communication": {"task": "fleet.tasks.update_communication", "schedule": 120.0},
    "fleet-purge-ingest-records": {"task": "fleet.tasks.purge_ingest_records", "schedule": 86400.0},
    "print-purge-jobs": {"task": "printmgmt.tasks.purge_print_jobs", "schedule": 300.0},
}
AUTH_AUDIT_RETENTION_DAYS = env.int("AUTH_AUDIT_RETENTION_DAYS", default=90)  # device authentication audit

# Cache (sign-in throttling, later rate limits): Redis when configured, so every process shares it.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "lexcloud"}
          if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)  # failed sign-ins per e-mail and address...
LOGIN_FAILURE_WINDOW = 15 * 60                                    # ...within 15 minutes

# Identity federation. Secrets at rest (client secrets, SAML private keys) are encrypted with these Fernet keys
# (comma-separated, newest first); without them a key is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Identity providers' URLs must be https; plain http is accepted for loopback hosts only when this is on
# (development and the tests' local identity providers).
FEDERATION_ALLOW_HTTP_LOOPBACK = env.bool("FEDERATION_ALLOW_HTTP_LOOPBACK", default=DEBUG)
FEDERATION_HTTP_TIMEOUT = 10  # seconds, fetching metadata, discovery documents, JWKS and tokens

# MQTT broker the agents publish to (read by /healthz and by `manage.py mqtt_ingest`). With mqtts://, the CA
# that signed the broker's certificate, and a client certificate when the broker requires one.
MQTT_URL = env.str("MQTT_URL", default="")
MQTT_CA_FILE = env.str("MQTT_CA_FILE", default="")
MQTT_CERT_FILE = env.str("MQTT_CERT_FILE", default="")
MQTT_KEY_FILE = env.str("MQTT_KEY_FILE", default="")

# Telemetry (fleet.services.communication, docs/decisions/0008): when printers and agents count as silent, and
# how long applied message ids are kept for idempotence.
PRINTER_SILENCE_HOURS = env.int("PRINTER_SILENCE_HOURS", default=26)      # Fleet and Native Agent printers
PRINTER_SILENCE_POLLS = env.int("PRINTER_SILENCE_POLLS", default=3)       # Printer and Local Agent printers
AGENT_SILENCE_MINUTES = env.int("AGENT_SILENCE_MINUTES", default=30)      # Fleet and Local Agent heartbeats
PROCESSED_MESSAGE_RETENTION_DAYS = env.int("PROCESSED_MESSAGE_RETENTION_DAYS", default=7)

# Fleet tasks (guide "Viewing the task information"): a pending job expires after one week, an in-progress job
# after 24 hours; files agents upload for a job (logs, MIB walks) are kept 7 days, at most 50 MB each.
FLEET_JOB_PENDING_TIMEOUT = timedelta(weeks=1)
FLEET_JOB_IN_PROGRESS_TIMEOUT = timedelta(hours=24)
FLEET_TASK_FILE_LIFETIME = timedelta(days=7)
FLEET_TASK_FILE_MAX_BYTES = 50 * 1024 * 1024

# Print Management (docs/decisions/0013): the organizations' submission addresses are
# <username>@print.<PRINT_EMAIL_DOMAIN>; documents larger than PRINT_MAX_UPLOAD_BYTES are refused on every path;
# LibreOffice (PRINT_SOFFICE) renders office documents within PRINT_CONVERSION_TIMEOUT seconds; Analytics reads
# job history for PRINT_HISTORY_RETENTION_DAYS (the Print Job History page shows the organization's window).
PRINT_EMAIL_DOMAIN = env.str("PRINT_EMAIL_DOMAIN", default="lexcloud.localhost")
PRINT_MAX_UPLOAD_BYTES = env.int("PRINT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
PRINT_EMAIL_MAX_BYTES = env.int("PRINT_EMAIL_MAX_BYTES", default=50 * 1024 * 1024)   # whole message
PRINT_CONVERSION_TIMEOUT = env.int("PRINT_CONVERSION_TIMEOUT", default=120)
PRINT_SOFFICE = env.str("PRINT_SOFFICE", default="soffice")
PRINT_HISTORY_RETENTION_DAYS = env.int("PRINT_HISTORY_RETENTION_DAYS", default=760)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend",
                                "rest_framework.filters.SearchFilter", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_PAGINATION_CLASS": "lexcloud.api.Pagination",
    "EXCEPTION_HANDLER": "lexcloud.api.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "lexcloud API",
    "DESCRIPTION": "Account Management API of lexcloud. Every path under /api/v1/organizations/{org_id}/ "
                   "answers 404 for organizations the caller cannot see.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "accounts.choices.OrganizationKind",
        "OrganizationStatusEnum": "accounts.choices.OrganizationStatus",
        "GroupKindEnum": "accounts.choices.GroupKind",
        "ImportStatusEnum": "accounts.choices.ImportStatus",
        "ApplicationKindEnum": "accounts.choices.ApplicationKind",
        "TaskStatusEnum": "fleet.choices.TaskStatus",
        "JobStatusEnum": "fleet.choices.JobStatus",
        "AgentTypeEnum": "fleet.choices.AgentType",
        "CriterionKindEnum": "fleet.choices.CriterionKind",
        "CodeKindEnum": "fleet.choices.CodeKind",
        "PrinterStatusEnum": "fleet.choices.Status",
        "CommunicationEnum": "fleet.choices.Communication",
        "PrintAssignByEnum": "printmgmt.choices.AssignBy",
        "PrintPeriodUnitEnum": "printmgmt.choices.PeriodUnit",
        "PrintJobStateEnum": "printmgmt.choices.JobState",
        "PrintAssignmentTypeEnum": "printmgmt.choices.AssignmentType",
        "PrintJobSourceEnum": "printmgmt.choices.JobSource",
        "DocumentFormatEnum": "printmgmt.choices.DocumentFormat",
        "PrintHistoryResultEnum": "printmgmt.choices.HistoryResult",
    },
}

# OAuth2 client credentials for printers, agents and integrations (django-oauth-toolkit), issued from the
# organization's Applications; access tokens live two hours.
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 7200,
    "OAUTH2_BACKEND_CLASS": "accounts.oauth.TokenRequestBackend",
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.Validator",
    "SCOPES": {"device": "Printer and device API", "agent": "Agent API", "integration": "Integration API"},
    "DEFAULT_SCOPES": ["device", "agent", "integration"],
}
# Fleet integration API rate limit per application (token bucket): a burst of INTEGRATION_API_BURST calls,
# then one call every INTEGRATION_API_REFILL_SECONDS (default 300 calls a minute sustained).
INTEGRATION_API_BURST = env.int("INTEGRATION_API_BURST", default=120)
INTEGRATION_API_REFILL_SECONDS = env.float("INTEGRATION_API_REFILL_SECONDS", default=0.2)

IMPORT_MAX_BYTES = 1024 * 1024  # "The size of the CSV file must not exceed 1MB."

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
