"""Small database helpers shared by the services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection


def db_now() -> datetime:
    """The database clock: deadlines are judged on it, never on the web server's clock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """Bulk insert with COPY (table and columns are code constants, never input)."""
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
