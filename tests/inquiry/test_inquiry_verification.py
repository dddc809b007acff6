"""Email verification, when switched on: an entry enters the register only once confirmed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from inquiry_helpers import PDF, point_in_zone, shift_clock

from inquiry import services
from inquiry.models import Observation, PendingObservation

DAY = dt.timedelta(days=1)
EMAIL = "nadia.tazi@example.ma"


@pytest.fixture
def verify(settings):
    settings.EU_INQUIRY_VERIFY_EMAIL = True


def _post(client, inquiry, **overrides):
    point, _ = point_in_zone(inquiry)
    data = {
        "theme": "green",
        "body": "Gardez le jardin public du quartier.",
        "author_name": "Nadia Tazi",
        "author_email": EMAIL,
        "consent_publication": "on",
        "geometry": point.json,
        "attachments": [SimpleUploadedFile("photo.pdf", PDF)],
    }
    data.update(overrides)
    return client.post(f"/api/v1/inquiries/{inquiry.pk}/observations/", data)


def _held(client, inquiry, capture, mailoutbox):
    """Submit, and return the token of the link the author receives."""
    with capture(execute=True):
        response = _post(client, inquiry)
    assert response.status_code == 202, response.content
    assert "link" in response.json()["detail"]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [EMAIL]
    url = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    assert f"/enquete/{inquiry.pk}/?confirm=" in url
    return url.rsplit("=", 1)[1]


def _confirm(client, token):
    return client.post(f"/api/v1/inquiries/confirm/{token}/")


def test_an_entry_waits_for_its_author_then_gets_the_next_number(
    client, open_inquiry, verify, django_capture_on_commit_callbacks, mailoutbox
):
    before = Observation.objects.filter(inquiry=open_inquiry).count()
    token = _held(client, open_inquiry, django_capture_on_commit_callbacks, mailoutbox)
    assert Observation.objects.filter(inquiry=open_inquiry).count() == before

    response = _confirm(client, token)
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["register_number"] == before + 1
    entry = Observation.objects.get(receipt_token=receipt["receipt"])
    assert entry.author_email == EMAIL and entry.attachments.count() == 1
    assert services.observation_verify(observation=entry)
    # A second click gives the same receipt; the held copy of personal data is gone.
    assert _confirm(client, token).json()["register_number"] == before + 1
    assert PendingObservation.objects.get(token=token).submission == {}


def test_a_refused_submission_is_refused_before_any_email(
    client, open_inquiry, verify, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, open_inquiry, consent_publication="")
    assert response.status_code == 400 and response.json()["code"] == "consent_required"
    assert not mailoutbox and not PendingObservation.objects.exists()


def test_an_expired_link_writes_nothing_and_the_tick_erases_it(
    client, open_inquiry, verify, django_capture_on_commit_callbacks, mailoutbox
):
    before = Observation.objects.filter(inquiry=open_inquiry).count()
    token = _held(client, open_inquiry, django_capture_on_commit_callbacks, mailoutbox)
    PendingObservation.objects.filter(token=token).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    response = _confirm(client, token)
    assert response.status_code == 410 and "submit" in response.json()["detail"]
    assert Observation.objects.filter(inquiry=open_inquiry).count() == before
    assert services.inquiry_tick()["purged"] == 1
    assert _confirm(client, token).status_code == 404


def test_a_confirmation_after_closing_is_refused(
    client, open_inquiry, verify, django_capture_on_commit_callbacks, mailoutbox
):
    token = _held(client, open_inquiry, django_capture_on_commit_callbacks, mailoutbox)
    shift_clock(open_inquiry, opens_in=-30 * DAY, closes_in=-dt.timedelta(seconds=1))
    response = _confirm(client, token)
    assert response.status_code == 409 and response.json()["code"] == "register_closed"
    assert not Observation.objects.filter(author_email=EMAIL).exists()
