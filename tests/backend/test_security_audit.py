"""Login throttling, and the audit log of security events, which holds no personal data."""

from __future__ import annotations

import json
import logging

import pytest

from accounts.models import Role, User

PASSWORD = "a-test-password-42"


@pytest.fixture
def audit_log(caplog):
    caplog.set_level(logging.INFO, logger="eurbanisme.audit")

    def records() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "eurbanisme.audit"]

    return records


@pytest.fixture
def staff(db):
    return User.objects.create_user(
        "leila_planner", email="leila@agence.ma", password=PASSWORD, role=Role.PLANNER
    )


def _login(client, password):
    return client.post("/connexion/", {"username": "leila_planner", "password": password})


def test_repeated_failures_block_the_account_with_a_clear_message(client, staff, audit_log):
    for _ in range(5):
        assert _login(client, "wrong").status_code == 200  # the form again, with its error
    refused = _login(client, PASSWORD)  # even the right password, while blocked
    assert refused.status_code == 200 and "Too many failed sign-ins" in refused.text
    assert "_auth_user_id" not in client.session
    events = [r["event"] for r in audit_log()]
    assert events.count("login_failed") == 5 and "login_throttled" in events
    assert "leila" not in json.dumps(audit_log())


def test_the_admin_login_is_throttled_too(client, staff):
    for _ in range(5):
        client.post("/admin/login/", {"username": "leila_planner", "password": "wrong"})
    refused = client.post("/admin/login/", {"username": "leila_planner", "password": PASSWORD})
    assert "Too many failed sign-ins" in refused.text


def test_a_sign_in_is_audited_by_account_id_and_clears_failures(client, staff, audit_log):
    _login(client, "wrong")
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)
    login = next(r for r in audit_log() if r["event"] == "login")
    assert login["actor_id"] == staff.pk and login["actor_role"] == "planner"
    assert "leila" not in json.dumps(audit_log())
    from accounts.models import LoginFailure

    assert not LoginFailure.objects.exists()


def test_role_changes_are_audited(staff, audit_log):
    staff.role = Role.ADMIN
    staff.is_superuser = True
    staff.save()
    change = next(r for r in audit_log() if r["event"] == "role_change")
    assert change["subject_id"] == staff.pk
    assert (change["before"]["role"], change["after"]["role"]) == ("planner", "admin")
