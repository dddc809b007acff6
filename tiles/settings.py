"""Settings of the tile service, from environment variables prefixed EU_TILES_."""

from __future__ import annotations

import os
from dataclasses import dataclass

ERR_SETTING = "{name} must be an integer, got {value!r}."
ERR_GZIP_LEVEL = "EU_TILES_GZIP_LEVEL must be 0, 1, 2 or 3 (ISA-L's levels), got {value}."


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise ValueError(ERR_SETTING.format(name=name, value=value)) from None


@dataclass(frozen=True)
class Settings:
    # A libpq connection string for the read-only role; empty means libpq's PG* variables.
    database_url: str
    reader_role: str
    pool_min: int
    pool_max: int
    max_zoom: int
    # Byte budget of the in-memory tile cache (gzip bytes); 0 turns the memory cache off.
    cache_bytes: int = 128 * 1024 * 1024
    # A directory for the optional disk cache; empty turns it off.
    disk_cache_dir: str = ""
    # max-age sent to browsers and proxies; 0 (the default) makes every reuse a revalidation,
    # which costs us a 304 without touching the database, so no one ever sees a stale tile.
    max_age: int = 0
    # ISA-L's gzip (isal.igzip) level 1: on the benchmark's tiles 0.27 ms of CPU a tile, against
    # 1.4-1.8 ms for zlib at level 1 (4.5 ms at 6), for bodies as small (46.1 vs 46.4 KB on
    # average); a cold tile is CPU-bound on small machines.
    gzip_level: int = 1
    # A tile waiting for a connection may be overtaken by cheaper tiles for up to this many times
    # its own expected render time (tiles/queue.py); 0 serves them first come, first served.
    queue_slack: int = 4

    def __post_init__(self) -> None:
        if self.gzip_level not in range(4):
            raise ValueError(ERR_GZIP_LEVEL.format(value=self.gzip_level))

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings; a bad integer fails at start-up."""
        return cls(
            database_url=os.environ.get("EU_TILES_DATABASE_URL", ""),
            reader_role=os.environ.get("EU_READER_ROLE", "eurbanisme_reader"),
            pool_min=_int("EU_TILES_POOL_MIN", 1),
            pool_max=_int("EU_TILES_POOL_MAX", 8),
            max_zoom=_int("EU_TILES_MAX_ZOOM", 22),
            cache_bytes=_int("EU_TILES_CACHE_MB", 128) * 1024 * 1024,
            disk_cache_dir=os.environ.get("EU_TILES_DISK_CACHE", ""),
            max_age=_int("EU_TILES_MAX_AGE", 0),
            gzip_level=_int("EU_TILES_GZIP_LEVEL", 1),
            queue_slack=_int("EU_TILES_QUEUE_SLACK", 4),
        )

    def conninfo(self) -> str:
        """The connection string; with PG* variables only, log in as the reader role."""
        if self.database_url:
            return self.database_url
        return f"user={self.reader_role} application_name=eurbanisme-tiles"
