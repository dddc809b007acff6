"""Tile caching and freshness: ETag/304, gzip, layer versions over LISTEN/NOTIFY, visibility."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time

import mapbox_vector_tile
import pytest
from tile_helpers import http_get, tile_of


@pytest.fixture(scope="module")
def centre(live_url) -> tuple[int, int, int]:
    _, _, body = http_get(f"{live_url}/tiles/zones.json")
    lon, lat, _ = json.loads(body)["center"]
    return (12, *tile_of(lon, lat, 12))


def _zones(live_url: str, z: int, x: int, y: int) -> tuple[dict, list[dict]]:
    status, headers, body = http_get(f"{live_url}/tiles/zones/{z}/{x}/{y}.pbf")
    assert status in (200, 204)
    features = mapbox_vector_tile.decode(body)["zones"]["features"] if body else []
    return headers, features


def _metric(live_url: str, name: str, **labels: str) -> float:
    _, _, body = http_get(f"{live_url}/tiles/metrics")
    wanted = name
    if labels:
        wanted += "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    for line in body.decode().splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


def _wait_listener(live_url: str) -> None:
    """Wait until the listener is connected and holds the zones key (no reload under way)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = json.loads(http_get(f"{live_url}/tiles/healthz")[2])
        if health["listener"] and "zones" in health["versions"]:
            return
        time.sleep(0.05)
    raise AssertionError("the layer-version listener did not connect")


def _wait_versions(live_url: str, ready) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if ready(json.loads(http_get(f"{live_url}/tiles/healthz")[2])["versions"]):
            return
        time.sleep(0.02)
    raise AssertionError("the layer versions did not reach the expected state")


def test_a_repeated_tile_comes_from_memory_with_the_same_etag(live_url, centre):
    _wait_listener(live_url)
    z, x, y = centre
    first_headers, first = _zones(live_url, *centre)
    hits = _metric(live_url, "tiles_requests_total", layer="zones", source="memory")
    second_headers, second = _zones(live_url, *centre)
    assert first_headers["etag"] == second_headers["etag"]
    assert (
        first_headers["etag"].startswith('W/"zones-') and f"-{z}-{x}-{y}" in first_headers["etag"]
    )
    assert first == second
    assert _metric(live_url, "tiles_requests_total", layer="zones", source="memory") == hits + 1


def test_if_none_match_gets_a_304_without_a_body(live_url, centre):
    _wait_listener(live_url)
    url = f"{live_url}/tiles/zones/{centre[0]}/{centre[1]}/{centre[2]}.pbf"
    _, headers, _ = http_get(url)
    renders = _metric(live_url, "tiles_render_seconds_count", layer="zones")
    status, again, body = http_get(url, {"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""
    assert again["etag"] == headers["etag"]
    assert _metric(live_url, "tiles_render_seconds_count", layer="zones") == renders
    status, _, body = http_get(url, {"If-None-Match": 'W/"zones-0.0-0-0-0"'})
    assert status == 200 and body


def test_tiles_are_gzipped_only_for_clients_that_accept_it(live_url, centre):
    url = f"{live_url}/tiles/zones/{centre[0]}/{centre[1]}/{centre[2]}.pbf"
    _, plain_headers, plain = http_get(url)
    status, headers, packed = http_get(url, {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200
    assert "content-encoding" not in plain_headers
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(packed) == plain and len(packed) < len(plain)
    _, refused, _ = http_get(url, {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused


def test_cache_control_lets_proxies_store_but_always_revalidate(live_url, centre):
    _, headers, _ = http_get(f"{live_url}/tiles/zones/{centre[0]}/{centre[1]}/{centre[2]}.pbf")
    assert headers["cache-control"] == "public, no-cache"


def test_an_edit_is_visible_in_the_next_tile_request(live_url, centre, django_db_blocker):
    from planning import services
    from planning.models import DocumentStatus, PlanningDocument, PlanningEvent

    _wait_listener(live_url)
    before_headers, before = _zones(live_url, *centre)  # now in the cache
    assert "approved" in {f["properties"]["status"] for f in before}
    old_key = json.loads(http_get(f"{live_url}/tiles/healthz")[2])["versions"]["zones"]
    with django_db_blocker.unblock():
        document = PlanningDocument.objects.get()
        events = set(PlanningEvent.objects.values_list("pk", flat=True))
        services.document_set_status(document=document, status=DocumentStatus.LAPSED, by=None)
        try:
            # The commit's NOTIFY reaches the service within milliseconds (on an idle machine,
            # before the commit returns here); no request is made until it has landed, as a
            # request made earlier could still get the cached tile (see tiles/README.md).
            _wait_versions(live_url, lambda v: v.get("zones") not in (None, old_key))
            # The next request: a lapsed plan's approved zones are no longer public.
            after_headers, after = _zones(live_url, *centre)
            assert {f["properties"]["status"] for f in after} == {"draft"}
            assert after_headers["etag"] != before_headers["etag"]
            status, _, _ = http_get(
                f"{live_url}/tiles/zones/{'/'.join(map(str, centre))}.pbf",
                {"If-None-Match": before_headers["etag"]},
            )
            assert status == 200
        finally:
            PlanningDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.IN_FORCE)
            PlanningEvent.objects.exclude(pk__in=events).delete()
    _, restored = _zones(live_url, *centre)
    assert "approved" in {f["properties"]["status"] for f in restored}


def test_a_draft_shows_the_instant_its_inquiry_opens(live_url, centre, django_db_blocker):
    from django.db import connection

    from inquiry.models import Inquiry

    _wait_listener(live_url)
    with django_db_blocker.unblock():
        inquiry = Inquiry.objects.get()
        opens_at = inquiry.opens_at
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            now = cursor.fetchone()[0]
        soon = now + dt.timedelta(seconds=2)
        Inquiry.objects.filter(pk=inquiry.pk).update(opens_at=soon)
        try:
            # That write bumped the version; wait for the listener to hold the new key, so the
            # tile below is cached under it (until then tiles bypass the cache: no ETag).
            _wait_versions(live_url, lambda v: v.get("zones", "").endswith(".0"))
            headers, features = _zones(live_url, *centre)
            assert {f["properties"]["status"] for f in features} == {"approved"}
            _zones(live_url, *centre)  # cached under the pre-opening key
            time.sleep(max(0.0, (soon - now).total_seconds()) + 0.2)
            # No write happened since: only the clock moved.
            after_headers, after = _zones(live_url, *centre)
            assert {f["properties"]["status"] for f in after} == {"approved", "draft"}
            assert after_headers["etag"] != headers["etag"]
        finally:
            Inquiry.objects.filter(pk=inquiry.pk).update(opens_at=opens_at)


def test_layer_state_names_the_next_opening_and_the_last_one_passed(db):
    from django.db import connection

    from inquiry.models import Inquiry

    inquiry = Inquiry.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        now = cursor.fetchone()[0]
        cursor.execute("SELECT layer, epoch, next_change FROM publish.layer_state()")
        state = {layer: (epoch, coming) for layer, epoch, coming in cursor.fetchall()}
        assert state["zones"] == (int(inquiry.opens_at.timestamp() * 1000), None)
        assert state["territories"] == (0, None)
        Inquiry.objects.filter(pk=inquiry.pk).update(opens_at=now + dt.timedelta(days=1))
        cursor.execute("SELECT layer, epoch, next_change FROM publish.layer_state()")
        state = {layer: (epoch, coming) for layer, epoch, coming in cursor.fetchall()}
    assert state["zones"] == (0, now + dt.timedelta(days=1))
    assert state["prescriptions"] == (0, now + dt.timedelta(days=1))
    assert state["equipment"] == (0, None)


def test_the_reader_role_can_read_layer_state_but_not_inquiries(reader_conninfo):
    import psycopg

    with psycopg.connect(reader_conninfo) as conn:
        layers = {row[0] for row in conn.execute("SELECT layer FROM publish.layer_state()")}
        assert {"zones", "prescriptions", "territories", "equipment", "basemap"} <= layers
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT opens_at FROM inquiry_inquiry")


def test_the_listener_reconnects_and_stays_fresh(live_url, centre, test_db_name, reader_conninfo):
    import psycopg

    _wait_listener(live_url)
    # The reader role may end its own sessions: cut the listener's connection under it.
    with psycopg.connect(reader_conninfo, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'eurbanisme-tiles-listen'",
            [test_db_name],
        ).fetchall()
    assert killed == [(True,)]
    # While it is down, tiles bypass the caches rather than risk a stale one; then it is back.
    status, _, body = http_get(f"{live_url}/tiles/zones/{'/'.join(map(str, centre))}.pbf")
    assert status == 200 and body
    _wait_listener(live_url)
    assert _metric(live_url, "tiles_listener_up") == 1.0


def test_a_gzip_level_isal_lacks_fails_at_start_up(monkeypatch):
    from tiles.settings import Settings

    monkeypatch.setenv("EU_TILES_GZIP_LEVEL", "6")
    with pytest.raises(ValueError, match="must be 0, 1, 2 or 3"):
        Settings.from_env()
    monkeypatch.setenv("EU_TILES_GZIP_LEVEL", "3")
    assert Settings.from_env().gzip_level == 3
