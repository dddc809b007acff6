"""The tile service, over HTTP, decoded with mapbox-vector-tile."""

from __future__ import annotations

import json

import mapbox_vector_tile
import pytest
from tile_helpers import http_get, tile_of

from tiles.layers import LAYERS


@pytest.fixture(scope="module")
def tilejson(live_url):
    status, headers, body = http_get(f"{live_url}/tiles/zones.json")
    assert status == 200
    return json.loads(body)


@pytest.fixture(scope="module")
def centre_tile(tilejson):
    lon, lat, _ = tilejson["center"]
    return (12, *tile_of(lon, lat, 12))


def _decode(live_url, layer, z, x, y):
    status, headers, body = http_get(f"{live_url}/tiles/{layer}/{z}/{x}/{y}.pbf")
    assert status in (200, 204), body
    if status == 200:
        assert headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(body) if body else {}


def test_tilejson_is_tilejson_3(tilejson, live_url):
    assert tilejson["tilejson"] == "3.0.0"
    assert tilejson["tiles"] == [f"{live_url}/tiles/zones/{{z}}/{{x}}/{{y}}.pbf"]
    west, south, east, north = tilejson["bounds"]
    assert -8.2 < west < east < -7.0 and 33.0 < south < north < 34.0
    assert tilejson["vector_layers"][0]["id"] == "zones"
    assert set(tilejson["vector_layers"][0]["fields"]) == set(LAYERS["zones"].fields)


def test_zone_tiles_carry_the_declared_attributes(live_url, centre_tile):
    tile = _decode(live_url, "zones", *centre_tile)
    features = tile["zones"]["features"]
    assert features
    declared = set(LAYERS["zones"].fields)
    for feature in features:
        assert set(feature["properties"]) <= declared
        assert feature["properties"]["status"] in {"approved", "draft"}
        assert feature["id"] == feature["properties"]["id"]
    statuses = {f["properties"]["status"] for f in features}
    assert statuses == {"approved", "draft"}


@pytest.mark.parametrize("layer", ["prescriptions", "territories", "basemap", "equipment"])
def test_every_layer_serves_features_at_the_centre(live_url, layer, tilejson):
    lon, lat, _ = tilejson["center"]
    found = {}
    for z in (11, 12):
        found.update(_decode(live_url, layer, z, *tile_of(lon, lat, z)))
    assert layer in found and found[layer]["features"]
    declared = set(LAYERS[layer].fields)
    for feature in found[layer]["features"]:
        assert set(feature["properties"]) <= declared


def test_a_study_version_never_reaches_the_tiles(live_url, centre_tile, django_db_blocker):
    from planning import services
    from planning.models import PlanningDocument, PlanVersion, VersionStage

    with django_db_blocker.unblock():
        document = PlanningDocument.objects.get()
        approved = document.versions.get(stage=VersionStage.APPROVED)
        study = services.version_clone(version=approved, label="Étude (test)", by=None)
        try:
            tile = _decode(live_url, "zones", *centre_tile)
            version_ids = {f["properties"]["version_id"] for f in tile["zones"]["features"]}
            assert study.id not in version_ids
            assert approved.id in version_ids
        finally:
            study.zones.all().delete()
            study.prescriptions.all().delete()
            study.articles.all().delete()
            PlanVersion.objects.filter(pk=study.pk).delete()


def test_an_empty_tile_is_204(live_url):
    status, _, body = http_get(f"{live_url}/tiles/zones/12/0/0.pbf")
    assert status == 204 and body == b""


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/tiles/parcels/1/0/0.pbf", 404, "Unknown tile layer 'parcels'"),
        ("/tiles/parcels.json", 404, "Available layers: zones"),
        ("/tiles/zones/3/8/0.pbf", 400, "x and y go from 0 to 7"),
        ("/tiles/zones/3/0/9.pbf", 400, "x and y go from 0 to 7"),
        ("/tiles/zones/23/0/0.pbf", 400, "Zoom level 23 is out of range"),
        ("/tiles/zones/a/b/c.pbf", 404, "No such tile resource"),
    ],
)
def test_bad_tile_requests_get_a_clear_error(live_url, path, status, message):
    got, headers, body = http_get(live_url + path)
    assert got == status
    assert message in json.loads(body)["detail"]
