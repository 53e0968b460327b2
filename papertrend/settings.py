"""Django settings for papertrend, read from environment variables.

Local development needs no environment: SQLite under ``var/``, email to files.
See README.md ("Configuration") for every variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from papertrend.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    site_url_from_bind,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("PAPERTREND_DATA_DIR", Path.cwd() / "var")


def _secret_key() -> str:
    """Use $SECRET_KEY, else a random key kept in DATA_DIR so sessions survive restarts."""
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where `papertrend serve` listens; absolute links in feeds and emails (SITE_URL) point
# there unless SITE_URL says otherwise (a public name, a proxy).
BIND = env_str("PAPERTREND_BIND", "127.0.0.1:8000")
SITE_URL = env_str("SITE_URL", site_url_from_bind(BIND)).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "papertrend.papers",
    "papertrend.coderepos",
    "papertrend.search",
    "papertrend.accounts",
    "papertrend.trending",
    "papertrend.api",
    "papertrend.digests",
    # django-ninja serves its API docs page from its own static files when installed as an
    # app, instead of loading Swagger UI from a CDN: the site needs no outside network.
    "ninja",
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
    # 414 for over-long addresses, in the site's page or the API's JSON shape.
    "papertrend.middleware.LongUrlMiddleware",
]

ROOT_URLCONF = "papertrend.urls"
WSGI_APPLICATION = "papertrend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
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

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'papertrend.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site read while an ingest or harvest job writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Lets two test runs share one PostgreSQL server without dropping each other's database.
if test_database_name := env_str("PAPERTREND_TEST_DATABASE_NAME", ""):
    DATABASES["default"]["TEST"] = {"NAME": test_database_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# whitenoise serves from the finders in development; the folder only has to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
# SMTP (set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend to use it).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "papertrend <digests@localhost>")
# The mailbox that List-Unsubscribe's mailto: points to (RFC 2369); empty: https only.
DIGEST_UNSUBSCRIBE_MAILTO = env_str("PAPERTREND_UNSUBSCRIBE_MAILTO", "")
# Seconds between passes of `papertrend digests send` (confirmation emails wait at most this).
DIGEST_LOOP_SLEEP = env_float("PAPERTREND_DIGEST_LOOP_SLEEP", 60.0, minimum=0.1)
SUBSCRIBE_RATE = env_str("PAPERTREND_SUBSCRIBE_RATE", "5/h")

# --- papertrend ---
# Full-text index (tantivy) lives beside the database; it is derived data that
# `papertrend index rebuild` can always recreate from the database.
SEARCH_INDEX_DIR = env_path("PAPERTREND_SEARCH_INDEX_DIR", DATA_DIR / "search-index")
SEARCH_RESULTS_PER_PAGE = env_int("PAPERTREND_SEARCH_RESULTS_PER_PAGE", 20, minimum=1)
PAPERS_PER_PAGE = env_int("PAPERTREND_PAPERS_PER_PAGE", 30, minimum=1)
# HTML listings page through their first this-many papers (the API's window too):
# deeper OFFSETs cost seconds at arXiv scale; days, weeks, months and search reach the rest.
LISTING_MAX_ROWS = env_int("PAPERTREND_LISTING_MAX_ROWS", 10_000, minimum=1)

# Semantic search (docs/search.md): the embedding model, where its weights are
# cached when derived locally, and the vector index (derived data, like the
# full-text index: `papertrend index build` recreates it from the database).
EMBEDDING_MODEL = env_choice("PAPERTREND_EMBEDDING_MODEL", "minilm", ("minilm", "minilm-static"))
EMBEDDING_DEVICE = env_str("PAPERTREND_EMBEDDING_DEVICE", "cpu")  # cpu, cuda, cuda:1, auto
MODEL_CACHE_DIR = env_path("PAPERTREND_MODEL_CACHE_DIR", DATA_DIR / "models")
VECTOR_INDEX_DIR = env_path("PAPERTREND_VECTOR_INDEX_DIR", DATA_DIR / "vector-index")
# Below this many vectors search is exact (brute force); from it on, HNSW.
VECTOR_EXACT_MAX = env_int("PAPERTREND_VECTOR_EXACT_MAX", 50_000, minimum=0)
HNSW_CONNECTIVITY = env_int("PAPERTREND_HNSW_CONNECTIVITY", 16, minimum=2)
HNSW_EXPANSION_ADD = env_int("PAPERTREND_HNSW_EXPANSION_ADD", 128, minimum=1)
# 1024: recall@10 0.967 against exact search at 1M vectors (bench/search_bench.py,
# docs/search.md); 256 answers in a quarter of the time at recall 0.91.
HNSW_EXPANSION_SEARCH = env_int("PAPERTREND_HNSW_EXPANSION_SEARCH", 1024, minimum=1)
HNSW_DTYPE = env_choice("PAPERTREND_HNSW_DTYPE", "f16", ("f32", "f16", "i8"))
# Hybrid search: candidates taken from each of keyword and dense search, and the RRF constant.
SEARCH_CANDIDATES = env_int("PAPERTREND_SEARCH_CANDIDATES", 200, minimum=10)
SEARCH_RRF_K = env_int("PAPERTREND_SEARCH_RRF_K", 60, minimum=1)
SEARCH_KEYWORD_WEIGHT = env_float("PAPERTREND_SEARCH_KEYWORD_WEIGHT", 1.0, minimum=0.0)
SEARCH_DENSE_WEIGHT = env_float("PAPERTREND_SEARCH_DENSE_WEIGHT", 1.0, minimum=0.0)
# Cosine floor for papers found by meaning alone; empty: the model's calibrated
# floor (search/ranking.py MIN_SIMILARITY, docs/search-quality.md).
SEARCH_MIN_SIMILARITY = (
    env_float("PAPERTREND_SEARCH_MIN_SIMILARITY", 0.0, minimum=-1.0)
    if env_str("PAPERTREND_SEARCH_MIN_SIMILARITY", "")
    else None
)

# arXiv endpoints and politeness (https://info.arxiv.org/help/api/tou.html: one request per 3 s).
ARXIV_OAI_URL = env_str("PAPERTREND_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_API_URL = env_str("PAPERTREND_ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_REQUEST_INTERVAL = env_float("PAPERTREND_ARXIV_REQUEST_INTERVAL", 3.0, minimum=0.0)
ARXIV_TIMEOUT = env_float("PAPERTREND_ARXIV_TIMEOUT", 30.0, minimum=0.1)
ARXIV_MAX_RETRIES = env_int("PAPERTREND_ARXIV_MAX_RETRIES", 5, minimum=0)
HARVEST_OVERLAP_DAYS = env_int("PAPERTREND_HARVEST_OVERLAP_DAYS", 2, minimum=0)
HARVEST_DEFAULT_SET = env_str("PAPERTREND_HARVEST_SET", "cs")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "papers:trending"
LOGOUT_REDIRECT_URL = "papers:trending"

# Rate limits need counters every worker shares: rows in the database by default
# (accounts.ratelimits), Redis when CACHE_URL names one.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfiguredEnv(f"CACHE_URL={CACHE_URL!r}: only redis:// URLs are supported")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "papertrend_cache",
        }
    }
UPVOTE_RATE = env_str("PAPERTREND_UPVOTE_RATE", "60/h")
SUBMISSION_RATE = env_str("PAPERTREND_SUBMISSION_RATE", "10/d")
API_RATE = env_str("PAPERTREND_API_RATE", "600/h")
SIGNUP_RATE = env_str("PAPERTREND_SIGNUP_RATE", "20/h")  # sign-up attempts per client IP
# Sign-in attempts (/accounts/login, /admin/login/): per typed username, per client IP.
LOGIN_ACCOUNT_RATE = env_str("PAPERTREND_LOGIN_ACCOUNT_RATE", "10/15m")
LOGIN_IP_RATE = env_str("PAPERTREND_LOGIN_IP_RATE", "100/h")

# GitHub (star tracking). A token raises the API limit from 60 to 5,000 requests/hour.
GITHUB_API_URL = env_str("PAPERTREND_GITHUB_API_URL", "https://api.github.com")
GITHUB_TOKEN = env_str("GITHUB_TOKEN", "")
GITHUB_TIMEOUT = env_float("PAPERTREND_GITHUB_TIMEOUT", 20.0, minimum=0.1)
GITHUB_MAX_RETRIES = env_int("PAPERTREND_GITHUB_MAX_RETRIES", 3, minimum=0)
GITHUB_MAX_RATE_LIMIT_WAIT = env_float("PAPERTREND_GITHUB_MAX_RATE_LIMIT_WAIT", 900.0, minimum=0)
STARS_BATCH_SIZE = env_int("PAPERTREND_STARS_BATCH_SIZE", 50, minimum=1)
STARS_CLAIM_SECONDS = env_int("PAPERTREND_STARS_CLAIM_SECONDS", 600, minimum=10)
STARS_HOT_INTERVAL = env_int("PAPERTREND_STARS_HOT_INTERVAL", 3600, minimum=60)
STARS_INTERVAL = env_int("PAPERTREND_STARS_INTERVAL", 86400, minimum=60)
STARS_COLD_INTERVAL = env_int("PAPERTREND_STARS_COLD_INTERVAL", 604800, minimum=60)
STARS_LOOP_SLEEP = env_float("PAPERTREND_STARS_LOOP_SLEEP", 60.0, minimum=0)
