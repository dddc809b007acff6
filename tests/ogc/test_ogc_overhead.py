"""What an items request no longer redoes (publish.ogc.mount, rawjson, provider): pygeoapi's
per-request work that depends on the configuration only is done once, a page stays the bytes
PostgreSQL wrote, and a page's statement keeps one plan. The answers are the same."""

from __future__ import annotations

import json
import logging

import pytest
from ogc_helpers import get_json

from publish.ogc import mount, rawjson

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@pytest.fixture
def items_loaded(ogc_url):
    """pygeoapi loaded (with our patches) by one items request."""
    get_json(f"{ogc_url}/collections/zones/items", limit=1)
    return ogc_url


def test_the_crs_of_a_request_is_pygeoapis_own_answer_kept_per_configuration(items_loaded):
    import pygeoapi.api.itemtypes as itemtypes

    build = itemtypes.create_crs_transform_spec
    own = build.__wrapped__
    provider = {"storage_crs": CRS84, "crs": [CRS84, EPSG.format(26191)]}
    assert build(provider, None) is None and own(provider, None) is None
    spec = build(provider, EPSG.format(26191))
    assert spec == own(provider, EPSG.format(26191))
    assert spec.target_crs_uri == EPSG.format(26191)
    # Each caller gets its own copy of the kept spec.
    assert build(provider, EPSG.format(26191)) is not spec
    # Another configuration is another key: its own answer, not the first one's.
    projected = {"storage_crs": EPSG.format(3857), "crs": [CRS84, EPSG.format(3857)]}
    assert build(projected, None) == own(projected, None) != spec
    assert build(projected, None).source_crs_uri == EPSG.format(3857)


def test_a_crs_not_offered_gets_pygeoapis_own_error_every_time(items_loaded):
    import pygeoapi.api.itemtypes as itemtypes

    build = itemtypes.create_crs_transform_spec
    provider = {"storage_crs": CRS84, "crs": [CRS84, EPSG.format(26191)]}
    with pytest.raises(ValueError) as ours:
        build(provider, EPSG.format(2154))
    with pytest.raises(ValueError) as theirs:
        build.__wrapped__(provider, EPSG.format(2154))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError):
        build(provider, EPSG.format(2154))


def test_a_crs_list_without_the_default_still_gets_it_added(items_loaded):
    import pygeoapi.api.itemtypes as itemtypes

    provider = {"crs": [EPSG.format(26191)]}
    itemtypes.create_crs_transform_spec(provider, None)
    assert provider["crs"] == [EPSG.format(26191), itemtypes.DEFAULT_CRS_LIST[0]]


def test_pygeoapi_logs_at_the_level_of_its_configuration(items_loaded):
    # pygeoapi.yml says ERROR; Django's root logger says INFO. Before, every items request
    # logged a warning (no offset) and an info line (no locale support).
    assert not logging.getLogger("pygeoapi.api.itemtypes").isEnabledFor(logging.WARNING)
    assert not logging.getLogger("pygeoapi.l10n").isEnabledFor(logging.INFO)
    assert logging.getLogger("pygeoapi.api.itemtypes").isEnabledFor(logging.ERROR)


def test_a_level_that_django_sets_for_pygeoapi_is_kept():
    logger = logging.getLogger("pygeoapi")
    before = logger.level
    try:
        logger.setLevel(logging.DEBUG)
        mount._apply_log_level({"logging": {"level": "ERROR"}})
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(before)


def test_a_json_page_is_written_out_as_bytes_and_still_read_by_other_formats(items_loaded):
    import pygeoapi.api.itemtypes as itemtypes

    text = '[{"type":"Feature","id":1,"geometry":null,"properties":{"label_ar":"منطقة"}}]'
    page = rawjson.RawFeatures(text.encode(), 1)
    body = itemtypes.to_json({"type": "FeatureCollection", "features": page}, False)
    assert isinstance(body, bytes)
    assert json.loads(body)["features"] == json.loads(text)
    # HTML, CSV and JSON-LD read the features one by one.
    assert list(page) == json.loads(text) and page[0]["properties"]["label_ar"] == "منطقة"
    # Anything else is written by pygeoapi's own to_json, as a str.
    assert isinstance(itemtypes.to_json({"type": "Feature", "id": 1}, False), str)


def test_only_the_page_column_is_fetched_as_bytes(reader):
    row = rawjson.fetch_row(reader, "SELECT 'a'::text, 'منطقة'::text, 1, NULL::text", [], 1)
    assert row == ("a", "منطقة".encode(), 1, None)


def test_text_ids_page_on_by_keyset(ogc_url):
    # The last id of a page (text here) is kept for the next page's keyset as a str.
    url = f"{ogc_url}/collections/territories/items"
    first = get_json(url, limit=3)
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = get_json(href)
    both = get_json(url, limit=6)
    ids = [f["id"] for f in first["features"] + second["features"]]
    assert ids == [f["id"] for f in both["features"]]
    assert len(ids) == 6 and all(isinstance(i, str) for i in ids)


def test_a_page_statement_binds_nothing_so_postgresql_keeps_its_plan(items_loaded, reader):
    # With `LIMIT $1`, PostgreSQL planned the page afresh at every execution (~1 ms).
    from pygeoapi.plugin import load_plugin
    from pygeoapi.starlette_app import CONFIG
    from pygeoapi.util import get_provider_by_type

    from publish.ogc.cql import Clause
    from publish.ogc.crs import output_crs

    provider = load_plugin(
        "provider", get_provider_by_type(CONFIG["resources"]["zones"]["providers"], "feature")
    )
    where = provider._where([], [], None, None)
    feature = Clause(*provider._feature_sql(output_crs(None), [], False))
    page = provider._page_sql(where, None, 0, 7, [], feature)
    state = provider._state_sql(("a key",))
    assert page.params == [] and state.params == []
    query = page.sql.as_string(reader)
    assert "LIMIT 7 OFFSET 0" in query
    reader.execute("DEALLOCATE ALL")
    for _ in range(3):
        text, count, _ = reader.execute(query, prepare=True).fetchone()
        assert count == len(json.loads(text)) == 7
    plans = reader.execute(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%string_agg%'"
    ).fetchall()
    assert plans == [(3, 0)]
