"""Fixtures of the security tests: a private draft of the demo plan, a signed-in planner."""

from __future__ import annotations

import pytest

from planning import services
from planning.models import VersionStage


@pytest.fixture
def draft(demo_document, agency_planner):
    """A study version cloned from the approved plan: private, editable by agency A."""
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    return services.version_clone(version=approved, label="Étude", by=agency_planner)


@pytest.fixture
def planner_client(client, agency_planner):
    client.force_login(agency_planner)
    return client
