"""The OGC API under test: its own generated configuration, served by the live ASGI app."""

from __future__ import annotations

import os

import psycopg
import pytest


@pytest.fixture(scope="session")
def ogc_url(live_url, tmp_path_factory, reader_conninfo) -> str:
    """/ogc/ of the live system, configured from the test database's publish views."""
    os.environ["EU_OGC_DIR"] = str(tmp_path_factory.mktemp("ogc"))
    os.environ["EU_PUBLIC_URL"] = live_url
    yield f"{live_url}/ogc"
    # Let pytest-django drop the test database: no pooled connection may stay open on it.
    from publish.ogc import db

    db.close_all()


@pytest.fixture(scope="session")
def reader(reader_conninfo):
    """A connection as the read-only role (what the OGC API itself sees)."""
    with psycopg.connect(reader_conninfo, autocommit=True) as conn:
        yield conn


def pytest_collection_modifyitems(items):
    """pytest-django creates the test database only for sessions with a database test."""
    for item in items:
        if "tests/ogc/" in str(item.fspath):
            item.add_marker(pytest.mark.django_db)
