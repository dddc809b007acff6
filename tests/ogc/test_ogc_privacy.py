"""What must never reach /ogc: a draft whose inquiry has not opened, and personal data."""

from __future__ import annotations

import json
import urllib.request

import psycopg
import pytest
from ogc_helpers import get, get_json

from publish.ogc.config import introspect

MARK = "BROUILLON-SECRET-7f3a"
EVERY_ITEM = 10000


@pytest.fixture(scope="module")
def owner(test_db_name):
    """A connection as the owner (PG* variables): writes that the live server sees at once."""
    with psycopg.connect(dbname=test_db_name, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def unopened_draft(owner, ogc_url):
    """A draft version under an inquiry that opens next week, with zones, a prescription and
    an article all marked MARK; removed afterwards."""
    version = owner.execute(
        "INSERT INTO planning_planversion (number, label, stage, created_at, document_id) "
        "SELECT max(number) + 1, %s, 'inquiry', now(), min(document_id) FROM planning_planversion "
        "RETURNING id",
        (MARK,),
    ).fetchone()[0]
    owner.execute(
        "INSERT INTO planning_zone (key, code, label_fr, label_ar, family, max_height_m, "
        "allowed_uses, prohibited_uses, geom, version_id, revision) "
        "SELECT key, code, %s, label_ar, family, 99, allowed_uses, prohibited_uses, geom, %s, 1 "
        "FROM planning_zone WHERE version_id = (SELECT min(version_id) FROM planning_zone) "
        "LIMIT 50",
        (MARK, version),
    )
    owner.execute(
        "INSERT INTO planning_prescription (key, kind, label_fr, label_ar, equipment_type, geom, "
        "version_id, revision) SELECT key, kind, %s, label_ar, equipment_type, geom, %s, 1 "
        "FROM planning_prescription LIMIT 5",
        (MARK, version),
    )
    owner.execute(
        "INSERT INTO planning_regulationarticle (zone_code, number, position, title_fr, title_ar, "
        "body_fr, body_ar, version_id) VALUES ('', '99', 99, %s, '', %s, '', %s)",
        (MARK, MARK, version),
    )
    owner.execute(
        "INSERT INTO inquiry_inquiry (title_fr, title_ar, status, opens_at, closes_at, created_at, "
        "version_id, closing_note, decree_reference, deliberation_reference, order_reference, "
        "places) VALUES (%s, %s, 'scheduled', now() + interval '7 days', "
        "now() + interval '37 days', now(), %s, '', '', '', '', '[]')",
        (MARK, MARK, version),
    )
    assert (
        owner.execute("SELECT count(*) FROM planning_zone WHERE label_fr = %s", (MARK,)).fetchone()[
            0
        ]
        == 50
    )
    yield version
    owner.execute("DELETE FROM inquiry_inquiry WHERE version_id = %s", (version,))
    for table in ("planning_zone", "planning_prescription", "planning_regulationarticle"):
        owner.execute(f"DELETE FROM {table} WHERE version_id = %s", (version,))  # noqa: S608
    owner.execute("DELETE FROM planning_planversion WHERE id = %s", (version,))


def _every_response(ogc_url, reader, extra_filters=()) -> list[str]:
    """The bodies of every collection's items (all of them) in JSON, a page in HTML, metadata."""
    bodies = []
    for path in ("", "/collections", "/conformance", "/processes", "/openapi?f=json"):
        bodies.append(get(f"{ogc_url}{path}")[2].decode())
    for view in introspect(reader):
        base = f"{ogc_url}/collections/{view}"
        bodies.append(get(base)[2].decode())
        bodies.append(get(f"{base}/items", limit=EVERY_ITEM)[2].decode())
        # HTML renders the same properties as the JSON above: its first page shows the template
        # adds nothing (rendering every item as HTML costs tens of seconds).
        bodies.append(get(f"{base}/items", f="html")[2].decode())
        for cql in extra_filters:
            if cql.split()[0] in introspect(reader)[view]:
                bodies.append(get(f"{base}/items", filter=cql)[2].decode())
    return bodies


def test_an_unopened_draft_is_unreachable_through_any_url(ogc_url, reader, unopened_draft):
    version = unopened_draft
    bodies = _every_response(ogc_url, reader, [f"version_id = {version}", f"id = {version}"])
    assert not [b for b in bodies if MARK in b]
    # Neither by id, nor through the lookup at a point of its zones.
    for view in ("plan_versions", "plan_documents"):
        assert get(f"{ogc_url}/collections/{view}/items/{version}")[0] == 404
    lon, lat = reader.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM publish.zones "
        "ORDER BY id LIMIT 1) z"
    ).fetchone()
    status, _, body = get(f"{ogc_url}/collections/zones/items", bbox=f"{lon},{lat},{lon},{lat}")
    assert status == 200 and MARK not in body.decode()
    lookup = urllib.request.Request(
        f"{ogc_url}/processes/zoning-lookup/execution",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps(
            {"inputs": {"geometry": {"type": "Point", "coordinates": [lon, lat]}}}
        ).encode(),
    )
    with urllib.request.urlopen(lookup, timeout=30) as resp:
        assert MARK not in resp.read().decode()


def test_no_personal_data_reaches_any_ogc_response(ogc_url, reader, owner):
    secrets = set()
    for email, id_number, ip in owner.execute(
        "SELECT author_email, author_id_number, host(ip) FROM inquiry_observation"
    ):
        secrets |= {email, id_number, ip} - {None, ""}
    secrets |= {
        r[0]
        for r in owner.execute(
            "SELECT author_name FROM inquiry_observation "
            "WHERE NOT publish_named AND author_name <> ''"
        )
    }
    secrets |= {r[0] for r in owner.execute("SELECT email FROM accounts_user WHERE email <> ''")}
    assert secrets, "the demo has observations with personal data to hide"
    published = get_json(f"{ogc_url}/collections/observations/items", limit=EVERY_ITEM)
    assert published["features"], "some observations are published"
    bodies = "\n".join(_every_response(ogc_url, reader))
    leaked = sorted(s for s in secrets if s in bodies)
    assert not leaked
