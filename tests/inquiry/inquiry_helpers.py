"""Helpers of the inquiry tests: moving the clock, a valid observation, sample files."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from common.db import db_now
from inquiry import services
from inquiry.models import Attachment, Inquiry, Observation, ObservationEvent
from planning.models import Zone

PASSWORD = "a-test-password-42"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def shift_clock(inquiry: Inquiry, *, opens_in: dt.timedelta, closes_in: dt.timedelta) -> None:
    """Time passes: move an inquiry's dates relative to the database clock (test only)."""
    now = db_now()
    Inquiry.objects.filter(pk=inquiry.pk).update(opens_at=now + opens_in, closes_at=now + closes_in)
    inquiry.refresh_from_db()


def point_in_zone(inquiry: Inquiry):
    """A point inside a zone of the version under inquiry, and that zone."""
    zone = Zone.objects.filter(version_id=inquiry.version_id).order_by("id").first()
    return zone.geom.point_on_surface, zone


def submit(inquiry: Inquiry, **overrides):
    """A valid web observation, with what the test changes."""
    values = {
        "inquiry": inquiry,
        "theme": "zoning",
        "body": "Je demande le maintien de ma parcelle en zone villas.",
        "author_name": "Fatima Zahra Bennani",
        "author_email": "fz.bennani@example.ma",
        "consent_publication": True,
        "ip": "192.0.2.10",
    }
    values.update(overrides)
    return services.observation_submit(**values)


def purge_entries(tokens: list[str]) -> None:
    """Remove test entries from the committed register (the purge switch of the guard)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL eurbanisme.register_purge = 'on'")
        entries = Observation.objects.filter(receipt_token__in=tokens)
        ObservationEvent.objects.filter(observation__in=entries).delete()
        Attachment.objects.filter(observation__in=entries).delete()
        entries.delete()
