"""Connections of the OGC API: a pool per process, logged in as the read-only role."""

from __future__ import annotations

import functools
import os
import threading

import orjson
from psycopg.conninfo import make_conninfo
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

# A page of 10,000 features takes well under a second; anything near this is a runaway query.
STATEMENT_TIMEOUT_MS = 30_000
POOL_MIN, POOL_MAX = 1, 8

_pools: dict[str, ConnectionPool] = {}
_lock = threading.Lock()


def conninfo(role: str | None = None) -> str:
    """libpq connection string: EU_OGC_DATABASE_URL, else PG* variables as the reader role."""
    url = os.environ.get("EU_OGC_DATABASE_URL", "")
    if url:
        return url
    role = role or os.environ.get("EU_READER_ROLE", "eurbanisme_reader")
    return _reader_conninfo(role, os.environ.get("EU_READER_PASSWORD", ""))


@functools.lru_cache(maxsize=16)
def _reader_conninfo(role: str, password: str) -> str:
    # Every request asks for its pool; building the string parses it again (~0.1 ms).
    extra = {"password": password} if password else {}
    return make_conninfo(user=role, application_name="eurbanisme-ogc", **extra)


def _configure(conn) -> None:
    """Parse json with orjson: a page of features is mostly numbers, which json parses slowly."""
    set_json_loads(orjson.loads, conn)


def pool(role: str | None = None) -> ConnectionPool:
    """The shared pool for a role (created on first use, kept for the life of the process)."""
    info = conninfo(role)
    with _lock:
        if info not in _pools:
            _pools[info] = ConnectionPool(
                info,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                kwargs={
                    "autocommit": True,
                    "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                },
                configure=_configure,
                open=True,
                name="eurbanisme-ogc",
            )
        return _pools[info]


def close_all() -> None:
    """Close every pool (tests, before dropping their database)."""
    with _lock:
        for p in _pools.values():
            p.close()
        _pools.clear()
