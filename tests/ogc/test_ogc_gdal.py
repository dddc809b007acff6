"""GDAL, a real client: its OAPIF driver downloads every collection, page by page."""

from __future__ import annotations

import json
import subprocess
import urllib.parse

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from publish.ogc.config import TITLES, introspect

EPSG_26191 = "http://www.opengis.net/def/crs/EPSG/0/26191"
# The API writes 7 decimals of a degree (about 1 cm): geometries compare this close.
TOLERANCE_DEG = 1e-7
TOLERANCE_M = 0.01


def _feature_views(reader) -> list[str]:
    return [v for v in introspect(reader) if TITLES.get(v, {}).get("kind") != "record"]


def _ogr2ogr(tmp_path, source: str, *args: str) -> dict:
    out = tmp_path / "out.geojson"
    out.unlink(missing_ok=True)
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "-lco", "COORDINATE_PRECISION=9", str(out), source, *args],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return json.loads(out.read_text())


def test_ogr2ogr_downloads_every_collection_whole_and_exact(ogc_url, reader, tmp_path):
    for view in _feature_views(reader):
        got = _ogr2ogr(tmp_path, f"OAPIF:{ogc_url}/collections/{view}", "-oo", "PAGE_SIZE=1000")
        has_geom = "geom" in introspect(reader)[view]
        rows = reader.execute(
            f"SELECT id::text, {'ST_AsGeoJSON(geom, 9)' if has_geom else 'NULL'} "  # noqa: S608
            f"FROM publish.{view}"
        ).fetchall()
        assert len(got["features"]) == len(rows), view
        stored = {i: g for i, g in rows}
        for feature in got["features"]:
            key = str(feature["properties"]["id"])
            assert key in stored, (view, key)
            if has_geom:
                mine = shapely.from_geojson(stored[key])
                theirs = shapely.geometry.shape(feature["geometry"])
                assert mine.equals_exact(theirs, TOLERANCE_DEG), (view, key)


def test_crs_26191_coordinates_match_pyproj(ogc_url, reader, tmp_path):
    # GDAL 3.6's OAPIF driver has no CRS option (3.7 adds it): read the items URL with crs.
    url = f"{ogc_url}/collections/zones/items?limit=200&crs={EPSG_26191}"
    got = _ogr2ogr(tmp_path, url)
    to = Transformer.from_crs("EPSG:4326", "EPSG:26191", always_xy=True)
    stored = dict(reader.execute("SELECT id, ST_AsGeoJSON(geom, 9) FROM publish.zones"))
    assert len(got["features"]) == 200
    for feature in got["features"]:
        zone_id = feature["properties"].get("id", feature.get("id"))
        expected = shapely.transform(
            shapely.from_geojson(stored[zone_id]),
            lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])),
        )
        theirs = shapely.geometry.shape(feature["geometry"])
        assert expected.equals_exact(theirs, TOLERANCE_M)


@pytest.mark.parametrize("cql", ["code = 'ZM'", "max_height_m > 12 AND status = 'approved'"])
def test_ogr2ogr_with_a_server_side_filter(ogc_url, reader, tmp_path, cql):
    query = urllib.parse.urlencode({"limit": 10000, "filter-lang": "cql2-text", "filter": cql})
    url = f"{ogc_url}/collections/zones/items?{query}"
    got = _ogr2ogr(tmp_path, url)
    query = f"SELECT count(*) FROM publish.zones WHERE {cql}"  # noqa: S608 (a constant)
    expected = reader.execute(query).fetchone()[0]
    assert len(got["features"]) == expected > 0
