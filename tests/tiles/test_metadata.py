"""Tile metadata (TileJSON, OGC API Tiles, MapLibre style) and the operations endpoints."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import mapbox_vector_tile
import pytest
from tile_helpers import http_get

from tiles.layers import LAYERS

VALIDATOR = (
    Path(__file__).resolve().parents[2]
    / "frontend/node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.mjs"
)


def _json(url: str) -> dict:
    status, _, body = http_get(url)
    assert status == 200, body
    return json.loads(body)


def test_tilejson_declares_the_feature_limit(live_url):
    doc = _json(f"{live_url}/tiles/zones.json")
    assert doc["feature_limit"] == LAYERS["zones"].feature_limit
    assert doc["vector_layers"][0]["feature_limit"] == LAYERS["zones"].feature_limit


def test_ogc_tilesets_list_every_layer_in_web_mercator_quad(live_url):
    doc = _json(f"{live_url}/tiles/ogc/tilesets")
    assert [t["title"] for t in doc["tilesets"]] == list(LAYERS)
    for tileset in doc["tilesets"]:
        assert tileset["dataType"] == "vector"
        assert tileset["tileMatrixSetURI"].endswith("/tilematrixset/OGC/1.0/WebMercatorQuad")
        assert {link["rel"] for link in tileset["links"]} >= {"self", "item"}


def test_an_ogc_tileset_serves_tiles_by_matrix_row_and_col(live_url):
    tileset = _json(f"{live_url}/tiles/ogc/tilesets/zones")
    west, south = tileset["boundingBox"]["lowerLeft"]
    east, north = tileset["boundingBox"]["upperRight"]
    assert west < east and south < north
    assert tileset["layers"][0]["featureLimit"] == LAYERS["zones"].feature_limit
    assert set(tileset["layers"][0]["propertiesSchema"]["properties"]) == set(
        LAYERS["zones"].fields
    )
    template = next(link["href"] for link in tileset["links"] if link["rel"] == "item")
    centre = _json(f"{live_url}/tiles/zones.json")["center"]
    z = 12
    n = 1 << z
    col = int((centre[0] + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(centre[1]))) / math.pi) / 2 * n)
    url = template.format(tileMatrix=z, tileRow=row, tileCol=col)
    status, _, body = http_get(url)
    assert status == 200
    _, _, xyz = http_get(f"{live_url}/tiles/zones/{z}/{col}/{row}.pbf")
    assert mapbox_vector_tile.decode(body) == mapbox_vector_tile.decode(xyz)
    status, _, body = http_get(url.replace("WebMercatorQuad", "WorldCRS84Quad"))
    assert status == 404 and "WebMercatorQuad only" in json.loads(body)["detail"]


@pytest.mark.parametrize("query", ["", "?lang=ar&plan=draft"])
def test_the_style_is_valid_for_maplibre(live_url, tmp_path, query):
    style = _json(f"{live_url}/tiles/style.json{query}")
    assert set(style["sources"]) == set(LAYERS)
    for layer in style["layers"]:
        if "source" in layer:
            assert layer["source-layer"] in LAYERS
    assert style["glyphs"].startswith(live_url + "/static/")
    if shutil.which("node") is None or not VALIDATOR.exists():
        pytest.skip("node or @maplibre/maplibre-gl-style-spec is not installed")
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style))
    result = subprocess.run(
        ["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_style_source_urls_resolve(live_url):
    style = _json(f"{live_url}/tiles/style.json?lang=ar")
    layers = {layer["id"]: layer for layer in style["layers"]}
    commune = layers["territories-commune-label"]["layout"]["text-field"]
    assert commune == ["coalesce", ["get", "name_ar"], ["get", "name_fr"], ""]
    for source in style["sources"].values():
        assert _json(source["url"])["tilejson"] == "3.0.0"


@pytest.mark.parametrize("plan", ["approved", "draft"])
def test_the_style_shows_one_plan_and_hides_the_other(live_url, plan):
    style = _json(f"{live_url}/tiles/style.json?plan={plan}")
    other = "draft" if plan == "approved" else "approved"
    layers = {layer["id"]: layer for layer in style["layers"]}
    # The ids the web pages rely on (frontend/README.md).
    for id_ in ("zones-selected", "basemap-sea", "territories-commune-line"):
        assert id_ in layers
    for part in ("fill", "hatch", "line", "label"):
        assert layers[f"zones-{plan}-{part}"]["layout"]["visibility"] == "visible"
        assert layers[f"zones-{other}-{part}"]["layout"]["visibility"] == "none"
    assert layers[f"zones-{plan}-fill"]["filter"] == ["==", ["get", "status"], plan]
    for part in ("fill", "outline", "line", "point", "label"):
        assert layers[f"prescriptions-{other}-{part}"]["layout"]["visibility"] == "none"


def test_healthz_reports_database_and_listener(live_url):
    doc = _json(f"{live_url}/tiles/healthz")
    assert doc["status"] == "ok" and doc["database"] is True
    assert set(doc["versions"]) >= {"zones", "prescriptions", "territories"}


def test_metrics_are_in_prometheus_text_format(live_url):
    http_get(f"{live_url}/tiles/zones/12/0/0.pbf")
    status, headers, body = http_get(f"{live_url}/tiles/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    assert "# TYPE tiles_requests_total counter" in text
    assert "# TYPE tiles_render_seconds histogram" in text
    assert "# TYPE tiles_queue_seconds histogram" in text
    assert 'tiles_layer_version{layer="zones"}' in text
