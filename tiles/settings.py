"""Settings of the tile service, from environment variables prefixed EU_TILES_."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # A libpq connection string for the read-only role; empty means libpq's PG* variables.
    database_url: str
    reader_role: str
    pool_min: int
    pool_max: int
    max_zoom: int

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings; a bad integer fails at start-up."""
        return cls(
            database_url=os.environ.get("EU_TILES_DATABASE_URL", ""),
            reader_role=os.environ.get("EU_READER_ROLE", "eurbanisme_reader"),
            pool_min=int(os.environ.get("EU_TILES_POOL_MIN", "1")),
            pool_max=int(os.environ.get("EU_TILES_POOL_MAX", "8")),
            max_zoom=int(os.environ.get("EU_TILES_MAX_ZOOM", "22")),
        )

    def conninfo(self) -> str:
        """The connection string; with PG* variables only, log in as the reader role."""
        if self.database_url:
            return self.database_url
        return f"user={self.reader_role} application_name=eurbanisme-tiles"
