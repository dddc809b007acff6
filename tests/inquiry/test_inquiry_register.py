"""The register: numbering, receipts, immutability, geometry, attachments and anti-abuse."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon
from django.db import IntegrityError, InternalError, connection, transaction
from inquiry_helpers import PDF, PNG, point_in_zone, shift_clock, submit

from common.errors import Refused
from inquiry import services
from inquiry.models import Channel, Inquiry, InquiryStatus, Observation

DAY = dt.timedelta(days=1)


def _register_numbers(inquiry) -> list[int]:
    return list(
        Observation.objects.filter(inquiry=inquiry).values_list("register_number", flat=True)
    )


def test_entries_are_numbered_in_sequence(open_inquiry):
    start = len(_register_numbers(open_inquiry))
    numbers = [
        submit(open_inquiry, body=f"Observation {i}", author_email=f"c{i}@example.ma")
        for i in range(3)
    ]
    assert [o.register_number for o in numbers] == [start + 1, start + 2, start + 3]
    assert _register_numbers(open_inquiry) == list(range(1, start + 4))


@pytest.mark.parametrize(
    "body",
    [
        'Guillemets " et barre \\ oblique, retour\nà la ligne',
        "Caractères de contrôle \x01\x1f et DEL \x7f",
        "نطالب بالحفاظ على المنطقة الخضراء 🌳",
        # The slots the database fills in cannot be forged from the text.
        '"register_number":0, "submitted_at":"@"',
    ],
)
def test_the_hash_computed_by_the_database_is_the_canonical_one(open_inquiry, body):
    entry = submit(open_inquiry, body=body, author_name='Nom "cité" \\ ', author_email="h@ex.ma")
    stored = Observation.objects.get(pk=entry.pk)
    assert stored.body == body.strip()
    assert stored.content_sha256 == entry.content_sha256
    assert services.observation_verify(observation=stored)


def test_a_rolled_back_entry_consumes_no_number(open_inquiry):
    first = submit(open_inquiry)
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(open_inquiry, body="rolled back", author_email="rb@example.ma")
        raise RuntimeError("the request failed after the insert")
    after = submit(open_inquiry, body="after", author_email="after@example.ma")
    assert after.register_number == first.register_number + 1
    assert _register_numbers(open_inquiry) == list(range(1, after.register_number + 1))


def test_the_receipt_hash_proves_the_stored_content(open_inquiry):
    point, _ = point_in_zone(open_inquiry)
    entry = submit(
        open_inquiry,
        geometry=point,
        attachments=[services.Upload(name="plan.pdf", content=PDF)],
        author_id_number="BE123456",
    )
    stored = Observation.objects.get(pk=entry.pk)
    assert len(stored.content_sha256) == 64
    assert services.observation_verify(observation=stored)
    canonical = services.canonical_content(
        stored,
        [
            {
                "name": "plan.pdf",
                "content_type": "application/pdf",
                "size": len(PDF),
                "sha256": hashlib.sha256(PDF).hexdigest(),
            }
        ],
    )
    assert hashlib.sha256(canonical).hexdigest() == stored.content_sha256


def test_the_database_refuses_to_change_a_submitted_entry(open_inquiry):
    entry = submit(open_inquiry)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        Observation.objects.filter(pk=entry.pk).update(body="rewritten")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inquiry_observation SET author_name = 'X' WHERE id = %s", [entry.pk]
            )
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        Observation.objects.filter(pk=entry.pk).delete()
    assert Observation.objects.get(pk=entry.pk).body == entry.body


def test_the_database_refuses_to_change_an_attachment(open_inquiry):
    entry = submit(open_inquiry, attachments=[services.Upload(name="a.png", content=PNG)])
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        entry.attachments.update(content=b"%PDF-forged")


def test_moderation_columns_may_change(open_inquiry, moderator):
    entry = submit(open_inquiry)
    services.observation_hide(observation=entry, reason="Propos injurieux", by=moderator)
    entry.refresh_from_db()
    assert entry.hidden and entry.hidden_reason == "Propos injurieux"
    assert entry.events.get().action == "hide"


def test_a_correction_is_a_new_entry_linked_to_the_old(open_inquiry):
    first = submit(open_inquiry)
    fix = submit(open_inquiry, body="Correction: parcelle 12 et non 21.", corrects=first)
    assert fix.register_number == first.register_number + 1
    assert fix.corrects == first
    first.refresh_from_db()
    assert first.body == "Je demande le maintien de ma parcelle en zone villas."


def test_an_entry_before_opening_is_refused_with_the_opening_date(open_inquiry):
    before = Observation.objects.filter(inquiry=open_inquiry).count()
    shift_clock(open_inquiry, opens_in=2 * DAY, closes_in=32 * DAY)
    Inquiry.objects.filter(pk=open_inquiry.pk).update(status=InquiryStatus.SCHEDULED)
    with pytest.raises(Refused) as refused:
        submit(open_inquiry)
    assert refused.value.code == "register_not_open" and refused.value.status == 409
    assert "not open yet" in refused.value.message and "Casablanca" in refused.value.message
    assert Observation.objects.filter(inquiry=open_inquiry).count() == before


def test_an_entry_after_the_closing_instant_is_refused_even_before_the_tick(open_inquiry):
    # Status still 'open' (no tick ran), but the database clock says it is over.
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(seconds=1))
    with pytest.raises(Refused) as refused:
        submit(open_inquiry)
    assert refused.value.code == "register_closed"
    assert "closed on" in refused.value.message


def test_an_entry_after_closing_is_refused(open_inquiry):
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-DAY)
    services.inquiry_close(inquiry=open_inquiry, by=None)
    with pytest.raises(Refused) as refused:
        submit(open_inquiry)
    assert refused.value.message.startswith("The register closed on")


def test_a_scheduled_inquiry_whose_opening_passed_accepts_entries(open_inquiry):
    # The tick has not moved it to 'open' yet: the register is open all the same.
    Inquiry.objects.filter(pk=open_inquiry.pk).update(status=InquiryStatus.SCHEDULED)
    assert submit(open_inquiry).register_number >= 1


def test_staff_transcribe_paper_entries_with_their_scan(open_inquiry, commission_member):
    entry = submit(
        open_inquiry,
        channel=Channel.PAPER,
        author_email="",
        consent_publication=False,
        attachments=[services.Upload(name="scan-lettre.pdf", content=PDF, is_scan=True)],
        by=commission_member,
    )
    assert entry.transcribed_by == commission_member
    assert entry.attachments.get().is_scan
    assert entry.events.get().action == "transcribe"


def test_a_paper_entry_can_be_transcribed_after_closing(open_inquiry, commission_member):
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-DAY)
    services.inquiry_close(inquiry=open_inquiry, by=None)
    entry = submit(open_inquiry, channel=Channel.PAPER, by=commission_member)
    assert entry.channel == Channel.PAPER and entry.submitted_at > open_inquiry.closes_at


def test_the_zone_prescriptions_and_articles_under_a_drawing_are_attached(open_inquiry):
    point, zone = point_in_zone(open_inquiry)
    entry = submit(open_inquiry, geometry=point)
    assert entry.zone_id == zone.pk
    assert entry.commune is not None
    assert [z["code"] for z in entry.context["zones"]] == [zone.code]
    assert all(a["number"] for a in entry.context["articles"])


def test_a_polygon_in_another_crs_is_stored_in_4326(open_inquiry):
    point, _ = point_in_zone(open_inquiry)
    local = point.transform(26191, clone=True)
    x, y = local.x, local.y
    square = Polygon(((x, y), (x + 40, y), (x + 40, y + 40), (x, y + 40), (x, y)), srid=26191)
    entry = submit(open_inquiry, geometry=square)
    entry.refresh_from_db()
    assert entry.geom.srid == 4326 and entry.geom.geom_type == "Polygon"
    assert entry.geom.centroid.distance(point) < 0.001
    assert entry.zone_id is not None


def test_a_line_is_accepted(open_inquiry):
    point, _ = point_in_zone(open_inquiry)
    line = LineString((point.x, point.y), (point.x + 0.0005, point.y + 0.0005), srid=4326)
    assert submit(open_inquiry, geometry=line).geom.geom_type == "LineString"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: Point(0, 0, srid=4326), "geometry_outside"),
        (
            lambda p: Polygon(
                (
                    (p.x, p.y),
                    (p.x + 0.001, p.y + 0.001),
                    (p.x + 0.001, p.y),
                    (p.x, p.y + 0.001),
                    (p.x, p.y),
                ),
                srid=4326,
            ),
            "geometry_invalid",
        ),
        (
            lambda p: MultiPolygon(Polygon.from_bbox((p.x, p.y, p.x + 1e-4, p.y + 1e-4))),
            "geometry_type",
        ),
        (
            lambda p: LineString([(p.x + i * 1e-6, p.y) for i in range(1200)], srid=4326),
            "geometry_vertices",
        ),
    ],
    ids=["outside", "bow-tie", "multipolygon", "too-many-vertices"],
)
def test_a_bad_drawing_is_refused(open_inquiry, make, code):
    before = Observation.objects.filter(inquiry=open_inquiry).count()
    point, _ = point_in_zone(open_inquiry)
    geometry = make(point)
    geometry.srid = geometry.srid or 4326
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, geometry=geometry)
    assert refused.value.code == code
    assert Observation.objects.filter(inquiry=open_inquiry).count() == before


def test_attachments_are_judged_by_their_content_and_renamed_safely(open_inquiry):
    entry = submit(
        open_inquiry,
        attachments=[
            services.Upload(name="../../etc/mon plan?.pdf", content=PDF),
            services.Upload(name="photo.exe", content=PNG),
        ],
    )
    names = list(entry.attachments.values_list("name", "content_type"))
    assert names == [("mon_plan.pdf", "application/pdf"), ("photo.png", "image/png")]


@pytest.mark.parametrize(
    ("upload", "code", "status"),
    [
        (services.Upload(name="virus.pdf", content=b"MZ\x90\x00binary"), "file_type", 415),
        (services.Upload(name="vide.pdf", content=b""), "file_empty", 400),
        (services.Upload(name="big.pdf", content=b"%PDF-" + b"0" * 2048), "file_too_big", 413),
    ],
    ids=["executable", "empty", "too-big"],
)
def test_a_bad_attachment_is_refused(open_inquiry, settings, upload, code, status):
    settings.EU_INQUIRY_MAX_ATTACHMENT_BYTES = 1024
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, attachments=[upload])
    assert (refused.value.code, refused.value.status) == (code, status)


def test_too_many_attachments_are_refused(open_inquiry):
    uploads = [services.Upload(name=f"{i}.pdf", content=PDF) for i in range(4)]
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, attachments=uploads)
    assert refused.value.code == "too_many_files"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"honeypot": "http://spam.example"}, "spam"),
        ({"consent_publication": False}, "consent_required"),
        ({"author_email": "not-an-email"}, "email_invalid"),
        ({"author_name": "  "}, "name_required"),
        ({"body": "   "}, "body_empty"),
        ({"theme": "lottery"}, "theme"),
    ],
)
def test_an_incomplete_or_automated_entry_is_refused(open_inquiry, overrides, code):
    before = Observation.objects.filter(inquiry=open_inquiry).count()
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, **overrides)
    assert refused.value.code == code
    assert Observation.objects.filter(inquiry=open_inquiry).count() == before


def test_a_too_long_text_is_refused(open_inquiry, settings):
    settings.EU_INQUIRY_MAX_BODY_CHARS = 50
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, body="x" * 51)
    assert "limit is 50" in refused.value.message


def test_a_duplicate_is_refused_with_the_number_of_the_original(open_inquiry):
    first = submit(open_inquiry)
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, body="  Je demande le maintien de ma parcelle en zone villas. ")
    assert refused.value.status == 409
    assert refused.value.message == services.ERR_DUPLICATE.format(number=first.register_number)


def test_the_rate_limit_per_ip_refuses_the_next_entry(open_inquiry, settings):
    settings.EU_INQUIRY_RATE_PER_IP_HOUR = 2
    for i in range(2):
        submit(open_inquiry, body=f"obs {i}", author_email=f"p{i}@example.ma")
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, body="third", author_email="p3@example.ma")
    assert (refused.value.code, refused.value.status) == ("rate_limited", 429)
    assert submit(open_inquiry, body="other", author_email="x@example.ma", ip="192.0.2.99")


def test_the_rate_limit_per_email_refuses_the_next_entry(open_inquiry, settings):
    settings.EU_INQUIRY_RATE_PER_EMAIL_HOUR = 1
    submit(open_inquiry, body="one")
    with pytest.raises(Refused) as refused:
        submit(open_inquiry, body="two", ip="192.0.2.77")
    assert refused.value.code == "rate_limited"
    assert "fz.bennani@example.ma" in refused.value.message


def test_commission_work_is_recorded(open_inquiry, commission_member):
    entry = submit(open_inquiry)
    services.observation_tag(observation=entry, tags=["Hauteur", "voirie"], by=commission_member)
    services.observation_assign(observation=entry, assignee=commission_member, by=None)
    services.observation_answer(observation=entry, answer="Avis favorable.", by=commission_member)
    entry.refresh_from_db()
    assert entry.tags == ["hauteur", "voirie"]
    assert entry.assigned_to == commission_member
    assert entry.answer == "Avis favorable." and entry.answered_at is not None
    assert [e.action for e in entry.events.all()] == ["tag", "assign", "answer"]


def test_assigning_to_a_citizen_or_planner_is_refused(open_inquiry, agency_planner):
    entry = submit(open_inquiry)
    with pytest.raises(Refused) as refused:
        services.observation_assign(observation=entry, assignee=agency_planner, by=None)
    assert refused.value.message == services.ERR_ASSIGNEE


def test_hiding_twice_or_unhiding_a_visible_entry_is_refused(open_inquiry, moderator):
    entry = submit(open_inquiry)
    with pytest.raises(Refused):
        services.observation_unhide(observation=entry, by=moderator)
    services.observation_hide(observation=entry, reason="Hors sujet", by=moderator)
    with pytest.raises(Refused) as refused:
        services.observation_hide(observation=entry, reason="encore", by=moderator)
    assert refused.value.code == "already_hidden"
    services.observation_unhide(observation=entry, by=moderator)
    entry.refresh_from_db()
    assert not entry.hidden
