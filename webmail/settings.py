"""Heron settings: one module, every outside part chosen by an environment variable.

Each part has an embedded default that needs no server (SQLite, database sessions,
local-memory cache, local media files, the demo IMAP server of `make run`).
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .environment import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", default=False)
DEV_SECRET_KEY = "heron-development-only-secret-key-not-for-production-use-0123456789"
SECRET_KEY = env_str("SECRET_KEY") or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Addresses and networks of the proxies (nginx) whose X-Forwarded-For we believe.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
# This process's name among the frontends behind the balancer, sent back as X-Heron-Frontend.
HERON_FRONTEND_NAME = env_str("HERON_FRONTEND_NAME")
# A site whose trusted origins are all https:// is served over TLS (nginx terminates it): its
# cookies are Secure, plain http is redirected and HSTS is sent. `make run` (DEBUG, http) is not.
_HTTPS_ORIGINS = bool(CSRF_TRUSTED_ORIGINS) and all(
    origin.startswith("https://") for origin in CSRF_TRUSTED_ORIGINS)
SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not DEBUG and _HTTPS_ORIGINS)
# The development key is public: a site on https, or one that says it is production, must
# have its own.
if SECRET_KEY == DEV_SECRET_KEY and not DEBUG and (
        _HTTPS_ORIGINS or env_bool("HERON_PRODUCTION", False)):
    raise ImproperlyConfigured("SECRET_KEY must be set in production")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "webmail",
    "accounts",
    "attachments",
    "contacts",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "webmail.middleware.FrontendNameMiddleware",
    "webmail.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "webmail.middleware.ContentSecurityPolicyMiddleware",
    "webmail.middleware.PrimaryPinningMiddleware",
    # The session, its user and the page's folder state in one read of the shared cache.
    "webmail.first_read.FirstReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # The CSRF cookie is not sent again with every page of a signed-in user.
    "accounts.csrf.CsrfCookieKeptMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's language replaces LocaleMiddleware's Accept-Language pick.
    "webmail.language.LanguageMiddleware",
    "accounts.sessions.SessionActivityMiddleware",
    "webmail.middleware.TimezoneMiddleware",
    "accounts.zone_middleware.FixedZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.DisabledDomainMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "webmail.middleware.MailErrorMiddleware",
]

ROOT_URLCONF = "webmail.urls"
WSGI_APPLICATION = "webmail.wsgi.application"

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
                "accounts.context_processors.name_prompt",
                "accounts.context_processors.screen",
                "webmail.context_processors.held_messages",
            ],
        },
    },
]

# --- Database: a primary and optional streaming replicas -------------------------------
DATABASE_URL = env_url("DATABASE_URL")
_CONN = {"conn_max_age": 60, "conn_health_checks": True}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, **_CONN)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
        }
    }
DATABASE_REPLICAS = []
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    _alias = f"replica{_index}"
    DATABASES[_alias] = dj_database_url.parse(_url, **_CONN)
    # Tests run in one transaction on the primary; the replica mirrors it there.
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    DATABASE_REPLICAS.append(_alias)
for _db in DATABASES.values():
    if _db["ENGINE"].endswith("postgresql"):
        _db.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_ROUTERS = ["webmail.db_router.PrimaryReplicaRouter"]
# After a write, the user's reads stay on the primary this long (worst replica lag + margin).
PIN_TO_PRIMARY_SECONDS = env_int("PIN_TO_PRIMARY_SECONDS", 10)
# A replica that failed to answer is skipped this long before it is tried again.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- The task queue: sending later, undo send, snooze ------------------------------------
# Jobs are rows in the primary database (django-tasks' database backend), taken by
# `manage.py heron_worker` processes with SELECT ... FOR UPDATE SKIP LOCKED; each held
# message's own state is a HeldMessage row (webmail/outbox.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["heron"]}}
HERON_QUEUE = "heron"
# A worker that took a message to send holds it this long, and extends the hold while the
# message streams to the server; past it, another worker treats the first as dead.
HERON_SEND_LEASE_SECONDS = env_int("HERON_SEND_LEASE_SECONDS", 120)
# How often a worker looks for work a dead worker left (webmail/tasks.py tick).
HERON_QUEUE_TICK_SECONDS = env_int("HERON_QUEUE_TICK_SECONDS", 30)
# CardDAV (contacts/sync.py): a whole sync's time budget in seconds, the largest answer in
# bytes, and how often a user's book is synced at most when they ask for suggestions.
HERON_CARDDAV_TIMEOUT = env_int("HERON_CARDDAV_TIMEOUT", 10)
HERON_CARDDAV_MAX_BYTES = env_int("HERON_CARDDAV_MAX_BYTES", 2_000_000)
HERON_CARDDAV_SYNC_SECONDS = env_int("HERON_CARDDAV_SYNC_SECONDS", 60)
# A send the server put off (4xx, or unreachable) is tried again after 1, 2, 4… times this,
# this many times, before it comes back to Drafts.
HERON_SEND_RETRY_SECONDS = env_int("HERON_SEND_RETRY_SECONDS", 60)
HERON_SEND_ATTEMPTS = env_int("HERON_SEND_ATTEMPTS", 6)

# --- Redis: sessions, cache, rate limits -----------------------------------------------
REDIS_URL = env_url("REDIS_URL")
if REDIS_URL:
    from webmail import cachejson

    _redis_options = {
        "CLIENT_CLASS": "webmail.cachejson.RedisClient",
        "SOCKET_CONNECT_TIMEOUT": 2,
        "SOCKET_TIMEOUT": 2,
        # Data, never pickle: see webmail/cachejson.py.
        "SERIALIZER": "webmail.cachejson.JSONSerializer",
    }
    CACHES = {
        # VERSION names the encoding in every key: the pickling releases wrote version 1,
        # and neither reads the other's entries while both run.
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                    "KEY_PREFIX": "heron", "VERSION": cachejson.CACHE_SCHEMA,
                    "OPTIONS": _redis_options},
        # Sessions keep their keys, so that no one is logged out by an upgrade; what they
        # are written as while an older release may read them is SESSION_CACHE_FORMAT's.
        "sessions": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                     "KEY_PREFIX": "heron-s", "OPTIONS": {
                         **_redis_options,
                         "SERIALIZER": "webmail.cachejson.SessionSerializer",
                         "SESSION_CACHE_FORMAT": env_choice(
                             "SESSION_CACHE_FORMAT", cachejson.SESSION_FORMATS,
                             cachejson.SESSION_FORMATS[0]),
                     }},
    }
    SESSION_ENGINE = "webmail.session_store"
    SESSION_CACHE_ALIAS = "sessions"
else:
    # This process's memory, held to the JSON rule too (webmail.cachejson.LocalCache); or,
    # with HERON_CACHE_TABLE (`make run`), a table of the database, which the change watcher
    # and the development server then share (run `manage.py createcachetable` first).
    CACHES = {"default": {"BACKEND": "webmail.cachejson.LocalCache"}}
    if os.environ.get("HERON_CACHE_TABLE"):
        CACHES = {"default": {"BACKEND": "webmail.cachejson.SharedDatabaseCache",
                              "LOCATION": os.environ["HERON_CACHE_TABLE"]}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_NAME = "heron_session"
VAULT_COOKIE_NAME = "heron_key"

# --- Storage: compose uploads ----------------------------------------------------------
# All of one message's attachments together may not pass this.
HERON_MAX_MESSAGE_BYTES = env_int("HERON_MAX_MESSAGE_BYTES", 25 * 1024 * 1024)
# All of one user's uploads not yet sent (every draft) together may not pass this.
HERON_UPLOAD_QUOTA_BYTES = env_int("HERON_UPLOAD_QUOTA_BYTES", 200 * 1024 * 1024)
# Of a compose window with no new upload this long, `manage.py purge_uploads` removes the
# uploads no saved draft holds and evicts the stored copies of those a saved draft holds.
HERON_UPLOAD_MAX_AGE_HOURS = env_int("HERON_UPLOAD_MAX_AGE_HOURS", 72)
# An upload bigger than this is spooled to a temporary file, not held in memory, and
# streamed from there to the storage backend; reading one back from S3 spools the same way.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# An action may name up to 5,000 messages (webmail/forms.py ActionForm), each a field.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5_100
S3_BUCKET = env_str("S3_BUCKET")
MEDIA_ROOT = env_str("MEDIA_ROOT") or str(BASE_DIR / "media")
MEDIA_URL = "/media/"
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_url("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": MEDIA_ROOT}}
# With STATIC_MANIFEST, collectstatic writes content-hashed names (heron.3f2a1c.css) that
# nginx may cache for a year; it needs collectstatic to have run, so it is off by default.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage."
                    + ("ManifestStaticFilesStorage" if STATIC_MANIFEST else "StaticFilesStorage")},
}
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT") or str(BASE_DIR / "staticfiles")

# --- Mail servers (defaults; per mail domain in admin) -------------------------------------
_SECURITY = ("ssl", "starttls", "none")
IMAP_HOST = env_str("IMAP_HOST", "127.0.0.1")
IMAP_PORT = env_int("IMAP_PORT", 1143)
IMAP_SECURITY = env_choice("IMAP_SECURITY", _SECURITY, "none")
# An IMAP proxy every user's IMAP connection goes through (nginx's mail module, a Dovecot
# proxy), which then routes by login. Empty: Heron connects to the server that the Route
# and Domain tables (or the defaults above) name. docs/deploy.md, "Behind an IMAP proxy".
IMAP_PROXY_HOST = env_str("IMAP_PROXY_HOST")
IMAP_PROXY_PORT = env_int("IMAP_PROXY_PORT", 143)
IMAP_PROXY_SECURITY = env_choice("IMAP_PROXY_SECURITY", _SECURITY, "none")
# The endpoint nginx's mail proxy asks where a login's server is (auth_http,
# accounts/mailproxy.py): it answers only a request that carries this secret (nginx:
# auth_http_header X-Heron-Proxy-Secret ...) from an address of HERON_MAIL_PROXY_ALLOW.
# Empty secret: the endpoint is off (404).
HERON_MAIL_PROXY_SECRET = env_str("HERON_MAIL_PROXY_SECRET")
HERON_MAIL_PROXY_ALLOW = env_networks("HERON_MAIL_PROXY_ALLOW", ("127.0.0.1/32", "::1/128"))
SMTP_HOST = env_str("SMTP_HOST", "127.0.0.1")
SMTP_PORT = env_int("SMTP_PORT", 1025)
SMTP_SECURITY = env_choice("SMTP_SECURITY", _SECURITY, "none")
IMAP_TIMEOUT = env_int("IMAP_TIMEOUT", 15)
SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 30)
# The domain of a login that has none (the demo server's "demouser"), for its From address.
HERON_LOCAL_MAIL_DOMAIN = env_str("HERON_LOCAL_MAIL_DOMAIN", "localhost")
# For logins the servers above serve (no Domain row), what a Domain's allowed_senders and
# trusted_relay say: addresses users may send as unconfirmed (comma-separated:
# sales@example.org, *@example.org, {local}@example.net; checked by accounts/senders.py),
# and whether to send when the SMTP server offers no login (AUTH). Off: Heron refuses.
HERON_ALLOWED_SENDERS = env_list("HERON_ALLOWED_SENDERS")
SMTP_TRUSTED_RELAY = env_bool("SMTP_TRUSTED_RELAY", False)
# Pooled connections idle longer than this are closed (well under a server's 30 min autologout).
IMAP_POOL_IDLE_SECONDS = env_int("IMAP_POOL_IDLE_SECONDS", 300)
# How many change watchers (manage.py watch --shard N) share the active users.
HERON_WATCH_SHARDS = env_int("HERON_WATCH_SHARDS", 1)
# How long a folder's state confirmed under a watcher's vouch is taken without asking the
# server again (webmail/imap/vouch.py): the longest a change the server tells late, or
# never, can stay unseen. One NOOP per open folder at most this often.
HERON_VOUCH_TRUST_SECONDS = env_int("HERON_VOUCH_TRUST_SECONDS", 5)
IMAP_POOL_MAX = env_int("IMAP_POOL_MAX", 64)
# The IMAP connections of one account that all worker processes of one frontend hold
# together (webmail/imap/slots.py; 0: no bound). A request that finds them all busy waits
# up to HERON_IMAP_SLOT_WAIT_SECONDS for one (idle ones are given back at once), then gets
# a "try again" page. The processes share HERON_IMAP_SLOTS_DIR, a local directory;
# deploy/gunicorn.conf.py makes one per frontend; empty: one for each process.
HERON_IMAP_MAX_PER_USER = env_int("HERON_IMAP_MAX_PER_USER", 2)
HERON_IMAP_SLOT_WAIT_SECONDS = env_int("HERON_IMAP_SLOT_WAIT_SECONDS", 5)
HERON_IMAP_SLOTS_DIR = env_str("HERON_IMAP_SLOTS_DIR")
MESSAGES_PER_PAGE = 50
# The service login: what a worker (send later, undo send, snooze) logs in with to act for
# a user who may be logged out, since no part keeps a user's password at rest. SASL PLAIN
# with the user as authorization identity (RFC 4616): a Dovecot master user, a Cyrus
# proxyserver, SMTP submission through Dovecot's SASL. Empty: the features that need it
# are off. The password is never logged, and no error names it.
HERON_SERVICE_USER = env_str("HERON_SERVICE_USER")
HERON_SERVICE_PASSWORD = env_str("HERON_SERVICE_PASSWORD")
if HERON_SERVICE_USER and not HERON_SERVICE_PASSWORD:
    raise ImproperlyConfigured("HERON_SERVICE_PASSWORD must be set when HERON_SERVICE_USER is")

# --- Filters and vacation: ManageSieve (RFC 5804), per mail domain in admin ------------
# The default ManageSieve server of logins without a Domain row; a port of 0 means the
# servers have none (the demo server of `make run`): Filters then says so.
SIEVE_SECURITY_CHOICES = ("starttls-if-offered", "starttls", "ssl", "none")
MANAGESIEVE_HOST = env_str("MANAGESIEVE_HOST") or IMAP_HOST
MANAGESIEVE_PORT = env_int("MANAGESIEVE_PORT", 4190)
MANAGESIEVE_SECURITY = env_choice("MANAGESIEVE_SECURITY", SIEVE_SECURITY_CHOICES,
                                  "starttls-if-offered")
# How the server reads folder names in scripts: "utf-8" (RFC 5228, Dovecot) or "utf-7"
# (IMAP's modified UTF-7: Cyrus unless its imapd.conf has sieve_utf8fileinto: yes).
MANAGESIEVE_FOLDER_ENCODING = env_choice("MANAGESIEVE_FOLDER_ENCODING", ("utf-8", "utf-7"),
                                         "utf-8")
# One ManageSieve operation (connect, login and the commands) may take this many seconds;
# a script may be this large; a rule may have this many conditions and actions, a script
# this many rules.
HERON_SIEVE_TIMEOUT = env_int("HERON_SIEVE_TIMEOUT", 10)
HERON_SIEVE_MAX_BYTES = env_int("HERON_SIEVE_MAX_BYTES", 256 * 1024)
HERON_SIEVE_MAX_CONDITIONS = env_int("HERON_SIEVE_MAX_CONDITIONS", 50)
HERON_SIEVE_MAX_ACTIONS = env_int("HERON_SIEVE_MAX_ACTIONS", 20)
HERON_SIEVE_MAX_RULES = env_int("HERON_SIEVE_MAX_RULES", 500)

# --- Login throttling --------------------------------------------------------------------
LOGIN_FAILURES_BEFORE_DELAY = env_int("LOGIN_FAILURES_BEFORE_DELAY", 3)
LOGIN_FAILURES_BEFORE_LOCK = env_int("LOGIN_FAILURES_BEFORE_LOCK", 10)
LOGIN_IP_FAILURES_BEFORE_LOCK = env_int("LOGIN_IP_FAILURES_BEFORE_LOCK", 50)
LOGIN_LOCK_SECONDS = env_int("LOGIN_LOCK_SECONDS", 15 * 60)

AUTHENTICATION_BACKENDS = [
    "accounts.backends.ImapBackend",
    "accounts.backends.ThrottledModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/mail/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages Heron's pages come in (locale/ holds their catalogs). A user's choice in
# Settings wins; else the browser's Accept-Language picks one; else English.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE_COOKIES:
    # nginx sets X-Forwarded-Proto on every request it passes on, overwriting a client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes, the metrics scraper and nginx's mail proxy (auth_http) ask a frontend directly,
    # over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^mail-proxy/auth$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is the domain owner's lasting choice: anyone may submit a domain whose
        # header says "preload" to the browsers' list. So it is off unless asked for, and
        # check --deploy need not remind us of it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Metrics and logs ------------------------------------------------------------------
# /metrics answers these client addresses or networks (after TRUSTED_PROXIES), or a request
# with "Authorization: Bearer <METRICS_TOKEN>"; anyone else gets 404.
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
# One line per record: "json" for log shippers, "text" (key=value) for people.
LOG_FORMAT = env_choice("LOG_FORMAT", ("json", "text"), "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "webmail.middleware.RequestIdFilter"}},
    "formatters": {
        "structured": {"()": "webmail.logs.StructuredFormatter", "output": LOG_FORMAT},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured",
                    "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # imaplib's debug log would contain the LOGIN command; keep it quiet always.
        "imapclient": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # Each 4xx is in its heron.request line already; errors and tracebacks still show.
        "django.request": {"level": "ERROR"},
    },
}
