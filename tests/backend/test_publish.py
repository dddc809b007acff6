"""What the public may see is defined once, in the `publish` views; the reader role sees no more."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection

from inquiry.models import Inquiry, InquiryStatus
from planning import services
from planning.models import VersionStage

pytestmark = pytest.mark.django_db


def _published_version_ids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT version_id FROM publish.zones")
        return {row[0] for row in cursor.fetchall()}


def _study_clone(document, by=None):
    approved = document.versions.get(stage=VersionStage.APPROVED)
    return services.version_clone(version=approved, label="Étude", by=by)


def test_approved_and_open_inquiry_versions_are_published(demo_document):
    ids = dict(demo_document.versions.values_list("stage", "id"))
    assert _published_version_ids() == {ids["approved"], ids["inquiry"]}


def test_a_draft_not_under_inquiry_is_invisible(demo_document):
    study = _study_clone(demo_document)
    assert study.id not in _published_version_ids()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM publish.prescriptions WHERE version_id = %s", [study.id]
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM publish.plan_versions WHERE id = %s", [study.id])
        assert cursor.fetchone()[0] == 0


def test_a_draft_becomes_visible_exactly_when_its_inquiry_opens(demo_document):
    study = _study_clone(demo_document)
    services.version_submit_to_inquiry(version=study, by=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        now = cursor.fetchone()[0]
    inquiry = Inquiry.objects.create(
        version=study,
        title_fr="t",
        title_ar="t",
        status=InquiryStatus.SCHEDULED,
        opens_at=now + dt.timedelta(days=15),
        closes_at=now + dt.timedelta(days=45),
    )
    # Scheduled but not yet open: still invisible, whatever the status says.
    assert study.id not in _published_version_ids()
    # The opening instant has passed on the database clock: visible, with no job having run.
    Inquiry.objects.filter(pk=inquiry.pk).update(opens_at=now - dt.timedelta(seconds=1))
    assert study.id in _published_version_ids()


def test_an_abandoned_inquiry_unpublishes_its_draft(demo_document):
    draft = demo_document.versions.get(stage=VersionStage.INQUIRY)
    Inquiry.objects.filter(version=draft).update(status=InquiryStatus.ABANDONED)
    assert draft.id not in _published_version_ids()


def test_writes_bump_the_layer_version_in_the_same_transaction(demo_document):
    def versions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT layer, version FROM publish.layer_version")
            return dict(cursor.fetchall())

    before = versions()
    _study_clone(demo_document)
    after = versions()
    assert after["zones"] > before["zones"]
    assert after["prescriptions"] > before["prescriptions"]
    assert after["territories"] == before["territories"]


def test_the_publish_views_hold_no_personal_or_private_column():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'publish'"
        )
        columns = cursor.fetchall()
    names = {c for _, c in columns}
    for private in ("email", "password", "username", "actor_id", "first_name", "last_name"):
        assert private not in names


def test_the_reader_role_cannot_read_private_tables(reader_conninfo):
    with psycopg.connect(reader_conninfo, autocommit=True) as conn:
        for table in (
            "planning_zone",
            "planning_planversion",
            "accounts_user",
            "inquiry_inquiry",
            "territory_district",
            "django_session",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - test constant
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE publish.layer_version SET version = 0")


def test_the_reader_role_reads_the_publish_views(reader_conninfo):
    with psycopg.connect(reader_conninfo, autocommit=True) as conn:
        zones = conn.execute("SELECT count(*) FROM publish.zones").fetchone()[0]
        territories = conn.execute(
            "SELECT count(*) FROM publish.territories WHERE level = 'commune'"
        ).fetchone()[0]
    assert zones > 1000
    assert 5 <= territories <= 15
