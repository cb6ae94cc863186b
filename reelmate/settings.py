"""ReelMate settings: every value comes from the environment (or a `.env` file), read here only.

With DEBUG=true and nothing else set (what `make run` does), the project runs on an embedded
default: SQLite, local media files, Celery's filesystem broker and an in-process cache. DEBUG is
off unless explicitly enabled, and then a strong SECRET_KEY is required: a server started with
neither refuses to start. Setting DATABASE_URL / REDIS_URL / S3 keys switches the same code to
PostgreSQL, Redis and S3-compatible storage (Supabase Storage in production). `.env.example`
documents every variable.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ
from botocore.config import Config

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
# Fails closed: off unless enabled, so a forgotten setting cannot sign tokens with DEV_SECRET_KEY.
DEBUG = env.bool("DEBUG", default=False)
DEV_SECRET_KEY = "insecure-dev-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=env("SESSION_SECRET", default="")) or (DEV_SECRET_KEY if DEBUG else "")


def require_strong_secret(name: str, value: str) -> None:
    """Outside DEBUG, a missing, short or published key would let anyone forge sessions and tokens."""
    if not DEBUG and (len(value) < 32 or value == DEV_SECRET_KEY or value.startswith("change-me")):
        raise environ.ImproperlyConfigured(
            f"Set {name} to a random value of at least 32 characters when DEBUG is off "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or DEBUG=true on a development machine (make run does)."
        )


require_strong_secret("SECRET_KEY (or SESSION_SECRET)", SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
PORT = env.int("PORT", default=5001)
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000")
# The origin clients reach this server at: share links and the embedded storage's signed media URLs
# are built on it (also in workers, which have no request), so they work from FRONTEND_URL's origin.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default=f"http://localhost:{PORT}")
if not re.fullmatch(r"https?://[^/?#]+(/[^?#]*)?", PUBLIC_BASE_URL):
    raise environ.ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an absolute http(s) URL such as https://api.example.com, not {PUBLIC_BASE_URL!r}."
    )

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
    "webhooks",
]

MIDDLEWARE = [
    "reelmate.logging.RequestIdMiddleware",
    "reelmate.api.errors.JsonApiErrorPagesMiddleware",
    "reelmate.api.errors.DatabaseUnavailableMiddleware",
    "reelmate.api.errors.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: under ASGI the chain above runs in one thread per request (see the class).
    "reelmate.middleware.SynchronousChainMiddleware",
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
# A kept-alive connection is checked before each request reuses it, so after a database restart
# the first request reconnects instead of failing (no process restart needed).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite is shared by the web server and the worker in the embedded default: wait on locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=5)
if USING_POSTGRES:  # an unreachable server fails a request in seconds, not after the OS's TCP timeout
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
# The web processes (reelmate/asgi.py and wsgi.py turn it on) take connections from a pool per
# process. Under ASGI each request runs in a thread of its own, so a persistent connection
# (CONN_MAX_AGE) is never reused: every request paid a new connection and left it open until
# garbage collection ("too many clients" at 8 connections). Off elsewhere: a Celery worker forks
# its pool processes, which must not inherit the parent's pooled connections.
DB_POOL = env.bool("DB_POOL", default=False) and USING_POSTGRES
if DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # a request hands its connection back to the pool
    # With CONN_HEALTH_CHECKS the pool checks a connection before handing it out (one empty query),
    # so after a database restart requests get fresh connections; while the database is down a
    # request waits up to DB_POOL_TIMEOUT seconds for one, then answers 503 database_unavailable.
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=8),
        "timeout": env.float("DB_POOL_TIMEOUT", default=float(DB_CONNECT_TIMEOUT)),
    }
# Under ASGI (reelmate.asgi_pool) a web process answers ordinary HTTP requests on this many long-lived
# threads (streams and WebSockets do not hold one): at most DB_POOL_MAX_SIZE, leaving a few
# connections for the live streams' and WebSocket consumers' queries.
ASGI_REQUEST_THREADS = env.int("ASGI_REQUEST_THREADS", default=4)

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
# Redis may go away: short socket timeouts, and after a connection failure the cache, the job
# publisher and the event buffer skip Redis for this many seconds (a circuit breaker,
# reelmate/circuit.py) instead of each request waiting on a timeout.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
OUTAGE_RECHECK_SECONDS = env.float("OUTAGE_RECHECK_SECONDS", default=5.0)
if REDIS_URL:
    # Redis while it answers, a per-process memory cache while it does not (reelmate/cache.py).
    CACHES = {"default": {"BACKEND": "reelmate.cache.DegradingRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "reelmate", "TIMEOUT": 300,
                          "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                                      "socket_timeout": REDIS_SOCKET_TIMEOUT}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "reelmate"}}

# --- Live job status (reelmate/live): WebSocket and Server-Sent Events -------------------------
# With Redis, events travel through channels-redis (every web process and worker shares it) and
# each stream's sequence and recent events live in Redis. Without Redis (the embedded default) the
# single ASGI web process keeps them in memory and the worker hands its events to it over
# loopback: LIVE_RELAY_URL (bin/run-stack sets it; signed with SECRET_KEY).
if REDIS_URL:
    # The socket timeout stays above channels-redis' 5 s blocking reads (redis-py's default is 5 s:
    # a quiet channel would time out and drop its connections).
    CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                              "socket_timeout": 15}],
                   "prefix": "reelmate-live", "capacity": 500, "expiry": 60},
    }}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 500}}}
LIVE_RELAY_URL = env("LIVE_RELAY_URL", default="")
LIVE_KEEPALIVE_SECONDS = env.float("LIVE_KEEPALIVE_SECONDS", default=15.0)
# A stream (SSE) is closed after this long; the client reconnects with Last-Event-ID and misses nothing.
LIVE_STREAM_MAX_SECONDS = env.float("LIVE_STREAM_MAX_SECONDS", default=1800.0)
# How many recent events per job are kept for resuming, and for how long.
LIVE_BACKLOG_EVENTS = env.int("LIVE_BACKLOG_EVENTS", default=200)
LIVE_BACKLOG_SECONDS = env.int("LIVE_BACKLOG_SECONDS", default=86400)
# A WebSocket that has not authenticated within this many seconds is closed (4001).
LIVE_AUTH_TIMEOUT_SECONDS = env.float("LIVE_AUTH_TIMEOUT_SECONDS", default=10.0)
LIVE_MAX_SUBSCRIPTIONS = env.int("LIVE_MAX_SUBSCRIPTIONS", default=200)

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
# (A job whose worker died is found sooner, by its lapsed lease: see GENERATION_LEASE_SECONDS.)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 180),
    # How often a worker looks for messages whose worker died, to put them back on the queue
    # (kombu's default scans only every 10 x 10 s).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=30),
    "unacked_restore_throttle": 1,
}
if CELERY_BROKER_URL.startswith("redis"):
    # Without a socket timeout, a publish to a Redis that vanished without closing the connection
    # waits forever; it must stay above kombu's 1 s BRPOP timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_timeout=env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=5.0),
    )


def filesystem_broker_options(var_dir: Path) -> dict:
    """The filesystem broker's folders under `var_dir` (created), as transport options."""
    broker_dir = var_dir / "broker"
    for folder in ("queue", "control"):
        (broker_dir / folder).mkdir(parents=True, exist_ok=True)
    return {"data_folder_in": str(broker_dir / "queue"), "data_folder_out": str(broker_dir / "queue"),
            "control_folder": str(broker_dir / "control"), "store_processed": False}


if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(filesystem_broker_options(VAR_DIR))

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
# A process hands out a URL it signed again for this long (capped at a twelfth of the expiry): signing
# is CPU-heavy, and a client polling a job gets the same URLs (reelmate.storage.presigned_url). 0: never.
PRESIGNED_URL_REUSE_SECONDS = env.int("PRESIGNED_URL_REUSE_SECONDS", default=300)
# An S3 request that cannot connect or gets no answer fails after these timeouts and is tried
# S3_MAX_ATTEMPTS times in all (botocore's standard retry mode: backoff with jitter); a job whose
# upload still fails is retried later as a transient failure (`storage_unavailable`).
S3_CONNECT_TIMEOUT = env.float("S3_CONNECT_TIMEOUT", default=5.0)
S3_READ_TIMEOUT = env.float("S3_READ_TIMEOUT", default=30.0)
S3_MAX_ATTEMPTS = env.int("S3_MAX_ATTEMPTS", default=3)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"



def s3_storage_backend(*, bucket: str, endpoint_url: str, access_key: str, secret_key: str, region: str,
                       expire: int, connect_timeout: float = S3_CONNECT_TIMEOUT,
                       read_timeout: float = S3_READ_TIMEOUT, max_attempts: int = S3_MAX_ATTEMPTS) -> dict:
    """django-storages S3 settings: private objects reachable only through SigV4 presigned URLs, and
    requests bounded in time and retries."""
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
            # Given a client config, django-storages no longer applies addressing_style and
            # signature_version itself: they are repeated here.
            "client_config": Config(
                s3={"addressing_style": "path"}, signature_version="s3v4", connect_timeout=connect_timeout,
                read_timeout=read_timeout, retries={"mode": "standard", "max_attempts": max_attempts},
            ),
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

# /api/health/ready probes storage (a HEAD on the bucket) at most this often per process.
HEALTH_STORAGE_CHECK_SECONDS = env.float("HEALTH_STORAGE_CHECK_SECONDS", default=10.0)

# --- Upload limits ----------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_IMAGE_UPLOAD_BYTES = env.int("MAX_IMAGE_UPLOAD_BYTES", default=5 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=25_000_000)
# Video clips in a campaign's media library (reelmate.media: MP4/MOV, at most 60 s).
MAX_VIDEO_UPLOAD_BYTES = env.int("MAX_VIDEO_UPLOAD_BYTES", default=100 * 1024 * 1024)
# Voice samples and music beds uploaded by staff.
MAX_AUDIO_UPLOAD_BYTES = env.int("MAX_AUDIO_UPLOAD_BYTES", default=5 * 1024 * 1024)
# Room in a multipart body for its boundaries and other fields, beside its largest file.
MULTIPART_ALLOWANCE_BYTES = 1024 * 1024
# Any request declaring a larger body is refused (413) before it is read; a view may declare a larger
# limit of its own (the media library's upload allows MAX_VIDEO_UPLOAD_BYTES + MULTIPART_ALLOWANCE_BYTES).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES",
                            default=max(MAX_IMAGE_UPLOAD_BYTES, MAX_AUDIO_UPLOAD_BYTES) + MULTIPART_ALLOWANCE_BYTES)

# --- REST framework, JWT, OpenAPI -------------------------------------------------------------
REST_FRAMEWORK = {
    # simplejwt's bearer tokens, minus the access tokens a logout revoked.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.RevocableJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON, encoded by orjson (same bytes, ~18x less CPU for a page of jobs).
    "DEFAULT_RENDERER_CLASSES": ["reelmate.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "reelmate.api.parsers.SafeJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "reelmate.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "reelmate.api.filters.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "reelmate.api.filters.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "reelmate.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "reelmate.api.errors.exception_handler",
    # Per-user limits on writes (reelmate.api.throttling): a view's `throttle_scope` names its rate,
    # in DEFAULT_THROTTLE_RATES (set with the other rate limits below).
    "DEFAULT_THROTTLE_CLASSES": ["reelmate.api.throttling.UserWriteThrottle"],
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
        "DraftSourceEnum": "ai_studio.serializers.scripts.DRAFT_SOURCES",
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
# The client address (per-IP limits, analytics bounds) is REMOTE_ADDR, unless REMOTE_ADDR is one
# of TRUSTED_PROXIES (addresses or CIDR networks): then it is the rightmost X-Forwarded-For entry
# that is not a trusted proxy (reelmate.api.ratelimit.client_ip). TRUST_X_FORWARDED_FOR=true
# without TRUSTED_PROXIES (the earlier switch) trusts proxies on loopback and private networks.
PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)
TRUSTED_PROXIES = [network.strip() for network in env.list(
    "TRUSTED_PROXIES", default=PRIVATE_NETWORKS if TRUST_X_FORWARDED_FOR else []) if network.strip()]
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise environ.ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_network!r} is not an IP address or network (e.g. 10.0.0.0/8, 2001:db8::/32)."
        ) from None
RATELIMIT_IP_META_KEY = "reelmate.api.ratelimit.client_ip"
# Counted in the default cache: Redis (atomic INCR), or per process while Redis is away or absent
# (the embedded default's single web process): django-ratelimit does not know these backends.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + (["django_ratelimit.E003"] if not REDIS_URL else [])

# --- Analytics: what public event ingest may cost ----------------------------------------------
# New viewer ids counted a day per client address and per video (its share link). Beyond either
# bound an event still counts (views, plays, clicks...) but its viewer stays anonymous: no new
# unique viewer and no watch time, so made-up viewer ids cannot inflate the audience.
ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = env.int("ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY", default=200)
ANALYTICS_NEW_VIEWERS_PER_VIDEO_PER_DAY = env.int("ANALYTICS_NEW_VIEWERS_PER_VIDEO_PER_DAY", default=20_000)
# Events waiting in Redis for the flush; a batch that would go over is refused (429, Retry-After).
ANALYTICS_EVENT_BUFFER_MAX = env.int("ANALYTICS_EVENT_BUFFER_MAX", default=200_000)
# Days the per-viewer rows are kept (exact distinct viewers across days and videos); reports count
# older days from their daily rollups.
ANALYTICS_VIEWER_RETENTION_DAYS = env.int("ANALYTICS_VIEWER_RETENTION_DAYS", default=90)

# Per-user request rates on write endpoints (DRF throttles counted in the default cache, keyed by
# user id; reads are never throttled), by throttle scope. `generation`: generate-video, retry,
# cancel; `scripts`: the script writer's drafts and translations, which call a language model;
# `writes`: every other write (campaigns, templates, media, share links, videos).
# Format: count/period (s, m, h, d).
def require_rate(name: str, value: str) -> str:
    """A rate as DRF's throttles read it, checked at start-up rather than on the first write."""
    if not re.fullmatch(r"\d+/[smhd][a-z]*", value):
        raise environ.ImproperlyConfigured(f"{name}={value!r}: write a rate as count/period, e.g. 30/m or 1000/day.")
    return value


REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "generation": require_rate("THROTTLE_GENERATION", env("THROTTLE_GENERATION", default="30/m")),
    "scripts": require_rate("SCRIPT_WRITER_RATE", env("SCRIPT_WRITER_RATE", default="60/hour")),
    "writes": require_rate("THROTTLE_WRITES", env("THROTTLE_WRITES", default="120/m")),
}

# --- Plans: per-user limits on generation (accounts.Plan, edited in the admin) ----------------
# The slug of the plan every new user gets (the data migration seeds free, pro and unlimited).
DEFAULT_PLAN = env("DEFAULT_PLAN", default="free")

# --- Webhooks: signed HTTP callbacks to users' endpoints (webhooks/, reelmate/outbound.py) ------
# Loopback / private (RFC 1918, fc00::/7) destinations are refused unless allowed here: for
# development and tests only. Cloud metadata addresses are refused whatever these say.
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# One delivery attempt: connect and read timeouts (seconds); at most this much of the reply is kept.
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=10.0)
# Seconds between a failed attempt and the next (each 80-100% of the step, at random); after the
# last step the delivery is failed. Default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 h).
WEBHOOKS_RETRY_SCHEDULE = [float(step) for step in env.list(
    "WEBHOOKS_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000", "36000"])]
# An endpoint all of whose attempts failed for this many days (none succeeding) is disabled, with why.
WEBHOOKS_DISABLE_AFTER_DAYS = env.float("WEBHOOKS_DISABLE_AFTER_DAYS", default=3.0)
# After a secret rotation the old secret keeps signing (a second signature) for this many hours.
WEBHOOKS_SECRET_GRACE_HOURS = env.float("WEBHOOKS_SECRET_GRACE_HOURS", default=24.0)
# How often beat sends the deliveries that are due and that the broker does not hold (seconds).
WEBHOOKS_SWEEP_SECONDS = env.float("WEBHOOKS_SWEEP_SECONDS", default=10.0)
WEBHOOKS_MAX_ENDPOINTS_PER_USER = env.int("WEBHOOKS_MAX_ENDPOINTS_PER_USER", default=20)
# Finished deliveries (and their attempts) stay in the log this many days, then beat prunes them.
WEBHOOKS_LOG_RETENTION_DAYS = env.int("WEBHOOKS_LOG_RETENTION_DAYS", default=30)

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
# Sentences the local Piper voice synthesised, kept per machine and shared by its workers, so that a
# batch's sentences without a variable are spoken once (ai_studio/generation/speech/sentence_cache.py):
# ~90 KB per second of speech; least recently used entries go past the bound; 0 turns it off.
SPEECH_CACHE_DIR = Path(env("SPEECH_CACHE_DIR", default="") or VAR_DIR / "speech-cache")  # empty: the default
SPEECH_CACHE_MAX_MB = env.float("SPEECH_CACHE_MAX_MB", default=256.0)
RENDER_PRESET = env("RENDER_PRESET", default="veryfast")
RENDER_CRF = env.int("RENDER_CRF", default=23)
# x264 threads per render; 0: x264 chooses (one frame thread per core and a half). 1 costs ~5% less
# CPU and ~30 MB less memory per 1080p render, and renders one reel ~1.8x slower on an idle machine:
# for workers that together keep every core busy (as many worker processes as cores) and have the
# cores to themselves: on an overloaded machine the one-thread encoder falls behind and frames queue
# up in front of it (ffmpeg was seen at 404 MB instead of ~150).
RENDER_THREADS = env.int("RENDER_THREADS", default=0)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=4)
# Transient failures are retried after base * 2^(attempt-1) seconds (capped), with jitter.
GENERATION_RETRY_BASE_SECONDS = env.float("GENERATION_RETRY_BASE_SECONDS", default=5.0)
GENERATION_RETRY_MAX_SECONDS = env.float("GENERATION_RETRY_MAX_SECONDS", default=300.0)
# A running job renews its lease every quarter of this; a job whose lease lapsed (its worker died)
# can be claimed by another worker.
GENERATION_LEASE_SECONDS = env.int("GENERATION_LEASE_SECONDS", default=20)
# How often the dispatcher (in the beat process) sends jobs the broker never received or lost, and
# resumes jobs whose lease lapsed: a SIGKILLed worker's job is sent again within lease + this.
GENERATION_DISPATCH_SECONDS = env.float("GENERATION_DISPATCH_SECONDS", default=5.0)

# --- Script writer (OpenAI chat API) ----------------------------------------------------------
OPENAI_SCRIPT_MODEL = env("OPENAI_SCRIPT_MODEL", default="gpt-4o-mini")
# Seconds one call may take, and the whole request (every retry included): below gunicorn's 30 s.
OPENAI_SCRIPT_TIMEOUT = env.float("OPENAI_SCRIPT_TIMEOUT", default=20.0)
SCRIPT_WRITER_DEADLINE_SECONDS = env.float("SCRIPT_WRITER_DEADLINE_SECONDS", default=25.0)
# Calls per request: transient failures and answers that fail the checks are retried up to this.
SCRIPT_WRITER_MAX_ATTEMPTS = env.int("SCRIPT_WRITER_MAX_ATTEMPTS", default=3)
# Transient failures are retried after base * 2^(attempt-1) seconds (capped), with jitter.
SCRIPT_WRITER_RETRY_BASE_SECONDS = env.float("SCRIPT_WRITER_RETRY_BASE_SECONDS", default=1.0)
SCRIPT_WRITER_RETRY_MAX_SECONDS = env.float("SCRIPT_WRITER_RETRY_MAX_SECONDS", default=4.0)

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
