"""The project's settings with Django's psycopg connection pool (benchmark variant only)."""

from eurbanisme.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 - required with a pool
DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 8, "timeout": 30}}  # noqa: F405
