"""A catalogue of hostile input on the most exposed endpoint, the citizen's observation form.

Each case gets a clear 4xx, with a message, and writes nothing to the register.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from inquiry_helpers import PDF, point_in_zone

from inquiry.models import Inquiry, Observation

SQUARE = [[-7.60, 33.55], [-7.59, 33.55], [-7.59, 33.56], [-7.60, 33.56], [-7.60, 33.55]]
BOWTIE = [[-7.60, 33.55], [-7.59, 33.56], [-7.59, 33.55], [-7.60, 33.56], [-7.60, 33.55]]


def _geometry(kind: str, coordinates) -> str:
    return json.dumps({"type": kind, "coordinates": coordinates})


# (case, form overrides, expected status, a word the message must hold)
CASES = [
    ("self-intersecting polygon", {"geometry": _geometry("Polygon", [BOWTIE])}, 400, "valid"),
    ("empty polygon", {"geometry": _geometry("Polygon", [])}, 400, "geometry"),
    (
        "geometry collection",
        {"geometry": json.dumps({"type": "GeometryCollection", "geometries": []})},
        400,
        "point",
    ),
    ("3D coordinates", {"geometry": _geometry("Point", [-7.6, 33.55, 120.0])}, 400, "2D"),
    (
        "longitude out of range",
        {"geometry": _geometry("Point", [512.0, 33.55])},
        400,
        "outside the perimeter",
    ),
    (
        "too many vertices",
        {
            "geometry": _geometry(
                "LineString", [[-7.6 + i * 1e-5, 33.55 + (i % 2) * 1e-5] for i in range(1500)]
            )
        },
        400,
        "vertices",
    ),
    ("unknown CRS", {"crs": "EPSG:999999"}, 400, "CRS"),
    ("malformed GeoJSON", {"geometry": '{"type": "Point", "coordinates": '}, 400, "JSON"),
    (
        "spoofed file type",
        {"attachments": [SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 this is an executable")]},
        415,
        "PDF",
    ),
    ("honeypot filled", {"website": "http://spam.example"}, 400, "automated"),
    ("theme outside the list", {"theme": "'; DROP TABLE inquiry_observation; --"}, 400, "theme"),
]


def _form(inquiry: Inquiry, **overrides):
    point, _ = point_in_zone(inquiry)
    data = {
        "theme": "zoning",
        "body": "Une observation ordinaire.",
        "author_name": "Karim",
        "author_email": "karim@example.ma",
        "consent_publication": "on",
        "geometry": point.json,
    }
    return data | overrides


@pytest.mark.parametrize(("case", "overrides", "status", "word"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_refused_and_writes_nothing(
    client, open_inquiry, case, overrides, status, word
):
    before = Observation.objects.count()
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/", _form(open_inquiry, **overrides)
    )
    assert response.status_code == status, (case, response.content)
    assert word.lower() in response.content.decode().lower(), (case, response.content)
    assert Observation.objects.count() == before


def test_an_oversized_body_is_refused(client, open_inquiry, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = Observation.objects.count()
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/",
        _form(open_inquiry, body="x" * 4096),
    )
    assert 400 <= response.status_code < 500
    assert Observation.objects.count() == before


def test_a_truncated_form_is_refused_and_writes_nothing(client, open_inquiry):
    boundary = "----truncated"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="theme"\r\n\r\nzoning\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\nUne obser'
    )
    before = Observation.objects.count()
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/",
        body.encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "could not be read" in response.json()["detail"]
    assert Observation.objects.count() == before


def test_a_path_in_a_file_name_is_dropped(client, open_inquiry):
    upload = SimpleUploadedFile("../../etc/passwd.pdf", PDF)
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/",
        _form(open_inquiry, attachments=[upload], author_email="path@example.ma"),
    )
    assert response.status_code == 201, response.content
    assert response.json()["attachments"][0]["name"] == "passwd.pdf"


def test_markup_is_kept_as_text_and_never_served_as_html(client, open_inquiry):
    script = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/",
        _form(open_inquiry, body=script, author_email="xss@example.ma"),
    )
    assert response.status_code == 201
    published = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/observations/")
    assert published["Content-Type"].startswith("application/json")
    assert any(f["properties"]["body"] == script for f in published.json()["features"])
    # The portal page is a static shell: entries reach it as JSON, set with textContent.
    page = client.get(f"/enquete/{open_inquiry.pk}/")
    assert b"alert(" not in page.content


def test_an_injection_attempt_in_the_gazetteer_is_only_text(client, db):
    response = client.get("/api/v1/inquiries/gazetteer/", {"q": "' OR 1=1 --"})
    assert response.status_code == 200 and response.json() == {"results": []}
