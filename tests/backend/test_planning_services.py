"""Planning documents and versions: lifecycle, freezing, cloning, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from common.errors import Invalid, Refused
from planning import services
from planning.models import DocumentStatus, PlanningEvent, PlanVersion, VersionStage, Zone

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_approved_plan_and_a_draft_under_inquiry(demo_document):
    stages = dict(demo_document.versions.values_list("number", "stage"))
    assert stages == {1: VersionStage.APPROVED, 2: VersionStage.INQUIRY}
    assert demo_document.status == DocumentStatus.IN_FORCE
    assert all(v.is_frozen for v in demo_document.versions.all())
    assert Zone.objects.filter(version__number=1).count() > 1000


def test_it_allows_only_listed_document_transitions(demo_document, agency_planner):
    with pytest.raises(Refused) as refused:
        services.document_set_status(
            document=demo_document, status=DocumentStatus.IN_PROGRESS, by=agency_planner
        )
    assert refused.value.code == "invalid_transition"
    services.document_set_status(
        document=demo_document, status=DocumentStatus.LAPSED, by=agency_planner
    )
    demo_document.refresh_from_db()
    assert demo_document.status == DocumentStatus.LAPSED
    event = PlanningEvent.objects.filter(document=demo_document).first()
    assert event.action == "document_status"
    assert event.payload == {"from": "03", "to": "09"}
    assert event.actor == agency_planner


def test_it_refuses_a_planner_of_another_agency(demo_document, other_agency_planner):
    with pytest.raises(Refused) as refused:
        services.version_create(document=demo_document, label="x", by=other_agency_planner)
    assert refused.value.status == 403
    assert "Agence urbaine de Casablanca" in refused.value.message


def test_a_clone_copies_zones_prescriptions_and_articles(demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    clone = services.version_clone(version=approved, label="Révision", by=agency_planner)
    assert clone.stage == VersionStage.STUDY and not clone.is_frozen
    assert clone.parent == approved
    assert clone.zones.count() == approved.zones.count()
    assert clone.prescriptions.count() == approved.prescriptions.count()
    assert clone.articles.count() == approved.articles.count()
    assert set(clone.zones.values_list("key", flat=True)) == set(
        approved.zones.values_list("key", flat=True)
    )


def test_zone_update_records_before_and_after(demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    clone = services.version_clone(version=approved, label="Révision", by=agency_planner)
    zone = clone.zones.filter(max_height_m__gt=4).first()
    services.zone_update(
        zone=zone, changes={"max_height_m": zone.max_height_m - 1}, by=agency_planner
    )
    event = PlanningEvent.objects.filter(action="zone_update").get()
    assert event.payload["before"] == {"max_height_m": zone.max_height_m}
    assert event.payload["after"] == {"max_height_m": zone.max_height_m - 1}
    assert event.payload["revision"] == 2


def test_zone_update_rejects_a_rule_beyond_its_code(demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    clone = services.version_clone(version=approved, label="Révision", by=agency_planner)
    zone = clone.zones.filter(ground_coverage_max__isnull=False).first()
    with pytest.raises(Invalid) as invalid:
        services.zone_update(zone=zone, changes={"ground_coverage_max": 1.5}, by=agency_planner)
    assert {p["code"] for p in invalid.value.problems} >= {"rule_out_of_range"}
    zone.refresh_from_db()
    assert zone.ground_coverage_max != 1.5 and zone.revision == 1


def test_a_version_submitted_to_inquiry_is_read_only(demo_document, agency_planner):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    clone = services.version_clone(version=approved, label="Révision", by=agency_planner)
    services.version_submit_to_inquiry(version=clone, by=agency_planner)
    zone = clone.zones.first()
    with pytest.raises(Refused) as refused:
        services.zone_update(zone=zone, changes={"code": "ZV"}, by=agency_planner)
    assert refused.value.code == "version_frozen"
    assert "clone it into a new draft" in refused.value.message


def test_the_database_refuses_writes_to_a_frozen_version_whatever_python_does(demo_document):
    zone = Zone.objects.filter(version__stage=VersionStage.APPROVED).first()
    with pytest.raises((IntegrityError, InternalError), match="frozen"):
        with transaction.atomic():
            Zone.objects.filter(pk=zone.pk).update(code="HACK")
    with pytest.raises((IntegrityError, InternalError), match="frozen"):
        with transaction.atomic():
            Zone.objects.filter(pk=zone.pk).delete()


def test_approval_supersedes_the_previous_version(demo_document, agency_planner):
    draft = demo_document.versions.get(stage=VersionStage.INQUIRY)
    services.version_approve(
        version=draft,
        decree_reference="Décret n° 2-26-100",
        bulletin_officiel_date=dt.date(2026, 11, 1),
        by=agency_planner,
    )
    stages = dict(demo_document.versions.values_list("number", "stage"))
    assert stages == {1: VersionStage.SUPERSEDED, 2: VersionStage.APPROVED}
    demo_document.refresh_from_db()
    assert demo_document.decree_reference == "Décret n° 2-26-100"
    assert demo_document.status == DocumentStatus.IN_FORCE


def test_a_study_version_cannot_be_approved_without_inquiry(demo_document, agency_planner):
    study = services.version_create(document=demo_document, label="Étude", by=agency_planner)
    with pytest.raises(Refused, match="stage 'study' cannot move to stage 'approved'"):
        services.version_approve(
            version=study,
            decree_reference="x",
            bulletin_officiel_date=dt.date(2026, 1, 1),
            by=agency_planner,
        )


def test_geometries_are_stored_in_4326_with_a_3857_copy():
    zone = Zone.objects.first()
    assert zone.geom.srid == 4326
    lon, lat = zone.geom.centroid.coords
    assert -8.2 < lon < -7.0 and 33.0 < lat < 34.0  # near Casablanca
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_SRID(geom_3857), ST_Distance(ST_Transform(geom, 3857), geom_3857) "
            "FROM planning_zone WHERE id = %s",
            [zone.pk],
        )
        srid, distance = cursor.fetchone()
    assert srid == 3857 and distance == pytest.approx(0, abs=1e-6)


def test_versions_are_numbered_per_document(demo_document, agency_planner):
    v3 = services.version_create(document=demo_document, label="Étude 3", by=agency_planner)
    assert v3.number == 3
    assert PlanVersion.objects.filter(document=demo_document).count() == 3
