"""Items answered in JSON carry the page as PostgreSQL wrote it (publish.ogc.rawjson): the same
JSON value as the features read one by one, and paging by keyset still follows on."""

from __future__ import annotations

from ogc_helpers import get, get_json


def test_a_page_in_json_is_the_features_read_one_by_one(ogc_url):
    page = get_json(f"{ogc_url}/collections/zones/items", limit=8)
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 8
    assert len(page["features"]) == 8 and page["timeStamp"]
    for feature in page["features"]:
        alone = get_json(f"{ogc_url}/collections/zones/items/{feature['id']}")
        assert {k: alone[k] for k in ("id", "geometry", "properties")} == {
            k: feature[k] for k in ("id", "geometry", "properties")
        }


def test_next_links_page_on_from_the_last_feature(ogc_url):
    first = get_json(f"{ogc_url}/collections/zones/items", limit=5)
    href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = get_json(href)
    ids = [f["id"] for f in first["features"]] + [f["id"] for f in second["features"]]
    both = get_json(f"{ogc_url}/collections/zones/items", limit=10)
    assert ids == [f["id"] for f in both["features"]]


def test_html_still_lists_the_features(ogc_url):
    page = get_json(f"{ogc_url}/collections/zones/items", limit=3)
    status, _, body = get(f"{ogc_url}/collections/zones/items", limit=3, f="html")
    assert status == 200
    for feature in page["features"]:
        assert f"/collections/zones/items/{feature['id']}" in body.decode()
