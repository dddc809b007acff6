"""The inquiry REST API: public portal calls, the commission workspace, permissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from inquiry_helpers import PDF, point_in_zone, shift_clock, submit

from inquiry import services
from inquiry.models import Inquiry, InquiryStatus, Observation

DAY = dt.timedelta(days=1)
EMAIL = "youssef.alaoui@example.ma"
ID_NUMBER = "BK778899"


def _form(inquiry, **overrides):
    point, _ = point_in_zone(inquiry)
    data = {
        "theme": "equipment",
        "body": "La réservation d'école empiète sur ma maison.",
        "author_name": "Youssef Alaoui",
        "author_email": EMAIL,
        "author_id_number": ID_NUMBER,
        "consent_publication": "on",
        "geometry": point.json,
        "website": "",
        "attachments": [SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")],
    }
    data.update(overrides)
    return data


def _post(client, inquiry, **overrides):
    return client.post(f"/api/v1/inquiries/{inquiry.pk}/observations/", _form(inquiry, **overrides))


def test_the_public_list_shows_open_inquiries_with_their_clock_status(client, open_inquiry):
    response = client.get("/api/v1/inquiries/")
    assert response.status_code == 200
    row = next(r for r in response.json() if r["id"] == open_inquiry.pk)
    assert row["status"] == "open"
    assert row["portal_url"] == f"/enquete/{open_inquiry.pk}/"
    assert row["dossier"] and row["dossier"][0]["url"].endswith(".pdf")


def test_a_draft_inquiry_is_not_public(client, draft_inquiry):
    assert client.get(f"/api/v1/inquiries/{draft_inquiry.pk}/").status_code == 404
    ids = {r["id"] for r in client.get("/api/v1/inquiries/").json()}
    assert draft_inquiry.pk not in ids


def test_the_status_follows_the_clock_before_the_tick(client, open_inquiry):
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(seconds=1))
    assert client.get(f"/api/v1/inquiries/{open_inquiry.pk}/").json()["status"] == "closed"


def test_a_citizen_submits_with_an_attachment_and_gets_a_receipt(client, open_inquiry):
    response = _post(client, open_inquiry)
    assert response.status_code == 201, response.content
    receipt = response.json()
    entry = Observation.objects.get(receipt_token=receipt["receipt"])
    assert receipt["register_number"] == entry.register_number
    assert receipt["content_sha256"] == entry.content_sha256
    assert receipt["attachments"][0]["name"] == "plan.pdf"
    assert entry.ip == "127.0.0.1" and entry.author_id_number == ID_NUMBER
    assert entry.zone_id is not None
    again = client.get(f"/api/v1/inquiries/receipts/{receipt['receipt']}/")
    assert again.status_code == 200 and again.json() == receipt


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "*/*"])
def test_the_observations_answer_json_whatever_the_client_accepts(client, open_inquiry, accept):
    form = _form(open_inquiry, author_email=f"{accept[:4]}@example.ma")
    url = f"/api/v1/inquiries/{open_inquiry.pk}/observations/"
    response = client.post(url, form, HTTP_ACCEPT=accept)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["register_number"] >= 1
    listed = client.get(url, HTTP_ACCEPT=accept)
    assert listed.status_code == 200 and listed["Content-Type"] == "application/json"


def test_a_json_submission_with_a_geometry_in_another_crs_is_accepted(client, open_inquiry):
    point, _ = point_in_zone(open_inquiry)
    local = point.transform(26191, clone=True)
    body = _form(open_inquiry, geometry=json.loads(local.json), crs="EPSG:26191")
    del body["attachments"]
    body["consent_publication"] = True
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/observations/", body, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_a_published_entry_shows_no_personal_data(client, open_inquiry):
    assert _post(client, open_inquiry).status_code == 201
    public = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/observations/")
    assert public.status_code == 200
    text = public.content.decode()
    feature = public.json()["features"][-1]
    assert feature["properties"]["author_display"] == "Anonyme"
    assert feature["geometry"]["type"] == "Point"
    for secret in (EMAIL, ID_NUMBER, "Youssef", "127.0.0.1"):
        assert secret not in text
    for url in ("/api/v1/inquiries/", f"/api/v1/inquiries/{open_inquiry.pk}/"):
        assert EMAIL not in client.get(url).content.decode()


def test_named_publication_shows_the_name_only(client, open_inquiry):
    assert _post(client, open_inquiry, publish_named="on").status_code == 201
    feature = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/observations/").json()["features"][
        -1
    ]
    assert feature["properties"]["author_display"] == "Youssef Alaoui"
    assert EMAIL not in json.dumps(feature)


def test_a_submission_before_opening_gets_a_clear_409(client, open_inquiry):
    shift_clock(open_inquiry, opens_in=DAY, closes_in=30 * DAY)
    Inquiry.objects.filter(pk=open_inquiry.pk).update(status=InquiryStatus.SCHEDULED)
    response = _post(client, open_inquiry)
    assert response.status_code == 409
    assert response.json()["code"] == "register_not_open"
    assert "opens on" in response.json()["detail"]


def test_a_submission_after_closing_gets_a_clear_409(client, open_inquiry):
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(minutes=1))
    response = _post(client, open_inquiry)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The register closed on")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"website": "http://buy.example"}, 400, "spam"),
        ({"consent_publication": ""}, 400, "consent_required"),
        (
            {
                "attachments": [
                    SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
                ]
            },
            415,
            "file_type",
        ),
        ({"geometry": '{"type": "Point", "coordinates": [0, 0]}'}, 400, "geometry_outside"),
    ],
    ids=["honeypot", "no-consent", "fake-pdf", "outside"],
)
def test_a_refused_submission_says_why_and_writes_nothing(
    client, open_inquiry, overrides, status, code
):
    before = Observation.objects.count()
    response = _post(client, open_inquiry, **overrides)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
    assert Observation.objects.count() == before


def test_a_malformed_geometry_is_a_400_with_the_field(client, open_inquiry):
    response = _post(client, open_inquiry, geometry="{not json")
    assert response.status_code == 400
    assert "geometry" in response.json()


def test_the_commission_workspace_is_closed_to_others(
    client, open_inquiry, agency_planner, commission_member, other_commission_member, moderator
):
    url = f"/api/v1/inquiries/{open_inquiry.pk}/register/"
    assert client.get(url).status_code == 403
    for outsider in (agency_planner, other_commission_member):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
        assert client.get(f"/api/v1/inquiries/{open_inquiry.pk}/stats/").status_code == 403
    for user in (commission_member, moderator):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_the_commission_filters_tags_assigns_answers_and_hides(
    client, open_inquiry, commission_member
):
    entry = submit(open_inquiry, theme="roads", body="Élargir la rue 12.")
    other = submit(open_inquiry, theme="green", body="Garder le parc.", author_email="o@ex.ma")
    client.force_login(commission_member)
    base = f"/api/v1/inquiries/{open_inquiry.pk}/register/"
    rows = client.get(base, {"theme": "roads", "q": "rue 12"}).json()
    assert [r["register_number"] for r in rows] == [entry.register_number]
    assert rows[0]["author_email"] == "fz.bennani@example.ma"  # the commission sees identity
    assert all(r["theme"] == "roads" for r in client.get(base, {"theme": "roads"}).json())
    one = f"{base}{entry.register_number}/"
    assert client.post(one + "tag/", {"tags": ["voirie"]}, "application/json").status_code == 200
    assign = client.post(one + "assign/", {"username": "carol_commission"}, "application/json")
    assert assign.json()["assigned_to"] == "carol_commission"
    answer = client.post(one + "answer/", {"answer": "Étudié."}, "application/json")
    assert answer.json()["answer"] == "Étudié."
    assert [r["register_number"] for r in client.get(base, {"tag": "voirie"}).json()] == [
        entry.register_number
    ]
    hide = client.post(
        f"{base}{other.register_number}/hide/", {"reason": "Doublon"}, "application/json"
    )
    assert hide.status_code == 200 and hide.json()["hidden"]
    public = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/observations/").json()
    numbers = {f["properties"]["register_number"] for f in public["features"]}
    assert entry.register_number in numbers and other.register_number not in numbers
    hidden_rows = client.get(base, {"hidden": "true"}).json()
    assert [r["register_number"] for r in hidden_rows] == [other.register_number]
    stats = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/stats/").json()
    themes = {t["theme"]: t["count"] for t in stats["by_theme"]}
    assert themes["roads"] >= 1 and themes["green"] >= 1 and stats["hidden"] >= 1


def test_an_answer_is_public_only_once_the_inquiry_is_closed(client, open_inquiry):
    entry = submit(open_inquiry)
    services.observation_answer(observation=entry, answer="Maintenu.", by=None)
    url = f"/api/v1/inquiries/{open_inquiry.pk}/observations/"

    def answer():
        features = client.get(url).json()["features"]
        return next(
            f["properties"]["answer"]
            for f in features
            if f["properties"]["register_number"] == entry.register_number
        )

    assert answer() is None
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-DAY)
    services.inquiry_close(inquiry=open_inquiry, by=None)
    assert answer() == "Maintenu."


def test_staff_transcribe_a_paper_entry_with_its_scan(client, open_inquiry, commission_member):
    client.force_login(commission_member)
    response = client.post(
        f"/api/v1/inquiries/{open_inquiry.pk}/register/",
        {
            "channel": "paper",
            "theme": "other",
            "body": "Lettre du 3 novembre.",
            "author_name": "Ahmed Tazi",
            "consent_publication": "",
            "scans": [SimpleUploadedFile("scan.pdf", PDF)],
        },
    )
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["channel"] == "paper" and entry["attachments"][0]["is_scan"]
    download = client.get(
        f"/api/v1/inquiries/{open_inquiry.pk}/register/{entry['register_number']}/attachments/1/"
    )
    assert download.status_code == 200 and download.content == PDF
    # Not consented: in the register, not published.
    public = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/observations/").json()
    assert entry["register_number"] not in {
        f["properties"]["register_number"] for f in public["features"]
    }


def test_transitions_run_by_the_agency_planner_only(
    client, draft_inquiry, agency_planner, other_agency_planner, commission_member
):
    url = f"/api/v1/inquiries/{draft_inquiry.pk}/transitions/schedule/"
    for outsider in (other_agency_planner, commission_member):
        client.force_login(outsider)
        assert client.post(url, {}, "application/json").status_code == 403
    client.force_login(agency_planner)
    response = client.post(url, {"order_reference": "Arrêté 7"}, "application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "scheduled"
    refused = client.post(
        f"/api/v1/inquiries/{draft_inquiry.pk}/transitions/open/", {}, "application/json"
    )
    assert refused.status_code == 409 and "cannot open before" in refused.json()["detail"]


def test_the_gazetteer_finds_a_district_by_name(client, db):
    from territory.models import District

    district = District.objects.order_by("code").first()
    response = client.get("/api/v1/inquiries/gazetteer/", {"q": district.name_fr[:6]})
    results = response.json()["results"]
    assert any(r["code"] == district.code for r in results)
    hit = next(r for r in results if r["code"] == district.code)
    west, south, east, north = hit["bbox"]
    assert west < east and south < north


def test_the_inquiry_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/inquiries/",
        "/api/v1/inquiries/{id}/observations/",
        "/api/v1/inquiries/{id}/register/",
        "/api/v1/inquiries/receipts/{token}/",
    ):
        assert path in schema["paths"]


def test_the_commission_exports_the_register_as_csv_and_geopackage(
    client, open_inquiry, commission_member, agency_planner, tmp_path
):
    import csv
    import io
    import subprocess

    point, _ = point_in_zone(open_inquiry)
    submit(open_inquiry, geometry=point, body="Avec un point.", author_email="p@example.ma")
    submit(open_inquiry, body="Sans dessin.", author_email="s@example.ma")
    total = Observation.objects.filter(inquiry=open_inquiry).count()
    url = f"/api/v1/inquiries/{open_inquiry.pk}/export/"
    client.force_login(agency_planner)
    assert client.get(url + "csv/").status_code == 403
    client.force_login(commission_member)
    response = client.get(url + "csv/")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(r["register_number"]) for r in rows] == list(range(1, total + 1))
    assert rows[-2]["geometry_wkt"].startswith("POINT") and rows[-1]["geometry_wkt"] == ""
    assert "author_id_number" not in rows[0]
    gpkg = tmp_path / "register.gpkg"
    gpkg.write_bytes(client.get(url + "gpkg/").content)
    info = subprocess.run(
        ["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True, check=True
    ).stdout
    assert f"Feature Count: {total}" in info and "EPSG" in info and "4326" in info
    assert client.get(url + "xlsx/").status_code == 404


def test_the_certified_register_is_a_pdf_with_the_register_digest(
    client, open_inquiry, commission_member
):
    from inquiry import exports

    submit(open_inquiry, body="نطالب بالحفاظ على الحديقة.", author_email="ar@example.ma")
    client.force_login(commission_member)
    response = client.get(f"/api/v1/inquiries/{open_inquiry.pk}/export/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"NotoSansArabic" in response.content  # Arabic entries are drawn in an Arabic font
    rows = exports.register_rows(open_inquiry)
    assert response["X-Register-SHA256"] == exports.register_digest(rows)


def test_the_draft_synthesis_report_counts_what_the_register_holds(
    client, open_inquiry, commission_member
):
    from inquiry import exports, selectors, synthesis

    submit(open_inquiry, theme="roads", body="La voie nouvelle coupe notre quartier.")
    data = synthesis.synthesis_data(exports.register_rows(open_inquiry))
    stats = selectors.register_stats(inquiry=open_inquiry)
    assert data["total"] == stats["total"] and data["hidden"] == stats["hidden"]
    assert dict(data["by_theme"]) == {r["theme"]: r["count"] for r in stats["by_theme"]}
    by_zone = {r["zone_code"] or "—": r["count"] for r in stats["by_zone"]}
    assert {code: z["count"] for code, z in data["by_zone"].items()} == by_zone
    numbers = sorted(n for z in data["by_zone"].values() for n in z["numbers"])
    assert numbers == list(range(1, stats["total"] + 1))

    url = f"/api/v1/inquiries/{open_inquiry.pk}/export/synthesis/"
    assert client.get(url).status_code == 403
    client.force_login(commission_member)
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert "synthese-enquete" in response["Content-Disposition"]
    assert response.content.count(b"/Type /Page\n") >= 2


def test_the_commission_conducts_its_own_inquiry_only(
    client, open_inquiry, commission_member, other_commission_member
):
    url = f"/api/v1/inquiries/{open_inquiry.pk}/transitions/"
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(seconds=1))
    client.force_login(other_commission_member)
    assert client.post(url + "close/", {}, "application/json").status_code == 403
    client.force_login(commission_member)
    # The procedure's own steps stay with the agency.
    refused = client.post(url + "abandon/", {"reason": "x"}, "application/json")
    assert refused.status_code == 403 and "agency" in refused.json()["detail"]
    response = client.post(url + "close/", {}, "application/json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    response = client.post(url + "synthesis/", {}, "application/json")
    assert response.status_code == 200 and response.json()["status"] == "synthesis"


def test_moderation_and_personal_data_exports_are_audited_without_identities(
    client, open_inquiry, commission_member, caplog
):
    import logging

    caplog.set_level(logging.INFO, logger="eurbanisme.audit")
    entry = submit(open_inquiry, body="Texte à masquer.")
    client.force_login(commission_member)
    base = f"/api/v1/inquiries/{open_inquiry.pk}/"
    hide = client.post(f"{base}register/{entry.register_number}/hide/", {"reason": "Injure"})
    assert hide.status_code == 200
    assert client.get(f"{base}export/csv/").status_code == 200
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "eurbanisme.audit"]
    events = {r["event"]: r for r in records}
    assert events["moderation_hide"]["observation_id"] == entry.pk
    assert events["personal_data_export"]["actor_id"] == commission_member.pk
    assert events["personal_data_export"]["format"] == "csv"
    text = json.dumps(records)
    assert "bennani" not in text.lower() and "@" not in text


def test_no_personal_data_reaches_the_logs(client, open_inquiry, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    accepted = _post(client, open_inquiry, author_email="log.check@example.ma")
    refused = _post(client, open_inquiry, author_email="log.check@example.ma")  # a duplicate
    late = _post(client, open_inquiry, author_email="not-an-email")
    assert (accepted.status_code, refused.status_code, late.status_code) == (201, 409, 400)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the refusals were logged (Django's request log)
    for secret in ("log.check@example.ma", "Youssef", "Alaoui", ID_NUMBER, "not-an-email"):
        assert secret not in logged
