"""Fixtures of the inquiry tests: the demo's open inquiry, a fresh draft one, named users."""

from __future__ import annotations

import datetime as dt

import pytest
from inquiry_helpers import PASSWORD

from accounts.models import Role, User
from common.db import db_now
from inquiry import services
from inquiry.models import Inquiry, InquiryStatus, Regime
from planning import services as planning_services
from planning.models import VersionStage


@pytest.fixture
def commission_member(open_inquiry):
    """A member of the commission of the demo's open inquiry."""
    member = User.objects.create_user("carol_commission", password=PASSWORD, role=Role.COMMISSION)
    open_inquiry.commission.add(member)
    return member


@pytest.fixture
def other_commission_member(db):
    """A commission member who sits on no commission of the demo's inquiries."""
    return User.objects.create_user("omar_commission", password=PASSWORD, role=Role.COMMISSION)


@pytest.fixture
def moderator(db):
    return User.objects.create_user("mona_moderator", password=PASSWORD, role=Role.MODERATOR)


@pytest.fixture
def open_inquiry(db) -> Inquiry:
    """The demo's inquiry, open since ten days on the draft version."""
    return Inquiry.objects.get(status=InquiryStatus.OPEN)


@pytest.fixture
def study_version(demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    return planning_services.version_clone(version=approved, label="Révision", by=agency_planner)


@pytest.fixture
def morocco(db) -> Regime:
    return Regime.objects.get(code="ma-plan-amenagement")


@pytest.fixture
def france(db) -> Regime:
    return Regime.objects.get(code="fr-enquete-numerique")


@pytest.fixture
def draft_inquiry(study_version, france, agency_planner) -> Inquiry:
    """A draft inquiry on a study version, under the French-style regime, legal dates."""
    opens_at = db_now() + dt.timedelta(days=20)
    return services.inquiry_create(
        version=study_version,
        regime=france,
        title_fr="Enquête de test",
        title_ar="بحث تجريبي",
        opens_at=opens_at,
        closes_at=opens_at + dt.timedelta(days=30),
        by=agency_planner,
    )
