"""ReelMate settings: every value comes from the environment (or a `.env` file), read here only.

With nothing set, the project runs on an embedded default: SQLite, local media files, Celery's
filesystem broker and an in-process cache, DEBUG on. Setting DATABASE_URL / REDIS_URL / S3 keys
switches the same code to PostgreSQL, Redis and S3-compatible storage (Supabase Storage in
production). `.env.example` documents every variable.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("REELMATE_VAR_DIR", default=str(BASE_DIR / "var")))


def parse_duration(value: str) -> timedelta:
    """Parse durations written the way the seed's JWT_EXPIRES_IN is: `7d`, `15m`, `12h`, `30s`, `3600`."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", str(value))
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"invalid duration {value!r}: use a positive number with s, m, h, d or w (e.g. 15m, 7d)")
    amount, unit = int(match.group(1)), match.group(2) or "s"
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return timedelta(seconds=amount * seconds)


# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=not env.bool("PRODUCTION", default=False))
DEV_SECRET_KEY = "insecure-dev-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=env("SESSION_SECRET", default="")) or (DEV_SECRET_KEY if DEBUG else "")


def require_strong_secret(name: str, value: str) -> None:
    """Outside DEBUG, a missing, short or published key would let anyone forge sessions and tokens."""
    if not DEBUG and (len(value) < 32 or value == DEV_SECRET_KEY or value.startswith("change-me")):
        raise environ.ImproperlyConfigured(
            f"Set {name} to a random value of at least 32 characters when DEBUG is off "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


require_strong_secret("SECRET_KEY (or SESSION_SECRET)", SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
PORT = env.int("PORT", default=5001)
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default=f"http://localhost:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reelmate",
    "accounts",
    "campaigns",
    "ai_studio",
    "analytics",
]

MIDDLEWARE = [
    "reelmate.logging.RequestIdMiddleware",
    "reelmate.api.errors.JsonApiErrorPagesMiddleware",
    "reelmate.api.errors.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reelmate.urls"
WSGI_APPLICATION = "reelmate.wsgi.application"
ASGI_APPLICATION = "reelmate.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'reelmate.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite is shared by the web server and the worker in the embedded default: wait on locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Redis: Celery broker + cache -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "reelmate", "TIMEOUT": 300}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "reelmate"}}

# --- Celery (policy that never varies lives in reelmate/celery.py) ----------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A generation job's limits (ai_studio.tasks.run_generation_job declares them; other tasks declare
# short ones of their own). Read by Celery too, as the default for its built-in tasks.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=720)
# An unacknowledged message is handed to another worker after this many seconds (acks_late):
# kept above the hard time limit so a slow job is never run twice while it is still alive.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 180),
    # How often a worker looks for messages whose worker died, to put them back on the queue
    # (kombu's default scans only every 10 x 10 s).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=30),
    "unacked_restore_throttle": 1,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_broker_dir / "queue"), data_folder_out=str(_broker_dir / "queue"),
        control_folder=str(_broker_dir / "control"), store_processed=False,
    )

# --- Storage ----------------------------------------------------------------------------------
STORAGE_BUCKET_NAME = env("STORAGE_BUCKET_NAME", default="reelmate-storage")
SUPABASE_URL = env("SUPABASE_URL", default="")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", default="") or (
    f"{SUPABASE_URL.rstrip('/')}/storage/v1/s3" if SUPABASE_URL else ""
)
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", default="")
S3_REGION = env("S3_REGION", default="us-east-1")
USING_S3 = bool(S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)
PRESIGNED_URL_EXPIRY = env.int("PRESIGNED_URL_EXPIRY", default=3600)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"



def s3_storage_backend(*, bucket: str, endpoint_url: str, access_key: str, secret_key: str, region: str,
               expire: int) -> dict:
    """django-storages S3 settings: private objects reachable only through SigV4 presigned URLs."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": expire,
            "file_overwrite": False,
        },
    }


if USING_S3:
    DEFAULT_STORAGE = s3_storage_backend(
        bucket=STORAGE_BUCKET_NAME, endpoint_url=S3_ENDPOINT_URL, access_key=S3_ACCESS_KEY_ID,
        secret_key=S3_SECRET_ACCESS_KEY, region=S3_REGION, expire=PRESIGNED_URL_EXPIRY,
    )
else:
    DEFAULT_STORAGE = {
        "BACKEND": "reelmate.storage.SignedFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/media/"},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Upload limits ----------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_IMAGE_UPLOAD_BYTES = env.int("MAX_IMAGE_UPLOAD_BYTES", default=5 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=25_000_000)
# Voice samples and music beds uploaded by staff.
MAX_AUDIO_UPLOAD_BYTES = env.int("MAX_AUDIO_UPLOAD_BYTES", default=5 * 1024 * 1024)
# Any request declaring a larger body is refused (413) before it is read.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES",
                            default=max(MAX_IMAGE_UPLOAD_BYTES, MAX_AUDIO_UPLOAD_BYTES) + 1024 * 1024)

# --- REST framework, JWT, OpenAPI -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "reelmate.api.parsers.SafeJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "reelmate.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "reelmate.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reelmate.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

JWT_SECRET = env("JWT_SECRET", default="") or SECRET_KEY
require_strong_secret("JWT_SECRET", JWT_SECRET)
JWT_EXPIRES_IN = env("JWT_EXPIRES_IN", default="7d")
JWT_REFRESH_EXPIRES_IN = env("JWT_REFRESH_EXPIRES_IN", default="30d")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": parse_duration(JWT_EXPIRES_IN),
    "REFRESH_TOKEN_LIFETIME": parse_duration(JWT_REFRESH_EXPIRES_IN),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": JWT_SECRET,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ReelMate API",
    "DESCRIPTION": "Campaigns, AI Studio (avatars, voices, templates, video generation) and analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "JobStatusEnum": "ai_studio.models.JobStatus",
        "JobStageEnum": "ai_studio.models.JobStage",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reelmate.api.schema.strip_trailing_slashes",
    ],
}

# --- Rate limits (django-ratelimit, counted in the cache) -------------------------------------
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_AUTH = env("RATELIMIT_AUTH", default="10/m")
RATELIMIT_EVENTS = env("RATELIMIT_EVENTS", default="600/m")
# Behind a proxy, the client address comes from X-Forwarded-For (set TRUST_X_FORWARDED_FOR).
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
RATELIMIT_IP_META_KEY = "reelmate.api.ratelimit.forwarded_client_ip" if TRUST_X_FORWARDED_FOR else "REMOTE_ADDR"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"] if not REDIS_URL else []

# --- CORS -------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[FRONTEND_URL])
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]

# --- Generation engine ------------------------------------------------------------------------
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
OPENAI_TTS_MODEL = env("OPENAI_TTS_MODEL", default="gpt-4o-mini-tts")
OPENAI_TRANSCRIBE_MODEL = env("OPENAI_TRANSCRIBE_MODEL", default="whisper-1")
OPENAI_WORD_TIMESTAMPS = env.bool("OPENAI_WORD_TIMESTAMPS", default=True)
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=60.0)
SPEECH_DEFAULT_PROVIDER = env("SPEECH_DEFAULT_PROVIDER", default="openai" if OPENAI_API_KEY else "local")
RENDER_PRESET = env("RENDER_PRESET", default="veryfast")
RENDER_CRF = env.int("RENDER_CRF", default=23)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=4)
# Transient failures are retried after base * 2^(attempt-1) seconds (capped), with jitter.
GENERATION_RETRY_BASE_SECONDS = env.float("GENERATION_RETRY_BASE_SECONDS", default=5.0)
GENERATION_RETRY_MAX_SECONDS = env.float("GENERATION_RETRY_MAX_SECONDS", default=300.0)
# A running job renews its lease every third of this; a job whose lease lapsed (its worker died)
# can be claimed by another worker.
GENERATION_LEASE_SECONDS = env.int("GENERATION_LEASE_SECONDS", default=60)

# --- Security (production) --------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)  # the HSTS flag: 0 = off
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Logging: JSON lines, each with the request id ---------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")  # "json" | "text"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "reelmate.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}
