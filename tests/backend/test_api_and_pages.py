"""The public REST API, the OpenAPI schema, the health check and the map page."""

from __future__ import annotations

import pytest
from django.db import connection

from planning import services
from planning.models import VersionStage, Zone
from territory.models import District

pytestmark = pytest.mark.django_db


def test_a_zone_card_has_its_rules_and_articles(client):
    zone = Zone.objects.filter(
        version__stage=VersionStage.APPROVED, max_levels__isnull=False
    ).first()
    response = client.get(f"/api/v1/zones/{zone.pk}/")
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    props = feature["properties"]
    assert props["code"] == zone.code
    assert props["max_levels"] == zone.max_levels
    assert props["ground_coverage_max"] == zone.ground_coverage_max
    assert props["floor_area_ratio_max"] == zone.floor_area_ratio_max
    assert props["status"] == "approved"
    assert props["version"]["kind"] == "approved"
    assert props["document"]["code"] == zone.version.document.code
    assert props["articles"], "the règlement chapter of the zone"


def test_a_zone_of_a_study_version_is_not_found(client, demo_document):
    approved = demo_document.versions.get(stage=VersionStage.APPROVED)
    study = services.version_clone(version=approved, label="Étude", by=None)
    zone = study.zones.first()
    assert client.get(f"/api/v1/zones/{zone.pk}/").status_code == 404


def test_the_plan_list_shows_what_the_public_may_see(client):
    plans = client.get("/api/v1/plans/").json()
    assert sorted(p["status"] for p in plans) == ["approved", "draft"]


def test_the_openapi_schema_is_served(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/zones/{id}/" in paths


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_the_map_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"/static/app/" in response.content


def test_the_admin_has_map_widgets(admin_client):
    district = District.objects.first()
    response = admin_client.get(f"/admin/territory/district/{district.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_geom"' in html
    # OpenLayers and the basemap come from the system itself, not from a CDN.
    assert "/static/app/vendor/ol/ol.js" in html
    assert "/tiles/basemap/" in html
    assert "cdn.jsdelivr.net" not in html and "openstreetmap" not in html


def test_the_private_cluster_is_not_the_system_one():
    with connection.cursor() as cursor:
        cursor.execute("SHOW listen_addresses")
        listen = cursor.fetchone()[0]
        cursor.execute("SHOW port")
        port = cursor.fetchone()[0]
    assert port != "5432"
    assert listen == "", "the private cluster listens on its unix socket only"
    socket_dir = connection.settings_dict["HOST"]
    assert "/var/pg/" in socket_dir or "eurbanisme-" in socket_dir


def test_the_admin_shows_a_frozen_version_read_only(admin_client):
    zone = Zone.objects.filter(version__stage=VersionStage.APPROVED).first()
    response = admin_client.post(
        f"/admin/planning/zone/{zone.pk}/change/", {"code": "HACK", "version": zone.version_id}
    )
    assert response.status_code == 403
    zone.refresh_from_db()
    assert zone.code != "HACK"
