"""The planners' editing API: validation with located problems, If-Match, history, restore."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import F
from pyproj import Transformer

from planning import services
from planning.models import PlanningEvent, VersionStage, Zone

pytestmark = pytest.mark.django_db


def _patch(client, zone, body, etag):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.patch(
        f"/api/v1/planning/zones/{zone.pk}/",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def _etag(client, zone):
    return client.get(f"/api/v1/planning/zones/{zone.pk}/")["ETag"]


def _square(zone: Zone, size: float = 0.001) -> dict:
    """A small square on the zone's centroid: it overlaps that zone."""
    x, y = zone.geom.point_on_surface.coords
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_an_anonymous_visitor_cannot_edit(client, draft):
    zone = draft.zones.first()
    assert client.get(f"/api/v1/planning/zones/{zone.pk}/").status_code == 403


def test_a_planner_changes_a_rule_with_if_match(planner_client, draft):
    zone = draft.zones.filter(max_height_m__gt=4).first()
    etag = _etag(planner_client, zone)
    response = _patch(planner_client, zone, {"max_height_m": zone.max_height_m - 1}, etag)
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2
    assert response["ETag"] != etag


def test_a_write_without_if_match_is_refused(planner_client, draft):
    zone = draft.zones.first()
    response = _patch(planner_client, zone, {"label_fr": "x"}, None)
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_a_stale_edit_gets_412_and_the_current_state(planner_client, draft):
    zone = draft.zones.filter(max_height_m__gt=4).first()
    etag = _etag(planner_client, zone)
    assert _patch(planner_client, zone, {"label_fr": "Première"}, etag).status_code == 200
    response = _patch(planner_client, zone, {"label_fr": "Seconde"}, etag)
    assert response.status_code == 412
    body = response.json()
    assert "changed by someone else" in body["detail"]
    assert body["current"]["label_fr"] == "Première"
    zone.refresh_from_db()
    assert zone.label_fr == "Première"


def test_an_overlap_is_reported_with_its_area_and_location(planner_client, draft):
    neighbour = draft.zones.first()
    template = draft.zones.exclude(pk=neighbour.pk).first()
    body = {
        "code": template.code,
        "label_fr": "Nouvelle",
        "label_ar": "جديدة",
        "family": template.family,
        "geometry": _square(neighbour),
    }
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/zones/", body, content_type="application/json"
    )
    assert response.status_code == 400
    problems = response.json()["problems"]
    overlap = next(p for p in problems if p["code"] == "overlap")
    assert overlap["details"]["zone_id"] == neighbour.pk
    assert overlap["details"]["area_m2"] > 1000  # about 110 m x 90 m
    point = GEOSGeometry(json.dumps(overlap["location"]), srid=4326)
    assert neighbour.geom.buffer(1e-6).contains(point)
    assert Zone.objects.filter(version=draft).count() == draft.zones.count()


def test_a_self_intersecting_polygon_is_refused_and_repair_is_offered(planner_client, draft):
    zone = draft.zones.first()
    x, y = zone.geom.point_on_surface.coords
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 1e-4, y + 1e-4], [x + 1e-4, y], [x, y + 1e-4], [x, y]]],
    }
    etag = _etag(planner_client, zone)
    response = _patch(planner_client, zone, {"geometry": bowtie}, etag)
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["code"] == "geometry_invalid"
    assert "Self-intersection" in problem["message"] and "repair=true" in problem["message"]
    assert problem["location"]["type"] == "Point"


def test_a_geometry_drawn_in_merchich_lands_at_the_right_place(planner_client, draft):
    zone = draft.zones.filter(max_height_m__gt=4).first()
    to_26191 = Transformer.from_crs(4326, 26191, always_xy=True)
    ring = [to_26191.transform(x, y) for x, y in zone.geom[0][0].coords]
    etag = _etag(planner_client, zone)
    body = {"geometry": {"type": "Polygon", "coordinates": [ring]}, "crs": "EPSG:26191"}
    response = _patch(planner_client, zone, body, etag)
    assert response.status_code == 200, response.json()
    original = zone.geom[0][0].coords[0]
    zone.refresh_from_db()
    # Drawn in 26191, stored in 4326: the vertex comes back where it was (to about 1 cm).
    assert zone.geom.srid == 4326
    assert zone.geom[0][0].coords[0] == pytest.approx(original, abs=1e-7)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"geometry": {"type": "Polygon", "coordinates": "nope"}}, "Malformed GeoJSON"),
        ({"geometry": [1, 2]}, "Malformed GeoJSON"),
        ({"geometry": {"type": "Point", "coordinates": [-7.6, 33.5]}}, "not a Point"),
        ({"code": "ZZ9"}, "not in the code list"),
    ],
)
def test_bad_input_gets_a_clear_400(planner_client, draft, body, message):
    zone = draft.zones.first()
    response = _patch(planner_client, zone, body, _etag(planner_client, zone))
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)


def test_an_unknown_crs_is_refused(planner_client, draft):
    zone = draft.zones.first()
    body = {"geometry": _square(zone), "crs": "EPSG:999999"}
    response = _patch(planner_client, zone, body, _etag(planner_client, zone))
    assert response.status_code == 400
    assert "Unknown CRS 'EPSG:999999'" in json.dumps(response.json())


def test_a_frozen_version_is_read_only_through_the_api(planner_client, demo_document):
    zone = Zone.objects.filter(version__stage=VersionStage.APPROVED).first()
    response = _patch(planner_client, zone, {"label_fr": "x"}, _etag(planner_client, zone))
    assert response.status_code == 409
    assert "frozen" in response.json()["detail"]


def test_a_planner_of_another_agency_cannot_edit(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    zone = draft.zones.first()
    # They may not even read A's private draft, so they cannot have its ETag: build it.
    assert client.get(f"/api/v1/planning/zones/{zone.pk}/").status_code == 403
    response = _patch(client, zone, {"label_fr": "x"}, f'"zone-{zone.pk}-r{zone.revision}"')
    assert response.status_code == 403


def test_history_and_restore(planner_client, draft):
    zone = draft.zones.filter(max_height_m__gt=4).first()
    original = zone.max_height_m
    _patch(planner_client, zone, {"max_height_m": original - 1}, _etag(planner_client, zone))
    history = planner_client.get(f"/api/v1/planning/zones/{zone.pk}/history/").json()
    assert history[0]["action"] == "zone_update"
    assert history[0]["actor"] == "alice_planner"
    assert history[0]["payload"]["before"] == {"max_height_m": original}
    response = planner_client.post(f"/api/v1/planning/zones/{zone.pk}/restore/{history[0]['id']}/")
    assert response.status_code == 200
    zone.refresh_from_db()
    assert zone.max_height_m == original and zone.revision == 3
    assert PlanningEvent.objects.filter(payload__key=zone.key, version=draft).count() == 2


def test_a_new_zone_that_fits_is_created(planner_client, draft):
    victim = draft.zones.filter(max_height_m__gt=4).first()
    geometry = json.loads(victim.geom.geojson)
    services.zone_delete(zone=victim, by=None)
    body = {
        "code": victim.code,
        "label_fr": "Recréée",
        "label_ar": "جديدة",
        "family": victim.family,
        "max_levels": victim.max_levels,
        "geometry": geometry,
    }
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/zones/", body, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response["ETag"].startswith('"zone-')


def test_a_floor_area_ratio_beyond_coverage_times_floors_is_inconsistent(planner_client, draft):
    zone = draft.zones.filter(
        max_levels__gt=0, floor_area_ratio_max__gt=F("ground_coverage_max")
    ).first()
    response = _patch(planner_client, zone, {"max_levels": 0}, _etag(planner_client, zone))
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["code"] == "rule_inconsistent" and problem["field"] == "floor_area_ratio_max"
