"""What an items request no longer redoes (publish.ogc.mount, rawjson, provider): pygeoapi's
per-request work that depends on the configuration only is done once, a page stays the bytes
PostgreSQL wrote, a page's statement keeps one plan and is rendered once a shape, the provider is
made once a definition, a filter is parsed once for all the requests that send it and an items
request is routed first. The answers are the same."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest
from ogc_helpers import get, get_json
from pyproj import Transformer

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


def test_a_connection_keeps_its_cursor_unless_it_read_a_large_page(reader, monkeypatch):
    import psycopg

    rawjson._cursors.pop(reader, None)
    query = "SELECT 1, repeat('é', %s)::text"
    assert rawjson.fetch_row(reader, query, [3], 1) == (1, "ééé".encode())
    kept = rawjson._cursors[reader]
    assert rawjson.fetch_row(reader, query, [2], 1) == (1, "éé".encode())
    assert rawjson._cursors[reader] is kept
    # A cursor that read a large page is closed, so its result is not held by an idle connection.
    monkeypatch.setattr(rawjson, "KEEP_RESULT_MAX", 10)
    assert rawjson.fetch_row(reader, query, [6], 1)[1] == ("é" * 6).encode()
    assert kept.closed and reader not in rawjson._cursors
    # A statement that fails leaves no cursor behind; the next one gets a new cursor.
    with pytest.raises(psycopg.errors.DivisionByZero):
        rawjson.fetch_row(reader, "SELECT 1 / %s, ''::text", [0], 1)
    assert reader not in rawjson._cursors
    assert rawjson.fetch_row(reader, query, [1], 1) == (1, "é".encode())
    assert not rawjson._cursors[reader].closed


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


def _zones_definition():
    from pygeoapi.starlette_app import CONFIG
    from pygeoapi.util import get_provider_by_type

    return get_provider_by_type(CONFIG["resources"]["zones"]["providers"], "feature")


def test_one_provider_serves_every_request_of_a_definition(items_loaded):
    # The layer's state is read at each query, not kept in the instance:
    # test_ogc_api.test_a_kept_count_and_page_follow_the_layer_state runs through this one.
    import pygeoapi.api.itemtypes as itemtypes
    from pygeoapi.plugin import load_plugin

    from publish.ogc.provider import PublishProvider

    definition = _zones_definition()
    kept = itemtypes.load_plugin("provider", definition)
    assert isinstance(kept, PublishProvider)
    assert itemtypes.load_plugin("provider", definition) is kept
    # pygeoapi's own load_plugin (other handlers) gets the same instance through the class.
    assert load_plugin("provider", definition) is kept
    # Another definition, even an equal copy, is another provider.
    assert itemtypes.load_plugin("provider", dict(definition)) is not kept
    # Any other plugin still goes through pygeoapi.
    assert type(itemtypes.load_plugin("formatter", {"name": "CSV"})).__name__ == "CSVFormatter"


def test_a_kept_provider_hands_out_fields_that_a_handler_may_write_into(items_loaded):
    import pygeoapi.api.itemtypes as itemtypes

    provider = itemtypes.load_plugin("provider", _zones_definition())
    provider.fields["id"]["x-ogc-role"] = "id"
    provider.fields.pop("code")
    assert "x-ogc-role" not in provider.fields["id"] and "code" in provider.fields
    # pygeoapi's schema handler writes into its fields; the next request sees clean ones.
    get_json(f"{items_loaded}/collections/zones/schema")
    assert "x-ogc-role" not in provider.fields["id"]


def test_a_statement_is_rendered_once_a_shape_and_binds_the_filter_values(items_loaded, reader):
    import pygeoapi.api.itemtypes as itemtypes

    from publish.ogc import provider as module

    codes = [c for (c,) in reader.execute("SELECT DISTINCT code FROM publish.zones LIMIT 2")]
    provider = itemtypes.load_plugin("provider", _zones_definition())

    def page(code: str, limit: int = 5) -> dict:
        return provider.query(limit=limit, filterq=mount.parse_filter(f"code = '{code}'"))

    module._statements.clear()
    # A first page counts its matches; the next reads the count kept: two statements.
    first = [page(codes[0]), page(codes[0])]
    statements = dict(module._statements)
    assert len(statements) == 2
    # Another value, the same statements (the same objects): only the parameters differ.
    other = [page(codes[1]), page(codes[1])]
    assert module._statements == statements
    assert all(module._statements[k] is v for k, v in statements.items())
    for statement in statements.values():
        assert b"%s" in statement and not any(f"'{c}'".encode() in statement for c in codes)
    for code, pages in ((codes[0], first), (codes[1], other)):
        for p in pages:
            assert p["features"] and all(f["properties"]["code"] == code for f in p["features"])
    # Another limit is another statement (LIMIT is written out).
    page(codes[0], limit=6)
    assert len(module._statements) == 3


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("code = 'ZM' AND max_height_m >= 12", "cql2-text"),
        ('{"op": "=", "args": [{"property": "code"}, "ZM"]}', "cql2-json"),
        ("code LIKE 'Z%'", None),
    ],
)
def test_a_filter_is_parsed_once_for_every_request_that_sends_it(
    items_loaded, monkeypatch, text, lang
):
    calls = []
    for name in ("parse_cql2_text", "parse_cql2_json", "parse_ecql"):
        parse = getattr(mount, name)
        monkeypatch.setattr(mount, name, lambda t, parse=parse, n=name: calls.append(n) or parse(t))
    params = {"filter": text, "limit": 10000, "count": "exact"}
    if lang:
        params["filter-lang"] = lang
    mount._parse_kept.cache_clear()
    # The mount's check and pygeoapi's handler share one parse; the next request parses nothing.
    first = get_json(f"{items_loaded}/collections/zones/items", **params)
    assert len(calls) == 1
    again = get_json(f"{items_loaded}/collections/zones/items", **params)
    assert len(calls) == 1
    # The kept tree gives what a tree parsed afresh gives.
    mount._parse_kept.cache_clear()
    fresh = get_json(f"{items_loaded}/collections/zones/items", **params)
    assert len(calls) == 2
    for page in (first, again, fresh):
        page.pop("timeStamp")
    assert first == again == fresh and first["numberMatched"] > 0


def test_a_kept_tree_is_not_changed_by_the_requests_that_use_it(items_loaded):
    # pygeoapi moves a filter's geometries into the storage CRS: on its own copy of the tree.
    point = get_json(f"{items_loaded}/collections/equipment/items", limit=1)["features"][0]
    to = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x, y = to.transform(*point["geometry"]["coordinates"])
    ring = [(x + dx, y + dy) for dx, dy in ((-50, -50), (50, -50), (50, 50), (-50, 50), (-50, -50))]
    text = "S_INTERSECTS(geom, POLYGON((" + ", ".join(f"{a} {b}" for a, b in ring) + ")))"
    params = {"filter": text, "filter-lang": "cql2-text", "filter-crs": EPSG.format(3857)}
    mount._parse_kept.cache_clear()
    pages = [get_json(f"{items_loaded}/collections/equipment/items", **params) for _ in range(3)]
    assert point["id"] in {f["id"] for f in pages[0]["features"]}
    assert all(p["features"] == pages[0]["features"] for p in pages)
    tree = mount.parse_filter(text)
    assert tree == mount._parse_filter(text)  # still in EPSG:3857
    # pygeoapi's copy in the storage CRS is made once and kept for that tree and filter-crs.
    import pygeoapi.api.itemtypes as itemtypes

    def copies():
        return [v for t, v in itemtypes.modify_pygeofilter.kept.values() if t is tree]

    assert len(copies()) == 1 and copies()[0] != tree
    # The same text read in the default CRS (CRS84) is another copy: metres taken as degrees.
    del params["filter-crs"]
    elsewhere = get_json(f"{items_loaded}/collections/equipment/items", **params)
    assert elsewhere["features"] == [] and len(copies()) == 2


def test_a_long_filter_is_parsed_each_time_and_not_kept():
    mount._parse_kept.cache_clear()
    text = "code IN (" + ", ".join(f"'C{i}'" for i in range(mount.PARSED_TEXT_MAX // 6)) + ")"
    assert len(text) > mount.PARSED_TEXT_MAX
    first, second = mount.parse_filter(text), mount.parse_filter(text)
    assert first == second and first is not second
    assert mount._parse_kept.cache_info().currsize == 0
    short = "code = 'ZM'"
    assert mount.parse_filter(short) is mount.parse_filter(short)


def test_items_are_routed_first_and_other_paths_as_before(items_loaded):
    from pygeoapi.starlette_app import APP
    from starlette.routing import Mount

    (routes,) = [m.routes for m in APP.routes if isinstance(m, Mount) and m.routes]
    assert routes[0].path == "/collections/{collection_id}/items"
    assert routes[0].endpoint is next(r.endpoint for r in routes if r.path == mount.ITEMS_ROUTE)
    # An id with a `/` is still matched by pygeoapi's own route: an unknown collection.
    status, _, body = get(f"{items_loaded}/collections/zones/x/items")
    assert status == 404 and json.loads(body)["code"] == "NotFound"
    assert get(f"{items_loaded}/collections/zones/items/")[0] == 404
    request = urllib.request.Request(f"{items_loaded}/collections/zones/items", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 405
