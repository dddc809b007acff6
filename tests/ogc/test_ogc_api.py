"""The OGC API over HTTP: collections from the publish views, paging, counts, CRS, CQL2."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest
from ogc_helpers import get, get_json
from pyproj import Transformer

from publish.ogc.config import TITLES, introspect
from publish.ogc.mount import CONFORMANCE_FEATURES

EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
FEATURE_VIEWS = ("zones", "prescriptions", "territories", "equipment", "basemap", "observations")


def _count(reader, sql: str, *params) -> int:
    return reader.execute(sql, params).fetchone()[0]


def test_collections_are_the_publish_views(ogc_url, reader):
    collections = get_json(f"{ogc_url}/collections")["collections"]
    assert {c["id"] for c in collections} == set(introspect(reader))
    zones = next(c for c in collections if c["id"] == "zones")
    assert zones["title"] == TITLES["zones"]["title"]["fr"]
    assert any(
        "tilesets-vector" in link["rel"] and link["href"].endswith("/tiles/ogc/tilesets/zones")
        for link in zones["links"]
    )


def test_titles_come_in_arabic_on_request(ogc_url):
    collections = get_json(f"{ogc_url}/collections", lang="ar")["collections"]
    zones = next(c for c in collections if c["id"] == "zones")
    assert zones["title"] == TITLES["zones"]["title"]["ar"]


def test_conformance_declares_filter_and_crs_but_not_editing(ogc_url):
    declared = set(get_json(f"{ogc_url}/conformance")["conformsTo"])
    assert set(CONFORMANCE_FEATURES) <= declared
    assert not any(
        "create-replace-delete" in c or "callback" in c or "ogcapi-tiles" in c for c in declared
    )


def test_items_page_through_every_zone_with_next_links(ogc_url, reader):
    url, seen = f"{ogc_url}/collections/zones/items?limit=1000", []
    while url:
        page = get_json(url)
        seen += [f["id"] for f in page["features"]]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    assert sorted(seen) == seen
    assert len(seen) == len(set(seen)) == _count(reader, "SELECT count(*) FROM publish.zones")


def test_number_matched_is_exact_when_small_and_on_request(ogc_url, reader):
    from publish.ogc.provider import EXACT_COUNT_MAX

    small = _count(reader, "SELECT count(*) FROM publish.zones WHERE code = 'ZV'")
    assert 0 < small <= EXACT_COUNT_MAX
    page = get_json(f"{ogc_url}/collections/zones/items", limit=1, code="ZV")
    assert page["numberMatched"] == small and "numberMatchedEstimated" not in page
    total = _count(reader, "SELECT count(*) FROM publish.zones")
    hits = get_json(f"{ogc_url}/collections/zones/items", resulttype="hits", count="exact")
    assert hits["numberMatched"] == total and hits["features"] == []
    assert "numberMatchedEstimated" not in hits


def test_number_matched_is_an_estimate_marked_as_such_when_big(ogc_url, reader):
    from publish.ogc import provider

    provider._anchors.clear()
    provider._counts.clear()
    total = _count(reader, "SELECT count(*) FROM publish.zones")
    assert total > provider.EXACT_COUNT_MAX
    estimated = get_json(f"{ogc_url}/collections/equipment/items", limit=1)
    assert estimated["numberMatchedEstimated"] is True
    # Dense ids: the estimate is exact here, and stays marked as an estimate.
    assert estimated["numberMatched"] == _count(reader, "SELECT count(*) FROM publish.equipment")
    exact = get_json(f"{ogc_url}/collections/equipment/items", limit=1, count="exact")
    assert "numberMatchedEstimated" not in exact
    # The exact count is kept for the next pages of the same query (same layer state).
    again = get_json(f"{ogc_url}/collections/equipment/items", limit=1, offset=1)
    assert (
        "numberMatchedEstimated" not in again and again["numberMatched"] == exact["numberMatched"]
    )


def test_a_kept_count_and_page_follow_the_layer_state(ogc_url, reader, test_db_name):
    import psycopg

    query = "SELECT count(*) FROM publish.zones WHERE code = 'ZV'"
    before = get_json(f"{ogc_url}/collections/zones/items", limit=1000, code="ZV")
    # The second answer comes from the kept count; both agree with SQL.
    again = get_json(f"{ogc_url}/collections/zones/items", limit=1000, code="ZV")
    assert before["numberMatched"] == again["numberMatched"] == _count(reader, query)
    with psycopg.connect(dbname=test_db_name, autocommit=True) as owner:
        # A new draft with three ZV zones, under an inquiry that has just opened: the writes
        # bump the layer's version and the opening its epoch.
        version = owner.execute(
            "INSERT INTO planning_planversion (number, label, stage, created_at, document_id) "
            "SELECT max(number) + 1, 'cache test', 'inquiry', now(), min(document_id) "
            "FROM planning_planversion RETURNING id"
        ).fetchone()[0]
        try:
            added = [
                r[0]
                for r in owner.execute(
                    "INSERT INTO planning_zone (key, code, label_fr, label_ar, family, "
                    "max_height_m, allowed_uses, prohibited_uses, geom, version_id, revision) "
                    "SELECT key, code, label_fr, label_ar, family, max_height_m, allowed_uses, "
                    "prohibited_uses, geom, %s, 1 FROM planning_zone WHERE code = 'ZV' LIMIT 3 "
                    "RETURNING id",
                    (version,),
                )
            ]
            owner.execute(
                "INSERT INTO inquiry_inquiry (title_fr, title_ar, status, opens_at, closes_at, "
                "created_at, version_id, closing_note, decree_reference, deliberation_reference, "
                "order_reference, places) VALUES ('cache test', '', 'scheduled', "
                "now() - interval '1 minute', now() + interval '30 days', now(), %s, '', '', '', "
                "'', '[]')",
                (version,),
            )
            after = get_json(f"{ogc_url}/collections/zones/items", limit=1000, code="ZV")
            assert after["numberMatched"] == before["numberMatched"] + 3 == _count(reader, query)
            assert set(added) <= {f["id"] for f in after["features"]}
        finally:
            owner.execute("DELETE FROM inquiry_inquiry WHERE version_id = %s", (version,))
            owner.execute("DELETE FROM planning_zone WHERE version_id = %s", (version,))
            owner.execute("DELETE FROM planning_planversion WHERE id = %s", (version,))
    last = get_json(f"{ogc_url}/collections/zones/items", limit=1000, code="ZV")
    assert last["numberMatched"] == before["numberMatched"]
    assert [f["id"] for f in last["features"]] == [f["id"] for f in before["features"]]


def test_a_layer_state_seen_earlier_is_checked_by_the_query_itself(ogc_url, reader):
    from publish.ogc import provider

    expected = _count(reader, "SELECT count(*) FROM publish.zones WHERE code = 'ZV'")
    get_json(f"{ogc_url}/collections/zones/items", limit=1, code="ZV")
    # A state that the layer is not in (as after a write by another process): the statement
    # sees the real one, the answer is not kept under the stale key, and the query runs again.
    provider._states["zones"] = (-1, -1)
    page = get_json(f"{ogc_url}/collections/zones/items", limit=1, code="ZV")
    assert page["numberMatched"] == expected and page["numberReturned"] == 1
    assert provider._states["zones"] != (-1, -1)


def test_a_deep_page_equals_the_same_rows_by_offset_in_sql(ogc_url, reader, monkeypatch):
    from publish.ogc import provider

    monkeypatch.setattr(provider, "ANCHOR_EVERY", 100)
    monkeypatch.setattr(provider, "ANCHOR_MIN_OFFSET", 200)
    provider._anchors.clear()
    for offset in (250, 1234, 2999):
        page = get_json(
            f"{ogc_url}/collections/zones/items",
            limit=7,
            offset=offset,
            filter="status = 'approved' OR code = 'ZV'",
        )
        expected = [
            r[0]
            for r in reader.execute(
                "SELECT id FROM publish.zones WHERE status = 'approved' OR code = 'ZV' ORDER BY id "
                "LIMIT 7 OFFSET %s",
                (offset,),
            )
        ]
        assert [f["id"] for f in page["features"]] == expected, offset


def test_epsg_4326_is_latitude_first_and_crs84_longitude_first(ogc_url):
    _, headers, body = get(f"{ogc_url}/collections/equipment/items", limit=1)
    assert headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    lon, lat = json.loads(body)["features"][0]["geometry"]["coordinates"]
    status, headers, body = get(
        f"{ogc_url}/collections/equipment/items", limit=1, crs=EPSG.format(4326)
    )
    assert status == 200 and headers["Content-Crs"] == f"<{EPSG.format(4326)}>"
    assert json.loads(body)["features"][0]["geometry"]["coordinates"] == [lat, lon]
    assert -8 < lon < -7 and 33 < lat < 34


@pytest.mark.parametrize("epsg", [3857, 26191, 26192])
def test_projected_crs_match_pyproj(ogc_url, epsg):
    plain = get_json(f"{ogc_url}/collections/equipment/items", limit=5)
    projected = get_json(f"{ogc_url}/collections/equipment/items", limit=5, crs=EPSG.format(epsg))
    to = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    for a, b in zip(plain["features"], projected["features"], strict=True):
        x, y = to.transform(*a["geometry"]["coordinates"])
        assert b["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.01)


def test_bbox_crs_in_26191_finds_what_crs84_finds(ogc_url):
    box = [-7.65, 33.55, -7.55, 33.60]
    plain = get_json(
        f"{ogc_url}/collections/equipment/items", bbox=",".join(map(str, box)), limit=10000
    )
    to = Transformer.from_crs("EPSG:4326", "EPSG:26191", always_xy=True)
    x1, y1 = to.transform(box[0], box[1])
    x2, y2 = to.transform(box[2], box[3])
    merchich = get_json(
        f"{ogc_url}/collections/equipment/items",
        bbox=f"{x1},{y1},{x2},{y2}",
        limit=10000,
        **{"bbox-crs": EPSG.format(26191)},
    )
    ids = {f["id"] for f in plain["features"]}
    assert ids and len(ids ^ {f["id"] for f in merchich["features"]}) <= 0.1 * len(ids)


def test_queryables_list_the_view_columns(ogc_url, reader):
    queryables = get_json(f"{ogc_url}/collections/zones/queryables")["properties"]
    columns = set(introspect(reader)["zones"]) - {"geom", "geom_3857"}
    assert columns <= set(queryables)
    assert queryables["max_height_m"]["type"] in ("number", "integer")


CQL_CASES = [
    ("code = 'ZM' AND max_height_m >= 12", "code = 'ZM' AND max_height_m >= 12"),
    (
        "code IN ('ZM', 'R1') OR label_fr LIKE 'Zone%'",
        "code IN ('ZM','R1') OR label_fr LIKE 'Zone%%'",
    ),
    (
        "max_levels BETWEEN 2 AND 4 AND NOT (family = 'mixed')",
        "max_levels BETWEEN 2 AND 4 AND NOT family = 'mixed'",
    ),
    (
        "S_INTERSECTS(geom, POLYGON((-7.65 33.55, -7.55 33.55, -7.55 33.6, -7.65 33.6, "
        "-7.65 33.55)))",
        "ST_Intersects(geom, ST_MakeEnvelope(-7.65, 33.55, -7.55, 33.6, 4326))",
    ),
    (
        "status = 'draft' AND max_height_m * 2 > floor_area_ratio_max",
        "status = 'draft' AND max_height_m * 2 > floor_area_ratio_max",
    ),
]


@pytest.mark.parametrize(("cql", "where"), CQL_CASES)
def test_cql2_text_filters_match_sql(ogc_url, reader, cql, where):
    # `where` is a constant of this module.
    expected = _count(reader, f"SELECT count(*) FROM publish.zones WHERE {where}")  # noqa: S608
    page = get_json(
        f"{ogc_url}/collections/zones/items",
        filter=cql,
        limit=10000,
        count="exact",
        **{"filter-lang": "cql2-text"},
    )
    assert page["numberMatched"] == len(page["features"]) == expected


def test_cql2_json_filter_in_get_and_post(ogc_url, reader):
    expr = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "code"}, "ZM"]},
            {
                "op": "s_intersects",
                "args": [{"property": "geom"}, {"type": "Point", "coordinates": [-7.6, 33.57]}],
            },
        ],
    }
    page = get_json(
        f"{ogc_url}/collections/zones/items",
        filter=json.dumps(expr),
        count="exact",
        **{"filter-lang": "cql2-json"},
    )
    expected = _count(
        reader,
        "SELECT count(*) FROM publish.zones WHERE code = 'ZM' AND "
        "ST_Intersects(geom, ST_SetSRID(ST_Point(-7.6, 33.57), 4326))",
    )
    assert page["numberMatched"] == expected


def test_a_filtered_next_link_keeps_the_filter(ogc_url, reader):
    page = get_json(
        f"{ogc_url}/collections/zones/items",
        filter="status = 'approved'",
        limit=100,
        **{"filter-lang": "cql2-text"},
    )
    nxt = next(lk["href"] for lk in page["links"] if lk["rel"] == "next")
    second = get_json(nxt)
    assert all(f["properties"]["status"] == "approved" for f in second["features"])
    assert second["features"][0]["id"] > page["features"][-1]["id"]


def test_a_property_as_query_parameter_filters(ogc_url, reader):
    page = get_json(f"{ogc_url}/collections/zones/items", code="ZM", limit=10000, count="exact")
    assert page["numberMatched"] == _count(
        reader, "SELECT count(*) FROM publish.zones WHERE code = 'ZM'"
    )


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"filter": "code = = 'x'"}, "not valid CQL2 text"),
        ({"filter": "nosuchcolumn = 1"}, "Unknown property 'nosuchcolumn'"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "not valid CQL2 JSON"),
        ({"filter": "code = 'x'", "filter-lang": "sql"}, "use cql2-text or cql2-json"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/2154"}, "not supported"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "-7,34,-8,33"}, "less than"),
        ({"max_height_m": "tall"}, "does not fit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "true"}, "whole number"),
    ],
)
def test_bad_input_gets_a_400_that_says_why(ogc_url, params, says):
    status, _, body = get(f"{ogc_url}/collections/zones/items", **params)
    assert status == 400, body[:300]
    assert says in json.loads(body)["description"]


@pytest.mark.parametrize(
    ("path", "body", "content_type", "says"),
    [
        ("/collections/zones/items", b"", None, "takes a JSON body"),
        (
            "/processes/zoning-lookup/execution",
            b"null",
            "application/json",
            "must be a JSON object",
        ),
        (
            "/processes/zoning-lookup/execution",
            b"{oops",
            "application/json",
            "must be a JSON object",
        ),
    ],
)
def test_bad_posts_get_a_400_that_says_why(ogc_url, path, body, content_type, says):
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(f"{ogc_url}{path}", data=body, method="POST", headers=headers)
    if content_type is None:
        request.remove_header("Content-type")
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("expected a 400")
    except urllib.error.HTTPError as err:
        assert err.code == 400 and says in json.loads(err.read())["description"]


def test_cql2_json_filter_in_a_post_body(ogc_url, reader):
    expr = {"op": "=", "args": [{"property": "family"}, "green"]}
    request = urllib.request.Request(
        f"{ogc_url}/collections/zones/items?limit=10000&count=exact",
        data=json.dumps(expr).encode(),
        method="POST",
        headers={"Content-Type": "application/query-cql-json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        page = json.loads(resp.read())
    assert page["numberMatched"] == _count(
        reader, "SELECT count(*) FROM publish.zones WHERE family = 'green'"
    )


def test_an_unknown_item_is_a_404(ogc_url):
    assert get(f"{ogc_url}/collections/zones/items/999999999")[0] == 404
    assert get(f"{ogc_url}/collections/zones/items/not-a-number")[0] == 404


def test_html_pages_render(ogc_url):
    for path in ("", "/collections", "/collections/zones", "/collections/zones/items"):
        status, headers, _ = get(f"{ogc_url}{path}?f=html")
        assert status == 200 and headers["Content-Type"].startswith("text/html"), path


def test_records_catalogue_lists_published_documents_and_files(ogc_url, reader):
    records = get_json(f"{ogc_url}/collections/plan_documents/items")
    versions = _count(reader, "SELECT count(*) FROM publish.plan_versions")
    assert records["numberMatched"] == versions
    record = records["features"][0]
    assert record["properties"]["title"] and record["properties"]["type"] == "planning-document"
    files = [lk for lk in record["links"] if lk["rel"] == "enclosure"]
    assert files and all(lk["href"].startswith(f"{ogc_url}/files/") for lk in files)
    status, headers, body = get(files[0]["href"])
    assert status == 200 and headers["Content-Type"] == files[0]["type"]
    assert "1220" + hashlib.sha256(body).hexdigest() == files[0]["file:checksum"]
    found = get_json(f"{ogc_url}/collections/plan_documents/items", q="enquête")
    assert {r["properties"]["status"] for r in found["features"]} <= {"draft"}


@pytest.mark.parametrize("path", ["../secret_key", "documents/nothing.pdf", "%2e%2e/secret_key"])
def test_only_catalogued_files_are_served(ogc_url, path):
    status, _, body = get(f"{ogc_url}/files/{path}")
    assert status == 404 and b"No published planning file" in body
