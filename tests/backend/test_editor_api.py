"""The editor's page and its API beyond zone CRUD: context, zones as GeoJSON, split, merge."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from planning import reshape
from planning.models import PlanningEvent, VersionStage, Zone

pytestmark = pytest.mark.django_db


def _post(client, url, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def _etag(zone: Zone) -> str:
    return f'"zone-{zone.pk}-r{zone.revision}"'


def _crossing_line(zone: Zone) -> dict:
    """A west-east line through the zone's inner point, beyond both of its edges."""
    west, _, east, _ = zone.geom.extent
    _, y = zone.geom.point_on_surface.coords
    return {"type": "LineString", "coordinates": [[west - 0.001, y], [east + 0.001, y]]}


def _neighbours(version) -> tuple[Zone, Zone]:
    """Two single-part zones of a version sharing an edge longer than 20 m."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, b.id FROM planning_zone a JOIN planning_zone b
              ON a.version_id = b.version_id AND a.id < b.id AND a.geom && b.geom
            WHERE a.version_id = %s AND ST_NumGeometries(a.geom) = 1
              AND ST_NumGeometries(b.geom) = 1
              AND ST_Length(ST_Intersection(a.geom, b.geom)::geography) > 20
            ORDER BY a.id LIMIT 1
            """,
            [version.pk],
        )
        a, b = cursor.fetchone()
    return Zone.objects.get(pk=a), Zone.objects.get(pk=b)


def _single_part_zone(version) -> Zone:
    return (
        Zone.objects.filter(version=version)
        .extra(where=["ST_NumGeometries(geom) = 1"])
        .order_by("id")
        .first()
    )


# --- the page -------------------------------------------------------------------------------


def test_the_editor_sends_an_anonymous_visitor_to_the_login_page(client, draft):
    response = client.get(f"/planning/versions/{draft.pk}/editer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


def test_the_editor_is_refused_to_a_planner_of_another_agency(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    response = client.get(f"/planning/versions/{draft.pk}/editer/")
    assert response.status_code == 403
    assert "Agence" in response.content.decode() or "planners of" in response.content.decode()


def test_the_editor_opens_for_a_planner_of_the_agency(planner_client, draft):
    response = planner_client.get(f"/planning/versions/{draft.pk}/editer/")
    assert response.status_code == 200
    assert b'id="ed-map"' in response.content
    assert "csrftoken" in response.cookies


# --- context and zones ----------------------------------------------------------------------


def test_the_context_gives_the_code_list_and_says_a_draft_is_editable(planner_client, draft):
    body = planner_client.get(f"/api/v1/planning/versions/{draft.pk}/").json()
    assert body["editable"] is True and body["frozen"] is False
    assert body["codes"] and {"code", "family", "label_fr"} <= set(body["codes"][0])
    assert len(body["bbox"]) == 4


def test_the_context_says_a_frozen_version_is_not_editable(planner_client, demo_document):
    inquiry = demo_document.versions.get(stage=VersionStage.INQUIRY)
    body = planner_client.get(f"/api/v1/planning/versions/{inquiry.pk}/").json()
    assert body["editable"] is False and body["frozen"] is True


def test_the_context_says_another_agency_may_not_edit(client, demo_document, other_agency_planner):
    client.force_login(other_agency_planner)
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    assert client.get(f"/api/v1/planning/versions/{approved.pk}/").json()["editable"] is False


def test_another_agency_cannot_read_a_private_draft(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    response = client.get(f"/api/v1/planning/versions/{draft.pk}/")
    assert response.status_code == 403 and "planners of" in response.json()["detail"]


def test_zones_come_as_geojson_and_a_bbox_narrows_them(planner_client, draft):
    url = f"/api/v1/planning/versions/{draft.pk}/zones.geojson"
    everything = planner_client.get(url).json()
    assert len(everything["features"]) == draft.zones.count()
    assert everything["truncated"] is False
    feature = everything["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert {"key", "code", "revision"} <= set(feature["properties"])
    x, y = Zone.objects.get(pk=feature["id"]).geom.point_on_surface.coords
    bbox = f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"
    some = planner_client.get(url, {"bbox": bbox}).json()
    assert 0 < len(some["features"]) < len(everything["features"])
    assert feature["id"] in [f["id"] for f in some["features"]]


def test_a_malformed_bbox_gets_a_400_that_shows_the_format(planner_client, draft):
    url = f"/api/v1/planning/versions/{draft.pk}/zones.geojson"
    response = planner_client.get(url, {"bbox": "1,2,3"})
    assert response.status_code == 400
    assert "west,south,east,north" in response.json()["detail"]


# --- split ----------------------------------------------------------------------------------


def test_a_line_across_a_zone_splits_it_keeping_the_rules_and_the_area(planner_client, draft):
    zone = _single_part_zone(draft)
    area = zone.geom.area
    response = _post(
        planner_client,
        f"/api/v1/planning/zones/{zone.pk}/split/",
        {"line": _crossing_line(zone)},
        _etag(zone),
    )
    assert response.status_code == 201, response.json()
    parts = response.json()["zones"]
    assert len(parts) >= 2 and parts[0]["id"] == zone.pk
    assert {p["code"] for p in parts} == {zone.code}
    total = sum(Zone.objects.get(pk=p["id"]).geom.area for p in parts)
    assert total == pytest.approx(area, rel=1e-6)
    actions = PlanningEvent.objects.filter(version=draft).values_list("action", flat=True)
    assert "zone_update" in actions and "zone_create" in actions


def test_a_line_that_does_not_cross_the_zone_is_refused(planner_client, draft):
    zone = _single_part_zone(draft)
    x, y = zone.geom.point_on_surface.coords
    line = {"type": "LineString", "coordinates": [[x, y], [x + 1e-5, y]]}
    response = _post(
        planner_client, f"/api/v1/planning/zones/{zone.pk}/split/", {"line": line}, _etag(zone)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == reshape.ERR_NO_CUT.format(key=zone.key)
    assert Zone.objects.get(pk=zone.pk).revision == zone.revision


def test_a_split_needs_the_current_revision(planner_client, draft):
    zone = _single_part_zone(draft)
    stale = f'"zone-{zone.pk}-r{zone.revision + 5}"'
    url = f"/api/v1/planning/zones/{zone.pk}/split/"
    response = _post(planner_client, url, {"line": _crossing_line(zone)}, stale)
    assert response.status_code == 412
    assert response.json()["current"]["revision"] == zone.revision
    assert _post(planner_client, url, {"line": _crossing_line(zone)}).status_code == 428


def test_a_split_is_refused_to_a_planner_of_another_agency(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    zone = _single_part_zone(draft)
    response = _post(
        client,
        f"/api/v1/planning/zones/{zone.pk}/split/",
        {"line": _crossing_line(zone)},
        _etag(zone),
    )
    assert response.status_code == 403
    assert draft.zones.count() == Zone.objects.filter(version=draft).count()


def test_a_point_is_not_a_cutting_line(planner_client, draft):
    zone = _single_part_zone(draft)
    response = _post(
        planner_client,
        f"/api/v1/planning/zones/{zone.pk}/split/",
        {"line": {"type": "Point", "coordinates": [0, 0]}},
        _etag(zone),
    )
    assert response.status_code == 400 and "LineString" in response.json()["detail"]


# --- merge ----------------------------------------------------------------------------------


def test_two_neighbours_merge_into_one_zone_with_history(planner_client, draft):
    a, b = _neighbours(draft)
    area = a.geom.area + b.geom.area
    response = _post(
        planner_client,
        f"/api/v1/planning/zones/{a.pk}/merge/",
        {"other": b.pk, "other_revision": b.revision},
        _etag(a),
    )
    assert response.status_code == 200, response.json()
    merged = Zone.objects.get(pk=a.pk)
    assert merged.geom.area == pytest.approx(area, rel=1e-6)
    assert merged.code == a.code and merged.revision == a.revision + 1
    assert not Zone.objects.filter(pk=b.pk).exists()
    deleted = PlanningEvent.objects.get(version=draft, action="zone_delete", payload__key=b.key)
    assert deleted.payload["before"]["code"] == b.code


def test_zones_that_do_not_touch_do_not_merge(planner_client, draft):
    a, b = _neighbours(draft)
    far = (
        Zone.objects.filter(version=draft)
        .exclude(geom__intersects=a.geom.buffer(0.002))
        .order_by("id")
        .first()
    )
    response = _post(
        planner_client,
        f"/api/v1/planning/zones/{a.pk}/merge/",
        {"other": far.pk, "other_revision": far.revision},
        _etag(a),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_touching"
    assert Zone.objects.filter(pk=far.pk).exists()


def test_a_merge_with_a_stale_neighbour_gets_412_and_writes_nothing(planner_client, draft):
    a, b = _neighbours(draft)
    response = _post(
        planner_client,
        f"/api/v1/planning/zones/{a.pk}/merge/",
        {"other": b.pk, "other_revision": b.revision + 3},
        _etag(a),
    )
    assert response.status_code == 412
    assert response.json()["current"]["id"] == b.pk
    assert Zone.objects.filter(pk=b.pk).exists()
    assert Zone.objects.get(pk=a.pk).revision == a.revision


def test_a_merge_without_the_other_zone_says_what_to_send(planner_client, draft):
    a, _ = _neighbours(draft)
    response = _post(planner_client, f"/api/v1/planning/zones/{a.pk}/merge/", {}, _etag(a))
    assert response.status_code == 400 and "other_revision" in response.json()["detail"]


# --- repair, offered and never silent -------------------------------------------------------


def test_a_planner_who_asks_for_repair_gets_the_valid_polygons(planner_client, draft):
    zone = _single_part_zone(draft)
    x, y = zone.geom.point_on_surface.coords
    d = 1e-5
    bowtie = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
    response = planner_client.patch(
        f"/api/v1/planning/zones/{zone.pk}/",
        json.dumps({"geometry": {"type": "Polygon", "coordinates": [bowtie]}, "repair": True}),
        content_type="application/json",
        HTTP_IF_MATCH=_etag(zone),
    )
    assert response.status_code == 200, response.json()
    geometry = response.json()["geometry"]
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 2
