"""The `indicators` tile layer: real tiles over HTTP, decoded with mapbox-vector-tile, hold the
database's latest indicator values, and a recomputation shows in the next tile request."""

from __future__ import annotations

import json
import time

import mapbox_vector_tile
import psycopg
import pytest
from tile_helpers import http_get, tile_of

from tiles.layers import INDICATOR_KEYS, LAYERS

# District names and values show from z10; one z11 tile holds most of the demo's districts.
Z = 11


@pytest.fixture(scope="module")
def tilejson(live_url) -> dict:
    status, _, body = http_get(f"{live_url}/tiles/indicators.json")
    assert status == 200
    return json.loads(body)


@pytest.fixture(scope="module")
def tile_url(live_url, tilejson) -> str:
    lon, lat, _ = tilejson["center"]
    return f"{live_url}/tiles/indicators/{Z}/{'/'.join(map(str, tile_of(lon, lat, Z)))}.pbf"


def _features(tile_url: str) -> dict[tuple[str, str], dict]:
    status, headers, body = http_get(tile_url)
    assert status == 200 and headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features = mapbox_vector_tile.decode(body)["indicators"]["features"]
    return {(f["properties"]["level"], f["properties"]["code"]): f["properties"] for f in features}


def _latest_values() -> dict[tuple[str, str], dict[str, float]]:
    """The latest period's value of each indicator per unit, straight from the tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.level, v.unit_code,"
            " i.code || CASE WHEN v.dimension = '' THEN '' ELSE '.' || v.dimension END, v.value"
            " FROM watch_indicatorvalue v JOIN watch_indicator i ON i.id = v.indicator_id"
            " WHERE v.value IS NOT NULL AND v.level IN ('commune', 'district')"
            " AND v.period = (SELECT max(w.period) FROM watch_indicatorvalue w"
            "   WHERE w.indicator_id = v.indicator_id AND w.level = v.level)"
        )
        out: dict[tuple[str, str], dict[str, float]] = {}
        for level, unit, key, value in cursor.fetchall():
            out.setdefault((level, unit), {})[key] = value
    return out


def _wait_version_moved(live_url: str, old: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        versions = json.loads(http_get(f"{live_url}/tiles/healthz")[2])["versions"]
        if versions.get("indicators") not in (None, old):
            return
        time.sleep(0.02)
    raise AssertionError("the indicators layer version did not move")


def test_the_layer_is_declared_like_the_others(live_url, tilejson):
    assert tilejson["vector_layers"][0]["id"] == "indicators"
    assert set(tilejson["vector_layers"][0]["fields"]) == set(LAYERS["indicators"].fields)
    tilesets = json.loads(http_get(f"{live_url}/tiles/ogc/tilesets")[2])["tilesets"]
    assert "indicators" in [t["title"] for t in tilesets]
    tileset = json.loads(http_get(f"{live_url}/tiles/ogc/tilesets/indicators")[2])
    properties = tileset["layers"][0]["propertiesSchema"]["properties"]
    assert properties["density"] == {"type": "number"}


def test_the_declared_keys_are_every_indicator_in_the_database(reader_conninfo):
    # Read as the tile service reads: the read-only role, the publish view.
    with psycopg.connect(reader_conninfo) as conn:
        keys = {
            row[0]
            for row in conn.execute(
                'SELECT DISTINCT jsonb_object_keys("values") FROM publish.indicator_latest'
            )
        }
    assert keys == set(INDICATOR_KEYS)


@pytest.mark.django_db
def test_tile_values_are_the_latest_values_in_the_database(tile_url):
    features = _features(tile_url)
    expected = _latest_values()
    assert {level for level, _ in features} == {"commune", "district"}
    assert len(features) > 50
    for unit, properties in features.items():
        values = {k: v for k, v in properties.items() if k in INDICATOR_KEYS}
        assert values == pytest.approx(expected[unit], rel=1e-12), unit
        assert set(properties) <= set(LAYERS["indicators"].fields)
    # The latest period: 2025 for permits (2015-2025), 2024 for population (2014 and 2024).
    some = next(iter(features))
    assert "lcrpgr" in features[some] and "permits_count" in features[some]


def test_recomputed_values_are_in_the_next_tile_request(live_url, tile_url, django_db_blocker):
    from territory.models import District
    from watch import compute, services

    _features(tile_url)  # now in the cache
    old_key = json.loads(http_get(f"{live_url}/tiles/healthz")[2])["versions"]["indicators"]
    with django_db_blocker.unblock():
        district = District.objects.filter(code__in=[c for _, c in _features(tile_url)]).first()
        population = district.population
        indicators = services.catalogue_sync()

        def recompute() -> None:
            rows = compute.population_and_density(compute.districts(), services.DEMO_PERIOD)
            services.values_replace(rows=rows, indicators=indicators)

        District.objects.filter(pk=district.pk).update(population=population + 5000)
        try:
            recompute()
            _wait_version_moved(live_url, old_key)
            after = _features(tile_url)[("district", district.code)]
            assert after["population"] == population + 5000
            values = {k: v for k, v in after.items() if k in INDICATOR_KEYS}
            assert values == pytest.approx(_latest_values()[("district", district.code)])
        finally:
            District.objects.filter(pk=district.pk).update(population=population)
            recompute()
    assert _features(tile_url)[("district", district.code)]["population"] == population
