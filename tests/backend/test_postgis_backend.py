"""common.postgis: a pooled connection is checked when it leaves the pool only after being idle."""

from __future__ import annotations

import copy

import pytest
from django.db import OperationalError, connection

from common.postgis import base


@pytest.fixture
def pooled(db, monkeypatch):
    """A pooled connection to the test database, as EU_DB_POOL_SIZE sets it up; checks counted."""
    settings = copy.deepcopy(connection.settings_dict)
    # One connection, so that each request gets the same one (the pool hands out the longest idle).
    settings["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 10}
    settings["CONN_HEALTH_CHECKS"] = False
    wrapper = base.DatabaseWrapper(settings, alias="pooled_test")
    checks = []
    check = wrapper.pool.check_connection
    monkeypatch.setattr(
        type(wrapper.pool), "check_connection", staticmethod(lambda c: checks.append(1) or check(c))
    )
    yield wrapper, checks
    wrapper.close()
    wrapper.close_pool()


def _backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_handed_back_moments_ago_is_not_checked(pooled):
    wrapper, checks = pooled
    first = _backend_pid(wrapper)
    assert checks == [1]  # a connection never handed back is checked
    wrapper.close()
    assert _backend_pid(wrapper) == first
    assert checks == [1]


def test_an_idle_connection_cut_meanwhile_is_replaced_unseen(pooled, monkeypatch):
    wrapper, checks = pooled
    first = _backend_pid(wrapper)
    wrapper.close()
    _terminate(first)
    monkeypatch.setattr(base, "FRESH_SECONDS", 0.0)  # as if idle for longer than that
    second = _backend_pid(wrapper)
    assert second != first and len(checks) >= 2


def test_a_fresh_connection_cut_fails_one_request_then_is_dropped(pooled):
    wrapper, _ = pooled
    first = _backend_pid(wrapper)
    wrapper.close()
    _terminate(first)
    with pytest.raises(OperationalError):
        _backend_pid(wrapper)
    wrapper.close()
    assert _backend_pid(wrapper) != first
