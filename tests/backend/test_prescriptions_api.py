"""Prescriptions' editing API: create, update, delete with If-Match, history and restore."""

from __future__ import annotations

import json

import pytest

from planning import prescriptions
from planning.models import PlanningEvent, Prescription, VersionStage, Zone

pytestmark = pytest.mark.django_db


def _point_in(version) -> dict:
    x, y = Zone.objects.filter(version=version).first().geom.point_on_surface.coords
    return {"type": "Point", "coordinates": [x, y]}


def _create(client, version, **fields):
    body = {
        "kind": "equipment_reservation",
        "label_fr": "Réservation école",
        "label_ar": "تخصيص مدرسة",
        "equipment_type": "school",
        "geometry": _point_in(version),
        **fields,
    }
    return client.post(
        f"/api/v1/planning/versions/{version.pk}/prescriptions/",
        json.dumps(body),
        content_type="application/json",
    )


def _patch(client, item_id, body, etag):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.patch(
        f"/api/v1/planning/prescriptions/{item_id}/",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_planner_creates_a_reservation_with_history(planner_client, draft):
    response = _create(planner_client, draft)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == f'"prescription-{body["id"]}-r1"'
    event = PlanningEvent.objects.get(
        action="prescription_create", payload__prescription=body["id"]
    )
    assert event.payload["after"]["kind"] == "equipment_reservation"


def test_an_unknown_kind_and_a_place_outside_the_plan_are_explained(planner_client, draft):
    response = _create(
        planner_client, draft, kind="parking", geometry={"type": "Point", "coordinates": [0, 0]}
    )
    assert response.status_code == 400
    codes = {p["code"] for p in response.json()["problems"]}
    assert codes == {"unknown_kind", "outside_perimeter"}


def test_an_invalid_polygon_is_refused_with_its_location(planner_client, draft):
    x, y = _point_in(draft)["coordinates"]
    bowtie = [[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]
    response = _create(planner_client, draft, geometry={"type": "Polygon", "coordinates": [bowtie]})
    assert response.status_code == 400
    problem = response.json()["problems"][0]
    assert problem["code"] == "geometry_invalid" and problem["location"]["type"] == "Point"


def test_an_update_needs_the_current_revision_and_is_restorable(planner_client, draft):
    item = planner_client.get(f"/api/v1/planning/prescriptions/{draft.prescriptions.first().pk}/")
    etag, body = item["ETag"], item.json()
    assert _patch(planner_client, body["id"], {"width_m": 12}, None).status_code == 428
    changed = _patch(planner_client, body["id"], {"width_m": 12}, etag)
    assert changed.status_code == 200 and changed.json()["revision"] == body["revision"] + 1

    stale = _patch(planner_client, body["id"], {"width_m": 14}, etag)
    assert stale.status_code == 412
    assert stale.json()["current"]["width_m"] == 12

    history = planner_client.get(f"/api/v1/planning/prescriptions/{body['id']}/history/").json()
    assert history[0]["action"] == "prescription_update"
    assert history[0]["payload"]["after"] == {"width_m": 12}
    restored = planner_client.post(
        f"/api/v1/planning/prescriptions/{body['id']}/restore/{history[0]['id']}/"
    )
    assert restored.status_code == 200
    assert restored.json()["width_m"] == body["width_m"]


def test_a_delete_keeps_the_last_state_in_the_history(planner_client, draft):
    item = draft.prescriptions.first()
    etag = f'"prescription-{item.pk}-r{item.revision}"'
    url = f"/api/v1/planning/prescriptions/{item.pk}/"
    response = planner_client.delete(url, HTTP_IF_MATCH=etag)
    assert response.status_code == 204
    assert not Prescription.objects.filter(pk=item.pk).exists()
    event = PlanningEvent.objects.get(action="prescription_delete", payload__prescription=item.pk)
    assert event.payload["before"]["key"] == item.key


def test_a_planner_of_another_agency_cannot_write(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    assert _create(client, draft).status_code == 403
    item = draft.prescriptions.first()
    etag = f'"prescription-{item.pk}-r{item.revision}"'
    assert _patch(client, item.pk, {"width_m": 3}, etag).status_code == 403


def test_a_frozen_version_is_read_only(planner_client, demo_document):
    inquiry = demo_document.versions.get(stage=VersionStage.INQUIRY)
    response = _create(planner_client, inquiry)
    assert response.status_code == 409 and "clone it" in response.json()["detail"]


def test_prescription_events_stay_out_of_a_zone_history(draft, agency_planner):
    zone = draft.zones.first()
    prescriptions.prescription_create(
        version=draft,
        values={
            "key": zone.key,  # the same key as a zone, on purpose
            "kind": "easement",
            "label_fr": "Servitude",
            "label_ar": "ارتفاق",
            "geom": zone.geom.point_on_surface,
        },
        by=agency_planner,
    )
    from planning import services

    assert all(e.action.startswith("zone_") for e in services.zone_history(zone=zone))
