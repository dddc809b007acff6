"""The note de renseignements urbanistiques over real HTTP: the lookup behind the map's card, and
the PDF (French, Arabic) with its map extract; only what the public may see."""

from __future__ import annotations

import io
import json
import re

import pytest
from ogc_helpers import get, get_json
from pypdf import PdfReader
from test_ogc_privacy import MARK, owner, unopened_draft  # noqa: F401 - fixtures

ARABIC = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


@pytest.fixture(scope="module")
def api(live_url, ogc_url) -> str:
    """The public API (ogc_url: the read-only pools are closed before the database is dropped)."""
    return f"{live_url}/api/v1"


@pytest.fixture(scope="module")
def approved_zone(reader) -> dict:
    """A point well inside an approved zone with building rules, and that zone."""
    zone_id, code, lon, lat = reader.execute(
        "SELECT id, code, ST_X(p), ST_Y(p) FROM (SELECT id, code, ST_PointOnSurface(geom) p "
        "FROM publish.zones WHERE status = 'approved' AND max_levels IS NOT NULL "
        "ORDER BY ST_Area(geom) DESC LIMIT 1) z"
    ).fetchone()
    return {"id": zone_id, "code": code, "lon": lon, "lat": lat}


def pdf_text(body: bytes) -> str:
    """The PDF's text, whitespace collapsed (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_lookup_gives_the_zone_its_rules_its_plan_and_its_commune(api, approved_zone):
    z = approved_zone
    data = get_json(f"{api}/lookup/", lon=z["lon"], lat=z["lat"], plan="approved")
    assert [zone["id"] for zone in data["zones"]] == [z["id"]]
    zone = data["zones"][0]
    assert zone["code"] == z["code"] and zone["rules"]["max_levels"] is not None
    assert zone["legal_status"]["enforceable"] is True
    assert zone["plan_version"]["decree_reference"]
    assert data["commune"]["name_fr"] and data["point"] == pytest.approx([z["lon"], z["lat"]])
    # The list of zones reaches the same lookup by zone id.
    assert get_json(f"{api}/lookup/", zone=z["id"])["zones"][0]["id"] == z["id"]


def test_the_note_in_french_has_the_zone_its_rules_status_and_a_map(api, approved_zone):
    z = approved_zone
    status, headers, body = get(
        f"{api}/lookup/note.pdf", lon=z["lon"], lat=z["lat"], plan="approved", lang="fr"
    )
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert "attachment" in headers["Content-Disposition"]
    text = pdf_text(body)
    assert "Note de renseignements urbanistiques" in text
    assert f"Zone {z['code']}" in text
    assert "Nombre de niveaux" in text and "R+" in text
    assert "Plan approuvé, opposable aux tiers" in text
    assert "Décret" in text  # the decree of approval
    assert f"{z['lat']:.6f} N" in text
    assert "Délivrée le" in text and "ne vaut ni autorisation de construire" in text
    # The map extract: its heading, the zone codes drawn on it, its scale.
    extract = text[text.index("Extrait du plan") :]
    assert z["code"] in extract and "Échelle 1/" in extract


def test_the_note_in_arabic_is_written_in_arabic(api, approved_zone):
    z = approved_zone
    status, _, body = get(f"{api}/lookup/note.pdf", lon=z["lon"], lat=z["lat"], lang="ar")
    assert status == 200
    text = pdf_text(body)
    assert len(ARABIC.findall(text)) > 200
    assert z["code"] in text


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"lon": 0, "lat": 0}, 404, "not_covered"),
        ({"lon": "west", "lat": 33.5}, 400, "bad_coordinates"),
        ({"lon": -7.6, "lat": 133.5}, 400, "bad_coordinates"),
        ({}, 400, "bad_place"),
        ({"zone": 987654321}, 404, "zone_not_published"),
        ({"geometry": '{"type": "LineString", "coordinates": []}'}, 400, "bad_geometry"),
        ({"lon": -7.6, "lat": 33.5, "plan": "future"}, 400, "bad_plan"),
        ({"lon": -7.6, "lat": 33.5, "lang": "de"}, 400, "bad_lang"),
    ],
)
def test_bad_input_gets_a_4xx_that_says_why(api, query, status, code):
    got, _, body = get(f"{api}/lookup/note.pdf", **query)
    answer = json.loads(body)
    assert (got, answer["code"]) == (status, code) and answer["detail"]


def test_a_draft_whose_inquiry_has_not_opened_never_appears(api, reader, owner, unopened_draft):  # noqa: F811
    zone_id, lon, lat = owner.execute(
        "SELECT id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p FROM planning_zone "
        "WHERE version_id = %s ORDER BY id LIMIT 1) z",
        (unopened_draft,),
    ).fetchone()
    lookup = get(f"{api}/lookup/", lon=lon, lat=lat)
    assert lookup[0] == 200 and MARK not in lookup[2].decode()
    for plan in ("draft", ""):
        status, _, body = get(f"{api}/lookup/note.pdf", lon=lon, lat=lat, plan=plan, lang="fr")
        if status == 200:
            assert MARK not in pdf_text(body)
        else:
            assert status == 404
    assert get(f"{api}/lookup/", zone=zone_id)[0] == 404
