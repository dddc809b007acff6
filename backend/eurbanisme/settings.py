"""Settings for e-urbanisme: everything comes from the environment (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from .env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

DEBUG = envbool("EU_DEBUG", False)
# Demo mode shows the demo accounts on the login page and in the README; never in production.
DEMO = envbool("EU_DEMO", False)
SECRET_KEY = envstr("EU_SECRET_KEY")
ALLOWED_HOSTS = envlist("EU_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("EU_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework.authtoken",
    "accounts",
    "territory",
    "planning",
    "inquiry",
    "publish",
    "watch",
    "web",
    "common",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "eurbanisme.urls"
ASGI_APPLICATION = "eurbanisme.asgi.application"
WSGI_APPLICATION = "eurbanisme.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of third-party templates (drf-spectacular's Redoc page without CDN fonts).
        "DIRS": [BASE_DIR / "common" / "template_overrides"],
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

# DATABASE_URL (postgis://user:pass@host:port/name) wins; otherwise libpq's PG* variables,
# which `make` points at the private cluster.
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": dj_database_url.config(engine="common.postgis")}
else:
    DATABASES = {
        "default": {
            # GeoDjango's PostGIS backend, with a cheaper check of pooled connections.
            "ENGINE": "common.postgis",
            "NAME": envstr("PGDATABASE", "eurbanisme"),
            "USER": envstr("PGUSER", "eurbanisme"),
            "PASSWORD": envstr("PGPASSWORD", ""),
            "HOST": envstr("PGHOST", ""),
            "PORT": envstr("PGPORT", ""),
        }
    }
DATABASES["default"]["CONN_MAX_AGE"] = envint("EU_DB_CONN_MAX_AGE", 0)
# A psycopg connection pool per process (0: a connection per request). Under ASGI it saves the
# connection set-up of every request; persistent connections (CONN_MAX_AGE) do not, since each
# request may run in another thread. `make run` and docker-compose set it; tests do not.
DB_POOL_SIZE = envint("EU_DB_POOL_SIZE", 0)
if DB_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": DB_POOL_SIZE,
        "timeout": 30,
    }
# Django binds parameters in the client, so its own queries are never prepared; it also turns
# psycopg's prepared statements off for connection poolers in front of PostgreSQL (we have none:
# the pool is in the process). Turned back on, they serve the statements of every submission
# that go through a server-side cursor (inquiry.services.prepared_row).
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
# Lets two test runs share one cluster without sharing a test database.
DATABASES["default"]["TEST"] = {"NAME": envstr("EU_TEST_DB_NAME", "test_eurbanisme")}
# Pooled connections are checked by common.postgis, and only after being idle for a while.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = not DB_POOL_SIZE
# The read-only role of the tile service and the OGC API: it can read the publish schema only.
READER_ROLE = envstr("EU_READER_ROLE", "eurbanisme_reader")
# Set in production, where the reader logs in over TCP; the private cluster trusts its socket.
READER_PASSWORD = envstr("EU_READER_PASSWORD", "")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/connexion/"
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("ar", "العربية"), ("en", "English")]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("EU_STATIC_ROOT", str(REPO_DIR / "var" / "static")))
# The built web map (Vite output) is served under /static/app/.
FRONTEND_DIST = Path(envstr("EU_FRONTEND_DIST", str(REPO_DIR / "frontend" / "dist")))
STATICFILES_DIRS = [("app", FRONTEND_DIST)] if FRONTEND_DIST.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("EU_MEDIA_ROOT", str(REPO_DIR / "var" / "media")))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # API clients (scripts, QGIS plug-ins): "Authorization: Token <key>", keys in the admin.
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    # Recorded urban-watch analyses and background runs (watch.api.RunThrottle).
    "DEFAULT_THROTTLE_RATES": {"watch_runs": f"{envint('EU_WATCH_RUNS_PER_HOUR', 60)}/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "e-urbanisme API",
    "DESCRIPTION": "Plans d'aménagement, zonage et enquêtes publiques.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Redoc from the installed package, never from a CDN.
    "REDOC_DIST": "SIDECAR",
}

# Zone validation (planning.validation): what a planner may save.
EU_MAX_VERTICES = envint("EU_MAX_VERTICES", 20000)
EU_MAX_UPLOAD_BYTES = envint("EU_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Slivers below this area (m²) are drawing noise (CAD snapping, reprojection), not overlaps or gaps.
EU_OVERLAP_TOLERANCE_M2 = float(envstr("EU_OVERLAP_TOLERANCE_M2", "10"))

# Debian 12 ships GDAL 3.6, older than Django 5.2 recommends; it works for everything used here.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("EU_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Sent on HTTPS responses only, so the embedded plain-HTTP default on loopback is unaffected.
    SECURE_HSTS_SECONDS = envint("EU_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("EU_LOG_LEVEL", "INFO")},
}
