"""Closing while submissions arrive, over real HTTP connections, against committed data."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import requests
from django.db import connection, transaction
from inquiry_helpers import PDF, point_in_zone

from common.db import db_now
from common.errors import Refused
from inquiry import services
from inquiry.models import Attachment, Inquiry, InquiryStatus, Observation, ObservationEvent

CITIZENS = 8
OPEN_FOR = 2.5  # seconds of submissions before the closing instant


@pytest.fixture
def racing_inquiry(django_db_setup, django_db_blocker, settings):
    """An open inquiry closing in a few seconds, committed so the live server sees it."""
    # Every request comes from 127.0.0.1: lift the per-IP limit for this test only.
    settings.EU_INQUIRY_RATE_PER_IP_HOUR = 10**6
    with django_db_blocker.unblock():
        demo = Inquiry.objects.get(status=InquiryStatus.OPEN, title_fr__startswith="Enquête")
        now = db_now()
        inquiry = Inquiry.objects.create(
            version=demo.version,
            regime=demo.regime,
            title_fr="Course à la clôture",
            title_ar="سباق الإغلاق",
            status=InquiryStatus.OPEN,
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(seconds=OPEN_FOR),
        )
        try:
            yield inquiry
        finally:
            # The register refuses deletes; the purge switch exists for exactly this teardown.
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL eurbanisme.register_purge = 'on'")
                ObservationEvent.objects.filter(observation__inquiry=inquiry).delete()
                Attachment.objects.filter(observation__inquiry=inquiry).delete()
                Observation.objects.filter(inquiry=inquiry).delete()
                inquiry.delete()


def test_closing_while_submissions_arrive_loses_nothing(
    racing_inquiry, live_url, django_db_blocker
):
    inquiry = racing_inquiry
    with django_db_blocker.unblock():
        point, _ = point_in_zone(inquiry)
        seconds_left = (inquiry.closes_at - db_now()).total_seconds()
    close_at = time.monotonic() + seconds_left
    url = f"{live_url}/api/v1/inquiries/{inquiry.pk}/observations/"
    results: list[tuple[int, dict]] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def citizen() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                tag = uuid.uuid4().hex
                try:
                    response = session.post(
                        url,
                        data={
                            "theme": "zoning",
                            "body": f"Observation {tag}",
                            "author_name": "Citoyen",
                            "author_email": f"{tag}@example.ma",
                            "consent_publication": "on",
                            "geometry": point.json,
                        },
                        files={"attachments": ("plan.pdf", PDF, "application/pdf")},
                        timeout=30,
                    )
                    with lock:
                        results.append((response.status_code, response.json()))
                except BaseException as exc:  # noqa: BLE001 - every lost request is a failure
                    failures.append(exc)

    closed: list = []

    def commission() -> None:
        with django_db_blocker.unblock():
            try:
                time.sleep(max(0.0, close_at - time.monotonic()))
                while True:
                    try:
                        closed.append(services.inquiry_close(inquiry=inquiry, by=None))
                        break
                    except Refused:
                        time.sleep(0.01)  # a hair early on the database clock
                time.sleep(0.7)  # keep submitting after the closing
            finally:
                stop.set()
                connection.close()

    threads = [threading.Thread(target=citizen) for _ in range(CITIZENS)]
    threads.append(threading.Thread(target=commission))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not failures, failures[:3]
    assert closed and closed[0].status == InquiryStatus.CLOSED
    accepted = [body for status, body in results if status == 201]
    refused = [(status, body) for status, body in results if status != 201]
    print(f"closing race: {len(accepted)} accepted, {len(refused)} refused")
    assert accepted and refused, "the race needs entries on both sides of the closing"
    # Every refusal is the clear 'closed' answer, never a server error or a half write.
    assert {(s, b["code"]) for s, b in refused} == {(409, "register_closed")}
    with django_db_blocker.unblock():
        rows = list(Observation.objects.filter(inquiry=inquiry).order_by("register_number"))
        attachments = Attachment.objects.filter(observation__inquiry=inquiry).count()
        close_event = inquiry.events.get(to_status=InquiryStatus.CLOSED)
        inquiry.refresh_from_db()
    assert [r.register_number for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) == len(accepted) == attachments
    by_token = {str(r.receipt_token): r for r in rows}
    for receipt in accepted:
        row = by_token[receipt["receipt"]]
        assert row.register_number == receipt["register_number"]
        assert row.content_sha256 == receipt["content_sha256"]
    assert all(r.submitted_at < inquiry.closes_at for r in rows)
    assert close_event.payload["register_size"] == len(rows)


def test_every_register_in_the_database_is_gap_free(db):
    # Also makes pytest-django create the test database when this module runs on its own.
    from django.db.models import Count, Max

    for row in Observation.objects.values("inquiry").annotate(
        n=Count("id"), top=Max("register_number")
    ):
        assert row["n"] == row["top"]
