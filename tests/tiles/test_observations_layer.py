"""The observations layer: the published register entries as tiles, with no personal data."""

from __future__ import annotations

import json
import urllib.request

import mapbox_vector_tile
import pytest
from tile_helpers import tile_of

from inquiry.models import Observation

Z = 15


@pytest.fixture(scope="module")
def demo_entries(django_db_setup, django_db_blocker):
    """The demo inquiry's register (loaded once per session, committed)."""
    with django_db_blocker.unblock():
        entries = list(Observation.objects.filter(geom__isnull=False).order_by("id"))
    assert len(entries) >= 8
    return entries


def test_the_layer_declares_only_public_fields(db, live_url):
    # First in the module, with `db`: pytest-django then creates the test database even when
    # this module runs alone.
    with urllib.request.urlopen(f"{live_url}/tiles/observations.json") as resp:
        tilejson = json.loads(resp.read())
    fields = set(tilejson["vector_layers"][0]["fields"])
    assert fields.isdisjoint({"author_name", "author_email", "author_id_number", "ip"})
    assert {"register_number", "theme", "author_display"} <= fields


def _tile(live_url: str, entry: Observation) -> tuple[bytes, dict]:
    x, y = tile_of(entry.geom.x, entry.geom.y, Z)
    with urllib.request.urlopen(f"{live_url}/tiles/observations/{Z}/{x}/{y}.pbf") as resp:
        body = resp.read()
    return body, mapbox_vector_tile.decode(body)["observations"]


def test_every_published_entry_is_in_its_tile_anonymised_as_chosen(live_url, demo_entries):
    for entry in demo_entries:
        body, layer = _tile(live_url, entry)
        features = {f["properties"]["register_number"]: f["properties"] for f in layer["features"]}
        shown = features[entry.register_number]
        assert shown["theme"] == entry.theme
        assert shown["author_display"] == (entry.author_name if entry.publish_named else "Anonyme")
        assert entry.author_email.encode() not in body
        assert b"@" not in body
        if not entry.publish_named:
            assert entry.author_name.encode() not in body


def test_below_zoom_14_observations_come_as_clusters_that_count_them_all(
    live_url, demo_entries, reader_conninfo
):
    import psycopg

    z = 7
    x, y = tile_of(demo_entries[0].geom.x, demo_entries[0].geom.y, z)
    with urllib.request.urlopen(f"{live_url}/tiles/observations/{z}/{x}/{y}.pbf") as resp:
        features = mapbox_vector_tile.decode(resp.read())["observations"]["features"]
    with psycopg.connect(reader_conninfo) as conn:
        expected = conn.execute(
            "SELECT count(*) FROM publish.observations "
            "WHERE geom_3857 && ST_TileEnvelope(%s, %s, %s)",
            (z, x, y),
        ).fetchone()[0]
    counts = [f["properties"]["point_count"] for f in features]
    assert sum(counts) == expected >= 2
    assert len(features) < expected  # grouped: fewer features than observations
    for feature in features:
        assert feature["geometry"]["type"] == "Point"
        if feature["properties"]["point_count"] > 1:
            assert "register_number" not in feature["properties"]
