"""Shared fixtures: a real PostGIS test database holding the demo, and the live system on a port."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request

import pytest

# Named fixture users after their roles (STYLE.md).
PASSWORD = "a-test-password-42"


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, tmp_path_factory):
    """The test database, migrated, with the demo agglomeration loaded once and committed.

    Unlike pytest-django's own, it always creates the database: a module whose tests only use
    the live server (no `db` fixture) then runs alone too.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from web import demo

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=verbosity, interactive=False, aliases={"default"})
    # Never load into a real database.
    assert connection.settings_dict["NAME"].startswith("test_"), connection.settings_dict["NAME"]
    # The read-only pools (OGC API, lookup, tiles) find their database in PGDATABASE: without
    # this, a view reached through the test client before the live server starts would read the
    # real database.
    os.environ["PGDATABASE"] = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        demo.load(progress=False, rasters_dir=tmp_path_factory.mktemp("rasters"))
    yield
    from publish.ogc import db

    db.close_all()  # no pooled connection may keep the test database from being dropped
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=verbosity)


@pytest.fixture(scope="session")
def test_db_name(django_db_setup) -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


@pytest.fixture(scope="session")
def reader_conninfo(test_db_name) -> str:
    """libpq connection string of the read-only role, on the test database."""
    from django.conf import settings

    return f"dbname={test_db_name} user={settings.READER_ROLE}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_url(django_db_setup, test_db_name, django_db_blocker) -> str:
    """The whole system (Django + tiles, one ASGI app) served on a free loopback port."""
    if os.environ.get("EU_LIVE_URL"):
        yield os.environ["EU_LIVE_URL"].rstrip("/")
        return
    import uvicorn

    # The tile service reads libpq's variables: point it at the test database.
    os.environ["PGDATABASE"] = test_db_name
    from eurbanisme.asgi import application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    with django_db_blocker.unblock():
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the live server did not start")
        yield url
        server.should_exit = True
        thread.join(timeout=10)
        # Pages and the OGC API read through the read-only pools (the map's zoning lookup too):
        # close them so that the test database can be dropped.
        from publish.ogc import db

        db.close_all()


@pytest.fixture
def demo_document(db):
    from planning.models import PlanningDocument

    return PlanningDocument.objects.get()


@pytest.fixture
def agency_planner(db):
    from accounts.models import Role, User
    from territory.models import Agency

    return User.objects.create_user(
        "alice_planner", password=PASSWORD, role=Role.PLANNER, agency=Agency.objects.get(code="AUC")
    )


@pytest.fixture
def other_agency_planner(db):
    from accounts.models import Role, User
    from territory.models import Agency

    return User.objects.create_user(
        "bob_planner", password=PASSWORD, role=Role.PLANNER, agency=Agency.objects.get(code="AUEJ")
    )


@pytest.fixture
def draft(demo_document, agency_planner):
    """A study version cloned from the approved plan: private, editable by the agency's planners."""
    from planning import services
    from planning.models import VersionStage

    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    return services.version_clone(version=approved, label="Étude", by=agency_planner)


@pytest.fixture
def planner_client(client, agency_planner):
    client.force_login(agency_planner)
    return client
