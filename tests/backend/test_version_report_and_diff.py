"""The version validation report, the diff between versions and "what changes here?"."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from planning import services
from planning.models import VersionStage, Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(demo_document):
    return (
        demo_document.versions.get(stage=VersionStage.APPROVED),
        demo_document.versions.get(stage=VersionStage.INQUIRY),
    )


def test_the_demo_versions_pass_validation_but_reservations_have_lapsed(planner_client, versions):
    approved, _ = versions
    report = planner_client.get(f"/api/v1/planning/versions/{approved.pk}/report/").json()
    assert report["valid"] is True
    assert report["summary"]["gaps"] == report["summary"]["overlaps"] == 0
    # Approved in 2014, the 10-year public-utility effect of most reservations has lapsed.
    assert report["summary"]["lapsed_reservations"] > 100
    assert all(r["expires_on"] < "2026-11-24" for r in report["lapsed_reservations"])


def test_the_report_finds_a_gap_an_overlap_and_missing_rules(
    planner_client, versions, agency_planner
):
    approved, _ = versions
    draft = services.version_clone(version=approved, label="Étude", by=agency_planner)
    victim, shifted = draft.zones.filter(family="villas")[:2]
    gap_area_hint = victim.geom.point_on_surface
    Zone.objects.filter(pk=victim.pk).delete()
    # Shift a zone 50 m east: it overlaps its neighbours, and it loses its height limits.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE planning_zone SET max_height_m = NULL, max_levels = NULL, geom = "
            "ST_Transform(ST_Translate(ST_Transform(geom, 26191), 50, 0), 4326) WHERE id = %s",
            [shifted.pk],
        )
    report = planner_client.get(f"/api/v1/planning/versions/{draft.pk}/report/").json()
    assert report["valid"] is False
    assert any(
        GEOSGeometry(json.dumps(g["location"])).distance(gap_area_hint) < 0.01
        for g in report["gaps"]
    )
    assert {o["zone_id"] for o in report["overlaps"]} | {
        o["other_zone_id"] for o in report["overlaps"]
    } >= {shifted.pk}
    assert any(
        m["id"] == shifted.pk and m["missing"] == ["max_height_m"] for m in report["missing_rules"]
    )
    page = planner_client.get(f"/planning/versions/{draft.pk}/report/")
    assert page.status_code == 200
    assert "Chevauchements" in page.content.decode() and "تداخلات" in page.content.decode()


def test_the_report_page_needs_a_login(client, versions):
    response = client.get(f"/planning/versions/{versions[0].pk}/report/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_the_diff_lists_added_removed_and_modified_zones(client, versions):
    approved, draft = versions
    diff = client.get(f"/api/v1/planning/versions/{approved.pk}/diff/{draft.pk}/").json()
    approved_keys = set(approved.zones.values_list("key", flat=True))
    draft_keys = set(draft.zones.values_list("key", flat=True))
    assert {z["key"] for z in diff["added"]} == draft_keys - approved_keys
    assert {z["key"] for z in diff["removed"]} == approved_keys - draft_keys
    modified = diff["modified"][0]
    old = Zone.objects.get(pk=modified["old_zone_id"])
    new = Zone.objects.get(pk=modified["new_zone_id"])
    for field, change in modified["changes"].items():
        assert change == {"before": getattr(old, field), "after": getattr(new, field)}


def test_what_changes_here(client, versions):
    approved, draft = versions
    diff = client.get(f"/api/v1/planning/versions/{approved.pk}/diff/{draft.pk}/").json()
    rezoned = next(m for m in diff["modified"] if "code" in m["changes"])
    lon, lat = rezoned["location"]["coordinates"]
    here = client.get(
        f"/api/v1/planning/versions/{approved.pk}/diff/{draft.pk}/at/", {"lon": lon, "lat": lat}
    ).json()
    assert here["changed"] is True
    assert here["changes"]["code"] == rezoned["changes"]["code"]


def test_the_public_cannot_diff_a_version_not_under_inquiry(client, versions, agency_planner):
    approved, _ = versions
    study = services.version_clone(version=approved, label="Étude", by=agency_planner)
    assert (
        client.get(f"/api/v1/planning/versions/{approved.pk}/diff/{study.pk}/").status_code == 404
    )


@pytest.mark.parametrize("query", [{}, {"lon": "x", "lat": "1"}, {"lon": "200", "lat": "0"}])
def test_a_bad_point_gets_a_clear_400(client, versions, query):
    approved, draft = versions
    response = client.get(f"/api/v1/planning/versions/{approved.pk}/diff/{draft.pk}/at/", query)
    assert response.status_code == 400
    assert "lon and lat" in response.json()["detail"]
