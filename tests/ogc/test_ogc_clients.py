"""OWSLib, a real client: collections, items, queryables and the zoning-lookup process."""

from __future__ import annotations

import json
import urllib.request

import pytest
from owslib.ogcapi.features import Features
from owslib.ogcapi.processes import Processes
from pyproj import Transformer

from publish.ogc.config import introspect


@pytest.fixture(scope="module")
def point_in_zone(reader) -> tuple[int, float, float]:
    """An approved zone and a point inside it."""
    return reader.execute(
        "SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p "
        "FROM publish.zones WHERE status = 'approved' ORDER BY id LIMIT 1) z"
    ).fetchone()


def _lookup(ogc_url, **inputs) -> dict:
    """Run the process with OWSLib; pygeoapi wraps a document response in `outputs`."""
    response = Processes(ogc_url).execute("zoning-lookup", inputs=inputs)
    return response["outputs"][0] if "outputs" in response else response


def test_owslib_lists_collections_and_reads_items(ogc_url, reader):
    api = Features(ogc_url)
    assert set(api.feature_collections()) >= set(introspect(reader)) - {"plan_documents"}
    items = api.collection_items("zones", limit=5)
    assert len(items["features"]) == 5 and items["numberMatched"] >= 5
    one = api.collection_item("zones", str(items["features"][0]["id"]))
    assert one["id"] == items["features"][0]["id"]
    assert "max_height_m" in api.collection_queryables("zones")["properties"]


def test_owslib_runs_the_zoning_lookup_at_a_point(ogc_url, reader, point_in_zone):
    zone_id, lon, lat = point_in_zone
    result = _lookup(ogc_url, geometry={"type": "Point", "coordinates": [lon, lat]})
    zones = result["zones"]
    expected = {
        r[0]
        for r in reader.execute(
            "SELECT id FROM publish.zones "
            "WHERE ST_Intersects(geom, ST_SetSRID(ST_Point(%s, %s), 4326))",
            (lon, lat),
        )
    }
    assert {z["id"] for z in zones} == expected and zone_id in expected
    approved = next(z for z in zones if z["id"] == zone_id)
    assert approved["legal_status"]["enforceable"] is True
    assert approved["plan_version"]["document_code"]
    assert approved["rules"]["max_height_m"] is not None
    assert approved["articles"], "the règlement articles of the zone"
    drafts = [z for z in zones if z["legal_status"]["status"] == "draft"]
    assert all(z["legal_status"]["enforceable"] is False for z in drafts)


def test_the_lookup_takes_a_parcel_in_merchich(ogc_url, point_in_zone):
    _, lon, lat = point_in_zone
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:26191", always_xy=True).transform(lon, lat)
    parcel = {
        "type": "Polygon",
        "coordinates": [
            [
                [x - 10, y - 10],
                [x + 10, y - 10],
                [x + 10, y + 10],
                [x - 10, y + 10],
                [x - 10, y - 10],
            ]
        ],
    }
    result = _lookup(ogc_url, geometry=parcel, crs="EPSG:26191")
    assert result["area_m2"] == pytest.approx(400, rel=0.02)
    assert sum(
        z["overlap_m2"] for z in result["zones"] if z["legal_status"]["enforceable"]
    ) == pytest.approx(400, rel=0.02)


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({}, "must be a GeoJSON Point"),
        (
            {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
            "must be a GeoJSON",
        ),
        (
            {"geometry": {"type": "Point", "coordinates": [-7.6, 33.5]}, "crs": "EPSG:2154"},
            "not offered",
        ),
    ],
)
def test_the_lookup_refuses_bad_input_with_a_reason(ogc_url, inputs, says):
    request = urllib.request.Request(
        f"{ogc_url}/processes/zoning-lookup/execution",
        method="POST",
        data=json.dumps({"inputs": inputs}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("expected an error")
    except urllib.error.HTTPError as err:
        assert 400 <= err.code < 500
        assert says in json.loads(err.read())["description"]
