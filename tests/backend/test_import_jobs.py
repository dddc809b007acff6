"""Web imports in the background: a job row with status and progress, polled by the editor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from common.db import db_now
from planning import jobs, transfer
from planning.models import ImportJob, ImportJobStatus, VersionStage

pytestmark = pytest.mark.django_db


def _geojson(version) -> bytes:
    content, _, _ = transfer.zones_export(version=version, fmt="geojson")
    return content


def _start(client, version, data: bytes, name: str = "zones.geojson", **fields):
    url = f"/api/v1/planning/versions/{version.pk}/import-jobs/"
    return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def test_a_dry_run_job_is_queued_then_reports_the_validation(
    planner_client, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _start(planner_client, draft, _geojson(draft), dry_run="true")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["percent"] is None
    assert response["Location"] == f"/api/v1/planning/import-jobs/{job['id']}/"
    assert len(callbacks) == 1  # the thread starts only once the job row is committed

    # The thread's work, run here so that it sees the test's transaction.
    jobs.import_job_run(job["id"])
    polled = planner_client.get(response["Location"]).json()
    assert polled["status"] == "succeeded" and polled["percent"] == 100
    assert polled["result"]["features"] == draft.zones.count()
    assert polled["result"]["written"] is False
    assert polled["total"] == draft.zones.count()
    assert not ImportJob.objects.get(pk=job["id"]).upload  # the upload is not kept


def test_a_job_writes_the_zones_and_records_the_import(
    planner_client, draft, django_capture_on_commit_callbacks
):
    count = draft.zones.count()
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(planner_client, draft, _geojson(draft), mode="replace").json()
    done = jobs.import_job_run(job["id"])
    assert done.status == ImportJobStatus.SUCCEEDED, done.error
    assert done.result["written"] is True
    assert draft.zones.count() == count
    assert draft.events.filter(action="zones_import").exists()


def test_a_file_that_cannot_be_read_fails_with_a_message(
    planner_client, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(planner_client, draft, b"not a plan", name="plan.txt").json()
    done = jobs.import_job_run(job["id"])
    assert done.status == ImportJobStatus.FAILED
    assert done.error["code"] == "unsupported_format"
    assert "GeoPackage" in done.error["detail"]


def test_an_import_job_is_refused_at_once_to_another_agency(client, draft, other_agency_planner):
    client.force_login(other_agency_planner)
    response = _start(client, draft, _geojson(draft))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_an_import_job_into_a_frozen_version_is_refused(planner_client, demo_document):
    inquiry = demo_document.versions.get(stage=VersionStage.INQUIRY)
    response = _start(planner_client, inquiry, b"{}")
    assert response.status_code == 409
    assert "clone it" in response.json()["detail"]


def test_a_job_without_a_file_says_which_field_to_send(planner_client, draft):
    url = f"/api/v1/planning/versions/{draft.pk}/import-jobs/"
    response = planner_client.post(url, {"dry_run": "true"})
    assert response.status_code == 400 and "'file'" in response.json()["detail"]


def test_another_agency_cannot_follow_a_job(
    planner_client, client, draft, other_agency_planner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(planner_client, draft, _geojson(draft), dry_run="true").json()
    client.force_login(other_agency_planner)
    assert client.get(f"/api/v1/planning/import-jobs/{job['id']}/").status_code == 403


def test_a_finished_job_cannot_run_again(planner_client, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(planner_client, draft, b"x", name="plan.txt").json()
    jobs.import_job_run(job["id"])
    again = jobs.import_job_run(job["id"])
    assert again.status == ImportJobStatus.FAILED  # unchanged: the second run was refused


def test_jobs_lost_with_their_process_are_marked_failed(draft, agency_planner):
    job = ImportJob.objects.create(
        version=draft,
        created_by=agency_planner,
        filename="x.gpkg",
        upload="imports/x.gpkg",
        status=ImportJobStatus.RUNNING,
        started_at=db_now() - timedelta(hours=3),
    )
    assert jobs.import_job_fail_stale() == 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and job.error["code"] == "lost"


def test_progress_counts_like_tqdm():
    progress = jobs.JobProgress(job_id=0)
    progress.set_description("prepare")
    progress.total = 10
    progress.update(4)
    assert (progress.phase, progress.done, progress.total) == ("prepare", 4, 10)
